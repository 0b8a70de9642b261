// Package reference keeps the dated reference data of docs/domain.md that admins change in the
// browser: the UMP, the contribution rates and the JP wage cap, the holiday calendar and its
// confirmed years, the enforcement ladder's deadlines and the settings. Every change is
// audited; one that the flags read queues every employer's flags again.
package reference

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
	"patuh/internal/flags"
)

// Store owns minimum_wages, contribution_rates, holidays, holiday_years, follow_up_rules,
// flag_recomputations and the admin-set rows of settings.
type Store struct {
	db  *sqlx.DB
	Now func() time.Time
}

func NewStore(d *sqlx.DB) *Store { return &Store{db: d, Now: time.Now} }

// Actor is who makes a change: a signed-in user, or the command line (ID 0).
type Actor struct {
	ID   int64
	Name string
}

type MinimumWage struct {
	ValidFrom string `db:"valid_from"`
	Amount    int64  `db:"amount"`
}

type Rate struct {
	Program   string  `db:"program"`
	ValidFrom string  `db:"valid_from"`
	RatePct   float64 `db:"rate_pct"`
	WageCap   *int64  `db:"wage_cap"`
}

// Percent writes the rate the Indonesian way: 5,7.
func (r Rate) Percent() string {
	return strings.ReplaceAll(strconv.FormatFloat(r.RatePct, 'f', -1, 64), ".", ",")
}

type Holiday struct {
	Day  string `db:"day"`
	Name string `db:"name"`
	Kind string `db:"kind"`
}

// Year is a calendar year of the holiday calendar.
type Year struct {
	Year        int        `db:"year"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	ConfirmedBy string     `db:"confirmed_by"`
	Holidays    int        `db:"holidays"`
}

// Rule is a step of the enforcement ladder (follow_up_rules).
type Rule struct {
	Kind     string `db:"kind"`
	Track    string `db:"track"`
	Position int    `db:"position"`
	Days     int    `db:"days"`
	DayKind  string `db:"day_kind"`
}

// Target is the resident coverage target of a year (setting resident_target_YYYY).
type Target struct {
	Year      int
	Residents int64
}

// Setting keys an admin may change on the page.
const (
	SettingVisitOverdueDays = "visit_overdue_days"
	SettingArrearsMonths    = "menunggak_min_months"
	targetPrefix            = "resident_target_"
)

// Programs are the contribution programmes of contribution_rates.
var Programs = []string{"JKK", "JKM", "JHT", "JP", "JKP"}

// HolidayKinds are the kinds of holidays.
var HolidayKinds = []string{"libur_nasional", "cuti_bersama"}

// Overview is everything the reference page shows.
type Overview struct {
	Wages          []MinimumWage
	Rates          []Rate
	Years          []Year
	Year           int
	Holidays       []Holiday
	Rules          []Rule
	VisitOverdue   int
	ArrearsMonths  int
	Targets        []Target
	Recomputation  *Recomputation
	CalendarGap    *Gap
	SelectedYear   *Year
	ProgramChoices []string
	HolidayKinds   []string
}

// Overview reads the page's data, with the holidays of year.
func (s *Store) Overview(ctx context.Context, year int) (*Overview, error) {
	o := &Overview{Year: year, ProgramChoices: Programs, HolidayKinds: HolidayKinds}
	err := s.db.SelectContext(ctx, &o.Wages, `SELECT valid_from::text, amount FROM minimum_wages ORDER BY valid_from DESC`)
	if err == nil {
		err = s.db.SelectContext(ctx, &o.Rates, `SELECT program, valid_from::text, rate_pct::float8, wage_cap FROM contribution_rates
			ORDER BY array_position(ARRAY['JKK','JKM','JHT','JP','JKP'], program), valid_from DESC`)
	}
	if err == nil {
		o.Years, err = s.Years(ctx)
	}
	if err == nil {
		o.Holidays, err = s.Holidays(ctx, year)
	}
	if err == nil {
		err = s.db.SelectContext(ctx, &o.Rules, `SELECT kind, track, position, days, day_kind FROM follow_up_rules ORDER BY position`)
	}
	if err == nil {
		var rows []struct{ Key, Value string }
		err = s.db.SelectContext(ctx, &rows, `SELECT key, value FROM settings ORDER BY key`)
		for _, r := range rows {
			n, _ := strconv.ParseInt(r.Value, 10, 64)
			switch {
			case r.Key == SettingVisitOverdueDays:
				o.VisitOverdue = int(n)
			case r.Key == SettingArrearsMonths:
				o.ArrearsMonths = int(n)
			case strings.HasPrefix(r.Key, targetPrefix):
				if y, ok := parseYear(strings.TrimPrefix(r.Key, targetPrefix)); ok {
					o.Targets = append(o.Targets, Target{Year: y, Residents: n})
				}
			}
		}
	}
	if err == nil {
		o.Recomputation, err = s.LatestRecomputation(ctx)
	}
	if err == nil {
		o.CalendarGap, err = s.Coverage(ctx, s.Now())
	}
	if err != nil {
		return nil, fmt.Errorf("reference: overview: %w", err)
	}
	for i := range o.Years {
		if o.Years[i].Year == year {
			o.SelectedYear = &o.Years[i]
		}
	}
	return o, nil
}

// Years lists the calendar's years with how many holidays each holds.
func (s *Store) Years(ctx context.Context) ([]Year, error) {
	var out []Year
	err := s.db.SelectContext(ctx, &out, `SELECT y.year, y.confirmed_at, coalesce(u.name, '') AS confirmed_by,
		(SELECT count(*) FROM holidays h WHERE extract(year FROM h.day) = y.year) AS holidays
		FROM holiday_years y LEFT JOIN users u ON u.id = y.confirmed_by ORDER BY y.year`)
	return out, err
}

// Holidays lists a year's holidays in date order.
func (s *Store) Holidays(ctx context.Context, year int) ([]Holiday, error) {
	var out []Holiday
	err := s.db.SelectContext(ctx, &out, `SELECT day::text, name, kind FROM holidays
		WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1) ORDER BY day`, year)
	return out, err
}

// change runs fn in a transaction and records its audit entry there.
func (s *Store) change(ctx context.Context, a Actor, action, entity, entityID string, fn func(tx *sqlx.Tx) (map[string]any, error)) error {
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		detail, err := fn(tx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: a.ID, Actor: a.Name, Action: action, Entity: entity, EntityID: entityID, Detail: detail})
	})
}

// requeue queues every employer's flags after a change the flags read, and records it for the
// page's progress bar.
func requeue(ctx context.Context, tx *sqlx.Tx, a Actor, reason string) error {
	n, err := flags.EnqueueAll(ctx, tx)
	if err != nil {
		return err
	}
	var by *int64
	if a.ID != 0 {
		by = &a.ID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO flag_recomputations (reason, employers, requested_by) VALUES ($1, $2, $3)`, reason, n, by)
	return err
}

// SetMinimumWage sets the UMP of a year, in force from 1 January.
func (s *Store) SetMinimumWage(ctx context.Context, a Actor, year, amount string) error {
	fields := map[string]string{}
	y, ok := parseYear(year)
	if !ok {
		fields["year"] = "reference.year_invalid"
	}
	n, ok := parseRupiah(amount)
	switch {
	case !ok || n <= 0:
		fields["amount"] = "reference.ump.amount_invalid"
	case n > maxRupiah:
		fields["amount"] = "reference.ump.amount_too_large"
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	from := fmt.Sprintf("%04d-01-01", y)
	return s.change(ctx, a, "reference.ump_set", "minimum_wage", from, func(tx *sqlx.Tx) (map[string]any, error) {
		var old sql.NullInt64
		if err := tx.GetContext(ctx, &old, `SELECT amount FROM minimum_wages WHERE valid_from = $1`, from); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO minimum_wages (valid_from, amount) VALUES ($1, $2)
			ON CONFLICT (valid_from) DO UPDATE SET amount = excluded.amount`, from, n); err != nil {
			return nil, err
		}
		return change(old, n), requeue(ctx, tx, a, "reference.ump_set")
	})
}

// change is an audit detail {old, new}; old is null for a new row.
func change(old sql.NullInt64, n any) map[string]any {
	var o any
	if old.Valid {
		o = old.Int64
	}
	return map[string]any{"old": o, "new": n}
}

// SetRate sets a programme's contribution rate (and, for JP, its wage cap) from a date.
func (s *Store) SetRate(ctx context.Context, a Actor, program, validFrom, pct, wageCap string) error {
	fields := map[string]string{}
	known := false
	for _, p := range Programs {
		known = known || p == program
	}
	if !known {
		fields["program"] = "reference.rate.program_invalid"
	}
	from, ok := parseDay(validFrom)
	if !ok {
		fields["valid_from"] = "reference.date_invalid"
	}
	rate, ok := parsePercent(pct)
	switch {
	case !ok:
		fields["rate_pct"] = "reference.rate.pct_invalid"
	case rate < 0 || rate > maxRatePct:
		fields["rate_pct"] = "reference.rate.pct_range"
	}
	var capValue *int64
	if strings.TrimSpace(wageCap) != "" {
		n, ok := parseRupiah(wageCap)
		switch {
		case program != "JP":
			fields["wage_cap"] = "reference.rate.cap_only_jp"
		case !ok || n <= 0:
			fields["wage_cap"] = "reference.rate.cap_invalid"
		case n > maxRupiah:
			fields["wage_cap"] = "reference.rate.cap_too_large"
		}
		capValue = &n
	} else if program == "JP" {
		fields["wage_cap"] = "reference.rate.cap_required"
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	day := from.Format("2006-01-02")
	return s.change(ctx, a, "reference.rate_set", "contribution_rate", program+"/"+day, func(tx *sqlx.Tx) (map[string]any, error) {
		var old []Rate
		if err := tx.SelectContext(ctx, &old, `SELECT program, valid_from::text, rate_pct::float8, wage_cap FROM contribution_rates
			WHERE program = $1 AND valid_from = $2`, program, day); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO contribution_rates (program, valid_from, rate_pct, wage_cap) VALUES ($1, $2, $3, $4)
			ON CONFLICT (program, valid_from) DO UPDATE SET rate_pct = excluded.rate_pct, wage_cap = excluded.wage_cap`,
			program, day, rate, capValue); err != nil {
			return nil, err
		}
		detail := map[string]any{"new": map[string]any{"rate_pct": rate, "wage_cap": capValue}, "old": nil}
		if len(old) == 1 {
			detail["old"] = map[string]any{"rate_pct": old[0].RatePct, "wage_cap": old[0].WageCap}
		}
		return detail, requeue(ctx, tx, a, "reference.rate_set")
	})
}

// SetRule changes a ladder step's place and deadline. Due dates already issued keep theirs.
func (s *Store) SetRule(ctx context.Context, a Actor, kind, position, days, dayKind string) error {
	fields := map[string]string{}
	pos, ok := parseSmallInt(position, 1, 99)
	if !ok {
		fields["position"] = "reference.rule.position_invalid"
	}
	d, ok := parseSmallInt(days, 1, maxRuleDays)
	if !ok {
		fields["days"] = "reference.rule.days_invalid"
	}
	if dayKind != "working" && dayKind != "calendar" {
		fields["day_kind"] = "reference.rule.day_kind_invalid"
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	return s.change(ctx, a, "reference.rule_set", "follow_up_rule", kind, func(tx *sqlx.Tx) (map[string]any, error) {
		var old Rule
		if err := tx.GetContext(ctx, &old, `SELECT kind, track, position, days, day_kind FROM follow_up_rules WHERE kind = $1 FOR UPDATE`, kind); err != nil {
			return nil, db.NotFoundOr(err, "reference: rule")
		}
		var taken bool
		if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM follow_up_rules WHERE position = $1 AND kind <> $2)`, pos, kind); err != nil {
			return nil, err
		}
		if taken {
			return nil, apperr.Fields(map[string]string{"position": "reference.rule.position_taken"})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE follow_up_rules SET position = $2, days = $3, day_kind = $4 WHERE kind = $1`, kind, pos, d, dayKind); err != nil {
			return nil, err
		}
		return map[string]any{"old": map[string]any{"position": old.Position, "days": old.Days, "day_kind": old.DayKind},
			"new": map[string]any{"position": pos, "days": d, "day_kind": dayKind}}, nil
	})
}

// SetSetting changes visit_overdue_days or menunggak_min_months (the arrears threshold, which
// the flags read).
func (s *Store) SetSetting(ctx context.Context, a Actor, key, value string) error {
	var n int
	var ok bool
	switch key {
	case SettingVisitOverdueDays:
		n, ok = parseSmallInt(value, 1, maxOverdueDays)
	case SettingArrearsMonths:
		n, ok = parseSmallInt(value, 1, maxArrearsMonths)
	default:
		return apperr.Fields(map[string]string{"key": "reference.setting.unknown"})
	}
	if !ok {
		return apperr.Fields(map[string]string{key: "reference.setting." + key})
	}
	return s.setValue(ctx, a, key, int64(n), key == SettingArrearsMonths)
}

// SetTarget sets the resident coverage target of a year.
func (s *Store) SetTarget(ctx context.Context, a Actor, year, residents string) error {
	fields := map[string]string{}
	y, ok := parseYear(year)
	if !ok {
		fields["year"] = "reference.year_invalid"
	}
	n, ok := parseRupiah(residents)
	if !ok || n <= 0 || n > maxTarget {
		fields["target"] = "reference.setting.target"
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	return s.setValue(ctx, a, targetPrefix+strconv.Itoa(y), n, false)
}

func (s *Store) setValue(ctx context.Context, a Actor, key string, n int64, flagsRead bool) error {
	return s.change(ctx, a, "reference.setting_set", "setting", key, func(tx *sqlx.Tx) (map[string]any, error) {
		var old sql.NullString
		if err := tx.GetContext(ctx, &old, `SELECT value FROM settings WHERE key = $1`, key); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, key, strconv.FormatInt(n, 10)); err != nil {
			return nil, err
		}
		var o any
		if old.Valid {
			o = old.String
		}
		detail := map[string]any{"old": o, "new": strconv.FormatInt(n, 10)}
		if flagsRead {
			return detail, requeue(ctx, tx, a, "reference.setting_set")
		}
		return detail, nil
	})
}

// Recomputation is a queued recomputation of every employer's flags and how far it has come.
type Recomputation struct {
	ID          int64      `db:"id" json:"id"`
	Reason      string     `db:"reason" json:"reason"`
	Employers   int        `db:"employers" json:"employers"`
	RequestedAt time.Time  `db:"requested_at" json:"requested_at"`
	FinishedAt  *time.Time `db:"finished_at" json:"finished_at"`
	Done        int        `db:"-" json:"done"`
	Left        int        `db:"-" json:"left"`
}

// Percent is the share done, for the progress bar.
func (r *Recomputation) Percent() int {
	if r.Employers == 0 || r.FinishedAt != nil {
		return 100
	}
	return r.Done * 100 / r.Employers
}

// LatestRecomputation is the last one asked for, nil if none. The queue is shared with the
// imports' flags: what is left in it is counted against this recomputation's employers. An
// empty queue finishes it.
func (s *Store) LatestRecomputation(ctx context.Context) (*Recomputation, error) {
	var r Recomputation
	err := s.db.GetContext(ctx, &r, `SELECT id, reason, employers, requested_at, finished_at FROM flag_recomputations ORDER BY id DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r.FinishedAt != nil {
		r.Done = r.Employers
		return &r, nil
	}
	left, err := flags.Queued(ctx, s.db)
	if err != nil {
		return nil, err
	}
	r.Left = min(left, r.Employers)
	r.Done = r.Employers - r.Left
	if left == 0 {
		// Every recomputation asked for before is done too.
		now := time.Now()
		r.FinishedAt = &now
		_, err = s.db.ExecContext(ctx, `UPDATE flag_recomputations SET finished_at = $1 WHERE finished_at IS NULL AND id <= $2`, now, r.ID)
	}
	return &r, err
}
