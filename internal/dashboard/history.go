package dashboard

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"patuh/internal/web"
	"patuh/internal/wib"
)

// Snapshot is one participants snapshot as the dashboard saw it when it settled.
type Snapshot struct {
	ImportID           int64     `db:"import_id" json:"import_id"`
	At                 time.Time `db:"snapshot_at" json:"snapshot_at"`
	Residents          int64     `db:"residents" json:"residents"`
	Employers          int64     `db:"employers" json:"employers"`
	CompliantEmployers int64     `db:"compliant_employers" json:"compliant_employers"`
	FlaggedEmployers   int64     `db:"flagged_employers" json:"flagged_employers"`
	ReportedWorkers    int64     `db:"reported_workers" json:"reported_workers"`
	ActiveParticipants int64     `db:"active_participants" json:"active_participants"`
	UnenrolledWorkers  int64     `db:"unenrolled_workers" json:"unenrolled_workers"`
	ShortfallRp        int64     `db:"shortfall_rp" json:"shortfall_rp"`
	// Date is the snapshot's day in Jakarta (docs/api.md: "its date").
	Date string `db:"-" json:"date"`
	// Target is the resident target in force for the snapshot's year; Gap is it minus the
	// snapshot's residents, never below zero.
	Target int64 `db:"-" json:"target"`
	Gap    int64 `db:"-" json:"gap"`
}

// Projection is where the resident count ends the year at the pace of the last snapshots.
type Projection struct {
	On        string  `json:"on"`         // 31 December of the target year
	Residents int64   `json:"residents"`  // projected count on that day
	PerDay    float64 `json:"per_day"`    // the pace: participants gained per day
	ShortBy   int64   `json:"short_by"`   // target minus projection, 0 when reached
	Snapshots int     `json:"snapshots"`  // how many snapshots the pace is taken from
	FromDate  string  `json:"from_date"`  // the first of them
	Reached   bool    `json:"reached"`    // the projection meets the target
	Target    int64   `json:"target"`     // repeated for the sentence
	Latest    int64   `json:"latest"`     // the latest count
	LatestOn  string  `json:"latest_on"`  // its date
	Gap       int64   `json:"gap_now"`    // target minus the latest count
	TargetSet bool    `json:"target_set"` // false when no target is configured
}

// History is GET /api/v1/stats/history: the series of the target year and its projection.
type History struct {
	Year       int         `json:"year"`
	Target     int64       `json:"target"`
	TargetKey  string      `json:"target_setting"`
	Gap        int64       `json:"gap"`
	Items      []Snapshot  `json:"items"`
	Projection *Projection `json:"projection"`
}

// paceSnapshots is how many of the latest snapshots set the pace: enough to smooth one late
// file, few enough to follow a change of pace (about a quarter of monthly snapshots).
const paceSnapshots = 4

// Target reads the resident target of a year: the setting resident_target_<year>, else the
// latest earlier year's (the target stays until an admin sets the new one), else the earliest.
func (s *Store) Target(ctx context.Context, year int) (target int64, key string, err error) {
	var rows []struct {
		Key   string `db:"key"`
		Value string `db:"value"`
	}
	if err = s.db.SelectContext(ctx, &rows, `SELECT key, value FROM settings WHERE key ~ '^resident_target_[0-9]{4}$' ORDER BY key`); err != nil {
		return 0, "", fmt.Errorf("dashboard: target: %w", err)
	}
	for _, r := range rows {
		y, _ := strconv.Atoi(strings.TrimPrefix(r.Key, "resident_target_"))
		if y <= year || key == "" {
			n, perr := strconv.ParseInt(strings.TrimSpace(r.Value), 10, 64)
			if perr == nil {
				target, key = n, r.Key
			}
		}
		if y >= year && key != "" {
			break
		}
	}
	return target, key, nil
}

// History returns the snapshots of the current year (and the last one before it, for the pace
// across new year) against the year's target.
func (s *Store) History(ctx context.Context) (*History, error) {
	now := s.Now()
	h := &History{Year: now.In(wib.Zone).Year(), Items: []Snapshot{}}
	var err error
	if h.Target, h.TargetKey, err = s.Target(ctx, h.Year); err != nil {
		return nil, err
	}
	start := time.Date(h.Year, 1, 1, 0, 0, 0, 0, wib.Zone)
	if err := s.db.SelectContext(ctx, &h.Items, `SELECT * FROM snapshot_history
		WHERE snapshot_at >= coalesce((SELECT max(snapshot_at) FROM snapshot_history WHERE snapshot_at < $1), $1)
		ORDER BY snapshot_at, import_id`, start); err != nil {
		return nil, fmt.Errorf("dashboard: history: %w", err)
	}
	targets := map[int]int64{h.Year: h.Target}
	for i := range h.Items {
		it := &h.Items[i]
		local := it.At.In(wib.Zone)
		it.Date = local.Format("2006-01-02")
		target, ok := targets[local.Year()]
		if !ok {
			if target, _, err = s.Target(ctx, local.Year()); err != nil {
				return nil, err
			}
			targets[local.Year()] = target
		}
		it.Target, it.Gap = target, max(0, target-it.Residents)
	}
	if n := len(h.Items); n > 0 {
		h.Gap = max(0, h.Target-h.Items[n-1].Residents)
	} else {
		h.Gap = h.Target
	}
	h.Projection = Project(h.Items, h.Target, h.Year)
	return h, nil
}

// Project extends the pace of the last snapshots (a least-squares line through them, so one
// late or early file does not swing it) to 31 December. Snapshots of two days at least are
// needed.
func Project(items []Snapshot, target int64, year int) *Projection {
	// One point a day, the day's last snapshot: a file sent again within the hour (a
	// correction) would otherwise set a pace of thousands a day from minutes apart.
	var daily []Snapshot
	for _, it := range items {
		if n := len(daily); n > 0 && wib.Date(daily[n-1].At) == wib.Date(it.At) {
			daily[n-1] = it
			continue
		}
		daily = append(daily, it)
	}
	if len(daily) < 2 {
		return nil
	}
	last := daily[max(0, len(daily)-paceSnapshots):]
	t0 := last[0].At
	var sx, sy, sxx, sxy float64
	for _, it := range last {
		x := it.At.Sub(t0).Hours() / 24
		y := float64(it.Residents)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(last))
	den := n*sxx - sx*sx
	if den == 0 {
		return nil // every snapshot of the same moment: no pace
	}
	slope := (n*sxy - sx*sy) / den
	intercept := (sy - slope*sx) / n
	end := time.Date(year, 12, 31, 23, 59, 0, 0, wib.Zone)
	latest := items[len(items)-1]
	p := &Projection{On: fmt.Sprintf("%d-12-31", year), PerDay: math.Round(slope*10) / 10, Snapshots: len(last),
		FromDate: wib.Date(t0), Target: target, Latest: latest.Residents,
		LatestOn: wib.Date(latest.At), TargetSet: target > 0}
	p.Residents = int64(math.Round(intercept + slope*end.Sub(t0).Hours()/24))
	p.ShortBy = max(0, target-p.Residents)
	p.Reached = target > 0 && p.ShortBy == 0
	p.Gap = max(0, target-latest.Residents)
	return p
}

// Millions writes 2.71 M the Indonesian way (2,71 jt) or the English (2.71 M).
func Millions(n int64, lang string) string {
	if n < 1_000_000 && n > -1_000_000 {
		return web.FormatNumber(n)
	}
	s := strconv.FormatFloat(float64(n)/1e6, 'f', 2, 64)
	if lang == "en" {
		return s + " M"
	}
	return strings.Replace(s, ".", ",", 1) + " jt"
}

func (h *Handler) history(c *gin.Context) {
	hist, err := h.Store.History(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, hist)
}
