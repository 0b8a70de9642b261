// Package dashboard computes the figures that show where Jakarta stands: employer compliance by
// area, cases, and, kept apart, the resident coverage measure.
package dashboard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/flags"
	"patuh/internal/importer"
	"patuh/internal/web"
)

// Area is one row of GET /api/v1/stats/coverage.
type Area struct {
	Kode               string         `db:"kode" json:"kode"`
	Nama               string         `db:"nama" json:"nama"`
	Employers          int64          `db:"employers" json:"employers"`
	Flagged            map[string]int `db:"-" json:"employers_flagged"`
	PWBD               int            `db:"pwbd" json:"-"`
	PDSTK              int            `db:"pds_tk" json:"-"`
	PDSUpah            int            `db:"pds_upah" json:"-"`
	PDSProgram         int            `db:"pds_program" json:"-"`
	Menunggak          int            `db:"menunggak" json:"-"`
	ReportedWorkers    int64          `db:"reported_workers" json:"reported_workers"`
	ActiveParticipants int64          `db:"active_participants" json:"active_participants"`
	UnenrolledWorkers  int64          `db:"unenrolled_workers" json:"unenrolled_workers"`
	ShortfallRp        int64          `db:"shortfall_rp" json:"shortfall_rp"`
	OpenCases          int            `db:"open_cases" json:"open_cases"`
	OverdueFollowUps   int            `db:"overdue_follow_ups" json:"overdue_follow_ups"`
	RecoveredWorkers   int            `db:"recovered_workers" json:"recovered_workers"`
}

var levelLength = map[string]int{"kota": len("31.71"), "kecamatan": len("31.71.01"), "kelurahan": len("31.71.01.1001")}

type Store struct {
	db  *sqlx.DB
	Now func() time.Time
}

func NewStore(d *sqlx.DB) *Store { return &Store{db: d, Now: time.Now} }

// Coverage sums employer_counts (refreshed with every flag computation) per area of a level
// inside the user's area and, optionally, inside parent; the case figures are counted live.
func (s *Store) Coverage(ctx context.Context, u *auth.User, level, parent string) ([]Area, error) {
	n, ok := levelLength[level]
	if !ok {
		return nil, apperr.Fields(map[string]string{"level": "dashboard.level_invalid"})
	}
	out := []Area{}
	err := s.db.SelectContext(ctx, &out, `
		WITH counts AS (
			SELECT left(kode_kelurahan, $1) AS kode, sum(employers) AS employers, sum(pwbd) AS pwbd, sum(pds_tk) AS pds_tk,
			       sum(pds_upah) AS pds_upah, sum(pds_program) AS pds_program, sum(menunggak) AS menunggak,
			       sum(reported_workers) AS reported_workers, sum(active_participants) AS active_participants,
			       sum(unenrolled_workers) AS unenrolled_workers, sum(shortfall_rp) AS shortfall_rp
			FROM employer_counts WHERE kode_kelurahan <> '' GROUP BY 1
		), cases AS (
			-- Each case looks its employer up by key. As a join, a cases table swollen by a long
			-- import transaction (every visit bumps a case's version) was estimated at thousands
			-- of rows and hash-joined to all 240,000 employers: 330 ms instead of 2.
			SELECT (SELECT left(e.kode_kelurahan, $1) FROM employers e WHERE e.id = c.employer_id) AS kode,
			       count(*) FILTER (WHERE c.status <> 'closed') AS open_cases,
			       sum(c.recovered_workers) AS recovered_workers,
			       sum((SELECT count(*) FROM follow_ups f WHERE f.case_id = c.id AND f.status = 'open' AND f.due_on < $4)
			           ) FILTER (WHERE c.status <> 'closed') AS overdue
			FROM cases c GROUP BY 1
		)
		SELECT r.kode, r.nama, coalesce(k.employers, 0) AS employers, coalesce(k.pwbd, 0) AS pwbd,
		       coalesce(k.pds_tk, 0) AS pds_tk, coalesce(k.pds_upah, 0) AS pds_upah, coalesce(k.pds_program, 0) AS pds_program,
		       coalesce(k.menunggak, 0) AS menunggak, coalesce(k.reported_workers, 0) AS reported_workers,
		       coalesce(k.active_participants, 0) AS active_participants, coalesce(k.unenrolled_workers, 0) AS unenrolled_workers,
		       coalesce(k.shortfall_rp, 0) AS shortfall_rp, coalesce(c.open_cases, 0) AS open_cases,
		       coalesce(c.overdue, 0) AS overdue_follow_ups, coalesce(c.recovered_workers, 0) AS recovered_workers
		FROM regions r
		LEFT JOIN counts k ON k.kode = r.kode
		LEFT JOIN cases c ON c.kode = r.kode
		WHERE length(r.kode) = $1 AND (r.kode LIKE $2 OR $3 LIKE r.kode || '%') AND r.kode LIKE $5
		ORDER BY r.kode`, n, u.AreaPattern(), u.Area, s.Now().Format("2006-01-02"), parent+"%")
	if err != nil {
		return nil, fmt.Errorf("dashboard: coverage: %w", err)
	}
	// A kecamatan inspector's kota row would count the whole kota: keep rows inside the area.
	kept := out[:0]
	for _, a := range out {
		if u.Covers(a.Kode) {
			a.Flagged = map[string]int{"PWBD": a.PWBD, "PDS_TK": a.PDSTK, "PDS_UPAH": a.PDSUpah, "PDS_PROGRAM": a.PDSProgram, "MENUNGGAK": a.Menunggak}
			kept = append(kept, a)
		}
	}
	return kept, nil
}

// Residents is the resident coverage measure of domain.md, against the target of the current
// year (setting resident_target_YYYY, kept on /admin/reference), or of the latest year before
// it that has one; TargetCurrent says which.
type Residents struct {
	Participants  int64      `json:"participants"`
	Target        int64      `json:"target"`
	TargetYear    int        `json:"target_year"`
	TargetCurrent bool       `json:"target_current"`
	Share         float64    `json:"share_of_target"`
	ComputedAt    *time.Time `json:"computed_at"`
}

// SharePercent writes the share as a percentage the way the dashboard shows it: one decimal
// below 10% so that a small share does not read 0% (0,1%), whole numbers above.
func (r *Residents) SharePercent(lang string) string {
	p := r.Share * 100
	s := strconv.FormatFloat(p, 'f', 0, 64)
	if p < 10 {
		s = strconv.FormatFloat(p, 'f', 1, 64)
	}
	if lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

func (s *Store) Residents(ctx context.Context) (*Residents, error) {
	year := s.Now().Year()
	r := &Residents{}
	var target struct {
		Year  string `db:"year_text"`
		Value string `db:"value"`
	}
	// Four-digit years compare as text: no cast of another setting's key is ever tried.
	err := s.db.GetContext(ctx, &target, `SELECT right(key, 4) AS year_text, value FROM settings
		WHERE key ~ '^resident_target_[0-9]{4}$' AND key <= 'resident_target_' || $1::text
		ORDER BY key DESC LIMIT 1`, strconv.Itoa(year))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dashboard: target: %w", err)
	}
	r.TargetYear, _ = strconv.Atoi(target.Year)
	r.TargetCurrent = r.TargetYear == year
	r.Target, _ = strconv.ParseInt(target.Value, 10, 64)
	var row struct {
		Participants int64     `db:"participants"`
		ComputedAt   time.Time `db:"computed_at"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT participants, computed_at FROM resident_coverage ORDER BY computed_at DESC LIMIT 1`)
	if err == nil {
		r.Participants, r.ComputedAt = row.Participants, &row.ComputedAt
	}
	if r.Target > 0 {
		r.Share = float64(r.Participants) / float64(r.Target)
	}
	return r, nil
}

// RefreshResidents runs after the commit of a participants snapshot: the distinct Jakarta NIKs
// (prefix 31) active in the snapshots in force.
func RefreshResidents(ctx context.Context, tx *sqlx.Tx, imp *importer.Import) error {
	if imp.Kind != "participants" {
		return nil
	}
	// Only the partitions of the snapshots in force are read (see flags.SnapshotsInForce).
	inForce, err := flags.SnapshotsInForce(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO resident_coverage (participants)
		SELECT count(DISTINCT p.nik) FROM latest_snapshots l
		JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id AND p.import_id IN (`+inForce+`)
		WHERE p.status = 'aktif' AND p.nik LIKE '31%'`)
	return err
}

// Handler serves the dashboard page and the figures API.
type Handler struct{ Store *Store }

func (h *Handler) Register(pages, api *gin.RouterGroup) {
	pages.GET("/dashboard", h.page)
	api.GET("/stats/coverage", h.coverage)
	api.GET("/stats/residents", h.residents)
}

func (h *Handler) coverage(c *gin.Context) {
	areas, err := h.Store.Coverage(c.Request.Context(), auth.Current(c), c.DefaultQuery("level", "kota"), c.Query("parent"))
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": areas})
}

func (h *Handler) residents(c *gin.Context) {
	r, err := h.Store.Residents(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// page drills down kota → kecamatan → kelurahan with ?parent=.
func (h *Handler) page(c *gin.Context) {
	parent := c.Query("parent")
	level := map[int]string{0: "kota", 5: "kecamatan", 8: "kelurahan"}[len(parent)]
	if level == "" {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	areas, err := h.Store.Coverage(c.Request.Context(), auth.Current(c), level, parent)
	if err != nil {
		web.Error(c, err)
		return
	}
	residents, err := h.Store.Residents(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	var total Area
	for _, a := range areas {
		total.Employers += a.Employers
		total.UnenrolledWorkers += a.UnenrolledWorkers
		total.ShortfallRp += a.ShortfallRp
		total.OpenCases += a.OpenCases
		total.OverdueFollowUps += a.OverdueFollowUps
		total.RecoveredWorkers += a.RecoveredWorkers
	}
	statuses, workload, months, err := h.Store.Casework(c.Request.Context(), auth.Current(c))
	if err != nil {
		web.Error(c, err)
		return
	}
	web.HTML(c, http.StatusOK, "dashboard/index", gin.H{"Areas": areas, "Level": level, "Parent": parent, "Tiles": tiles(areas),
		"Statuses": statuses, "Workload": workload, "Months": months,
		"Total": total, "Residents": residents, "ResidentPercent": int(residents.Share * 100), "ResidentShare": residents.SharePercent(web.Localizer(c).Lang), "Year": h.Store.Now().Year(), "Drill": level != "kelurahan"})
}

// StatusCount is how many cases of the area are in a state, and for how long on average.
type StatusCount struct {
	Status  string  `db:"status"`
	Cases   int     `db:"cases"`
	AgeDays float64 `db:"age_days"`
}

// Workload is one inspector's open work and what they finished in the last 30 days.
type Workload struct {
	Inspector   string `db:"inspector"` // the person's name
	Open        int    `db:"open"`
	Overdue     int    `db:"overdue"`
	Closed30    int    `db:"closed_30"`
	Recovered30 int    `db:"recovered_30"`
}

// MonthFigure is what the cases closed in a month recovered: workers now enrolled, and the
// monthly contributions no longer missing (the shortfall frozen at opening minus the
// employer's shortfall now, never below zero).
type MonthFigure struct {
	Month       string `db:"month"`
	Closed      int    `db:"closed"`
	Recovered   int    `db:"recovered"`
	RecoveredRp int64  `db:"recovered_rp"`
}

// Casework returns the case figures of the user's area.
func (s *Store) Casework(ctx context.Context, u *auth.User) (statuses []StatusCount, workload []Workload, months []MonthFigure, err error) {
	today := s.Now()
	area := u.AreaPattern()
	if err = s.db.SelectContext(ctx, &statuses, `SELECT c.status, count(*) AS cases,
		round(avg(extract(epoch FROM $2::timestamptz - c.opened_at) / 86400)::numeric, 1)::float8 AS age_days
		FROM cases c JOIN employers e ON e.id = c.employer_id
		WHERE c.status <> 'closed' AND `+auth.EmployerInArea("$1")+`
		GROUP BY c.status ORDER BY array_position(ARRAY['open','assigned','inspected','follow_up','awaiting_closure'], c.status)`,
		area, today); err != nil {
		return
	}
	if err = s.db.SelectContext(ctx, &workload, `SELECT u.name AS inspector,
		count(*) FILTER (WHERE c.status <> 'closed') AS open,
		count(*) FILTER (WHERE c.status <> 'closed' AND EXISTS (SELECT 1 FROM follow_ups f WHERE f.case_id = c.id
		    AND f.status = 'open' AND f.due_on < $2::date)) AS overdue,
		count(*) FILTER (WHERE c.closed_at > $2::timestamptz - interval '30 days') AS closed_30,
		coalesce(sum(c.recovered_workers) FILTER (WHERE c.closed_at > $2::timestamptz - interval '30 days'), 0) AS recovered_30
		FROM cases c JOIN users u ON u.id = c.assignee_id JOIN employers e ON e.id = c.employer_id
		WHERE `+auth.EmployerInArea("$1")+` GROUP BY u.id, u.name ORDER BY open DESC, u.name`, area, today); err != nil {
		return
	}
	err = s.db.SelectContext(ctx, &months, `SELECT to_char(date_trunc('month', c.closed_at), 'YYYY-MM') AS month,
		count(*) AS closed, sum(c.recovered_workers) AS recovered,
		coalesce(sum(greatest(0, (SELECT coalesce(sum((f->>'shortfall_rp')::bigint), 0) FROM jsonb_array_elements(c.flags_at_open) f)
			- coalesce((SELECT st.shortfall_rp FROM employer_status st WHERE st.employer_id = c.employer_id), 0))), 0) AS recovered_rp
		FROM cases c JOIN employers e ON e.id = c.employer_id
		WHERE c.status = 'closed' AND `+auth.EmployerInArea("$1")+`
		GROUP BY 1 ORDER BY 1 DESC LIMIT 12`, area)
	return
}

// Tile is an area on the schematic map: boundary geometry is not available offline, so the
// dashboard draws each kota where it lies (Kepulauan Seribu north-west, Utara north, Barat
// west, Pusat in the middle, Timur east, Selatan south) and, below kota level, the areas in a
// plain grid; the shade is the area's share of the unenrolled workers shown.
type Tile struct {
	Area
	Heat int // 0..5
	Cell string
}

var kotaCells = map[string]string{"31.01": "nw", "31.72": "n", "31.73": "w", "31.71": "c", "31.75": "e", "31.74": "s"}

func tiles(areas []Area) []Tile {
	var most int64
	for _, a := range areas {
		most = max(most, a.UnenrolledWorkers)
	}
	out := make([]Tile, 0, len(areas))
	for _, a := range areas {
		heat := 0
		if most > 0 {
			heat = int((a.UnenrolledWorkers*5 + most - 1) / most)
		}
		out = append(out, Tile{Area: a, Heat: heat, Cell: kotaCells[a.Kode]})
	}
	return out
}
