package casework_test

import (
	"bytes"
	"context"
	"testing"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/casework"
)

// The case policy (policy.go): an inspector of the area who is not the assignee may read the
// case but not act on it — visits, evidence, follow-ups issued or marked, closure requests.
// Before issue 14 they could issue teguran letters and mark follow-ups fulfilled.
func TestInspectorOfTheAreaNotAssigneeMayNotAct(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	s := w.store
	other, err := auth.NewStore(w.db, "test-secret").AddUser(ctx, "test",
		auth.NewUser{Username: "insp.timur.lain", Name: "Lain", Role: auth.Inspector, Area: "31.75", Password: "long enough password"}, true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Open(ctx, w.supervisor, w.employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	backdate(t, c.ID)
	if c, err = s.Assign(ctx, w.supervisor, c.ID, "insp.timur", c.Version); err != nil {
		t.Fatal(err)
	}
	if _, _, err = s.AddVisit(ctx, w.timur, c.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan"}, c.Version); err != nil {
		t.Fatal(err)
	}
	if c, err = s.Get(ctx, c.ID, w.timur); err != nil {
		t.Fatal(err)
	}
	if c, err = followUp(ctx, s, w.timur, c.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: "2026-11-23", Version: c.Version}); err != nil {
		t.Fatalf("the assignee issues a teguran: %v", err)
	}
	if _, err := s.Get(ctx, c.ID, other); err != nil {
		t.Fatalf("the other inspector may read: %v", err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	actions := map[string]func() error{
		"visit": func() error {
			_, _, err := s.AddVisit(ctx, other, c.ID, casework.Visit{VisitedOn: "2026-11-21", Kind: "lapangan"}, c.Version)
			return err
		},
		"follow-up": func() error {
			_, err := s.AddFollowUp(ctx, other, c.ID, casework.FollowUpInput{Kind: "teguran_2", IssuedOn: "2026-11-30", Version: c.Version})
			return err
		},
		"follow-up fulfilled": func() error {
			_, err := s.SetFollowUpStatus(ctx, other, c.ID, c.FollowUps[0].ID, "fulfilled", c.FollowUps[0].Version)
			return err
		},
		"evidence": func() error {
			_, err := s.AddEvidence(ctx, other, c.ID, c.Visits[0].ID, "a.png", "", bytes.NewReader(png))
			return err
		},
		"closure request": func() error {
			_, err := s.RequestClosure(ctx, other, c.ID, casework.ClosureRequest{Version: c.Version})
			return err
		},
	}
	for name, act := range actions {
		if err := act(); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("%s by an inspector of the area, not assignee: %v", name, err)
		}
	}
	// The supervisor of the area may.
	if _, err := s.SetFollowUpStatus(ctx, w.supervisor, c.ID, c.FollowUps[0].ID, "fulfilled", c.FollowUps[0].Version); err != nil {
		t.Errorf("supervisor marks fulfilled: %v", err)
	}
}
