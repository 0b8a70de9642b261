package casework_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"patuh/internal/apperr"
	"patuh/internal/casework"
)

// assignedCase opens a case for the world's employer and assigns it to the Timur inspector.
// The world's database is the test's own (setup): no other test's case is open for it.
func assignedCase(t *testing.T, w *world) *casework.Case {
	t.Helper()
	ctx := context.Background()
	c, err := w.store.Open(ctx, w.supervisor, w.employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = w.store.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version); err != nil {
		t.Fatal(err)
	}
	return c
}

func countVisits(t *testing.T, w *world, caseID int64) int {
	t.Helper()
	var n int
	if err := w.db.Get(&n, `SELECT count(*) FROM visits WHERE case_id = $1`, caseID); err != nil {
		t.Fatal(err)
	}
	return n
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A visit sent again with its client_id answers the stored visit, however often and however
// concurrently it is sent: one visit.
func TestVisitClientIDIsIdempotent(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c := assignedCase(t, w)
	id := "6f1c2b9e-4c7d-4a3e-9b1f-2d7e8a9c0b11"
	v := casework.Visit{ClientID: &id, VisitedOn: "2026-11-20", Kind: "lapangan", MetName: "Ibu Rina"}
	first, created, err := w.store.AddVisit(ctx, w.timur, c.ID, v, c.Version)
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	// Sequential re-send, on the version the first one already moved: the same visit, no 409.
	again, created, err := w.store.AddVisit(ctx, w.timur, c.ID, v, c.Version)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("re-send: %+v %v %v", again, created, err)
	}
	// 20 concurrent sends of a new form: exactly one is created.
	id2 := "0a3b5c7d-1e2f-4a5b-8c9d-0e1f2a3b4c5d"
	v.ClientID = &id2
	var wg sync.WaitGroup
	ids := make(chan int64, 20)
	createdN := make(chan bool, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, created, err := w.store.AddVisit(ctx, w.timur, c.ID, v, 0)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- got.ID
			createdN <- created
		}()
	}
	wg.Wait()
	close(ids)
	close(createdN)
	seen := map[int64]bool{}
	for id := range ids {
		seen[id] = true
	}
	n := 0
	for c := range createdN {
		if c {
			n++
		}
	}
	if len(seen) != 1 || n != 1 {
		t.Fatalf("20 concurrent sends: %d visits, %d created", len(seen), n)
	}
	if got := countVisits(t, w, c.ID); got != 2 {
		t.Fatalf("visits stored: %d, want 2", got)
	}
	// The same client_id on another case is refused, not answered with this case's visit.
	var other int64
	if err := w.db.Get(&other, `INSERT INTO cases (employer_id, status, flags_at_open, assignee_id, outcome)
		SELECT employer_id, 'closed', '[]', assignee_id, 'duplicate' FROM cases WHERE id = $1 RETURNING id`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.store.AddVisit(ctx, w.timur, other, v, 0); code(err) != apperr.Conflict {
		t.Errorf("client_id of another case: %v", err)
	}
}

// A visit from the page brings its photos: one refused file stores nothing at all.
func TestVisitWithARefusedFileLeavesNoVisit(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c := assignedCase(t, w)
	_, _, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan"}, c.Version,
		casework.Upload{Filename: "ok.png", Data: pngBytes}, casework.Upload{Filename: "virus.jpg", Data: []byte("MZ\x90\x00 program")})
	e, ok := apperr.As(err)
	if !ok || e.Fields["photo"] != "case.evidence_type" || e.Current.(map[string]string)["file"] != "virus.jpg" {
		t.Fatalf("refused file: %v", err)
	}
	if n := countVisits(t, w, c.ID); n != 0 {
		t.Fatalf("a visit was stored although its photo was refused: %d", n)
	}
	// With two good photos: one visit, two files, complete.
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...)
	v, _, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan"}, c.Version,
		casework.Upload{Filename: "a.png", Data: pngBytes}, casework.Upload{Filename: "b.jpg", Data: jpeg})
	if err != nil || len(v.Files) != 2 || v.Incomplete || v.FilesReceived != 2 {
		t.Fatalf("visit with two photos: %+v %v", v, err)
	}
}

// Files sent one by one after the visit: the manifest says what is awaited, a re-sent file
// answers the stored one, a file with another checksum or not in the manifest is refused.
func TestVisitManifestAndFileIdempotency(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c := assignedCase(t, w)
	other := append(append([]byte{}, pngBytes...), 1)
	v, _, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "kantor",
		FileManifest: []string{sum(pngBytes), sum(other)}}, 0)
	if err != nil || !v.Incomplete || v.FilesReceived != 0 {
		t.Fatalf("visit with manifest: %+v %v", v, err)
	}
	if _, err := w.store.AddEvidence(ctx, w.timur, c.ID, v.ID, "a.png", strings.Repeat("0", 64), strings.NewReader(string(pngBytes))); code(err) != apperr.Invalid {
		t.Errorf("wrong checksum accepted: %v", err)
	}
	stray := append(append([]byte{}, pngBytes...), 2)
	if _, err := w.store.AddEvidence(ctx, w.timur, c.ID, v.ID, "x.png", "", strings.NewReader(string(stray))); code(err) != apperr.Invalid {
		t.Errorf("file outside the manifest accepted: %v", err)
	}
	first, err := w.store.AddEvidence(ctx, w.timur, c.ID, v.ID, "a.png", sum(pngBytes), strings.NewReader(string(pngBytes)))
	if err != nil || first.Existing {
		t.Fatalf("first file: %+v %v", first, err)
	}
	again, err := w.store.AddEvidence(ctx, w.timur, c.ID, v.ID, "a.png", sum(pngBytes), strings.NewReader(string(pngBytes)))
	if err != nil || !again.Existing || again.ID != first.ID {
		t.Fatalf("re-sent file: %+v %v", again, err)
	}
	got, err := w.store.Get(ctx, c.ID, w.timur)
	if err != nil || !got.Visits[0].Incomplete || got.Visits[0].FilesReceived != 1 {
		t.Fatalf("after one of two files: %+v %v", got.Visits, err)
	}
	if _, err := w.store.AddEvidence(ctx, w.timur, c.ID, v.ID, "b.png", sum(other), strings.NewReader(string(other))); err != nil {
		t.Fatal(err)
	}
	got, err = w.store.Get(ctx, c.ID, w.timur)
	if err != nil || got.Visits[0].Incomplete || len(got.Visits[0].Files) != 2 {
		t.Fatalf("after both files: %+v %v", got.Visits, err)
	}
}

// The NIKs of findings are checked like roster NIKs, read masked, and unmasked only for a
// supervisor who asks, with an audit record.
func TestVisitNIKsValidatedMaskedAndAuditedWhenUnmasked(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	c := assignedCase(t, w)
	bad := casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan",
		Findings: []casework.Finding{{Code: "PDS_TK", Workers: 1, NIKs: []string{"not a nik"}}}}
	if _, _, err := w.store.AddVisit(ctx, w.timur, c.ID, bad, 0); code(err) != apperr.Invalid {
		t.Fatalf("invalid NIK accepted: %v", err)
	}
	bad.Findings = []casework.Finding{{Code: "PDS_TK", Workers: 1, NIKs: []string{"3175019913900002"}}} // month 13
	if _, _, err := w.store.AddVisit(ctx, w.timur, c.ID, bad, 0); code(err) != apperr.Invalid {
		t.Fatalf("NIK with an impossible date accepted: %v", err)
	}
	good := casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan",
		Findings: []casework.Finding{{Code: "PDS_TK", Workers: 2, NIKs: []string{"3175010101900002", "3175010101900003"}}}}
	v, _, err := w.store.AddVisit(ctx, w.timur, c.ID, good, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Findings[0].NIKs[0]; got != "317501******0002" || v.Findings[0].NIKCount != 2 {
		t.Fatalf("visit answer: NIK %q, count %d", got, v.Findings[0].NIKCount)
	}
	read, err := w.store.Get(ctx, c.ID, w.timur)
	if err != nil || read.Visits[0].Findings[0].NIKs[1] != "317501******0003" {
		t.Fatalf("case read shows %v (%v)", read.Visits[0].Findings[0].NIKs, err)
	}
	if _, err := w.store.GetWithNIKs(ctx, c.ID, w.timur); code(err) != apperr.Forbidden {
		t.Fatalf("an inspector unmasked NIKs: %v", err)
	}
	var before int
	if err := w.db.Get(&before, `SELECT count(*) FROM audit_log WHERE action = 'case.nik_view'`); err != nil {
		t.Fatal(err)
	}
	full, err := w.store.GetWithNIKs(ctx, c.ID, w.supervisor)
	if err != nil || full.Visits[0].Findings[0].NIKs[0] != "3175010101900002" {
		t.Fatalf("supervisor's unmasked read: %v %v", full, err)
	}
	var after int
	if err := w.db.Get(&after, `SELECT count(*) FROM audit_log WHERE action = 'case.nik_view' AND actor = 'spv'`); err != nil {
		t.Fatal(err)
	}
	if after != before+1 {
		t.Fatalf("unmasked read not audited: %d -> %d", before, after)
	}
}

// Photos sent ahead of their visit (the offline app sends them one by one): each is checked as
// it arrives, a re-sent one answers the one kept, a refused one leaves nothing, and the visit
// naming them takes them in its own transaction.
func TestStagedPhotosJoinTheirVisit(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	c := assignedCase(t, w)
	clientID := "6f1c1d3e-8a4b-4c2d-9e7f-0a1b2c3d4e5f"
	photo := pngBytes
	sum := sha256.Sum256(photo)
	hexSum := hex.EncodeToString(sum[:])
	for i, want := range []bool{false, true} {
		existing, err := w.store.StageUpload(ctx, w.timur, c.ID, clientID, "papan.png", hexSum, bytes.NewReader(photo))
		if err != nil || existing != want {
			t.Fatalf("send %d: existing %v, err %v", i+1, existing, err)
		}
	}
	if _, err := w.store.StageUpload(ctx, w.timur, c.ID, clientID, "virus.jpg", hexSum, strings.NewReader("MZ not a photo")); code(err) != apperr.Invalid {
		t.Fatalf("a bad photo: %v", err)
	}
	if _, err := w.store.StageUpload(ctx, w.timur, c.ID, clientID, "papan.png", strings.Repeat("0", 64), bytes.NewReader(photo)); code(err) != apperr.Invalid {
		t.Fatalf("a wrong checksum: %v", err)
	}
	v, created, err := w.store.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan",
		ClientID: &clientID, FileManifest: []string{hexSum}}, 0)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if v.FilesReceived != 1 || v.Incomplete {
		t.Fatalf("the visit has %d files (incomplete %v)", v.FilesReceived, v.Incomplete)
	}
	var left int
	if err := w.db.Get(&left, `SELECT count(*) FROM visit_uploads WHERE client_id = $1`, clientID); err != nil || left != 0 {
		t.Fatalf("%d staged photos left (%v)", left, err)
	}
	// The photo sent again after its visit took it: answered, nothing kept.
	if existing, err := w.store.StageUpload(ctx, w.timur, c.ID, clientID, "papan.png", hexSum, bytes.NewReader(photo)); err != nil || !existing {
		t.Fatalf("a late re-send: %v %v", existing, err)
	}
}
