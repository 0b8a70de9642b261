package casework_test

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
	"patuh/internal/letters"
	"patuh/internal/wib"
)

// Issue 16: closing a case whose employer is still flagged asks first, and ends the
// follow-ups still running (recorded in the audit log).
func TestCloseAsksWhileFlaggedAndEndsFollowUps(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	reflag(t, w)
	c := assignedCase(t, w)
	today := dayInJakarta(0)
	c, err := followUp(ctx, s, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: today})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary(ctx, w.supervisor, c.ID)
	if err != nil || len(sum.Remaining) == 0 || len(sum.AtOpen) == 0 || len(sum.Running) != 1 {
		t.Fatalf("summary: %+v %v", sum, err)
	}
	_, err = s.Close(ctx, w.supervisor, c.ID, casework.Closing{Outcome: "compliant", Version: c.Version})
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid || e.Fields["confirm"] == "" {
		t.Fatalf("close without confirming while flagged: %v", err)
	}
	if got, _ := s.Get(ctx, c.ID, w.supervisor); got.Status == "closed" || got.FollowUps[0].Status != "open" {
		t.Fatalf("the refused close changed the case: %s, %s", got.Status, got.FollowUps[0].Status)
	}
	c, err = s.Close(ctx, w.supervisor, c.ID, casework.Closing{Outcome: "partially_compliant", Version: c.Version, Confirm: true})
	if err != nil || c.Status != "closed" || c.FollowUps[0].Status != "cancelled" {
		t.Fatalf("confirmed close: %+v %v", c, err)
	}
	var detail string
	if err := dbtest.DB(t).Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'case.close' AND entity_id = $1`, itoa(c.ID)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, `"follow_ups_cancelled": [`+itoa(c.FollowUps[0].ID)+`]`) || !strings.Contains(detail, "PDS_TK") {
		t.Fatalf("the close's audit record: %s", detail)
	}
}

// Issue 16: a follow-up is dated neither before its case opened nor more than 7 days ahead.
func TestFollowUpDatesChecked(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	c := assignedCase(t, w)
	day := dayInJakarta
	for issued, want := range map[string]string{day(-1): "case.issued_before_open", day(8): "case.issued_too_far", day(40): "case.issued_too_far"} {
		_, err := s.AddFollowUp(ctx, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: issued})
		if e, ok := apperr.As(err); !ok || e.Fields["issued_on"] != want {
			t.Errorf("issued %s: %v, want %s", issued, err, want)
		}
	}
	c, err := followUp(ctx, s, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: day(7)})
	if err != nil || len(c.FollowUps) != 1 {
		t.Fatalf("issued 7 days ahead: %v", err)
	}
	if _, err := s.Close(ctx, w.admin, c.ID, casework.Closing{Outcome: "duplicate", Version: c.Version, Confirm: true}); err != nil {
		t.Fatal(err)
	}
}

// Issue 16: a supervisor assigns the selected cases at once; a case the inspector does not
// cover, or one changed since the list was read, is refused and left as it was.
func TestAssignMany(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	d := dbtest.DB(t)
	var ids []int64
	for _, n := range []string{"A", "B"} {
		var id int64
		if err := d.Get(&id, `INSERT INTO employers (nama, kode_kelurahan, from_complaint) VALUES ($1, '31.75.01.1001', true) RETURNING id`, "Toko "+n); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var outside int64
	if err := d.Get(&outside, `INSERT INTO employers (nama, kode_kelurahan, from_complaint) VALUES ('Jauh', '31.75.02.1001', true) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	versions := map[int64]int{}
	var caseIDs []int64
	for _, id := range append(ids, w.employerID, outside) {
		c, err := s.Open(ctx, w.supervisor, id, "")
		if err != nil {
			t.Fatal(err)
		}
		versions[c.ID] = c.Version
		caseIDs = append(caseIDs, c.ID)
	}
	versions[caseIDs[2]] = 99 // read long ago
	if _, _, err := s.AssignMany(ctx, w.supervisor, versions, "nobody"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("unknown assignee: %v", err)
	}
	if _, _, err := s.AssignMany(ctx, w.supervisor, map[int64]int{}, "insp.timur"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("nothing selected: %v", err)
	}
	assigned, refused, err := s.AssignMany(ctx, w.supervisor, versions, "insp.timur")
	if err != nil || len(assigned) != 2 || len(refused) != 2 || assigned[0] != caseIDs[0] || assigned[1] != caseIDs[1] {
		t.Fatalf("assigned %v, refused %v: %v", assigned, refused, err)
	}
	for i, id := range caseIDs {
		c, _ := s.Get(ctx, id, w.admin)
		if want := i < 2; (c.Status == "assigned") != want {
			t.Errorf("case %d: %s", id, c.Status)
		}
		if _, err := s.Close(ctx, w.admin, id, casework.Closing{Outcome: "duplicate", Version: c.Version, Confirm: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// Issue 16: letters are numbered from the admin's format with a sequence per office and year,
// taken atomically (two letters issued at once get two numbers), name the findings in words
// and are signed by the officer with position and NIP.
func TestLetterNumbersAndSigner(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	d := dbtest.DB(t)
	if err := letters.SetSetting(ctx, d, "test", "letter_number_format", "B/{seq:3}/{kind}/{office}/{month}/{year}"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := letters.SetSetting(ctx, d, "test", "letter_number_format", letters.DefaultNumberFormat); err != nil {
			t.Error(err)
		}
	})
	if err := letters.SetSetting(ctx, d, "test", "letter_number_format", "{kind}/{year}"); err == nil {
		t.Fatal("a format without {seq} accepted")
	}
	users := auth.NewStore(d, "test-secret")
	if err := users.SetSigner(ctx, "test", "insp.timur", "Pengawas Ketenagakerjaan Ahli Pertama", "1990010120150110"); err == nil {
		t.Fatal("a 16-digit NIP accepted")
	}
	if err := users.SetSigner(ctx, "test", "insp.timur", "Pengawas Ketenagakerjaan Ahli Pertama", "199001012015011001"); err != nil {
		t.Fatal(err)
	}
	var other int64
	if err := d.Get(&other, `INSERT INTO employers (nama, kode_kelurahan, from_complaint) VALUES ('Toko Kedua', '31.75.01.1001', true) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range []int64{w.employerID, other} {
		c, err := s.Open(ctx, w.supervisor, e, "")
		if err != nil {
			t.Fatal(err)
		}
		backdate(t, c.ID)
		// What the case froze depends on the shared database's earlier tests: freeze a known finding.
		if _, err := d.Exec(`UPDATE cases SET flags_at_open = '[{"employer_id": 0, "code": "PDS_TK", "workers": 2, "shortfall_rp": 1100000,
			"detail": "2 of 3 roster workers not active participants"}, {"employer_id": 0, "code": "PDS_PROGRAM", "workers": 1,
			"shortfall_rp": 0, "detail": "missing programs: JP"}]' WHERE id = $1`, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	errs := make(chan error, 2)
	for _, id := range ids {
		go func() {
			_, err := s.AddFollowUp(ctx, w.timur, id, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: "2026-11-23"})
			errs <- err
		}()
	}
	for range ids {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var numbers []string
	if err := d.Select(&numbers, `SELECT l.number FROM follow_up_letters l JOIN follow_ups f ON f.id = l.follow_up_id
		WHERE f.case_id = ANY ($1) ORDER BY l.number`, pq.Array(ids)); err != nil {
		t.Fatal(err)
	}
	if len(numbers) != 2 || numbers[0] == numbers[1] || !strings.HasPrefix(numbers[0], "B/") || !strings.HasSuffix(numbers[0], "/TEG-I/BPJSTK-DKI/XI/2026") {
		t.Fatalf("letter numbers %v", numbers)
	}
	a, _ := strconv.Atoi(strings.Split(numbers[0], "/")[1])
	b, _ := strconv.Atoi(strings.Split(numbers[1], "/")[1])
	if b != a+1 {
		t.Fatalf("letter numbers %v are not consecutive", numbers)
	}
	c, _ := s.Get(ctx, ids[0], w.timur)
	pdf, err := s.Letter(ctx, w.timur, c.ID, c.FollowUps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfToText(t, pdf)
	for _, want := range []string{"Nomor : B/", "Sifat : Penting", "Perihal : Teguran Tertulis Pertama", "Sebanyak 2 orang pekerja belum didaftarkan", "program Jaminan Pensiun (JP)",
		"Pengawas Ketenagakerjaan Ahli Pertama", "insp.timur", "NIP 199001012015011001"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "PDS_TK") || strings.Contains(text, "PDS_PROGRAM") {
		t.Error("the letter names the flag code")
	}
	for _, id := range ids {
		c, err := s.Get(ctx, id, w.admin)
		if err == nil {
			_, err = s.Close(ctx, w.admin, id, casework.Closing{Outcome: "duplicate", Version: c.Version, Confirm: true})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// pdfToText extracts a letter's text with poppler's pdftotext, whitespace collapsed.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	cmd := exec.Command(bin, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// reflag sends a participants snapshot in which two of the employer's three roster workers are
// not active, so that it is flagged PDS_TK whatever earlier tests of the shared database sent.
func reflag(t *testing.T, w *world) {
	t.Helper()
	csv := "npp,nik,nama,upah,status\nT0000001,3175010101900001,Satu,6000000,aktif\n" +
		"T0000001,3175010101900002,Dua,6000000,nonaktif\nT0000001,3175010101900003,Tiga,6000000,nonaktif\n"
	load(t, w.im, "participants", csv)
}

// A follow-up due today is overdue from midnight in Jakarta, 17:00 UTC: the server's own zone
// (UTC here) does not decide the office's day, in the review queue, the case or the list.
func TestOverdueFromMidnightInJakarta(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	c, err := followUp(ctx, s, w.timur, assignedCase(t, w).ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: dayInJakarta(0)})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().In(wib.Zone)
	if _, err := dbtest.DB(t).Exec(`UPDATE follow_ups SET due_on = $1 WHERE id = $2`, wib.Date(due), c.FollowUps[0].ID); err != nil {
		t.Fatal(err)
	}
	// Half past midnight in Jakarta on the day after it was due: still the due day in UTC.
	s.Now = func() time.Time {
		return time.Date(due.Year(), due.Month(), due.Day()+1, 0, 30, 0, 0, wib.Zone).UTC()
	}
	if c, err = s.Get(ctx, c.ID, w.timur); err != nil || !c.FollowUps[0].Overdue {
		t.Errorf("the case's follow-up at 00:30 WIB the day after it was due: overdue %v (%v)", c.FollowUps[0].Overdue, err)
	}
	if _, overdue, _, err := s.Review(ctx, w.supervisor); err != nil || len(overdue) != 1 {
		t.Errorf("review queue's overdue: %+v (%v)", overdue, err)
	}
	if list, err := s.List(ctx, w.supervisor, casework.ListFilter{Overdue: true, Limit: 10}); err != nil || len(list) != 1 {
		t.Errorf("overdue cases: %+v (%v)", list, err)
	}
	// A case opened at 18:00 UTC on 30 November waits since 1 December in the review queue.
	dbtest.DB(t).MustExec(`UPDATE cases SET status = 'awaiting_closure', opened_at = '2026-11-30 18:00+00' WHERE id = $1`, c.ID)
	if awaiting, _, _, err := s.Review(ctx, w.supervisor); err != nil || len(awaiting) != 1 || awaiting[0].Since != "2026-12-01" {
		t.Errorf("review queue's awaiting closure: %+v (%v), want since 2026-12-01", awaiting, err)
	}
}
