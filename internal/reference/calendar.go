package reference

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/casework"
)

// CoverageDays is how far ahead the confirmed calendar must reach before admins are warned:
// the longest working-day deadline of the ladder with room to spare.
const CoverageDays = 90

// Gap is the first year within the next CoverageDays days whose calendar is not confirmed.
type Gap struct {
	Year int
	// From is the first day not covered (1 January of Year, or today).
	From string
}

// Coverage says whether the confirmed calendar covers today and the next CoverageDays days;
// nil when it does.
func (s *Store) Coverage(ctx context.Context, today time.Time) (*Gap, error) {
	end := today.AddDate(0, 0, CoverageDays)
	var confirmed []int
	if err := s.db.SelectContext(ctx, &confirmed, `SELECT year FROM holiday_years
		WHERE confirmed_at IS NOT NULL AND year BETWEEN $1 AND $2`, today.Year(), end.Year()); err != nil {
		return nil, fmt.Errorf("reference: coverage: %w", err)
	}
	for y := today.Year(); y <= end.Year(); y++ {
		if !slices.Contains(confirmed, y) {
			from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
			if y == today.Year() {
				from = today
			}
			return &Gap{Year: y, From: from.Format("2006-01-02")}, nil
		}
	}
	return nil, nil
}

// ensureYear lists a year of the calendar (unconfirmed) if it is not listed yet.
func ensureYear(ctx context.Context, tx *sqlx.Tx, year int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO holiday_years (year) VALUES ($1) ON CONFLICT (year) DO NOTHING`, year)
	return err
}

func validHoliday(day, name, kind string) (time.Time, map[string]string) {
	fields := map[string]string{}
	d, ok := parseDay(day)
	if !ok {
		fields["day"] = "reference.date_invalid"
	}
	if strings.TrimSpace(name) == "" {
		fields["name"] = "reference.holiday.name_required"
	} else if len(name) > 200 {
		fields["name"] = "reference.holiday.name_too_long"
	}
	if !slices.Contains(HolidayKinds, kind) {
		fields["kind"] = "reference.holiday.kind_invalid"
	}
	return d, fields
}

// AddHoliday adds a day to the calendar and moves the open working-day deadlines it falls in.
// It returns the follow-ups whose due date moved.
func (s *Store) AddHoliday(ctx context.Context, a Actor, day, name, kind string) ([]casework.Redated, error) {
	d, fields := validHoliday(day, name, kind)
	if len(fields) > 0 {
		return nil, apperr.Fields(fields)
	}
	var moved []casework.Redated
	key := d.Format("2006-01-02")
	err := s.change(ctx, a, "reference.holiday_add", "holiday", key, func(tx *sqlx.Tx) (map[string]any, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO holidays (day, name, kind) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING`,
			key, strings.TrimSpace(name), kind)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, apperr.Fields(map[string]string{"day": "reference.holiday.exists"})
		}
		if err := ensureYear(ctx, tx, d.Year()); err != nil {
			return nil, err
		}
		if moved, err = casework.RedateFollowUps(ctx, tx, a.ID, a.Name, d); err != nil {
			return nil, err
		}
		return map[string]any{"name": strings.TrimSpace(name), "kind": kind, "follow_ups_moved": len(moved)}, nil
	})
	return moved, err
}

// RemoveHoliday takes a day off the calendar and moves the deadlines it was counted in.
func (s *Store) RemoveHoliday(ctx context.Context, a Actor, day string) ([]casework.Redated, error) {
	d, ok := parseDay(day)
	if !ok {
		return nil, apperr.Fields(map[string]string{"day": "reference.date_invalid"})
	}
	var moved []casework.Redated
	key := d.Format("2006-01-02")
	err := s.change(ctx, a, "reference.holiday_remove", "holiday", key, func(tx *sqlx.Tx) (map[string]any, error) {
		var old Holiday
		if err := tx.GetContext(ctx, &old, `DELETE FROM holidays WHERE day = $1 RETURNING day::text, name, kind`, key); err != nil {
			return nil, apperr.New(apperr.NotFound, "reference.holiday.not_found")
		}
		var err error
		if moved, err = casework.RedateFollowUps(ctx, tx, a.ID, a.Name, d); err != nil {
			return nil, err
		}
		return map[string]any{"name": old.Name, "kind": old.Kind, "follow_ups_moved": len(moved)}, nil
	})
	return moved, err
}

// LineError is a problem with one line of an uploaded calendar.
type LineError struct {
	Line    int
	Message string // an i18n message id
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// maxCalendarRows bounds one year's file: a year has 366 days.
const maxCalendarRows = 366

// ParseCalendar reads a year's holidays as CSV: a header tanggal,nama,jenis (or date,name,kind)
// then one holiday a line; comma or semicolon separated, as spreadsheets save it.
func ParseCalendar(year int, r io.Reader) ([]Holiday, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	cr := csv.NewReader(strings.NewReader(text))
	if first, _, _ := strings.Cut(text, "\n"); strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, &LineError{1, "reference.csv.header"}
	}
	want := [][]string{{"tanggal", "nama", "jenis"}, {"date", "name", "kind"}}
	got := make([]string, len(head))
	for i, h := range head {
		got[i] = strings.ToLower(strings.TrimSpace(h))
	}
	if !slices.Equal(got, want[0]) && !slices.Equal(got, want[1]) {
		return nil, &LineError{1, "reference.csv.header"}
	}
	var out []Holiday
	seen := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &LineError{line, "reference.csv.malformed"}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 3 {
			return nil, &LineError{line, "reference.csv.columns"}
		}
		kind := strings.ToLower(strings.TrimSpace(rec[2]))
		d, fields := validHoliday(rec[0], rec[1], kind)
		for _, f := range []string{"day", "name", "kind"} {
			if m, bad := fields[f]; bad {
				return nil, &LineError{line, m}
			}
		}
		if d.Year() != year {
			return nil, &LineError{line, "reference.csv.other_year"}
		}
		key := d.Format("2006-01-02")
		if seen[key] {
			return nil, &LineError{line, "reference.csv.duplicate"}
		}
		seen[key] = true
		out = append(out, Holiday{Day: key, Name: strings.TrimSpace(rec[1]), Kind: kind})
		if len(out) > maxCalendarRows {
			return nil, &LineError{line, "reference.csv.too_many"}
		}
	}
	if len(out) == 0 {
		return nil, &LineError{2, "reference.csv.empty"}
	}
	return out, nil
}

// ImportResult says what an uploaded calendar changed.
type ImportResult struct {
	Added, Removed, Kept int
	Moved                []casework.Redated
}

// ImportHolidays replaces a year's holidays with those of a CSV file (ParseCalendar), and
// moves the deadlines the added or removed days fall in. The page's upload and
// `patuh holidays import` both use it. The year stays as confirmed or not as it was.
func (s *Store) ImportHolidays(ctx context.Context, a Actor, year string, r io.Reader) (*ImportResult, error) {
	y, ok := parseYear(year)
	if !ok {
		return nil, apperr.Fields(map[string]string{"year": "reference.year_invalid"})
	}
	list, err := ParseCalendar(y, r)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{}
	err = s.change(ctx, a, "reference.holiday_import", "holiday_year", strconv.Itoa(y), func(tx *sqlx.Tx) (map[string]any, error) {
		old := map[string]Holiday{}
		var rows []Holiday
		if err := tx.SelectContext(ctx, &rows, `SELECT day::text, name, kind FROM holidays
			WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1) FOR UPDATE`, y); err != nil {
			return nil, err
		}
		for _, h := range rows {
			old[h.Day] = h
		}
		var changed []string
		for _, h := range list {
			if _, was := old[h.Day]; was {
				res.Kept++
				delete(old, h.Day)
			} else {
				res.Added++
				changed = append(changed, h.Day)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO holidays (day, name, kind) VALUES ($1, $2, $3)
				ON CONFLICT (day) DO UPDATE SET name = excluded.name, kind = excluded.kind`, h.Day, h.Name, h.Kind); err != nil {
				return nil, err
			}
		}
		for day := range old {
			res.Removed++
			changed = append(changed, day)
			if _, err := tx.ExecContext(ctx, `DELETE FROM holidays WHERE day = $1`, day); err != nil {
				return nil, err
			}
		}
		if err := ensureYear(ctx, tx, y); err != nil {
			return nil, err
		}
		slices.Sort(changed)
		for _, day := range changed {
			d, _ := time.Parse("2006-01-02", day)
			moved, err := casework.RedateFollowUps(ctx, tx, a.ID, a.Name, d)
			if err != nil {
				return nil, err
			}
			res.Moved = append(res.Moved, moved...)
		}
		return map[string]any{"added": res.Added, "removed": res.Removed, "kept": res.Kept, "follow_ups_moved": len(res.Moved)}, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ConfirmYear marks a year's calendar as checked against the decree, or takes the mark back.
func (s *Store) ConfirmYear(ctx context.Context, a Actor, year string, confirmed bool) error {
	y, ok := parseYear(year)
	if !ok {
		return apperr.Fields(map[string]string{"year": "reference.year_invalid"})
	}
	action := "reference.year_confirm"
	if !confirmed {
		action = "reference.year_unconfirm"
	}
	return s.change(ctx, a, action, "holiday_year", strconv.Itoa(y), func(tx *sqlx.Tx) (map[string]any, error) {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM holidays WHERE extract(year FROM day) = $1`, y); err != nil {
			return nil, err
		}
		if confirmed && n == 0 {
			return nil, apperr.Fields(map[string]string{"year": "reference.year_empty"})
		}
		if err := ensureYear(ctx, tx, y); err != nil {
			return nil, err
		}
		var by *int64
		if a.ID != 0 {
			by = &a.ID
		}
		var err error
		if confirmed {
			_, err = tx.ExecContext(ctx, `UPDATE holiday_years SET confirmed_at = now(), confirmed_by = $2 WHERE year = $1`, y, by)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE holiday_years SET confirmed_at = NULL, confirmed_by = NULL WHERE year = $1`, y)
		}
		return map[string]any{"holidays": n}, err
	})
}
