package reference

import (
	"strconv"
	"strings"
	"time"
)

// The bounds of what an admin may enter. They refuse typing mistakes, not policy: no BPJS
// programme levies more than a few percent (docs/domain.md), rate_pct is numeric(6,4), and
// DKI Jakarta has about 11 million residents.
const (
	minYear          = 2000
	maxYear          = 2100
	maxRupiah        = 100_000_000 // a monthly UMP or JP wage cap above this is a slipped zero
	maxRatePct       = 50.0
	maxRuleDays      = 365
	maxOverdueDays   = 365
	maxArrearsMonths = 24
	maxTarget        = 11_000_000
)

// parseRupiah reads an amount as people type it: "5.729.876", "5729876", "Rp 5.729.876".
func parseRupiah(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "Rp"), "rp")
	s = strings.NewReplacer(".", "", " ", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parsePercent reads "5,7", "5.7" or "5,7%".
func parsePercent(s string) (float64, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func parseYear(s string) (int, bool) {
	y, err := strconv.Atoi(strings.TrimSpace(s))
	return y, err == nil && y >= minYear && y <= maxYear
}

func parseDay(s string) (time.Time, bool) {
	d, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	return d, err == nil && d.Year() >= minYear && d.Year() <= maxYear
}

func parseSmallInt(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= lo && n <= hi
}
