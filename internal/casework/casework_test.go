package casework_test

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
	"patuh/internal/importer"
	"patuh/internal/wib"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestTransitions(t *testing.T) {
	allowed := map[[2]casework.Status]bool{
		{"open", "assigned"}: true, {"open", "closed"}: true, {"assigned", "inspected"}: true,
		{"inspected", "follow_up"}: true, {"follow_up", "awaiting_closure"}: true, {"awaiting_closure", "closed"}: true,
		{"awaiting_closure", "follow_up"}: true, {"assigned", "closed"}: true,
	}
	refused := [][2]casework.Status{{"open", "inspected"}, {"open", "follow_up"}, {"closed", "open"}, {"closed", "assigned"},
		{"follow_up", "assigned"}, {"awaiting_closure", "inspected"}, {"inspected", "open"}}
	for pair := range allowed {
		if !casework.Allowed(pair[0], pair[1]) {
			t.Errorf("%s -> %s refused", pair[0], pair[1])
		}
	}
	for _, pair := range refused {
		if casework.Allowed(pair[0], pair[1]) {
			t.Errorf("%s -> %s allowed", pair[0], pair[1])
		}
	}
}

type world struct {
	db                              *sqlx.DB
	store                           *casework.Store
	im                              *importer.Importer
	supervisor, pusat, timur, admin *auth.User
	employerID                      int64
}

// dayInJakarta is the date d days from today in Jakarta, the office's calendar that the store
// checks dates against: from 17:00 UTC on, the UTC date is still the day before.
func dayInJakarta(d int) string {
	return wib.Date(time.Now().AddDate(0, 0, d))
}

// load imports one file of a kind and waits until it is settled.
func load(t *testing.T, im *importer.Importer, kind, csv string) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := im.Create(ctx, 0, "test", kind, kind+".csv", strings.NewReader(csv), nil); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// setup loads an employer of Jakarta Timur with two roster workers not enrolled, and users, in
// a database of the test's own: the tests open cases on that one employer, in any order.
func setup(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	// A database of the test's own, which dbtest.DB also names until the test ends.
	dbtest.Isolate(t)
	d := dbtest.DB(t)
	im, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	im.OnSettled(func(ctx context.Context, tx *sqlx.Tx, imp *importer.Import) error {
		if imp.Kind == "participants" {
			return casework.Verify(ctx, tx, imp.ID)
		}
		return nil
	})
	load(t, im, "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n3000000000001,Pabrik Timur,31.75.01.1001,kecil,3\n")
	load(t, im, "bpjs_employers", "npp,nib,nama,jkk,jkm,jht,jp,jkp\nT0000001,3000000000001,Pabrik Timur,Y,Y,Y,N,N\n")
	load(t, im, "workers", "nib,nik,nama,upah\n3000000000001,3175010101900001,Satu,6000000\n3000000000001,3175010101900002,Dua,6000000\n3000000000001,3175010101900003,Tiga,6000000\n")
	load(t, im, "participants", "npp,nik,nama,upah,status\nT0000001,3175010101900001,Satu,6000000,aktif\n")

	users := auth.NewStore(d, "test-secret")
	mk := func(name string, role auth.Role, area string) *auth.User {
		u, err := users.AddUser(ctx, "test", auth.NewUser{Username: name, Name: name, Role: role, Area: area, Password: "long enough password"}, true)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w := &world{db: d, store: casework.NewStore(d), im: im,
		supervisor: mk("spv", auth.Supervisor, "31.75"), pusat: mk("insp.pusat", auth.Inspector, "31.71"),
		timur: mk("insp.timur", auth.Inspector, "31.75.01"), admin: mk("adm", auth.Admin, "")}
	if err := d.Get(&w.employerID, `SELECT id FROM employers WHERE nib = '3000000000001'`); err != nil {
		t.Fatal(err)
	}
	return w
}

// backdate opens a case on 1 November 2026, before the fixed dates the tests issue follow-ups on.
func backdate(t *testing.T, id int64) {
	t.Helper()
	if _, err := dbtest.DB(t).Exec(`UPDATE cases SET opened_at = '2026-11-01 09:00+07' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

func code(err error) apperr.Code { return apperr.CodeOf(err) }

// followUp issues a follow-up and answers the case as it then is.
func followUp(ctx context.Context, s *casework.Store, u *auth.User, id int64, in casework.FollowUpInput) (*casework.Case, error) {
	if _, err := s.AddFollowUp(ctx, u, id, in); err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

func TestCaseJourney(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store

	// Inspectors of another area do not even see the employer.
	if _, err := s.Open(ctx, w.pusat, w.employerID, ""); code(err) != apperr.NotFound {
		t.Fatalf("open outside the area: %v", err)
	}
	c, err := s.Open(ctx, w.supervisor, w.employerID, "dari daftar PDS_TK")
	if err != nil {
		t.Fatal(err)
	}
	backdate(t, c.ID)
	var watched int
	if err := w.db.Get(&watched, `SELECT cardinality(target_niks) FROM cases WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if c.Status != "open" || !strings.Contains(string(c.FlagsAtOpen), "PDS_TK") || watched != 2 {
		t.Fatalf("opened: %+v, %d watched NIKs", c, watched)
	}
	_, err = s.Open(ctx, w.admin, w.employerID, "")
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Current.(map[string]int64)["open_case_id"] != c.ID {
		t.Fatalf("second open case: %v", err)
	}

	// Assignment: the suggestion is the inspector covering the area; one outside it is refused.
	if name, _ := s.SuggestAssignee(ctx, w.supervisor, c.ID); name != "insp.timur" {
		t.Fatalf("suggested %q", name)
	}
	if _, err := s.Assign(ctx, w.supervisor, c.ID, "insp.pusat", c.Version); code(err) != apperr.Invalid {
		t.Fatalf("assign outside the area: %v", err)
	}
	c, err = s.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version)
	if err != nil || c.Status != "assigned" || *c.Assignee != "insp.timur" {
		t.Fatalf("assign: %+v %v", c, err)
	}
	stale := c.Version - 1
	_, err = s.Assign(ctx, w.supervisor, c.ID, "insp.timur", stale)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Current.(*casework.Case).Version != c.Version {
		t.Fatalf("stale version: %v", err)
	}

	// The inspector logs a visit with findings: inspected.
	found := 3
	if _, _, err = s.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan", MetName: "Ibu Rina",
		WorkersFound: &found, Findings: []casework.Finding{{Code: "PDS_TK", Workers: 2, NIKs: []string{"3175010101900002"}}}}, 0); err != nil {
		t.Fatal(err)
	}
	c, err = s.Get(ctx, c.ID, w.timur)
	if err != nil || c.Status != "inspected" || len(c.Visits) != 1 {
		t.Fatalf("visit: %+v %v", c, err)
	}

	// Teguran II before teguran I needs a reason; teguran I is due 10 working days later.
	if _, err := s.AddFollowUp(ctx, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_2", IssuedOn: "2026-11-23"}); code(err) != apperr.Invalid {
		t.Fatalf("out of order without reason: %v", err)
	}
	c, err = followUp(ctx, s, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: "2026-11-23"})
	if err != nil || c.Status != "follow_up" || c.FollowUps[0].DueOn != "2026-12-07" || !c.FollowUps[0].HasLetter {
		t.Fatalf("teguran_1: %+v %v", c.FollowUps, err)
	}
	// The letter went out with it: the employer, the finding and the due date in Indonesian.
	pdf, err := s.Letter(ctx, w.timur, c.ID, c.FollowUps[0].ID)
	if err != nil || !strings.Contains(string(pdf), "(SURAT TEGURAN TERTULIS I)Tj") || !strings.Contains(string(pdf), "Pabrik Timur") ||
		!strings.Contains(string(pdf), "Desember 2026") {
		t.Fatalf("letter: %v", err)
	}
	if _, err := s.Letter(ctx, w.pusat, c.ID, c.FollowUps[0].ID); code(err) != apperr.NotFound {
		t.Fatalf("a letter outside the area: %v", err)
	}

	// An inspector cannot close; a supervisor can, with an outcome.
	if _, err := s.RequestClosure(ctx, w.pusat, c.ID, casework.ClosureRequest{Version: c.Version}); code(err) != apperr.NotFound {
		t.Fatalf("inspector of another area: %v", err)
	}

	// A new snapshot enrols both watched workers: the PDS_TK flag is gone, the case awaits closure.
	if err := w.im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	load(t, w.im, "participants", "npp,nik,nama,upah,status\n"+
		"T0000001,3175010101900001,Satu,6000000,aktif\nT0000001,3175010101900002,Dua,6000000,aktif\nT0000001,3175010101900003,Tiga,6000000,aktif\n")
	c, _ = s.Get(ctx, c.ID, w.supervisor)
	if c.RecoveredWorkers != 2 || c.Status != "awaiting_closure" {
		t.Fatalf("after the snapshot: recovered %d, status %s", c.RecoveredWorkers, c.Status)
	}
	if _, err := s.Close(ctx, w.supervisor, c.ID, casework.Closing{Outcome: "solved", Note: "", Version: c.Version, Confirm: true}); code(err) != apperr.Invalid {
		t.Fatalf("unknown outcome: %v", err)
	}
	// Every flag resolved: no confirmation needed. The teguran still running ends with the case.
	c, err = s.Close(ctx, w.supervisor, c.ID, casework.Closing{Outcome: "compliant", Note: "semua terdaftar", Version: c.Version})
	if err != nil || c.Status != "closed" || *c.Outcome != "compliant" {
		t.Fatalf("close: %+v %v", c, err)
	}
	if c.FollowUps[0].Status != "cancelled" {
		t.Fatalf("the running teguran after the close: %s", c.FollowUps[0].Status)
	}
	if _, err := s.SetFollowUpStatus(ctx, w.supervisor, c.ID, c.FollowUps[0].ID, "fulfilled", c.FollowUps[0].Version); code(err) != apperr.Conflict {
		t.Fatalf("marking a follow-up of a closed case: %v", err)
	}
	if _, err := s.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version); code(err) != apperr.Conflict {
		t.Fatalf("assigning a closed case: %v", err)
	}
	// Each change left one audit record (open, assign, visit, teguran_1, verification, close);
	// the refused attempts none.
	var n int
	if err := w.db.Get(&n, `SELECT count(*) FROM audit_log WHERE entity = 'case' AND entity_id = $1`, itoa(c.ID)); err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("audit records for the case: %d, want 6", n)
	}
}

func TestTwoOfficersSaveTheSameCase(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c, err := w.store.Open(ctx, w.admin, w.employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := w.store.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version)
			results <- err
		}()
	}
	var ok, conflicts int
	for range 2 {
		err := <-results
		switch {
		case err == nil:
			ok++
		case code(err) == apperr.Conflict:
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d saved, %d conflicts", ok, conflicts)
	}
	var assignments int
	if err := w.db.Get(&assignments, `SELECT count(*) FROM audit_log WHERE action = 'case.assign' AND entity_id = $1`, itoa(c.ID)); err != nil {
		t.Fatal(err)
	}
	if assignments != 1 {
		t.Fatalf("%d audit records for one saved assignment", assignments)
	}
	c, _ = w.store.Get(ctx, c.ID, w.admin)
	if _, err := w.store.Close(ctx, w.admin, c.ID, casework.Closing{Outcome: "duplicate", Note: "", Version: c.Version, Confirm: true}); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestComplaintCaseHidesTheComplainantFromInspectors(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c, err := w.store.OpenFromComplaint(ctx, w.supervisor, casework.ComplaintInput{
		Employer:  &casework.NewEmployer{Nama: "Bengkel Tanpa Izin", KodeKelurahan: "31.75.01.1002"},
		Complaint: casework.Complaint{Channel: "jmo", Received: "2026-11-20", Allegation: "upah tidak didaftarkan", ComplainantName: "Pelapor Rahasia", ComplainantContact: "0812"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "complaint" || c.Complaint == nil || c.Complaint.ComplainantName != "Pelapor Rahasia" {
		t.Fatalf("supervisor's view: %+v", c.Complaint)
	}
	var inRegister bool
	if err := w.db.Get(&inRegister, `SELECT in_register FROM employers WHERE id = $1`, c.EmployerID); err != nil {
		t.Fatal(err)
	}
	if inRegister {
		t.Error("an employer created from a complaint is marked as in the register")
	}
	seen, err := w.store.Get(ctx, c.ID, w.timur)
	if err != nil || seen.Complaint == nil || seen.Complaint.Allegation == "" || seen.Complaint.ComplainantName != "" || seen.Complaint.ComplainantContact != "" {
		t.Fatalf("inspector's view: %+v %v", seen.Complaint, err)
	}
	// A supervisor of another area cannot file a complaint there.
	if _, err := w.store.OpenFromComplaint(ctx, w.pusat, casework.ComplaintInput{Employer: &casework.NewEmployer{Nama: "X", KodeKelurahan: "31.75.01.1002"},
		Complaint: casework.Complaint{Channel: "surat", Received: "2026-11-20", Allegation: "x"}}); code(err) != apperr.Invalid {
		t.Fatalf("outside the area: %v", err)
	}
}

func TestEvidenceCheckedByContentAndScoped(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c, err := w.store.Open(ctx, w.supervisor, w.employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err = w.store.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version)
	if err != nil {
		t.Fatal(err)
	}
	added, _, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-21", Kind: "lapangan"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	visit := added.ID
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	ev, err := w.store.AddEvidence(ctx, w.timur, c.ID, visit, "foto.png", "", strings.NewReader(string(png)))
	if err != nil || ev.ContentType != "image/png" || len(ev.SHA256) != 64 {
		t.Fatalf("png: %+v %v", ev, err)
	}
	for name, data := range map[string]string{
		"program.jpg": "MZ\x90\x00 a Windows program named .jpg",
		"page.pdf":    "<html><script>alert(1)</script></html>",
	} {
		if _, err := w.store.AddEvidence(ctx, w.timur, c.ID, visit, name, "", strings.NewReader(data)); code(err) != apperr.UnsupportedMedia {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	big := strings.NewReader("%PDF-1.7\n" + strings.Repeat("x", casework.MaxEvidence))
	if _, err := w.store.AddEvidence(ctx, w.timur, c.ID, visit, "big.pdf", "", big); code(err) != apperr.TooLarge {
		t.Errorf("11 MB accepted: %v", err)
	}
	if _, _, err := w.store.OpenEvidence(ctx, w.pusat, c.ID, ev.ID); code(err) != apperr.NotFound {
		t.Errorf("inspector of another area read the evidence: %v", err)
	}
	got, data, err := w.store.OpenEvidence(ctx, w.supervisor, c.ID, ev.ID)
	if err != nil || got.SHA256 != ev.SHA256 || len(data) != len(png) {
		t.Fatalf("read back: %v", err)
	}
	if c, err = w.store.Get(ctx, c.ID, w.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Close(ctx, w.admin, c.ID, casework.Closing{Outcome: "duplicate", Note: "", Version: c.Version, Confirm: true}); err != nil {
		t.Fatal(err)
	}
}

// An employer known only from a complaint, or only from an NPP but with a case, survives the
// next register imports (which drop NPP-only employers whose NPPs link elsewhere).
func TestEmployersWithCasesSurviveImports(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c, err := w.store.OpenFromComplaint(ctx, w.admin, casework.ComplaintInput{
		Employer:  &casework.NewEmployer{Nama: "Hanya Dari Pengaduan", KodeKelurahan: "31.75.01.1001"},
		Complaint: casework.Complaint{Channel: "telepon", Received: "2026-11-25", Allegation: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	load(t, w.im, "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n3000000000099,Lain,31.75.01.1001,mikro,1\n")
	var n int
	if err := w.db.Get(&n, `SELECT count(*) FROM imports WHERE status = 'failed'`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Get(ctx, c.ID, w.admin); err != nil || n != 0 {
		t.Fatalf("after an import: case %v, failed imports %d", err, n)
	}
}

func TestReviewQueue(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	c, err := s.Open(ctx, w.supervisor, w.employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	c, _ = s.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version)
	// Thirty days later nobody has visited, and a warning issued then is overdue.
	s.Now = func() time.Time { return time.Now().AddDate(0, 0, 30) }
	defer func() { s.Now = time.Now }()
	_, _, unvisited, err := s.Review(ctx, w.supervisor)
	if err != nil || len(unvisited) != 1 || unvisited[0].CaseID != c.ID {
		t.Fatalf("unvisited: %+v %v", unvisited, err)
	}
	c, _ = followUp(ctx, s, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: dayInJakarta(0)})
	_, overdue, _, _ := s.Review(ctx, w.supervisor)
	if len(overdue) != 1 || overdue[0].Detail != "teguran_1" {
		t.Fatalf("overdue: %+v", overdue)
	}
	// Outside the area: nothing.
	if a, o, u, _ := s.Review(ctx, &auth.User{Role: auth.Supervisor, Area: "31.71"}); len(a)+len(o)+len(u) != 0 {
		t.Fatal("the queue shows another area")
	}
	c, _ = s.RequestClosure(ctx, w.timur, c.ID, casework.ClosureRequest{Version: c.Version})
	awaiting, _, _, _ := s.Review(ctx, w.supervisor)
	if len(awaiting) != 1 || awaiting[0].Detail != "requested" {
		t.Fatalf("awaiting: %+v", awaiting)
	}
	if _, err := s.Close(ctx, w.supervisor, c.ID, casework.Closing{Outcome: "compliant", Note: "", Version: awaiting[0].Version, Confirm: true}); err != nil {
		t.Fatal(err)
	}
}
