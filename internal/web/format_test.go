package web

import (
	"testing"
	"time"
)

func TestIndonesianFormats(t *testing.T) {
	if got := FormatRupiah(int64(5396761)); got != "Rp 5.396.761" {
		t.Errorf("FormatRupiah = %q", got)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1.000", -1234567: "-1.234.567", 3951828: "3.951.828"} {
		if got := FormatNumber(n); got != want {
			t.Errorf("FormatNumber(%d) = %q, want %q", n, got, want)
		}
	}
	d := time.Date(2025, 2, 13, 0, 0, 0, 0, time.UTC)
	if got := FormatDate(d, "id"); got != "13 Februari 2025" {
		t.Errorf("FormatDate id = %q", got)
	}
	if got := FormatDate("2025-02-13", "id"); got != "13 Februari 2025" {
		t.Errorf("FormatDate of a date string = %q", got)
	}
	if got := FormatDate(d, "en"); got != "13 February 2025" {
		t.Errorf("FormatDate en = %q", got)
	}
}

func TestLocalPathKeepsRedirectsOnSite(t *testing.T) {
	for in, want := range map[string]string{"/regions": "/regions", "": "/", "//evil.example": "/",
		"https://evil.example": "/", "/\\evil.example": "/"} {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}
