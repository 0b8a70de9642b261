package web

import (
	"fmt"
	"time"

	"patuh/internal/format"
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
	return format.Int(n)
}

// FormatRupiah writes money as Rp 5.396.761.
func FormatRupiah(v any) string { return "Rp " + FormatNumber(v) }

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
	return format.Date(t, lang)
}
