package webhooks

import (
	"math/rand/v2"
	"time"
)

// DefaultSchedule is the upper bound of the wait before each retry; the last entry repeats.
var DefaultSchedule = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}

// DefaultGiveUpAfter is how long a delivery is retried at least.
const DefaultGiveUpAfter = 72 * time.Hour

// Policy says when a failed delivery is tried again: exponential backoff with full jitter, for at
// least GiveUpAfter after the delivery was queued.
type Policy struct {
	Schedule    []time.Duration                   // the n-th retry waits up to Schedule[n-1]; the last entry repeats
	GiveUpAfter time.Duration                     // no retry is scheduled once this long has passed since queueing
	Jitter      func(time.Duration) time.Duration // the wait for a bound; default uniform in [0, bound)
}

// Next returns when to try again after the failed-th failed attempt at now of a delivery queued at
// queued, or false when it is time to give up.
func (p Policy) Next(failed int, queued, now time.Time) (time.Time, bool) {
	schedule, giveUp := p.Schedule, p.GiveUpAfter
	if len(schedule) == 0 {
		schedule = DefaultSchedule
	}
	if giveUp == 0 {
		giveUp = DefaultGiveUpAfter
	}
	if now.Sub(queued) >= giveUp {
		return time.Time{}, false
	}
	bound := schedule[min(max(failed, 1), len(schedule))-1]
	jitter := p.Jitter
	if jitter == nil {
		jitter = fullJitter
	}
	return now.Add(jitter(bound)), true
}

func fullJitter(bound time.Duration) time.Duration {
	if bound <= 0 {
		return 0
	}
	return rand.N(bound)
}
