package web

import (
	"fmt"
	"strconv"
	"time"
)

// FormatNumber writes an integer the Indonesian way: 3.951.828.
func FormatNumber(v any) string {
	var n int64
	switch x := v.(type) {
	case *int:
		if x == nil {
			return ""
		}
		n = int64(*x)
	case *int64:
		if x == nil {
			return ""
		}
		n = *x
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	default:
		return fmt.Sprint(v)
	}
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// FormatRupiah writes money as Rp 5.396.761.
func FormatRupiah(v any) string { return "Rp " + FormatNumber(v) }

var monthNames = map[string][12]string{
	"id": {"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// FormatDate writes a date as 13 Februari 2025 (or 13 February 2025 in English).
func FormatDate(v any, lang string) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	case string: // a date column read as text: 2006-01-02
		parsed, err := time.Parse("2006-01-02", x)
		if err != nil {
			return x
		}
		t = parsed
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames["id"]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), names[t.Month()-1], t.Year())
}
