package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"livslang.dk/pkg/fault"
)

// Shed lets at most inFlight requests run at once and at most maxWaiting wait for one of them. A
// request that cannot start within wait, or that finds the queue full, is answered 429 with
// Retry-After instead of queueing until it times out: under a burst far beyond capacity the excess
// hears at once (not after the wait) and holds no connection, goroutine or buffer meanwhile.
func Shed(inFlight, maxWaiting int, wait time.Duration, next http.Handler) http.Handler {
	return &shedder{slots: make(chan struct{}, inFlight), maxWaiting: int64(maxWaiting), wait: wait, next: next}
}

type shedder struct {
	slots      chan struct{}
	queued     atomic.Int64 // requests waiting for a slot
	maxWaiting int64
	wait       time.Duration
	next       http.Handler
}

func (s *shedder) waiting() int64 { return s.queued.Load() }

func (s *shedder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case s.slots <- struct{}{}: // a free slot: no wait
		defer func() { <-s.slots }()
		s.next.ServeHTTP(w, r)
		return
	default:
	}
	if s.queued.Add(1) > s.maxWaiting {
		s.queued.Add(-1)
		s.busy(w, r)
		return
	}
	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	select {
	case s.slots <- struct{}{}:
		s.queued.Add(-1)
		defer func() { <-s.slots }()
		s.next.ServeHTTP(w, r)
	case <-timer.C:
		s.queued.Add(-1)
		s.busy(w, r)
	case <-r.Context().Done(): // the client has gone
		s.queued.Add(-1)
	}
}

func (s *shedder) busy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	WriteProblem(w, r, fault.New(fault.TooMany, "the service is busy; try again in a second"))
}

// Limiter is a token bucket per key (a citizen, a client address).
type Limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

// NewLimiter allows perSecond requests per key on average, with bursts of burst.
func NewLimiter(perSecond float64, burst int) *Limiter {
	return &Limiter{every: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// Allow reports whether key may make a request now and, if not, how long until it may.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > time.Minute { // forget idle keys
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{l: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.l.ReserveN(now, 1)
	if !r.OK() { // a burst of 0
		return false, time.Second
	}
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return false, wait
	}
	return true, 0
}

// Limit answers 429 with Retry-After (whole seconds until the bucket has a token) when key(r)'s
// bucket is empty.
func (l *Limiter) Limit(key func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.Allow(key(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			WriteProblem(w, r, fault.New(fault.TooMany, "slow down"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
