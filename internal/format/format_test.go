package format

import (
	"math"
	"testing"
	"time"
	"unicode/utf8"
)

func TestInt(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1.000", -1: "-1", -999: "-999",
		-1000: "-1.000", -100000: "-100.000", 5396761: "5.396.761", -5396761: "-5.396.761",
		math.MinInt64: "-9.223.372.036.854.775.808", math.MaxInt64: "9.223.372.036.854.775.807"} {
		if got := Int(n); got != want {
			t.Errorf("Int(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Rupiah(-250000); got != "Rp -250.000" {
		t.Errorf("Rupiah(-250000) = %q", got)
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("PT Maju", 60); got != "PT Maju" {
		t.Errorf("short text changed: %q", got)
	}
	// "é" is two bytes and "日" three: every cut point must fall between characters.
	s := "Koperasi Karyawan Sejahtera Abadi éé 日本 Cabang Jakarta Timur"
	for n := 3; n < len(s); n++ {
		got := Truncate(s, n)
		if !utf8.ValidString(got) || len(got) > n {
			t.Fatalf("Truncate(_, %d) = %q (%d bytes, valid %v)", n, got, len(got), utf8.ValidString(got))
		}
	}
}

// A moment is written as its day in Jakarta; a date (midnight UTC, as a date column reads) as itself.
func TestDateIsJakartasDay(t *testing.T) {
	for at, want := range map[time.Time]string{
		time.Date(2026, 12, 6, 22, 11, 0, 0, time.UTC): "7 Desember 2026", // 05:11 WIB
		time.Date(2026, 12, 6, 16, 59, 0, 0, time.UTC): "6 Desember 2026",
		time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC):   "6 Desember 2026",
	} {
		if got := Date(at, "id"); got != want {
			t.Errorf("Date(%s) = %q, want %q", at, got, want)
		}
	}
}
