package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/audit"
)

// Redated is an open follow-up whose due date a change of the holiday calendar moved.
type Redated struct {
	FollowUpID int64  `db:"id"`
	CaseID     int64  `db:"case_id"`
	Kind       string `db:"kind"`
	IssuedOn   string `db:"issued_on"`
	OldDue     string `db:"due_on"`
	NewDue     string `db:"-"`
	Days       int    `db:"days"`
}

// RedateFollowUps recomputes, inside the caller's transaction and with the calendar as it now
// stands, the due date of every open working-day follow-up whose counting window contains day
// (issued before it, due on or after it): adding or removing a holiday moves those deadlines
// (domain.md, working days). Each move is audited on its case; the letter already sent keeps
// the date it was written with.
func RedateFollowUps(ctx context.Context, tx *sqlx.Tx, actorID int64, actor string, day time.Time) ([]Redated, error) {
	var open []Redated
	err := tx.SelectContext(ctx, &open, `SELECT f.id, f.case_id, f.kind, f.issued_on::text, f.due_on::text, r.days
		FROM follow_ups f JOIN follow_up_rules r USING (kind)
		WHERE f.status = 'open' AND r.day_kind = 'working' AND f.issued_on < $1 AND f.due_on >= $1
		ORDER BY f.id FOR UPDATE OF f`, day.Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("casework: redate: %w", err)
	}
	if len(open) == 0 {
		return nil, nil
	}
	earliest := open[0].IssuedOn
	for _, f := range open {
		earliest = min(earliest, f.IssuedOn)
	}
	holidays := map[string]bool{}
	var days []string
	if err := tx.SelectContext(ctx, &days, `SELECT day::text FROM holidays WHERE day > $1`, earliest); err != nil {
		return nil, fmt.Errorf("casework: redate: holidays: %w", err)
	}
	for _, d := range days {
		holidays[d] = true
	}
	var moved []Redated
	for _, f := range open {
		issued, err := time.Parse("2006-01-02", f.IssuedOn)
		if err != nil {
			return nil, err
		}
		f.NewDue = DueDate(issued, f.Days, true, holidays).Format("2006-01-02")
		if f.NewDue == f.OldDue {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE follow_ups SET due_on = $2, version = version + 1 WHERE id = $1`, f.FollowUpID, f.NewDue); err != nil {
			return nil, fmt.Errorf("casework: redate: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{ActorID: actorID, Actor: actor, Action: "case.follow_up_redated", Entity: "case",
			EntityID: fmt.Sprint(f.CaseID), Detail: map[string]any{"follow_up_id": f.FollowUpID, "kind": f.Kind,
				"due_on": map[string]string{"old": f.OldDue, "new": f.NewDue}, "holiday": day.Format("2006-01-02")}}); err != nil {
			return nil, err
		}
		moved = append(moved, f)
	}
	return moved, nil
}
