package dashboard

import (
	"strings"
	"time"

	"patuh/internal/regions"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// Measures are what the map can shade by, in the order of its selector.
var Measures = []string{"unenrolled", "shortfall", "flagged_share", "open_cases", "overdue"}

// MapArea is one area's figures for the map script, with where a click leads.
type MapArea struct {
	Kode   string           `json:"kode"`
	Nama   string           `json:"nama"`
	Href   string           `json:"href"`
	Values map[string]int64 `json:"values"`
	// Shown are the values as the legend and tooltip write them (Rupiah, per mille as %).
	Shown map[string]string `json:"shown"`
}

// MapData is the map's JSON block: the areas, the outlines to fetch, the tile URL if any.
type MapData struct {
	Level       string    `json:"level"`
	Parent      string    `json:"parent"`
	Boundaries  string    `json:"boundaries"`
	Tiles       string    `json:"tiles,omitempty"`
	Attribution string    `json:"attribution"`
	Inset       string    `json:"inset"` // the kode drawn in its own small map (Kepulauan Seribu)
	Areas       []MapArea `json:"areas"`
}

func mapData(areas []Area, level, parent string, drill bool, tiles string) MapData {
	d := MapData{Level: level, Parent: parent, Boundaries: "/dashboard/boundaries?level=" + level + "&parent=" + parent,
		Tiles: tiles, Attribution: regions.Attribution, Inset: regions.KepulauanSeribu, Areas: make([]MapArea, 0, len(areas))}
	for _, a := range areas {
		href := "/employers?area=" + a.Kode
		if drill {
			href = "/dashboard?parent=" + a.Kode
		}
		share := int64(0) // per mille, so that the values stay integers
		if a.Employers > 0 {
			share = (a.FlaggedEmployers*1000 + a.Employers/2) / a.Employers
		}
		d.Areas = append(d.Areas, MapArea{Kode: a.Kode, Nama: a.Nama, Href: href,
			Values: map[string]int64{"unenrolled": a.UnenrolledWorkers, "shortfall": a.ShortfallRp, "flagged_share": share,
				"open_cases": int64(a.OpenCases), "overdue": int64(a.OverdueFollowUps)},
			Shown: map[string]string{"unenrolled": web.FormatNumber(a.UnenrolledWorkers), "shortfall": web.FormatRupiah(a.ShortfallRp),
				"flagged_share": permille(share), "open_cases": web.FormatNumber(a.OpenCases), "overdue": web.FormatNumber(a.OverdueFollowUps)}})
	}
	return d
}

// permille writes 123 ‰ as 12,3%.
func permille(n int64) string {
	return web.FormatNumber(n/10) + "," + string(rune('0'+n%10)) + "%"
}

// TrendPoint is a point of the trend chart: x is the day of the year (1 January = 0).
type TrendPoint struct {
	X     float64 `json:"x"`
	Y     int64   `json:"y"`
	Label string  `json:"label"`
}

// Trend is the trend chart's JSON block.
type Trend struct {
	Year       int          `json:"year"`
	Target     int64        `json:"target"`
	Points     []TrendPoint `json:"points"`
	Projection []TrendPoint `json:"projection"`
	Months     []string     `json:"months"` // short month names for the axis
	MonthDays  []float64    `json:"month_days"`
	Labels     struct {
		Residents, Target, Projection string
	} `json:"labels"`
}

func dayOfYear(t time.Time, year int) float64 {
	return t.Sub(time.Date(year, 1, 1, 0, 0, 0, 0, wib.Zone)).Hours() / 24
}

func trendData(h *History, lang string, t func(string, ...any) string) Trend {
	tr := Trend{Year: h.Year, Target: h.Target, Points: []TrendPoint{}, Projection: []TrendPoint{}}
	tr.Labels.Residents, tr.Labels.Target, tr.Labels.Projection = t("dashboard.trend_residents"), t("dashboard.trend_target"), t("dashboard.trend_projection")
	for m := 1; m <= 12; m++ {
		first := time.Date(h.Year, time.Month(m), 1, 0, 0, 0, 0, wib.Zone)
		tr.MonthDays = append(tr.MonthDays, dayOfYear(first, h.Year))
		name := web.FormatDate(first, lang) // 1 Januari 2026
		tr.Months = append(tr.Months, shortMonth(name))
	}
	for _, it := range h.Items {
		tr.Points = append(tr.Points, TrendPoint{X: dayOfYear(it.At, h.Year), Y: it.Residents, Label: web.FormatDate(it.At, lang)})
	}
	if p := h.Projection; p != nil && len(h.Items) > 0 {
		last := h.Items[len(h.Items)-1]
		end := time.Date(h.Year, 12, 31, 0, 0, 0, 0, wib.Zone)
		tr.Projection = []TrendPoint{{X: dayOfYear(last.At, h.Year), Y: last.Residents, Label: web.FormatDate(last.At, lang)},
			{X: dayOfYear(end, h.Year), Y: p.Residents, Label: web.FormatDate(end, lang)}}
	}
	return tr
}

// shortMonth takes "1 Januari 2026" to "Jan".
func shortMonth(date string) string {
	f := strings.Fields(date)
	if len(f) < 2 {
		return date
	}
	return f[1][:min(3, len(f[1]))]
}

// PaceSentence says plainly where the pace leads: "Dengan laju ini: 2,71 jt pada 31 Desember,
// kurang 90.000 dari target."
func PaceSentence(h *History, lang string, t func(string, ...any) string) string {
	p := h.Projection
	switch {
	case h.Target == 0:
		return t("dashboard.pace_no_target", "Year", h.Year)
	case p == nil:
		return t("dashboard.pace_none")
	case p.Reached:
		return t("dashboard.pace_reached", "Projected", Millions(p.Residents, lang), "Target", Millions(h.Target, lang))
	}
	return t("dashboard.pace", "Projected", Millions(p.Residents, lang), "Short", web.FormatNumber(roundTo(p.ShortBy, 1000)),
		"Target", Millions(h.Target, lang))
}

// roundTo rounds a projected shortfall to the thousand: the projection is no more precise.
func roundTo(n, unit int64) int64 {
	if n < unit {
		return n
	}
	return (n + unit/2) / unit * unit
}
