package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
)

// AddVisit records a visit. A visit with findings makes an assigned case inspected, and the
// NIKs it names join those whose enrolment the case watches for.
func (s *Store) AddVisit(ctx context.Context, u *auth.User, id int64, v Visit, version int) (*Case, error) {
	err := s.change(ctx, u, id, version, "case.visit", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		if u.Role == auth.Inspector && (c.AssigneeID == nil || *c.AssigneeID != u.ID) {
			return nil, apperr.New(apperr.Forbidden, "case.not_assignee")
		}
		if c.Status == StatusClosed || c.Status == StatusOpen {
			return nil, apperr.New(apperr.Conflict, "case.transition_refused")
		}
		findings, _ := json.Marshal(orEmpty(v.Findings))
		var visitID int64
		if err := tx.GetContext(ctx, &visitID, `INSERT INTO visits (case_id, visited_on, kind, met_name, met_position,
			workers_found, findings, commitment, commitment_due, lat, lon, signed_by_employer, note, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			id, v.VisitedOn, v.Kind, v.MetName, v.MetPosition, v.WorkersFound, findings, v.Commitment, v.CommitmentDue,
			v.Lat, v.Lon, v.SignedByEmployer, v.Note, u.ID); err != nil {
			return nil, fmt.Errorf("casework: add visit: %w", err)
		}
		var niks []string
		for _, f := range v.Findings {
			niks = append(niks, f.NIKs...)
		}
		if len(niks) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET target_niks = ARRAY(SELECT DISTINCT unnest(target_niks || $2::text[]))
				WHERE id = $1`, id, pq.StringArray(niks)); err != nil {
				return nil, err
			}
		}
		if len(v.Findings) > 0 && c.Status == StatusAssigned {
			if err := setStatus(ctx, tx, c, StatusInspected); err != nil {
				return nil, err
			}
		}
		// The visit's NIKs are personal data: the audit keeps their number, not them.
		return map[string]any{"visit_id": visitID, "findings": len(v.Findings), "niks": len(niks)}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// rule is a step of the ladder as follow_up_rules configures it.
type rule struct {
	Kind     string `db:"kind"`
	Position int    `db:"position"`
	Days     int    `db:"days"`
	DayKind  string `db:"day_kind"`
}

// AddFollowUp issues a step of the ladder with its due date. The next step is the one after
// the highest issued so far; any other needs a reason.
func (s *Store) AddFollowUp(ctx context.Context, u *auth.User, id int64, kind, issuedOn, note, reason string, version int) (*Case, error) {
	issued, err := time.Parse("2006-01-02", issuedOn)
	if err != nil {
		return nil, apperr.Fields(map[string]string{"issued_on": "case.date_invalid"})
	}
	err = s.change(ctx, u, id, version, "case.follow_up", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		var r rule
		if err := tx.GetContext(ctx, &r, `SELECT kind, position, days, day_kind FROM follow_up_rules WHERE kind = $1`, kind); err != nil {
			return nil, apperr.Fields(map[string]string{"kind": "case.follow_up_kind_invalid"})
		}
		next, _, err := s.NextFollowUp(ctx, id)
		if err != nil {
			return nil, err
		}
		if kind != next && reason == "" {
			return nil, apperr.Fields(map[string]string{"reason": "case.out_of_order"})
		}
		if err := setStatus(ctx, tx, c, StatusFollowUp); err != nil {
			return nil, err
		}
		holidays := map[string]bool{}
		var days []string
		if err := tx.SelectContext(ctx, &days, `SELECT day::text FROM holidays WHERE day > $1`, issuedOn); err != nil {
			return nil, err
		}
		for _, d := range days {
			holidays[d] = true
		}
		due := DueDate(issued, r.Days, r.DayKind == "working", holidays)
		if kind == next {
			reason = ""
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO follow_ups (case_id, kind, issued_on, due_on, note, out_of_order_reason, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, kind, issuedOn, due.Format("2006-01-02"), note, reason, u.ID); err != nil {
			return nil, err
		}
		return map[string]any{"kind": kind, "issued_on": issuedOn, "due_on": due.Format("2006-01-02"), "suggested": next}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// SetFollowUpStatus marks a follow-up fulfilled or lapsed; the follow-up's own version guards it.
func (s *Store) SetFollowUpStatus(ctx context.Context, u *auth.User, id, followUpID int64, status string, version int) (*Case, error) {
	if status != "open" && status != "fulfilled" && status != "lapsed" {
		return nil, apperr.Fields(map[string]string{"status": "case.follow_up_status_invalid"})
	}
	c, err := s.Get(ctx, id, u)
	if err != nil {
		return nil, err
	}
	err = s.change(ctx, u, id, c.Version, "case.follow_up_status", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE follow_ups SET status = $3, version = version + 1
			WHERE id = $2 AND case_id = $1 AND version = $4`, id, followUpID, status, version)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, errStale
		}
		return map[string]any{"follow_up_id": followUpID, "status": status}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, u)
}

// Verify runs in the commit of a participants snapshot: each open case of an employer whose
// NPPs the snapshot covers counts the watched NIKs now active, and a case whose opening flags
// are all gone from the employer waits for a supervisor to close it.
func Verify(ctx context.Context, tx *sqlx.Tx, importID int64) error {
	rows, err := tx.QueryContext(ctx, `WITH touched AS (
		SELECT c.id, c.employer_id, c.target_niks, c.flags_at_open, c.status FROM cases c
		WHERE c.status <> 'closed' AND EXISTS (
			SELECT 1 FROM bpjs_employers b JOIN participant_snapshots s ON s.npp = b.npp
			WHERE b.employer_id = c.employer_id AND s.import_id = $1)
	), counted AS (
		SELECT t.id, (
			SELECT count(DISTINCT p.nik) FROM bpjs_employers b
			JOIN latest_snapshots l ON l.npp = b.npp
			JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id AND p.status = 'aktif'
			WHERE b.employer_id = t.employer_id AND p.nik = ANY (t.target_niks)) AS recovered,
			NOT EXISTS (
				SELECT 1 FROM jsonb_array_elements(t.flags_at_open) f
				JOIN employer_flags ef ON ef.employer_id = t.employer_id AND ef.code = f->>'code') AS resolved,
			t.status
		FROM touched t
	)
	UPDATE cases c SET recovered_workers = counted.recovered,
		status = CASE WHEN counted.resolved AND counted.status IN ('assigned', 'inspected', 'follow_up')
			THEN 'awaiting_closure' ELSE c.status END,
		version = c.version + 1
	FROM counted
	WHERE c.id = counted.id AND (c.recovered_workers <> counted.recovered
		OR (counted.resolved AND counted.status IN ('assigned', 'inspected', 'follow_up')))
	RETURNING c.id, c.status, c.recovered_workers`, importID)
	if err != nil {
		return fmt.Errorf("casework: verify: %w", err)
	}
	defer rows.Close()
	var changed []audit.Entry
	for rows.Next() {
		var id int64
		var status string
		var recovered int
		if err := rows.Scan(&id, &status, &recovered); err != nil {
			return err
		}
		changed = append(changed, audit.Entry{Actor: "verification", Action: "case.verify", Entity: "case", EntityID: fmt.Sprint(id),
			Detail: map[string]any{"import_id": importID, "status": status, "recovered_workers": recovered}})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, e := range changed {
		if err := audit.Record(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}
