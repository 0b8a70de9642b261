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
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/flags"
	"patuh/internal/importer"
	"patuh/internal/regions"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// Area is one row of GET /api/v1/stats/coverage.
type Area struct {
	Kode       string             `db:"kode" json:"kode"`
	Nama       string             `db:"nama" json:"nama"`
	Employers  int64              `db:"employers" json:"employers"`
	Flagged    map[flags.Code]int `db:"-" json:"employers_flagged"`
	PWBD       int                `db:"pwbd" json:"-"`
	PDSTK      int                `db:"pds_tk" json:"-"`
	PDSUpah    int                `db:"pds_upah" json:"-"`
	PDSProgram int                `db:"pds_program" json:"-"`
	Menunggak  int                `db:"menunggak" json:"-"`
	// FlaggedEmployers is how many employers carry any flag (the map's flagged share).
	FlaggedEmployers   int64 `db:"flagged" json:"flagged_employers"`
	ReportedWorkers    int64 `db:"reported_workers" json:"reported_workers"`
	ActiveParticipants int64 `db:"active_participants" json:"active_participants"`
	UnenrolledWorkers  int64 `db:"unenrolled_workers" json:"unenrolled_workers"`
	ShortfallRp        int64 `db:"shortfall_rp" json:"shortfall_rp"`
	OpenCases          int   `db:"open_cases" json:"open_cases"`
	OverdueFollowUps   int   `db:"overdue_follow_ups" json:"overdue_follow_ups"`
	RecoveredWorkers   int   `db:"recovered_workers" json:"recovered_workers"`
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
			       sum(pds_upah) AS pds_upah, sum(pds_program) AS pds_program, sum(menunggak) AS menunggak, sum(flagged) AS flagged,
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
		       coalesce(k.menunggak, 0) AS menunggak, coalesce(k.flagged, 0) AS flagged, coalesce(k.reported_workers, 0) AS reported_workers,
		       coalesce(k.active_participants, 0) AS active_participants, coalesce(k.unenrolled_workers, 0) AS unenrolled_workers,
		       coalesce(k.shortfall_rp, 0) AS shortfall_rp, coalesce(c.open_cases, 0) AS open_cases,
		       coalesce(c.overdue, 0) AS overdue_follow_ups, coalesce(c.recovered_workers, 0) AS recovered_workers
		FROM regions r
		LEFT JOIN counts k ON k.kode = r.kode
		LEFT JOIN cases c ON c.kode = r.kode
		WHERE length(r.kode) = $1 AND (r.kode LIKE $2 OR $3 LIKE r.kode || '%') AND r.kode LIKE $5
		ORDER BY r.kode`, n, u.AreaPattern(), u.Area, wib.Date(s.Now()), parent+"%")
	if err != nil {
		return nil, fmt.Errorf("dashboard: coverage: %w", err)
	}
	// A kecamatan inspector's kota row would count the whole kota: keep rows inside the area.
	kept := out[:0]
	for _, a := range out {
		if u.Covers(a.Kode) {
			a.Flagged = map[flags.Code]int{flags.PWBD: a.PWBD, flags.PDSTK: a.PDSTK, flags.PDSUpah: a.PDSUpah,
				flags.PDSProgram: a.PDSProgram, flags.Menunggak: a.Menunggak}
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
	year := s.Now().In(wib.Zone).Year()
	r := &Residents{}
	// The year's target (settings resident_target_<year>, else the latest earlier year's,
	// which TargetCurrent says).
	target, key, err := s.Target(ctx, year)
	if err != nil {
		return nil, err
	}
	r.Target = target
	r.TargetYear, _ = strconv.Atoi(strings.TrimPrefix(key, "resident_target_"))
	r.TargetCurrent = r.TargetYear == year
	var row struct {
		Participants int64     `db:"participants"`
		ComputedAt   time.Time `db:"computed_at"`
	}
	// No snapshot yet leaves the count at 0 (sql.ErrNoRows); any other error is the caller's.
	err = s.db.GetContext(ctx, &row, `SELECT participants, computed_at FROM resident_coverage ORDER BY computed_at DESC LIMIT 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dashboard: residents: %w", err)
	}
	if err == nil {
		r.Participants, r.ComputedAt = row.Participants, &row.ComputedAt
	}
	if r.Target > 0 {
		r.Share = float64(r.Participants) / float64(r.Target)
	}
	return r, nil
}

// RefreshResidents runs after the commit of a participants snapshot: the distinct Jakarta NIKs
// (prefix 31) active in the snapshots in force, kept with the employer compliance totals of
// that moment in snapshot_history (the target over time, issue 16).
func RefreshResidents(ctx context.Context, tx *sqlx.Tx, imp *importer.Import) error {
	if imp.Kind != "participants" {
		return nil
	}
	// Only the partitions of the snapshots in force are read (see flags.SnapshotsInForce).
	inForce, err := flags.SnapshotsInForce(ctx, tx)
	if err != nil {
		return err
	}
	var residents int64
	if err := tx.GetContext(ctx, &residents, `INSERT INTO resident_coverage (participants)
		SELECT count(DISTINCT p.nik) FROM latest_snapshots l
		JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id AND p.import_id IN (`+inForce+`)
		WHERE p.status = 'aktif' AND p.nik LIKE '31%' RETURNING participants`); err != nil {
		return err
	}
	// employer_counts was refreshed just before the hooks ran (importer settle).
	_, err = tx.ExecContext(ctx, `INSERT INTO snapshot_history (import_id, snapshot_at, residents, employers,
		compliant_employers, flagged_employers, reported_workers, active_participants, unenrolled_workers, shortfall_rp)
		SELECT $1, $2, $3, coalesce(sum(employers), 0), coalesce(sum(employers - flagged), 0), coalesce(sum(flagged), 0),
		       coalesce(sum(reported_workers), 0), coalesce(sum(active_participants), 0),
		       coalesce(sum(unenrolled_workers), 0), coalesce(sum(shortfall_rp), 0)
		FROM employer_counts
		ON CONFLICT (import_id) DO NOTHING`, imp.ID, imp.CreatedAt, residents)
	return err
}

// Handler serves the dashboard page and the figures API.
type Handler struct {
	Store *Store
	// MapTiles is the optional tile URL template (config PATUH_MAP_TILES).
	MapTiles string
}

func (h *Handler) Register(pages, api *gin.RouterGroup) {
	pages.GET("/dashboard", h.page)
	// The map's outlines for the page, which has a session and no token; the API route is the
	// same handler (regions.BoundariesHandler).
	pages.GET("/dashboard/boundaries", regions.BoundariesHandler)
	api.GET("/regions/boundaries", regions.BoundariesHandler)
	api.GET("/stats/coverage", h.coverage)
	api.GET("/stats/residents", h.residents)
	api.GET("/stats/history", h.history)
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

// levelOf is the level whose codes have n characters.
var levelOf = map[int]string{0: "", 5: "kota", 8: "kecamatan", 13: "kelurahan"}

// Crumb is one step of the breadcrumbs, by name.
type Crumb struct{ Kode, Nama string }

// page drills down kota → kecamatan → kelurahan with ?parent=; ?level= shows a deeper level at
// once (all 267 kelurahan of Jakarta with level=kelurahan). A user bound to an area starts in it.
func (h *Handler) page(c *gin.Context) {
	ctx := c.Request.Context()
	u := auth.Current(c)
	parent, level := c.Query("parent"), c.Query("level")
	if _, ok := c.GetQuery("parent"); !ok && level == "" && u.Area != "" {
		parent = u.Area
	}
	parentLevel, ok := levelOf[len(parent)]
	if !ok || parentLevel == "kelurahan" {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	if level == "" {
		level = map[string]string{"": "kota", "kota": "kecamatan", "kecamatan": "kelurahan"}[parentLevel]
	}
	if n, ok := levelLength[level]; !ok || n <= len(parent) {
		web.Error(c, apperr.Fields(map[string]string{"level": "dashboard.level_invalid"}))
		return
	}
	areas, err := h.Store.Coverage(ctx, u, level, parent)
	if err != nil {
		web.Error(c, err)
		return
	}
	residents, err := h.Store.Residents(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	hist, err := h.Store.History(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	crumbs, err := h.Store.crumbs(ctx, parent)
	if err != nil {
		web.Error(c, err)
		return
	}
	var total Area
	for _, a := range areas {
		total.Employers += a.Employers
		total.FlaggedEmployers += a.FlaggedEmployers
		total.UnenrolledWorkers += a.UnenrolledWorkers
		total.ShortfallRp += a.ShortfallRp
		total.OpenCases += a.OpenCases
		total.OverdueFollowUps += a.OverdueFollowUps
		total.RecoveredWorkers += a.RecoveredWorkers
	}
	statuses, workload, months, err := h.Store.Casework(ctx, u)
	if err != nil {
		web.Error(c, err)
		return
	}
	lang := web.Localizer(c).Lang
	for i := range months {
		months[i].Label = MonthLabel(months[i].Month, lang)
	}
	// Where the figures of the page lead: the area shown, else the user's own.
	scope := parent
	if scope == "" {
		scope = u.Area
	}
	// "Data per": the latest snapshot the figures come from.
	var dataPer *time.Time
	if n := len(hist.Items); n > 0 {
		dataPer = &hist.Items[n-1].At
	} else if residents.ComputedAt != nil {
		dataPer = residents.ComputedAt
	}
	drill := level != "kelurahan"
	web.HTML(c, http.StatusOK, "dashboard/index", gin.H{"Areas": areas, "Level": level, "Parent": parent, "Crumbs": crumbs,
		"Statuses": statuses, "Workload": workload, "Months": months, "Scope": scope, "DataPer": dataPer,
		"Total": total, "Residents": residents, "ResidentPercent": int(residents.Share * 100), "Drill": drill,
		"ResidentShare": residents.SharePercent(lang), "Year": h.Store.Now().In(wib.Zone).Year(),
		"History": hist, "Trend": trendData(hist, lang, web.Localizer(c).T), "Sentence": PaceSentence(hist, lang, web.Localizer(c).T),
		"Map": mapData(areas, level, parent, drill, h.MapTiles), "Attribution": regions.Attribution,
		"Levels": deeperLevels(parent), "Measures": Measures, "MayReport": u.MaySeeAll()})
}

// deeperLevels are the levels the page may show below parent.
func deeperLevels(parent string) []string {
	out := []string{}
	for _, l := range []string{"kota", "kecamatan", "kelurahan"} {
		if levelLength[l] > len(parent) {
			out = append(out, l)
		}
	}
	return out
}

// crumbs names the regions above and at parent: "DKI Jakarta › Jakarta Timur › Pasar Rebo".
func (s *Store) crumbs(ctx context.Context, parent string) ([]Crumb, error) {
	if parent == "" {
		return nil, nil
	}
	var out []Crumb
	err := s.db.SelectContext(ctx, &out, `SELECT kode, nama FROM regions WHERE kode = ANY ($1) ORDER BY length(kode)`,
		pq.Array([]string{parent[:min(5, len(parent))], parent}))
	if err != nil {
		return nil, fmt.Errorf("dashboard: crumbs: %w", err)
	}
	if len(out) == 0 {
		return nil, apperr.New(apperr.NotFound, "error.not_found")
	}
	return out, nil
}

// MonthLabel writes 2026-12 as Desember 2026 (December 2026 in English).
func MonthLabel(month, lang string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	d := web.FormatDate(t, lang) // 1 Desember 2026
	_, rest, _ := strings.Cut(d, " ")
	return rest
}

// StatusCount is how many cases of the area are in a state, and for how long on average.
type StatusCount struct {
	Status  string  `db:"status"`
	Cases   int     `db:"cases"`
	AgeDays float64 `db:"age_days"`
}

// Workload is one inspector's open work and what they finished in the last 30 days.
type Workload struct {
	Inspector   string `db:"inspector"` // username, for the case list's assignee filter
	Name        string `db:"name"`
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
	Label       string `db:"-"`
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
	// Every active inspector of the area, idle ones too (a supervisor sees who can take the
	// next case), and anyone else holding cases of the area.
	if err = s.db.SelectContext(ctx, &workload, `WITH work AS (
		SELECT c.assignee_id,
		count(*) FILTER (WHERE c.status <> 'closed') AS open,
		count(*) FILTER (WHERE c.status <> 'closed' AND EXISTS (SELECT 1 FROM follow_ups f WHERE f.case_id = c.id
		    AND f.status = 'open' AND f.due_on < ($2::timestamptz AT TIME ZONE 'Asia/Jakarta')::date)) AS overdue,
		count(*) FILTER (WHERE c.closed_at > $2::timestamptz - interval '30 days') AS closed_30,
		coalesce(sum(c.recovered_workers) FILTER (WHERE c.closed_at > $2::timestamptz - interval '30 days'), 0) AS recovered_30
		FROM cases c JOIN employers e ON e.id = c.employer_id
		WHERE c.assignee_id IS NOT NULL AND `+auth.EmployerInArea("$1")+` GROUP BY c.assignee_id)
		SELECT u.username AS inspector, u.name, coalesce(w.open, 0) AS open, coalesce(w.overdue, 0) AS overdue,
		       coalesce(w.closed_30, 0) AS closed_30, coalesce(w.recovered_30, 0) AS recovered_30
		FROM users u LEFT JOIN work w ON w.assignee_id = u.id
		WHERE w.assignee_id IS NOT NULL
		   OR (u.role = 'inspector' AND u.active AND (u.area_kode LIKE $1 OR $1 = '%' OR $1 LIKE u.area_kode || '%'))
		ORDER BY open DESC, u.name, u.username`, area, today); err != nil {
		return
	}
	err = s.db.SelectContext(ctx, &months, `SELECT to_char(c.closed_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM') AS month,
		count(*) AS closed, sum(c.recovered_workers) AS recovered,
		coalesce(sum(greatest(0, (SELECT coalesce(sum((f->>'shortfall_rp')::bigint), 0) FROM jsonb_array_elements(c.flags_at_open) f)
			- coalesce((SELECT st.shortfall_rp FROM employer_status st WHERE st.employer_id = c.employer_id), 0))), 0) AS recovered_rp
		FROM cases c JOIN employers e ON e.id = c.employer_id
		WHERE c.status = 'closed' AND `+auth.EmployerInArea("$1")+`
		GROUP BY 1 ORDER BY 1 DESC LIMIT 12`, area)
	return
}
