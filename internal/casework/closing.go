package casework

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/flags"
	"patuh/internal/i18n"
)

// Closing is what a supervisor sends to close a case. Confirm says they saw that the employer
// is still flagged and close anyway (issue 16: a close must not misfire from a card that shows
// neither the findings nor the workers recovered).
type Closing struct {
	Outcome string `json:"outcome" validate:"required"`
	Note    string `json:"note" validate:"max=4000"`
	Version int    `json:"version" validate:"required,gt=0"`
	// Confirm: close although the employer is still flagged (else 422 naming "confirm").
	Confirm bool `json:"confirm"`
}

// CloseSummary is what a supervisor reads before closing: the findings frozen at opening, the
// flags the employer still carries, the workers recovered and the follow-ups that closing ends.
type CloseSummary struct {
	CaseID    int64        `json:"case_id"`
	AtOpen    []flags.Flag `json:"flags_at_open"`
	Remaining []flags.Flag `json:"flags_remaining"`
	Recovered int          `json:"recovered_workers"`
	Running   []FollowUp   `json:"follow_ups_running"`
}

// errConfirm asks for the confirmation; its Current is the summary the form shows again.
const msgConfirm = "case.close_confirm_needed"

func remainingFlags(ctx context.Context, q sqlx.QueryerContext, employerID int64) ([]flags.Flag, error) {
	out := []flags.Flag{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT employer_id, code, workers, shortfall_rp, detail FROM employer_flags
		WHERE employer_id = $1
		ORDER BY array_position(ARRAY['PWBD', 'PDS_TK', 'PDS_UPAH', 'PDS_PROGRAM', 'MENUNGGAK'], code)`, employerID)
	if err != nil {
		return nil, fmt.Errorf("casework: remaining flags: %w", err)
	}
	return out, nil
}

func runningFollowUps(ctx context.Context, q sqlx.QueryerContext, caseID int64) ([]FollowUp, error) {
	out := []FollowUp{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT id, kind, issued_on::text, due_on::text, status, note, out_of_order_reason,
		false AS overdue, created_at, version, false AS has_letter
		FROM follow_ups WHERE case_id = $1 AND status = 'open' ORDER BY issued_on, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("casework: running follow-ups: %w", err)
	}
	return out, nil
}

// Localize renders the flags' details in the reader's language (flags.Localize).
func (sum *CloseSummary) Localize(loc *i18n.Localizer) {
	flags.Localize(sum.AtOpen, loc)
	flags.Localize(sum.Remaining, loc)
}

// Summary returns the close summary of a case of the user's area.
func (s *Store) Summary(ctx context.Context, u *auth.User, id int64) (*CloseSummary, error) {
	c, err := s.get(ctx, s.db, id, u.AreaPattern(), false)
	if err != nil {
		return nil, err
	}
	return s.summary(ctx, s.db, c)
}

func (s *Store) summary(ctx context.Context, q sqlx.QueryerContext, c *Case) (*CloseSummary, error) {
	atOpen, err := c.OpenFlags()
	if err != nil {
		return nil, err
	}
	sum := &CloseSummary{CaseID: c.ID, AtOpen: orEmpty(atOpen), Recovered: c.RecoveredWorkers}
	if sum.Remaining, err = remainingFlags(ctx, q, c.EmployerID); err != nil {
		return nil, err
	}
	if sum.Running, err = runningFollowUps(ctx, q, c.ID); err != nil {
		return nil, err
	}
	return sum, nil
}

// Close decides a case with an outcome (supervisors and admins). While the employer is still
// flagged the close needs Confirm, else it is refused with the summary to show; the follow-ups
// still running are ended as cancelled, and the audit record names them.
func (s *Store) Close(ctx context.Context, u *auth.User, id int64, cl Closing) (*Case, error) {
	if err := s.check(&cl); err != nil {
		return nil, err
	}
	if !slices.Contains(Outcomes(), cl.Outcome) {
		return nil, apperr.Fields(map[string]string{"outcome": "case.outcome_invalid"})
	}
	err := s.change(ctx, u, id, cl.Version, "case.close", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		// The move first: a closed case is refused before anything is asked. A close that still
		// needs its confirmation returns an error, so the transaction undoes the move.
		from := c.Status
		if err := transition(ctx, tx, c, StatusClosed, `outcome = $4, closed_at = now(),
			note = CASE WHEN $5 = '' THEN note ELSE $5 END`, cl.Outcome, cl.Note); err != nil {
			return nil, err
		}
		sum, err := s.summary(ctx, tx, c)
		if err != nil {
			return nil, err
		}
		if len(sum.Remaining) > 0 && !cl.Confirm {
			return nil, &apperr.Error{Code: apperr.Invalid, Message: msgConfirm,
				Fields: map[string]string{"confirm": msgConfirm}, Current: sum}
		}
		var ended []int64
		if err := tx.SelectContext(ctx, &ended, `UPDATE follow_ups SET status = 'cancelled', ended_at = now(), version = version + 1
			WHERE case_id = $1 AND status = 'open' RETURNING id`, id); err != nil {
			return nil, fmt.Errorf("casework: close: end follow-ups: %w", err)
		}
		slices.Sort(ended)
		remaining := make([]flags.Code, 0, len(sum.Remaining))
		for _, f := range sum.Remaining {
			remaining = append(remaining, f.Code)
		}
		return map[string]any{"outcome": cl.Outcome, "from": from, "flags_remaining": remaining,
			"recovered_workers": c.RecoveredWorkers, "follow_ups_cancelled": orEmpty(ended)}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}
