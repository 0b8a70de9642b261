package casework

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db"
)

// Handing over an inspector's open cases when they move or leave (issue 12): the admin's user
// page lists them with the covering inspectors and a suggestion, and reassigns them all at once.

// Handover is one open case of an inspector, with whom it could go to.
type Handover struct {
	CaseID        int64   `db:"case_id" json:"case_id"`
	EmployerName  string  `db:"employer_name" json:"employer_name"`
	KodeKelurahan *string `db:"kode_kelurahan" json:"kode_kelurahan"`
	KelurahanName string  `db:"kelurahan_name" json:"kelurahan_name"`
	Status        string  `db:"status" json:"status"`
	Version       int     `db:"version" json:"version"`
	// Needed: the assignee may no longer work it (disabled, not an inspector, or the case lies
	// outside their area), so it is ticked for reassignment.
	Needed     bool        `db:"needed" json:"needed"`
	Candidates []Inspector `db:"-" json:"candidates"`
	// Suggested is the candidate with the fewest open cases, counting those suggested above
	// it in the same list, so a handover is spread rather than heaped on one inspector.
	Suggested string `db:"-" json:"suggested"`
}

// Handovers lists the open cases assigned to a user (within the viewer's area).
func (s *Store) Handovers(ctx context.Context, u *auth.User, assigneeID int64) ([]Handover, error) {
	out := []Handover{}
	err := s.db.SelectContext(ctx, &out, `SELECT c.id AS case_id, e.nama AS employer_name, e.kode_kelurahan,
		coalesce(kel.nama, '') AS kelurahan_name, c.status, c.version,
		NOT (a.active AND a.role = 'inspector' AND coalesce(e.kode_kelurahan, '') LIKE coalesce(a.area_kode, '') || '%') AS needed
		FROM cases c JOIN employers e ON e.id = c.employer_id JOIN users a ON a.id = c.assignee_id
		LEFT JOIN regions kel ON kel.kode = e.kode_kelurahan
		WHERE c.assignee_id = $1 AND c.status <> 'closed' AND `+auth.EmployerInArea("$2")+`
		ORDER BY needed DESC, e.kode_kelurahan, c.id`, assigneeID, u.AreaPattern())
	if err != nil {
		return nil, fmt.Errorf("casework: handovers: %w", err)
	}
	// Candidates per kelurahan, the workload counted once and then carried along the list.
	load := map[string]int{}
	byRegion := map[string][]Inspector{}
	for i := range out {
		h := &out[i]
		region := ""
		if h.KodeKelurahan != nil {
			region = *h.KodeKelurahan
		}
		cands, ok := byRegion[region]
		if !ok {
			if err := s.db.SelectContext(ctx, &cands, qCovering+` AND u.id <> $2 ORDER BY u.name, u.username`, region, assigneeID); err != nil {
				return nil, fmt.Errorf("casework: handover candidates: %w", err)
			}
			byRegion[region] = cands
			for _, c := range cands {
				if _, seen := load[c.Username]; !seen {
					load[c.Username] = c.Open
				}
			}
		}
		h.Candidates = cands
		if !h.Needed || len(cands) == 0 {
			continue
		}
		best := cands[0].Username
		for _, c := range cands[1:] {
			if load[c.Username] < load[best] {
				best = c.Username
			}
		}
		h.Suggested = best
		load[best]++
	}
	// Candidates shown least loaded first, with their load before this handover.
	for _, cands := range byRegion {
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].Open < cands[j].Open })
	}
	return out, nil
}

// Move is one case of a bulk reassignment: to whom, at the version the admin saw.
type Move struct {
	CaseID   int64
	Assignee string
	Version  int
}

// BulkReassign gives each case to its new assignee in one transaction, by the same rule and
// with the same audit record as Assign (marked bulk), plus one record on the user handed over
// from. Any refusal (a stale case, an inspector who does not cover it) changes nothing; the
// fields name the case ("case_<id>").
func (s *Store) BulkReassign(ctx context.Context, u *auth.User, fromUserID int64, moves []Move) error {
	if len(moves) == 0 {
		return apperr.Fields(map[string]string{"cases": "case.reassign_none"})
	}
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		ids := make([]int64, 0, len(moves))
		for _, m := range moves {
			key := fmt.Sprintf("case_%d", m.CaseID)
			err := s.changeTx(ctx, tx, u, m.CaseID, m.Version, "case.assign", func(tx *sqlx.Tx, c *Case) (map[string]any, error) {
				if c.AssigneeID == nil || *c.AssigneeID != fromUserID {
					return nil, errStale
				}
				detail, err := assign(ctx, tx, u, c, m.Assignee)
				if detail != nil {
					detail["bulk"] = true
				}
				return detail, err
			})
			switch e, ok := apperr.As(err); {
			case errors.Is(err, errStale):
				return apperr.Fields(map[string]string{key: "case.stale"})
			case ok && e.Code == apperr.Invalid:
				return apperr.Fields(map[string]string{key: "case.assignee_invalid"})
			case ok && e.Code == apperr.Conflict:
				return apperr.Fields(map[string]string{key: e.Message})
			case err != nil:
				return err
			}
			ids = append(ids, m.CaseID)
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: u.ID, Actor: u.Username, Action: "user.reassign", Entity: "user",
			EntityID: fmt.Sprint(fromUserID), Detail: map[string]any{"cases": ids}})
	})
	return err
}
