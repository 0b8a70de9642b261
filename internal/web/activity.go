package web

import (
	"sync"
	"time"
)

// Activity counts requests per second, so that background work (a large import) can tell
// whether people are using the application right now and give way to them. The engine counts
// into the one in its Deps; the application hands the same one to its importer.
type Activity struct {
	mu         sync.Mutex
	second     int64 // the Unix second being counted
	this, last int   // requests in that second and in the one before it
}

// Note counts a request that arrived at now.
func (a *Activity) Note(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sec := now.Unix()
	switch {
	case sec == a.second:
	case sec == a.second+1:
		a.second, a.last, a.this = sec, a.this, 0
	default:
		a.second, a.last, a.this = sec, 0, 0
	}
	a.this++
}

// RequestsPerSecond is how many requests arrived in the last full second.
func (a *Activity) RequestsPerSecond(now time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch now.Unix() {
	case a.second:
		return a.last
	case a.second + 1:
		return a.this
	}
	return 0
}
