// Package wib is the office's calendar. Patuh's days are Jakarta's days (WIB, UTC+7, no daylight
// saving since 1964) whatever zone the server runs in: a case opened at 06:00 WIB was opened that
// day, a follow-up due today is overdue tomorrow at midnight in Jakarta, not at 07:00, and a
// snapshot taken at 23:30 UTC counts for the next day (docs/domain.md counts deadlines in days).
// SQL reads a timestamptz's day or month the same way, with AT TIME ZONE 'Asia/Jakarta':
// database sessions keep the server's zone.
package wib

import "time"

// Zone is Jakarta's time. A fixed offset, so that a server without tzdata agrees with one that has it.
var Zone = time.FixedZone("WIB", 7*3600)

// Date is t's day in Jakarta, as the ISO date that forms and PostgreSQL's date columns use.
func Date(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// MonthStart is midnight in Jakarta on the first day of t's month there.
func MonthStart(t time.Time) time.Time {
	t = t.In(Zone)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, Zone)
}
