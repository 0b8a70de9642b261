package casework

import (
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDueDate(t *testing.T) {
	// Idul Fitri 1446 H: 31 Mar and 1 Apr 2025 are holidays, 2-4 and 7 Apr cuti bersama; 28 Mar
	// is cuti bersama for Nyepi.
	holidays := map[string]bool{"2025-03-28": true, "2025-03-31": true, "2025-04-01": true, "2025-04-02": true,
		"2025-04-03": true, "2025-04-04": true, "2025-04-07": true}
	cases := []struct {
		issued  string
		days    int
		working bool
		want    string
	}{
		{"2025-02-13", 10, true, "2025-02-27"}, // Thursday + 10 working days, two weekends
		{"2025-02-14", 1, true, "2025-02-17"},  // Friday + 1 working day = Monday
		{"2025-02-15", 1, true, "2025-02-17"},  // issued on a Saturday
		{"2025-03-27", 3, true, "2025-04-10"},  // across Lebaran: 8, 9 and 10 Apr
		{"2025-03-27", 14, false, "2025-04-10"},
		{"2025-12-31", 7, false, "2026-01-07"},
		{"2025-02-13", 0, true, "2025-02-13"},
	}
	for _, c := range cases {
		got := DueDate(day(c.issued), c.days, c.working, holidays).Format("2006-01-02")
		if got != c.want {
			t.Errorf("DueDate(%s, %d, working=%v) = %s, want %s", c.issued, c.days, c.working, got, c.want)
		}
	}
}
