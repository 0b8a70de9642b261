package casework_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"patuh/internal/apperr"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
)

// The states the Go code knows are exactly those the cases table accepts.
func TestStatusesMatchTheMigration(t *testing.T) {
	var def string
	if err := dbtest.DB(t).Get(&def, `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = 'cases'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%status%'
		AND pg_get_constraintdef(oid) NOT LIKE '%outcome%'`); err != nil {
		t.Fatal(err)
	}
	var inSQL []string
	for _, m := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(def, -1) {
		inSQL = append(inSQL, m[1])
	}
	var inGo []string
	for _, s := range casework.Statuses() {
		inGo = append(inGo, string(s))
	}
	slices.Sort(inSQL)
	slices.Sort(inGo)
	if !slices.Equal(inSQL, inGo) {
		t.Fatalf("the migration's statuses %v, the Go constants %v (%s)", inSQL, inGo, def)
	}
}

// failInsert makes every INSERT into cases that matches when fail, as the owner: a fault in the
// middle of an action.
func failInsert(t *testing.T, when string) {
	t.Helper()
	own := dbtest.OwnerDB(t)
	for _, q := range []string{
		`CREATE FUNCTION test_fail_case() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`,
		`CREATE TRIGGER test_fail_case BEFORE INSERT ON cases FOR EACH ROW WHEN (` + when + `) EXECUTE FUNCTION test_fail_case()`,
	} {
		if _, err := own.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenManyIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	// A second employer of the area, not registered with BPJS: flagged.
	load(t, w.im, "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n3000000000002,Gudang Timur,31.75.01.1001,kecil,5\n")
	var second int64
	if err := w.db.Get(&second, `SELECT e.id FROM employers e WHERE e.nib = '3000000000002'
		AND EXISTS (SELECT 1 FROM employer_flags f WHERE f.employer_id = e.id)`); err != nil {
		t.Fatal("the second employer is not flagged: ", err)
	}
	// The second employer's case opens first; the first employer's fails: neither stays.
	failInsert(t, "NEW.employer_id = "+itoa(w.employerID))
	if _, err := w.store.OpenMany(ctx, w.supervisor, []int64{second, w.employerID}, ""); err == nil {
		t.Fatal("a bulk open that failed half way reported success")
	}
	var n int
	if err := w.db.Get(&n, `SELECT count(*) FROM cases`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d cases left by a bulk open that failed", n)
	}
	// Without the fault both open, and an employer with an open case is skipped, not refused.
	if _, err := dbtest.OwnerDB(t).Exec(`DROP TRIGGER test_fail_case ON cases`); err != nil {
		t.Fatal(err)
	}
	if opened, err := w.store.OpenMany(ctx, w.supervisor, []int64{second}, ""); err != nil || opened != 1 {
		t.Fatalf("bulk open: %d %v", opened, err)
	}
	if opened, err := w.store.OpenMany(ctx, w.supervisor, []int64{second, w.employerID}, ""); err != nil || opened != 1 {
		t.Fatalf("bulk open with one already open: %d %v", opened, err)
	}
}

func TestComplaintWithANewEmployerIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	countEmployers := func(name string) int {
		t.Helper()
		var n int
		if err := w.db.Get(&n, `SELECT count(*) FROM employers WHERE nama = $1`, name); err != nil {
			t.Fatal(err)
		}
		return n
	}
	in := casework.ComplaintInput{Employer: &casework.NewEmployer{Nama: "Sekali Jalan", KodeKelurahan: "31.75.01.1002"},
		Complaint: casework.Complaint{Channel: "jmo", Received: "2026-11-20", Allegation: "tidak didaftarkan"}}
	// Refused input stores nothing, and names the field.
	bad := in
	bad.Complaint.Channel = "fax"
	_, err := w.store.OpenFromComplaint(ctx, w.supervisor, bad)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || e.Fields["channel"] == "" {
		t.Fatalf("unknown channel: %v", err)
	}
	// The case fails after the employer was written: the employer goes too.
	failInsert(t, "NEW.source = 'complaint'")
	if _, err := w.store.OpenFromComplaint(ctx, w.supervisor, in); err == nil || code(err) != apperr.Internal {
		t.Fatalf("a complaint whose case failed: %v", err)
	}
	if n := countEmployers("Sekali Jalan"); n != 0 {
		t.Fatalf("%d employers left by a complaint whose case was not opened", n)
	}
	if _, err := dbtest.OwnerDB(t).Exec(`DROP TRIGGER test_fail_case ON cases`); err != nil {
		t.Fatal(err)
	}
	c, err := w.store.OpenFromComplaint(ctx, w.supervisor, in)
	if err != nil || c.Source != "complaint" || countEmployers("Sekali Jalan") != 1 {
		t.Fatalf("complaint: %+v %v", c, err)
	}
}

// Photos sent with a visit belong to that visit, also when it is dated before one already
// stored (visits are listed by date, so "the last one" is another visit).
func TestBackdatedVisitKeepsItsPhotos(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c := assignedCase(t, w)
	later, _, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	earlier, _, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-10", Kind: "kantor"}, 0,
		casework.Upload{Filename: "a.png", Data: pngBytes})
	if err != nil {
		t.Fatal(err)
	}
	if earlier.VisitedOn != "2026-11-10" || len(earlier.Files) != 1 || earlier.Files[0].VisitID != earlier.ID {
		t.Fatalf("the back-dated visit: %+v", earlier)
	}
	got, err := w.store.Get(ctx, c.ID, w.timur)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got.Visits {
		if want := map[int64]int{earlier.ID: 1, later.ID: 0}[v.ID]; len(v.Files) != want {
			t.Errorf("visit of %s has %d files, want %d", v.VisitedOn, len(v.Files), want)
		}
	}
}
