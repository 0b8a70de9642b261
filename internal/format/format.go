// Package format writes numbers, money and text for people, the Indonesian way, in one place
// for the pages (package web) and the letters (package letters).
package format

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"patuh/internal/wib"
)

// Int writes an integer with dots between thousands: 3.951.828, -1.000.
func Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	out := make([]byte, 0, len(sign)+len(s)+len(s)/3)
	out = append(out, sign...)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Rupiah writes money as Rp 5.396.761 (a negative amount as Rp -5.396.761).
func Rupiah(n int64) string { return "Rp " + Int(n) }

// Truncate shortens s to at most n bytes, the last of them an ellipsis, never cutting inside a
// UTF-8 character (a cut one would print as garbage in a letter or a CSV cell).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

var monthNames = map[string][12]string{
	"id": {"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// Date writes a date as 13 Februari 2025 (or 13 February 2025 in English; any other language
// gets Bahasa Indonesia). A moment is written as its day in Jakarta: a case opened at 05:00 WIB
// was opened that day, whatever zone the server or the database session runs in. A date
// (midnight UTC, as a date column reads) stays the same day.
func Date(t time.Time, lang string) string {
	t = t.In(wib.Zone)
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames["id"]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), names[t.Month()-1], t.Year())
}
