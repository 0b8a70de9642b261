package wib_test

import (
	"testing"
	"time"

	"patuh/internal/wib"
)

// 17:30 UTC on 30 November is 00:30 on 1 December in Jakarta: the day and the month are Jakarta's.
func TestJakartasDayAndMonth(t *testing.T) {
	at := time.Date(2026, 11, 30, 17, 30, 0, 0, time.UTC)
	if got := wib.Date(at); got != "2026-12-01" {
		t.Errorf("Date: %s, want 2026-12-01", got)
	}
	if got := wib.MonthStart(at); !got.Equal(time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("MonthStart: %s, want midnight 1 December WIB", got)
	}
}
