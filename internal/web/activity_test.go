package web

import (
	"testing"
	"time"
)

func TestRequestsPerSecond(t *testing.T) {
	var a Activity
	t0 := time.Unix(1_800_000_000, 0)
	for i := range 7 {
		a.Note(t0.Add(time.Duration(i) * 100 * time.Millisecond))
	}
	if got := a.RequestsPerSecond(t0.Add(500 * time.Millisecond)); got != 0 {
		t.Errorf("within the first second: %d, want 0 (no full second yet)", got)
	}
	a.Note(t0.Add(1200 * time.Millisecond))
	if got := a.RequestsPerSecond(t0.Add(1500 * time.Millisecond)); got != 7 {
		t.Errorf("in the next second: %d, want the 7 of the one before", got)
	}
	if got := a.RequestsPerSecond(t0.Add(2100 * time.Millisecond)); got != 1 {
		t.Errorf("a second later: %d, want 1", got)
	}
	if got := a.RequestsPerSecond(t0.Add(5 * time.Second)); got != 0 {
		t.Errorf("after a quiet spell: %d, want 0", got)
	}
}
