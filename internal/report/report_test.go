package report_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/dashboard"
	"patuh/internal/db/dbtest"
	"patuh/internal/importer"
	"patuh/internal/report"
	"patuh/internal/web"
	"patuh/internal/wib"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// pdfText collects the strings of the uncompressed content streams (the "(text)Tj" operands;
// a parenthesis inside the text is escaped), joined by spaces.
func pdfText(pdf []byte) string {
	var b strings.Builder
	for _, part := range bytes.Split(pdf, []byte(")Tj")) {
		i := len(part) - 1
		for ; i >= 0; i-- {
			if part[i] == '(' && (i == 0 || part[i-1] != '\\') {
				break
			}
		}
		if i >= 0 {
			b.Write(part[i+1:])
			b.WriteByte(' ')
		}
	}
	return strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(b.String())
}

// One employer in Jakarta Timur with a case opened and closed in November 2026 (2 workers
// recovered, the shortfall of 100,000 at opening now 29,142), and one overdue teguran.
func seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.DB(t)
	im, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	im.OnSettled(dashboard.RefreshResidents)
	for _, f := range []struct{ kind, csv string }{
		{"employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n4000000000003,Timur Satu,31.75.01.1001,mikro,1\n4000000000004,Pusat Satu,31.71.01.1001,kecil,2\n"},
		{"participants", "npp,nik,nama,upah,status\nP0000002,3171010101900001,A,6000000,aktif\n"},
	} {
		if _, _, err := im.Create(ctx, 0, "test", f.kind, f.kind+".csv", strings.NewReader(f.csv), nil); err != nil {
			t.Fatal(err)
		}
		if err := im.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	d.MustExec(`INSERT INTO users (username, name, role, area_kode, password_hash) VALUES ('sup.timur', 'Pak Budi', 'supervisor', '31.75', 'x')`)
	d.MustExec(`INSERT INTO cases (employer_id, status, outcome, recovered_workers, opened_at, closed_at, flags_at_open)
		SELECT id, 'closed', 'compliant', 2, '2026-11-03T09:00:00+07:00', '2026-11-20T10:00:00+07:00', '[{"code": "PWBD", "shortfall_rp": 100000}]'
		FROM employers WHERE nib = '4000000000003'`)
	d.MustExec(`INSERT INTO cases (employer_id, status, opened_at) SELECT id, 'follow_up', '2026-11-10T09:00:00+07:00'
		FROM employers WHERE nib = '4000000000004'`)
	d.MustExec(`INSERT INTO follow_ups (case_id, kind, status, due_on, issued_on)
		SELECT c.id, 'teguran_1', 'open', '2026-11-25', '2026-11-15' FROM cases c WHERE c.status = 'follow_up'`)
}

func TestMonthlyReport(t *testing.T) {
	seed(t)
	ctx := context.Background()
	s := report.NewStore(dbtest.DB(t))
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 30, 0, 0, wib.Zone) }
	data, err := s.Collect(ctx, &auth.User{Role: auth.Admin}, time.Date(2026, 11, 1, 0, 0, 0, 0, wib.Zone))
	if err != nil {
		t.Fatal(err)
	}
	var now int64
	if err := dbtest.DB(t).Get(&now, `SELECT s.shortfall_rp FROM employer_status s JOIN employers e ON e.id = s.employer_id WHERE e.nib = '4000000000003'`); err != nil {
		t.Fatal(err)
	}
	if now == 0 || data.Total.Opened != 2 || data.Total.Closed != 1 || data.Total.Recovered != 2 || data.Total.RecoveredRp != 100000-now || data.Total.Overdue != 1 {
		t.Errorf("November's casework: %+v", data.Total)
	}
	if c := data.Cases["31.75"]; c.Closed != 1 || c.Opened != 1 {
		t.Errorf("Jakarta Timur's casework: %+v", c)
	}
	pdf, err := report.PDF(data)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(pdf)), " ")
	for _, want := range []string{"LAPORAN BULANAN NOTA KESEPAHAMAN", "Bulan laporan: November 2026", "Kasus dibuka bulan ini",
		"Iuran bulanan yang pulih (kasus ditutup bulan ini) " + web.FormatRupiah(100000-now), "Tindak lanjut lewat tenggat", "Jakarta Timur", "Kepulauan Seribu",
		"Batas wilayah: BPS / OCHA HDX (CC BY-IGO)", "Penanganan kasus bulan November 2026 per kota", "Jumlah"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// The map is drawn as vector polygons: one filled path per kecamatan at least.
	if n := bytes.Count(pdf, []byte(" b\n")) + bytes.Count(pdf, []byte(" B\n")) + bytes.Count(pdf, []byte("\nb\n")) + bytes.Count(pdf, []byte("\nB\n")); n < 44 {
		t.Errorf("%d filled polygons in the PDF, want 44 kecamatan or more", n)
	}

	// A supervisor of Jakarta Timur gets a report of Timur, by kecamatan, and sees only it.
	var budi auth.User
	if err := dbtest.DB(t).Get(&budi.ID, `SELECT id FROM users WHERE username = 'sup.timur'`); err != nil {
		t.Fatal(err)
	}
	budi.Role, budi.Area = auth.Supervisor, "31.75"
	id, err := s.Generate(ctx, &budi, time.Date(2026, 11, 1, 0, 0, 0, 0, wib.Zone))
	if err != nil {
		t.Fatal(err)
	}
	_, own, err := s.PDFOf(ctx, &budi, id)
	if err != nil {
		t.Fatal(err)
	}
	ownText := strings.Join(strings.Fields(pdfText(own)), " ")
	if !strings.Contains(ownText, "Kepatuhan pemberi kerja per kecamatan") || strings.Contains(ownText, "Jakarta Pusat") {
		t.Errorf("Jakarta Timur's report:\n%s", ownText)
	}
	if _, err := s.Generate(ctx, &budi, time.Date(2027, 1, 1, 0, 0, 0, 0, wib.Zone)); err == nil {
		t.Error("a report of a future month was generated")
	}
}

// However many instances check at once, the server's report of last month is written once.
func TestScheduledReportOnce(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	now := func() time.Time { return time.Date(2026, 12, 1, 0, 5, 0, 0, wib.Zone) }
	var wg sync.WaitGroup
	wrote := make(chan bool, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := report.NewStore(d)
			s.Now = now
			w, err := s.EnsureScheduled(ctx)
			if err != nil {
				t.Error(err)
			}
			wrote <- w
		}()
	}
	wg.Wait()
	close(wrote)
	n := 0
	for w := range wrote {
		if w {
			n++
		}
	}
	var rows int
	if err := d.Get(&rows, `SELECT count(*) FROM monthly_reports WHERE month = '2026-11-01' AND generated_by IS NULL`); err != nil {
		t.Fatal(err)
	}
	if n != 1 || rows != 1 {
		t.Fatalf("%d instances wrote, %d reports kept; want 1 and 1", n, rows)
	}
	s := report.NewStore(d)
	s.Now = now
	if w, err := s.EnsureScheduled(ctx); w || err != nil {
		t.Errorf("second check wrote again: %v %v", w, err)
	}
	list, err := s.List(ctx, &auth.User{Role: auth.Admin})
	if err != nil || len(list) == 0 || list[0].MonthLabel != "November 2026" || list[0].GeneratedBy != nil {
		t.Errorf("list: %+v %v", list, err)
	}
}
