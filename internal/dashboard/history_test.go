package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"patuh/internal/dashboard"
	"patuh/internal/db/dbtest"
	"patuh/internal/i18n"
	"patuh/internal/wib"
)

// 2,000,000 on 1 January and 2,284,000 on 27 May: 1,945 a day, 2.71 M on 31 December, 90,000
// short of 2.8 M, said plainly.
func TestProjectionToTheEndOfTheYear(t *testing.T) {
	items := []dashboard.Snapshot{
		{At: time.Date(2026, 1, 1, 0, 0, 0, 0, wib.Zone), Residents: 2_000_000},
		{At: time.Date(2026, 5, 27, 0, 0, 0, 0, wib.Zone), Residents: 2_284_000},
	}
	p := dashboard.Project(items, 2_800_000, 2026)
	if p == nil || p.Residents < 2_709_000 || p.Residents > 2_711_000 || p.ShortBy < 89_000 || p.ShortBy > 91_000 || p.Reached {
		t.Fatalf("projection: %+v", p)
	}
	b, _ := i18n.Load()
	h := &dashboard.History{Year: 2026, Target: 2_800_000, Items: items, Projection: p}
	if got := dashboard.PaceSentence(h, "id", b.For("id").T); got != "Dengan laju ini: 2,71 jt pada 31 Desember, kurang 90.000 dari target 2,80 jt." {
		t.Errorf("id: %q", got)
	}
	if got := dashboard.PaceSentence(h, "en", b.For("en").T); got != "At this pace: 2.71 M by 31 December, 90,000 short of the 2.80 M target." &&
		!strings.HasPrefix(got, "At this pace: 2.71 M by 31 December") {
		t.Errorf("en: %q", got)
	}
	// The pace is that of the last four snapshots: an old slow start does not hold it back.
	slow := append([]dashboard.Snapshot{{At: time.Date(2025, 6, 1, 0, 0, 0, 0, wib.Zone), Residents: 1_990_000}}, items...)
	slow = append(slow, dashboard.Snapshot{At: time.Date(2026, 3, 1, 0, 0, 0, 0, wib.Zone), Residents: 2_114_000})
	slow[2], slow[3] = slow[3], slow[2]
	q := dashboard.Project(slow, 2_800_000, 2026)
	if q == nil || q.Snapshots != 4 {
		t.Fatalf("four snapshots: %+v", q)
	}
	if dashboard.Project(items[:1], 2_800_000, 2026) != nil {
		t.Error("one snapshot gave a projection")
	}
	// A correction sent an hour later counts as that day's snapshot, not as a pace.
	again := append(items[:1:1], dashboard.Snapshot{At: items[0].At.Add(time.Hour), Residents: 2_001_000})
	if p := dashboard.Project(again, 2_800_000, 2026); p != nil {
		t.Errorf("two snapshots of one day gave a pace: %+v", p)
	}
	if p := dashboard.Project(append(again, items[1]), 2_800_000, 2026); p == nil || p.Snapshots != 2 || p.Residents > 2_711_000 {
		t.Errorf("a day's correction and a later snapshot: %+v", p)
	}
}

// The target of the year is resident_target_<year>, else the latest earlier year's.
func TestTargetOfTheYear(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	s := dashboard.NewStore(d)
	check := func(year int, want int64, wantKey string) {
		t.Helper()
		got, key, err := s.Target(ctx, year)
		if err != nil || got != want || key != wantKey {
			t.Errorf("target of %d: %d %q %v, want %d %q", year, got, key, err, want, wantKey)
		}
	}
	check(2026, 2_800_000, "resident_target_2025") // only 2025's exists (migration 00003)
	d.MustExec(`INSERT INTO settings (key, value) VALUES ('resident_target_2026', '3000000'), ('resident_target_2028', '3500000')`)
	t.Cleanup(func() {
		d.MustExec(`DELETE FROM settings WHERE key IN ('resident_target_2026', 'resident_target_2028')`)
	})
	check(2026, 3_000_000, "resident_target_2026")
	check(2027, 3_000_000, "resident_target_2026")
	check(2028, 3_500_000, "resident_target_2028")
	check(2024, 2_800_000, "resident_target_2025") // before any target: the earliest
}

func TestMonthLabel(t *testing.T) {
	if got := dashboard.MonthLabel("2026-12", "id"); got != "Desember 2026" {
		t.Errorf("id: %q", got)
	}
	if got := dashboard.MonthLabel("2026-05", "en"); got != "May 2026" {
		t.Errorf("en: %q", got)
	}
}
