package web

import (
	"sync"
	"time"
)

// activity counts requests per second, so that background work (a large import) can tell
// whether people are using the application right now and give way to them.
var activity struct {
	sync.Mutex
	second     int64 // the Unix second being counted
	this, last int   // requests in that second and in the one before it
}

func noteRequest(now time.Time) {
	activity.Lock()
	defer activity.Unlock()
	sec := now.Unix()
	switch {
	case sec == activity.second:
	case sec == activity.second+1:
		activity.second, activity.last, activity.this = sec, activity.this, 0
	default:
		activity.second, activity.last, activity.this = sec, 0, 0
	}
	activity.this++
}

// RequestsPerSecond is how many requests arrived in the last full second.
func RequestsPerSecond(now time.Time) int {
	activity.Lock()
	defer activity.Unlock()
	switch now.Unix() {
	case activity.second:
		return activity.last
	case activity.second + 1:
		return activity.this
	}
	return 0
}
