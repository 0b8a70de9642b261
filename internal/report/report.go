// Package report writes the monthly report for the MoU steering meeting (Sekda DKI and the BPJS
// TK regional head, issue 16): a PDF in Bahasa Indonesia with the map, the target's trend,
// tables by kota and the month's casework, kept in monthly_reports. The server writes one for
// each past month by itself (Scheduler), once however many instances run; supervisors and
// admins may generate more.
package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/dashboard"
	"patuh/internal/db"
	"patuh/internal/i18n"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// Report is one kept report, without its PDF.
type Report struct {
	ID          int64      `db:"id"`
	Month       time.Time  `db:"month"`
	Area        string     `db:"area_kode"`
	AreaName    string     `db:"area_nama"`
	GeneratedAt time.Time  `db:"generated_at"`
	GeneratedBy *int64     `db:"generated_by"`
	ByName      *string    `db:"by_name"`
	DataPer     *time.Time `db:"data_per"`
	Size        int        `db:"size"`
	MonthLabel  string     `db:"-"`
	KB          string     `db:"-"`
}

// KotaCases is one kota's casework in the month.
type KotaCases struct {
	Kode        string `db:"kode"`
	Opened      int    `db:"opened"`
	Closed      int    `db:"closed"`
	Recovered   int64  `db:"recovered"`
	RecoveredRp int64  `db:"recovered_rp"`
	Overdue     int    `db:"overdue"`
}

// Data is everything the PDF shows.
type Data struct {
	Month       time.Time
	Area        string
	AreaName    string
	GeneratedAt time.Time
	Kota        []dashboard.Area // compliance by kota (or by kecamatan for a kota-bound report)
	Kecamatan   []dashboard.Area // the map's areas
	Cases       map[string]KotaCases
	Total       KotaCases
	History     *dashboard.History
	Pace        string
}

type Store struct {
	db        *sqlx.DB
	dashboard *dashboard.Store
	Now       func() time.Time
}

func NewStore(d *sqlx.DB) *Store {
	return &Store{db: d, dashboard: dashboard.NewStore(d), Now: time.Now}
}

var indonesian = func() *i18n.Localizer {
	b, err := i18n.Load()
	if err != nil {
		panic(err) // the locales are embedded: a broken file fails every test first
	}
	return b.For("id")
}()

// Collect reads the figures of a month for the user's area.
func (s *Store) Collect(ctx context.Context, u *auth.User, month time.Time) (*Data, error) {
	s.dashboard.Now = s.Now
	month = wib.MonthStart(month)
	d := &Data{Month: month, Area: u.Area, AreaName: "DKI Jakarta", GeneratedAt: s.Now(), Cases: map[string]KotaCases{}}
	if u.Area != "" {
		if err := s.db.GetContext(ctx, &d.AreaName, `SELECT nama FROM regions WHERE kode = $1`, u.Area); err != nil {
			return nil, db.NotFoundOr(err, "report: area")
		}
	}
	rowLevel, mapLevel := "kota", "kecamatan"
	switch len(u.Area) {
	case 5:
		rowLevel, mapLevel = "kecamatan", "kelurahan"
	case 8:
		rowLevel, mapLevel = "kelurahan", "kelurahan"
	}
	var err error
	if d.Kota, err = s.dashboard.Coverage(ctx, u, rowLevel, u.Area); err != nil {
		return nil, err
	}
	if d.Kecamatan, err = s.dashboard.Coverage(ctx, u, mapLevel, u.Area); err != nil {
		return nil, err
	}
	if d.History, err = s.dashboard.History(ctx); err != nil {
		return nil, err
	}
	d.Pace = dashboard.PaceSentence(d.History, "id", indonesian.T)
	n := map[string]int{"kota": 5, "kecamatan": 8, "kelurahan": 13}[rowLevel]
	var rows []KotaCases
	// The Rupiah recovered: the monthly shortfall frozen at opening minus the employer's
	// shortfall now, never below zero (as the dashboard's months, dashboard.Casework).
	if err := s.db.SelectContext(ctx, &rows, `SELECT left(coalesce(e.kode_kelurahan, ''), $4) AS kode,
		count(*) FILTER (WHERE c.opened_at >= $2 AND c.opened_at < $3) AS opened,
		count(*) FILTER (WHERE c.status = 'closed' AND c.closed_at >= $2 AND c.closed_at < $3) AS closed,
		coalesce(sum(c.recovered_workers) FILTER (WHERE c.status = 'closed' AND c.closed_at >= $2 AND c.closed_at < $3), 0) AS recovered,
		coalesce(sum(greatest(0, (SELECT coalesce(sum((f->>'shortfall_rp')::bigint), 0) FROM jsonb_array_elements(c.flags_at_open) f)
			- coalesce((SELECT st.shortfall_rp FROM employer_status st WHERE st.employer_id = c.employer_id), 0)))
			FILTER (WHERE c.status = 'closed' AND c.closed_at >= $2 AND c.closed_at < $3), 0) AS recovered_rp,
		coalesce(sum((SELECT count(*) FROM follow_ups f WHERE f.case_id = c.id AND f.status = 'open' AND f.due_on < $5::date))
			FILTER (WHERE c.status <> 'closed'), 0) AS overdue
		FROM cases c JOIN employers e ON e.id = c.employer_id
		WHERE `+auth.EmployerInArea("$1")+` GROUP BY 1 ORDER BY 1`,
		u.AreaPattern(), month, month.AddDate(0, 1, 0), n, wib.Date(s.Now())); err != nil {
		return nil, fmt.Errorf("report: cases: %w", err)
	}
	for _, r := range rows {
		d.Cases[r.Kode] = r
		d.Total.Opened += r.Opened
		d.Total.Closed += r.Closed
		d.Total.Recovered += r.Recovered
		d.Total.RecoveredRp += r.RecoveredRp
		d.Total.Overdue += r.Overdue
	}
	return d, nil
}

// Generate writes and keeps the report of a month for u (nil: the server's own, for all of
// Jakarta). It returns the new report's id.
func (s *Store) Generate(ctx context.Context, u *auth.User, month time.Time) (int64, error) {
	month = wib.MonthStart(month)
	if month.After(wib.MonthStart(s.Now())) || month.Year() < 2000 {
		return 0, apperr.Fields(map[string]string{"month": "report.month_invalid"})
	}
	asker := u
	if asker == nil {
		asker = &auth.User{Role: auth.Admin}
	}
	data, err := s.Collect(ctx, asker, month)
	if err != nil {
		return 0, err
	}
	pdf, err := PDF(data)
	if err != nil {
		return 0, err
	}
	var by *int64
	if u != nil {
		by = &u.ID
	}
	var dataPer *time.Time
	if n := len(data.History.Items); n > 0 {
		dataPer = &data.History.Items[n-1].At
	}
	var id int64
	err = s.db.GetContext(ctx, &id, `INSERT INTO monthly_reports (month, area_kode, generated_by, data_per, pdf)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, month.Format("2006-01-02"), asker.Area, by, dataPer, pdf)
	return id, err
}

// List returns the reports a user may read: those of their area or inside it.
func (s *Store) List(ctx context.Context, u *auth.User) ([]Report, error) {
	out := []Report{}
	err := s.db.SelectContext(ctx, &out, `SELECT r.id, r.month, r.area_kode, coalesce(g.nama, 'DKI Jakarta') AS area_nama,
		r.generated_at, r.generated_by, u.name AS by_name, r.data_per, length(r.pdf) AS size
		FROM monthly_reports r LEFT JOIN users u ON u.id = r.generated_by LEFT JOIN regions g ON g.kode = r.area_kode
		WHERE r.area_kode LIKE $1 ORDER BY r.month DESC, r.id DESC LIMIT 120`, u.AreaPattern())
	if err != nil {
		return nil, fmt.Errorf("report: list: %w", err)
	}
	for i := range out {
		out[i].MonthLabel = monthName(out[i].Month)
		out[i].KB = web.FormatNumber((out[i].Size + 1023) / 1024)
	}
	return out, nil
}

// PDFOf returns a kept report's PDF, if the user may read it.
func (s *Store) PDFOf(ctx context.Context, u *auth.User, id int64) (month time.Time, pdf []byte, err error) {
	var row struct {
		Month time.Time `db:"month"`
		PDF   []byte    `db:"pdf"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT month, pdf FROM monthly_reports WHERE id = $1 AND area_kode LIKE $2`, id, u.AreaPattern())
	if err != nil {
		return month, nil, db.NotFoundOr(err, "report: pdf")
	}
	return row.Month, row.PDF, nil
}

// scheduleLock is the advisory lock key of the scheduled report: one instance writes it.
const scheduleLock = 0x7061_7475_6872 // "patuhr"

// EnsureScheduled writes the server's report of the month before now's, unless one exists.
// Several instances may call it at once: the one that gets the advisory lock writes, the others
// return; the partial unique index on the month is the last guard. It reports whether this
// call wrote the report.
func (s *Store) EnsureScheduled(ctx context.Context) (bool, error) {
	month := wib.MonthStart(s.Now()).AddDate(0, -1, 0)
	wrote := false
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var got bool
		if err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock($1)`, scheduleLock); err != nil || !got {
			return err
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM monthly_reports WHERE month = $1 AND generated_by IS NULL)`,
			month.Format("2006-01-02")); err != nil || exists {
			return err
		}
		data, err := s.Collect(ctx, &auth.User{Role: auth.Admin}, month)
		if err != nil {
			return err
		}
		pdf, err := PDF(data)
		if err != nil {
			return err
		}
		var dataPer *time.Time
		if n := len(data.History.Items); n > 0 {
			dataPer = &data.History.Items[n-1].At
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO monthly_reports (month, area_kode, generated_by, data_per, pdf)
			VALUES ($1, '', NULL, $2, $3) ON CONFLICT (month) WHERE generated_by IS NULL DO NOTHING`,
			month.Format("2006-01-02"), dataPer, pdf)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		wrote = n == 1
		return nil
	})
	return wrote, err
}

// Run checks every interval (and at once) that last month's report exists: on the 1st it is
// written shortly after midnight WIB; a server that was down then writes it when it starts.
func (s *Store) Run(ctx context.Context, every time.Duration) {
	for {
		wrote, err := s.EnsureScheduled(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			slog.Error("monthly report", "err", err)
		case wrote:
			slog.Info("monthly report written", "month", wib.MonthStart(s.Now()).AddDate(0, -1, 0).Format("2006-01"))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
