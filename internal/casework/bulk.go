package casework

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/employer"
)

// MaxBulk is the most cases one bulk action opens or assigns.
const MaxBulk = 500

// BulkCandidates lists, in the order of the filtered employer list (largest shortfall first),
// up to n employers that a bulk open would open a case for: flagged, without an open case. A
// compliant employer is never a candidate (issue 16: bulk opening opened cases for them).
func BulkCandidates(ctx context.Context, employers *employer.Store, u *auth.User, f employer.Filter, n int) ([]employer.Employer, error) {
	out := []employer.Employer{}
	f.Limit, f.Cursor = 200, ""
	for range 20 { // at most 4,000 rows read for 500 candidates
		page, next, err := employers.List(ctx, f, u.Area)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if len(e.FlagCodes) > 0 && e.OpenCaseID == nil {
				out = append(out, e)
				if len(out) == n {
					return out, nil
				}
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	return out, nil
}

// OpenMany opens a case for each of the employers named that is in the user's area, flagged
// and without an open case, and says how many it opened. The others are skipped, not refused:
// a list read a minute ago may have changed. The cases are opened in one transaction: any
// failure on the way (a case opened meanwhile by someone else, the database) opens none.
func (s *Store) OpenMany(ctx context.Context, u *auth.User, employerIDs []int64, note string) (int, error) {
	if len(employerIDs) > MaxBulk {
		return 0, apperr.Fields(map[string]string{"count": "case.bulk_count_invalid"})
	}
	opened := 0
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		for _, id := range employerIDs {
			var flagged bool
			if err := tx.GetContext(ctx, &flagged, `SELECT EXISTS (SELECT 1 FROM employer_flags WHERE employer_id = $1)`, id); err != nil {
				return fmt.Errorf("casework: bulk open: %w", err)
			}
			if !flagged {
				continue
			}
			// Checked first, writing nothing: a skipped employer leaves the transaction usable.
			open, err := openable(ctx, tx, u, id)
			if apperr.CodeOf(err) == apperr.NotFound || (err == nil && open != 0) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := s.openTx(ctx, tx, u, id, note, nil); err != nil {
				return err
			}
			opened++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return opened, nil
}

// AssignMany gives each of the cases named (case id → the version the user read; 0 reads no
// version) to one inspector, each case as Assign would, and says which it assigned and which
// it could not (outside the inspector's area, closed, changed since). An unknown assignee
// refuses the whole action.
func (s *Store) AssignMany(ctx context.Context, u *auth.User, cases map[int64]int, assignee string) (assigned []int64, refused []int64, err error) {
	if len(cases) == 0 {
		return nil, nil, apperr.Fields(map[string]string{"case_ids": "case.bulk_assign_none"})
	}
	if len(cases) > MaxBulk {
		return nil, nil, apperr.Fields(map[string]string{"case_ids": "case.bulk_count_invalid"})
	}
	var known bool
	if err := s.db.GetContext(ctx, &known, `SELECT EXISTS (SELECT 1 FROM users WHERE username = $1 AND role = 'inspector' AND active)`,
		assignee); err != nil {
		return nil, nil, fmt.Errorf("casework: bulk assign: %w", err)
	}
	if !known {
		return nil, nil, apperr.Fields(map[string]string{"assignee": "case.assignee_invalid"})
	}
	assigned, refused = []int64{}, []int64{}
	for _, id := range sortedKeys(cases) {
		_, err := s.Assign(ctx, u, id, assignee, cases[id])
		switch apperr.CodeOf(err) {
		case apperr.Internal:
			if err != nil {
				return assigned, refused, err
			}
			assigned = append(assigned, id)
		default:
			refused = append(refused, id)
		}
	}
	return assigned, refused, nil
}

func sortedKeys(m map[int64]int) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// InspectorsIn lists the active inspectors whose area overlaps the user's (inside it, or
// covering it), for the bulk assignment form; each case is still checked against its employer.
func (s *Store) InspectorsIn(ctx context.Context, u *auth.User) ([]Inspector, error) {
	out := []Inspector{}
	err := s.db.SelectContext(ctx, &out, `SELECT username, name FROM users WHERE role = 'inspector' AND active
		AND (coalesce(area_kode, '') LIKE $1 OR $2 LIKE coalesce(area_kode, '') || '%') ORDER BY name, username`,
		u.AreaPattern(), u.Area)
	if err != nil {
		return nil, fmt.Errorf("casework: inspectors: %w", err)
	}
	return out, nil
}
