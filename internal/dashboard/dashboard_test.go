package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/dashboard"
	"patuh/internal/db/dbtest"
	"patuh/internal/importer"
	"patuh/internal/wib"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// loadAreas imports two employers in Jakarta Pusat and one in Jakarta Timur, figures checked by
// hand. Each test calls it: the importer returns the existing import for the same bytes, so the
// data is there once whichever test runs first.
func loadAreas(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	im, err := importer.New(dbtest.DB(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	im.Now = func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }
	im.OnSettled(dashboard.RefreshResidents)
	for _, f := range []struct{ kind, csv string }{
		{"employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n" +
			"4000000000001,Pusat Satu,31.71.01.1001,besar,3\n" + // PWBD 3 × 498,660.7164 = 1,495,982
			"4000000000002,Pusat Dua,31.71.02.1001,kecil,2\n" + // NPP, roster 2, one active: PDS_TK 1
			"4000000000003,Timur Satu,31.75.01.1001,mikro,1\n"}, // PWBD 1 × 5,396,761 × 0.54% = 29,142
		{"bpjs_employers", "npp,nib,nama,jkk,jkm,jht,jp,jkp\nP0000002,4000000000002,Pusat Dua,Y,Y,Y,N,N\n"},
		{"workers", "nib,nik,nama,upah\n4000000000002,3171010101900001,A,6000000\n4000000000002,3271010101900002,B,5000000\n"},
		{"participants", "npp,nik,nama,upah,status\nP0000002,3171010101900001,A,6000000,aktif\nP0000002,3171010101900009,C,6000000,nonaktif\n"},
	} {
		imp, _, err := im.Create(ctx, 0, "test", f.kind, f.kind+".csv", strings.NewReader(f.csv), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := im.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if imp, err = im.Get(ctx, imp.ID); err != nil || imp.Status != "committed" {
			t.Fatalf("%s import: %+v %v", f.kind, imp, err)
		}
	}
}

// Two employers in Jakarta Pusat, one in Jakarta Timur (loadAreas).
func TestCoverageAndResidents(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	loadAreas(t)
	s := dashboard.NewStore(d)
	all := &auth.User{Role: auth.Supervisor}
	kota, err := s.Coverage(ctx, all, "kota", "")
	if err != nil {
		t.Fatal(err)
	}
	byKode := map[string]dashboard.Area{}
	for _, a := range kota {
		byKode[a.Kode] = a
	}
	pusat, timur := byKode["31.71"], byKode["31.75"]
	// Pusat: PWBD 3 workers + PDS_TK 1 (B, 5,000,000 × 6.24% = 312,000) = 4 not enrolled.
	if pusat.Employers != 2 || pusat.UnenrolledWorkers != 4 || pusat.ShortfallRp != 1495982+312000 ||
		pusat.ReportedWorkers != 5 || pusat.ActiveParticipants != 1 || pusat.Flagged["PWBD"] != 1 || pusat.Flagged["PDS_TK"] != 1 {
		t.Errorf("Jakarta Pusat: %+v", pusat)
	}
	if timur.Employers != 1 || timur.UnenrolledWorkers != 1 || timur.ShortfallRp != 29142 {
		t.Errorf("Jakarta Timur: %+v", timur)
	}
	if len(kota) != 6 {
		t.Errorf("%d kota, want 6", len(kota))
	}
	// An inspector of Jakarta Timur sees only Timur.
	scoped, err := s.Coverage(ctx, &auth.User{Role: auth.Inspector, Area: "31.75"}, "kota", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(scoped) != 1 || scoped[0].Kode != "31.75" {
		t.Errorf("scoped coverage: %+v", scoped)
	}
	kec, err := s.Coverage(ctx, all, "kecamatan", "31.71")
	if err != nil {
		t.Fatal(err)
	}
	if len(kec) != 8 || kec[0].Kode != "31.71.01" || kec[0].UnenrolledWorkers != 3 {
		t.Errorf("kecamatan of Jakarta Pusat: %d rows, first %+v", len(kec), kec[0])
	}
	// Residents: one active NIK starting 31 (C is nonaktif; B's 32… NIK is not a participant).
	r, err := s.Residents(ctx)
	if err != nil || r.Participants != 1 || r.Target != 2800000 {
		t.Errorf("residents: %+v %v", r, err)
	}
	// The participants snapshot kept its resident count and the compliance totals (three
	// employers, each flagged; 3 + 1 + 1 workers not enrolled).
	h, err := s.History(ctx)
	if err != nil || len(h.Items) != 1 {
		t.Fatalf("history: %+v %v", h, err)
	}
	if it := h.Items[0]; it.Residents != 1 || it.Employers != 3 || it.FlaggedEmployers != 3 || it.CompliantEmployers != 0 ||
		it.UnenrolledWorkers != 5 || it.ShortfallRp != 1495982+312000+29142 || it.Gap != 2800000-1 {
		t.Errorf("snapshot history: %+v", it)
	}
	if h.Projection != nil {
		t.Errorf("a projection from one snapshot: %+v", h.Projection)
	}
}

func TestCaseworkFigures(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	loadAreas(t)
	// Two cases on employers of loadAreas: one open for 10 days, one closed with 2 recovered.
	var pusat, timur int64
	if err := d.Get(&pusat, `SELECT id FROM employers WHERE nib = '4000000000001'`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&timur, `SELECT id FROM employers WHERE nib = '4000000000003'`); err != nil {
		t.Fatal(err)
	}
	d.MustExec(`INSERT INTO users (username, name, role, area_kode, password_hash) VALUES ('insp.x', 'X', 'inspector', NULL, 'x')`)
	d.MustExec(`INSERT INTO cases (employer_id, status, assignee_id, opened_at) SELECT $1, 'assigned', id, now() - interval '10 days' FROM users WHERE username = 'insp.x'`, pusat)
	// Opened with a shortfall of 100,000 a month; Timur Satu's shortfall now is 29,142.
	d.MustExec(`INSERT INTO cases (employer_id, status, assignee_id, outcome, recovered_workers, closed_at, flags_at_open)
		SELECT $1, 'closed', id, 'compliant', 2, now(), '[{"code": "PWBD", "shortfall_rp": 100000}]' FROM users WHERE username = 'insp.x'`, timur)
	s := dashboard.NewStore(d)
	statuses, workload, months, err := s.Casework(ctx, &auth.User{Role: auth.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 1 || statuses[0].Status != "assigned" || statuses[0].Cases != 1 || statuses[0].AgeDays < 9.9 || statuses[0].AgeDays > 10.1 {
		t.Errorf("statuses: %+v", statuses)
	}
	if len(workload) != 1 || workload[0].Open != 1 || workload[0].Closed30 != 1 || workload[0].Recovered30 != 2 {
		t.Errorf("workload: %+v", workload)
	}
	if len(months) != 1 || months[0].Closed != 1 || months[0].Recovered != 2 || months[0].RecoveredRp != 100000-29142 {
		t.Errorf("months: %+v", months)
	}
	// Jakarta Timur's supervisor sees only the closed Timur case.
	if statuses, workload, _, err = s.Casework(ctx, &auth.User{Role: auth.Supervisor, Area: "31.75"}); err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 0 || len(workload) != 1 || workload[0].Open != 0 {
		t.Errorf("scoped: %+v %+v", statuses, workload)
	}
	// An inspector of Jakarta Timur without any case is listed by name, for Timur's supervisor
	// and for all of Jakarta, not for Pusat's.
	d.MustExec(`INSERT INTO users (username, name, role, area_kode, password_hash) VALUES ('insp.idle', 'Ibu Sari', 'inspector', '31.75', 'x')`)
	names := func(area string) string {
		_, w, _, err := s.Casework(ctx, &auth.User{Role: auth.Supervisor, Area: area})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range w {
			out = append(out, x.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(""); got != "X,Ibu Sari" {
		t.Errorf("workload of Jakarta: %s", got)
	}
	if got := names("31.75"); !strings.Contains(got, "Ibu Sari") {
		t.Errorf("workload of Jakarta Timur: %s", got)
	}
	if got := names("31.71"); strings.Contains(got, "Ibu Sari") {
		t.Errorf("workload of Jakarta Pusat: %s", got)
	}
}

// The office's day is Jakarta's: at 00:30 WIB a follow-up due the day before is overdue
// (in UTC it is still its due day), and a case closed at 18:00 UTC on 30 November was closed
// in December.
func TestCaseworkCountsJakartasDays(t *testing.T) {
	ctx := context.Background()
	dbtest.Isolate(t)
	d := dbtest.DB(t)
	loadAreas(t)
	var pusat int64
	if err := d.Get(&pusat, `SELECT id FROM employers WHERE nib = '4000000000001'`); err != nil {
		t.Fatal(err)
	}
	d.MustExec(`INSERT INTO users (username, name, role, area_kode, password_hash) VALUES ('insp.x', 'X', 'inspector', NULL, 'x')`)
	var open int64
	if err := d.Get(&open, `INSERT INTO cases (employer_id, status, assignee_id, opened_at)
		SELECT $1, 'follow_up', id, '2026-12-01 02:00+00' FROM users WHERE username = 'insp.x' RETURNING id`, pusat); err != nil {
		t.Fatal(err)
	}
	d.MustExec(`INSERT INTO follow_ups (case_id, kind, issued_on, due_on) VALUES ($1, 'teguran_1', '2026-12-01', '2026-12-06')`, open)
	d.MustExec(`INSERT INTO cases (employer_id, status, assignee_id, outcome, recovered_workers, closed_at, flags_at_open)
		SELECT $1, 'closed', id, 'compliant', 1, '2026-11-30 18:00+00', '[]' FROM users WHERE username = 'insp.x'`, pusat)
	s := dashboard.NewStore(d)
	s.Now = func() time.Time { return time.Date(2026, 12, 7, 0, 30, 0, 0, wib.Zone).UTC() } // a server in UTC
	_, workload, months, err := s.Casework(ctx, &auth.User{Role: auth.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if len(workload) != 1 || workload[0].Overdue != 1 {
		t.Errorf("workload at 00:30 WIB the day after the due date: %+v, want 1 overdue", workload)
	}
	if len(months) != 1 || months[0].Month != "2026-12" {
		t.Errorf("closure months: %+v, want the case closed at 01:00 WIB on 1 December in 2026-12", months)
	}
}
