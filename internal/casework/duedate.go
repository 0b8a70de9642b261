// Package casework follows an employer from a flag or a complaint to a decision: cases, their
// assignment, visits, the follow-ups of the enforcement ladder, and closure.
package casework

import "time"

// DueDate is the last day to comply with a follow-up issued on issued: days calendar days
// later, or, for working days, the days-th day after issued that is neither a Saturday, a
// Sunday nor in holidays (national holidays and cuti bersama, keyed YYYY-MM-DD). The day of
// issue itself is not counted.
func DueDate(issued time.Time, days int, working bool, holidays map[string]bool) time.Time {
	d := time.Date(issued.Year(), issued.Month(), issued.Day(), 0, 0, 0, 0, time.UTC)
	if !working {
		return d.AddDate(0, 0, days)
	}
	for counted := 0; counted < days; {
		d = d.AddDate(0, 0, 1)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || holidays[d.Format("2006-01-02")] {
			continue
		}
		counted++
	}
	return d
}
