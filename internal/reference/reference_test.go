package reference_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
	"patuh/internal/i18n"
	"patuh/internal/importer"
	"patuh/internal/reference"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var admin = reference.Actor{ID: 0, Name: "test-admin"}

// TestEveryValidationMessage refuses each kind of bad value with its own message, in both
// languages, and changes nothing.
func TestEveryValidationMessage(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	s := reference.NewStore(d)
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	before := auditCount(t, d)
	cases := []struct {
		name, field, want string
		call              func() error
	}{
		{"UMP of 0", "amount", "reference.ump.amount_invalid", func() error { return s.SetMinimumWage(ctx, admin, "2027", "0") }},
		{"UMP not a number", "amount", "reference.ump.amount_invalid", func() error { return s.SetMinimumWage(ctx, admin, "2027", "lima juta") }},
		{"UMP negative", "amount", "reference.ump.amount_invalid", func() error { return s.SetMinimumWage(ctx, admin, "2027", "-5000000") }},
		{"UMP a slipped zero", "amount", "reference.ump.amount_too_large", func() error { return s.SetMinimumWage(ctx, admin, "2027", "572.987.600.000") }},
		{"UMP year", "year", "reference.year_invalid", func() error { return s.SetMinimumWage(ctx, admin, "27", "5.900.000") }},
		{"rate of 300%", "rate_pct", "reference.rate.pct_range", func() error { return s.SetRate(ctx, admin, "JHT", "2027-01-01", "300", "") }},
		{"negative rate", "rate_pct", "reference.rate.pct_range", func() error { return s.SetRate(ctx, admin, "JHT", "2027-01-01", "-1", "") }},
		{"rate not a number", "rate_pct", "reference.rate.pct_invalid", func() error { return s.SetRate(ctx, admin, "JHT", "2027-01-01", "lima", "") }},
		{"unknown programme", "program", "reference.rate.program_invalid", func() error { return s.SetRate(ctx, admin, "JKN", "2027-01-01", "1", "") }},
		{"bad date", "valid_from", "reference.date_invalid", func() error { return s.SetRate(ctx, admin, "JHT", "2027-02-30", "5,7", "") }},
		{"cap on JHT", "wage_cap", "reference.rate.cap_only_jp", func() error { return s.SetRate(ctx, admin, "JHT", "2027-01-01", "5,7", "10.000.000") }},
		{"JP without cap", "wage_cap", "reference.rate.cap_required", func() error { return s.SetRate(ctx, admin, "JP", "2027-03-01", "3", "") }},
		{"JP cap of 0", "wage_cap", "reference.rate.cap_invalid", func() error { return s.SetRate(ctx, admin, "JP", "2027-03-01", "3", "0") }},
		{"JP cap too large", "wage_cap", "reference.rate.cap_too_large", func() error { return s.SetRate(ctx, admin, "JP", "2027-03-01", "3", "1.000.000.000") }},
		{"holiday bad date", "day", "reference.date_invalid", func() error { _, err := s.AddHoliday(ctx, admin, "2027-13-01", "X", "libur_nasional"); return err }},
		{"holiday without name", "name", "reference.holiday.name_required", func() error { _, err := s.AddHoliday(ctx, admin, "2027-03-10", " ", "libur_nasional"); return err }},
		{"holiday name too long", "name", "reference.holiday.name_too_long", func() error {
			_, err := s.AddHoliday(ctx, admin, "2027-03-10", strings.Repeat("x", 201), "libur_nasional")
			return err
		}},
		{"holiday kind", "kind", "reference.holiday.kind_invalid", func() error { _, err := s.AddHoliday(ctx, admin, "2027-03-10", "X", "libur"); return err }},
		{"holiday twice", "day", "reference.holiday.exists", func() error {
			_, err := s.AddHoliday(ctx, admin, "2027-01-01", "Tahun Baru", "libur_nasional")
			return err
		}},
		{"confirm an empty year", "year", "reference.year_empty", func() error { return s.ConfirmYear(ctx, admin, "2031", true) }},
		{"confirm a bad year", "year", "reference.year_invalid", func() error { return s.ConfirmYear(ctx, admin, "1999", true) }},
		{"rule of 0 days", "days", "reference.rule.days_invalid", func() error { return s.SetRule(ctx, admin, "teguran_1", "1", "0", "working") }},
		{"rule of 400 days", "days", "reference.rule.days_invalid", func() error { return s.SetRule(ctx, admin, "teguran_1", "1", "400", "working") }},
		{"rule position", "position", "reference.rule.position_invalid", func() error { return s.SetRule(ctx, admin, "teguran_1", "0", "10", "working") }},
		{"rule position taken", "position", "reference.rule.position_taken", func() error { return s.SetRule(ctx, admin, "teguran_1", "2", "10", "working") }},
		{"rule day kind", "day_kind", "reference.rule.day_kind_invalid", func() error { return s.SetRule(ctx, admin, "teguran_1", "1", "10", "weekly") }},
		{"visit overdue days", "visit_overdue_days", "reference.setting.visit_overdue_days", func() error { return s.SetSetting(ctx, admin, "visit_overdue_days", "0") }},
		{"arrears months", "menunggak_min_months", "reference.setting.menunggak_min_months", func() error { return s.SetSetting(ctx, admin, "menunggak_min_months", "99") }},
		{"unknown setting", "key", "reference.setting.unknown", func() error { return s.SetSetting(ctx, admin, "flags_computed_with", "1") }},
		{"target of 0", "target", "reference.setting.target", func() error { return s.SetTarget(ctx, admin, "2027", "0") }},
		{"target above Jakarta", "target", "reference.setting.target", func() error { return s.SetTarget(ctx, admin, "2027", "20.000.000") }},
		{"target year", "year", "reference.year_invalid", func() error { return s.SetTarget(ctx, admin, "dua ribu", "1000") }},
		{"calendar year", "year", "reference.year_invalid", func() error {
			_, err := s.ImportHolidays(ctx, admin, "x", strings.NewReader("tanggal,nama,jenis\n"))
			return err
		}},
	}
	for _, c := range cases {
		err := c.call()
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid || e.Fields[c.field] != c.want {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.want, c.field)
			continue
		}
		for _, lang := range []string{"id", "en"} {
			if text := bundle.For(lang).T(c.want); text == c.want || text == "" {
				t.Errorf("%s: %s has no %s text", c.name, c.want, lang)
			}
		}
	}
	// The calendar file's line messages.
	lines := []struct{ csv, want string }{
		{"day;month\n", "reference.csv.header"},
		{"tanggal,nama,jenis\n", "reference.csv.empty"},
		{"tanggal,nama,jenis\n2027-03-10,Nyepi\n", "reference.csv.columns"},
		{"tanggal,nama,jenis\n2028-03-10,Nyepi,libur_nasional\n", "reference.csv.other_year"},
		{"tanggal,nama,jenis\n2027-03-10,Nyepi,libur_nasional\n2027-03-10,Nyepi,libur_nasional\n", "reference.csv.duplicate"},
		{"tanggal,nama,jenis\n2027-03-10,\"Nyepi,libur_nasional\n", "reference.csv.malformed"},
		{"tanggal,nama,jenis\n10/03/2027,Nyepi,libur_nasional\n", "reference.date_invalid"},
		{"tanggal,nama,jenis\n2027-03-10,Nyepi,libur\n", "reference.holiday.kind_invalid"},
	}
	for _, l := range lines {
		_, err := s.ImportHolidays(ctx, admin, "2027", strings.NewReader(l.csv))
		le, ok := err.(*reference.LineError)
		if !ok || le.Message != l.want {
			t.Errorf("calendar %q: %v, want %s", l.csv, err, l.want)
			continue
		}
		for _, lang := range []string{"id", "en"} {
			if text := bundle.For(lang).T(l.want); text == l.want {
				t.Errorf("%s has no %s text", l.want, lang)
			}
		}
	}
	if after := auditCount(t, d); after != before {
		t.Errorf("refused changes wrote %d audit records", after-before)
	}
}

func auditCount(t *testing.T, d *sqlx.DB) int {
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCalendarCoverage: the confirmed calendar must reach 90 days ahead. 2027 is seeded with
// its fixed-date holidays only, unconfirmed.
func TestCalendarCoverage(t *testing.T) {
	dbtest.Isolate(t) // the seeded holidays, as the migrations left them, not as another test edited them
	ctx := context.Background()
	d := dbtest.DB(t)
	s := reference.NewStore(d)
	day := func(v string) time.Time { x, _ := time.Parse("2006-01-02", v); return x }
	var seeded int
	if err := d.Get(&seeded, `SELECT count(*) FROM holidays WHERE day IN ('2027-01-01', '2027-05-01', '2027-06-01', '2027-08-17', '2027-12-25')`); err != nil {
		t.Fatal(err)
	}
	if seeded != 5 {
		t.Fatalf("%d of 2027's fixed holidays seeded", seeded)
	}
	if gap, err := s.Coverage(ctx, day("2026-09-01")); err != nil || gap != nil {
		t.Fatalf("1 Sep 2026 reaches 30 Nov 2026: %+v %v", gap, err)
	}
	gap, err := s.Coverage(ctx, day("2026-12-03"))
	if err != nil || gap == nil || gap.Year != 2027 || gap.From != "2027-01-01" {
		t.Fatalf("3 Dec 2026 reaches into an unconfirmed 2027: %+v %v", gap, err)
	}
	if err := s.ConfirmYear(ctx, admin, "2027", true); err != nil {
		t.Fatal(err)
	}
	if gap, _ := s.Coverage(ctx, day("2026-12-03")); gap != nil {
		t.Fatalf("2027 confirmed, still a gap: %+v", gap)
	}
	if gap, _ := s.Coverage(ctx, day("2027-11-01")); gap == nil || gap.Year != 2028 {
		t.Fatalf("2028 not listed: %+v", gap)
	}
	if err := s.ConfirmYear(ctx, admin, "2027", false); err != nil {
		t.Fatal(err)
	}
	if gap, _ := s.Coverage(ctx, day("2026-12-03")); gap == nil {
		t.Fatal("confirmation withdrawn, no gap")
	}
	var actions []string
	if err := d.Select(&actions, `SELECT action FROM audit_log WHERE entity = 'holiday_year' AND entity_id = '2027' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, " ") != "reference.year_confirm reference.year_unconfirm" {
		t.Errorf("audited: %v", actions)
	}
}

type world struct {
	d          *sqlx.DB
	im         *importer.Importer
	cases      *casework.Store
	supervisor *auth.User
	employerID int64
}

func setup(t *testing.T) *world {
	ctx := context.Background()
	d := dbtest.DB(t)
	im, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	load := func(kind, csv string) {
		if _, _, err := im.Create(ctx, 0, "test", kind, kind+".csv", strings.NewReader(csv), nil); err != nil {
			t.Fatal(err)
		}
		if err := im.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A roster of three, one enrolled (PDS_TK), and an employer with five workers and no NPP
	// (PWBD, its shortfall at the UMP).
	load("employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n3000000000001,Pabrik Timur,31.75.01.1001,kecil,3\n3000000000002,Toko Tanpa NPP,31.75.01.1001,kecil,5\n")
	load("bpjs_employers", "npp,nib,nama,jkk,jkm,jht,jp,jkp\nT0000001,3000000000001,Pabrik Timur,Y,Y,Y,N,N\n")
	load("workers", "nib,nik,nama,upah\n3000000000001,3175010101900001,Satu,6000000\n3000000000001,3175010101900002,Dua,6000000\n3000000000001,3175010101900003,Tiga,6000000\n")
	load("participants", "npp,nik,nama,upah,status\nT0000001,3175010101900001,Satu,6000000,aktif\n")
	u, err := auth.NewStore(d, "test-secret").AddUser(ctx, "test", auth.NewUser{Username: "spv", Name: "Supervisor", Role: auth.Supervisor,
		Area: "31.75", Password: "long enough password"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewStore(d, "test-secret").AddUser(ctx, "test", auth.NewUser{Username: "insp", Name: "Inspektur", Role: auth.Inspector,
		Area: "31.75", Password: "long enough password"}, true); err != nil {
		t.Fatal(err)
	}
	w := &world{d: d, im: im, cases: casework.NewStore(d), supervisor: u}
	if err := d.Get(&w.employerID, `SELECT id FROM employers WHERE nib = '3000000000001'`); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestAHolidayMovesADueDate: a teguran II issued on 28 December 2026 is due 10 working days
// later, counting 1 January 2027 as a holiday (the example); a holiday added inside its
// window moves it a day later, audited on the case, and removing it moves it back. The case
// says its deadline falls in an unconfirmed year until 2027 is confirmed.
func TestAHolidayMovesADueDate(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := reference.NewStore(w.d)
	// Issued on 28 December, its due date crosses New Year (at most 7 days ahead of the store's day).
	w.cases.Now = func() time.Time { return time.Date(2026, 12, 27, 9, 0, 0, 0, time.UTC) }
	c, err := w.cases.Open(ctx, w.supervisor, w.employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = w.cases.Assign(ctx, w.supervisor, c.ID, "insp", c.Version); err != nil {
		t.Fatal(err)
	}
	if _, err = w.cases.AddFollowUp(ctx, w.supervisor, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: "2026-12-28"}); err != nil {
		t.Fatal(err)
	}
	due := func() casework.FollowUp {
		got, err := w.cases.Get(ctx, c.ID, w.supervisor)
		if err != nil {
			t.Fatal(err)
		}
		return got.FollowUps[0]
	}
	// 29, 30, 31 Dec; 1 Jan is a holiday; 4-8 and 11, 12 Jan.
	if f := due(); f.DueOn != "2027-01-12" || !f.CalendarUnconfirmed {
		t.Fatalf("issued 28 Dec 2026: %+v", f)
	}
	moved, err := s.AddHoliday(ctx, admin, "2027-01-11", "Cuti bersama (uji)", "cuti_bersama")
	if err != nil || len(moved) != 1 || moved[0].NewDue != "2027-01-13" {
		t.Fatalf("added 11 Jan: %+v %v", moved, err)
	}
	if f := due(); f.DueOn != "2027-01-13" {
		t.Fatalf("after adding 11 Jan: due %s", f.DueOn)
	}
	// A holiday after the due date moves nothing.
	if moved, err := s.AddHoliday(ctx, admin, "2027-01-20", "Libur (uji)", "libur_nasional"); err != nil || len(moved) != 0 {
		t.Fatalf("added 20 Jan: %+v %v", moved, err)
	}
	if _, err := s.RemoveHoliday(ctx, admin, "2027-01-11"); err != nil {
		t.Fatal(err)
	}
	if f := due(); f.DueOn != "2027-01-12" {
		t.Fatalf("after removing 11 Jan: due %s", f.DueOn)
	}
	var redated int
	if err := w.d.Get(&redated, `SELECT count(*) FROM audit_log WHERE action = 'case.follow_up_redated' AND entity_id = $1`, itoa(c.ID)); err != nil {
		t.Fatal(err)
	}
	if redated != 2 {
		t.Errorf("%d redating records on the case, want 2", redated)
	}
	// A year's file replaces the year's holidays and moves the deadline again.
	res, err := s.ImportHolidays(ctx, admin, "2027", strings.NewReader("\ufefftanggal;nama;jenis\n2027-01-01;Tahun Baru 2027 Masehi;libur_nasional\n2027-01-05;Uji;cuti_bersama\n"))
	if err != nil || res.Added != 1 || res.Removed != 5 || res.Kept != 1 || len(res.Moved) != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if f := due(); f.DueOn != "2027-01-13" {
		t.Fatalf("after the file: due %s", f.DueOn)
	}
	if err := s.ConfirmYear(ctx, admin, "2027", true); err != nil {
		t.Fatal(err)
	}
	if f := due(); f.CalendarUnconfirmed {
		t.Fatalf("2027 confirmed, still marked: %+v", f)
	}
}

// TestAUMPChangeRecomputesEveryone: a new UMP queues every employer; the worker works the
// queue off, the progress goes from 0 to done, and the PWBD shortfall follows the UMP.
func TestAUMPChangeRecomputesEveryone(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := reference.NewStore(w.d)
	shortfall := func() int64 {
		var n int64
		if err := w.d.Get(&n, `SELECT f.shortfall_rp FROM employer_flags f JOIN employers e ON e.id = f.employer_id
			WHERE e.nib = '3000000000002' AND f.code = 'PWBD'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := shortfall()
	if before == 0 {
		t.Fatal("no PWBD shortfall to begin with")
	}
	year := itoa(int64(time.Now().Year()))
	if err := s.SetMinimumWage(ctx, admin, year, "11.459.752"); err != nil {
		t.Fatal(err)
	}
	r, err := s.LatestRecomputation(ctx)
	var employers int
	if err := w.d.Get(&employers, `SELECT count(*) FROM employers`); err != nil {
		t.Fatal(err)
	}
	if err != nil || r == nil || r.FinishedAt != nil || r.Employers != employers || r.Done != 0 || r.Percent() != 0 {
		t.Fatalf("queued: %+v %v", r, err)
	}
	if err := w.im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ = s.LatestRecomputation(ctx); r.FinishedAt == nil || r.Done != employers || r.Percent() != 100 {
		t.Fatalf("after the worker: %+v", r)
	}
	if after := shortfall(); after < before*19/10 {
		t.Errorf("PWBD shortfall %d -> %d with the UMP doubled", before, after)
	}
	var detail string
	if err := w.d.Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'reference.ump_set' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, `"new": 11459752`) {
		t.Errorf("audit detail %s", detail)
	}
	// The arrears threshold is read by the flags too; the visit overdue days are not.
	if err := s.SetSetting(ctx, admin, "menunggak_min_months", "3"); err != nil {
		t.Fatal(err)
	}
	if r2, _ := s.LatestRecomputation(ctx); r2.ID == r.ID {
		t.Error("arrears threshold change queued no recomputation")
	}
	if err := w.im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	last, _ := s.LatestRecomputation(ctx)
	if err := s.SetSetting(ctx, admin, "visit_overdue_days", "21"); err != nil {
		t.Fatal(err)
	}
	if r3, _ := s.LatestRecomputation(ctx); r3.ID != last.ID {
		t.Error("visit overdue days queued a recomputation")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
