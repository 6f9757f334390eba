// Package feedwatch wakes an instance's long polls of institution feeds when a feed grows. One
// query for all of them, of the feeds' heads, every Every while any poll waits (none when nothing
// waits), instead of each poll reading its feed again every 200 ms; and each caller may have only
// PerCaller polls waiting at once.
//
// Why a query of the heads rather than LISTEN/NOTIFY: a NOTIFY makes every enrolment's commit take
// PostgreSQL's cluster-wide notification lock, which serialises the commits of the whole cluster;
// the head query costs one index scan per tick, whatever the number of polls and writes.
package feedwatch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// ErrTooMany is a caller that already has PerCaller polls waiting on this instance.
var ErrTooMany = errors.New("too many feed polls waiting")

// Watcher holds the waiting polls of one instance. Run must be running for Wait to return before
// its context ends.
type Watcher struct {
	// Heads returns the last sequence number of each of the institutions' feeds (an institution
	// without a feed yet may be left out).
	Heads     func(ctx context.Context, institutions []uuid.UUID) (map[uuid.UUID]int64, error)
	Log       *zap.Logger
	Every     time.Duration // default 200 ms
	PerCaller int           // default 4

	mu      sync.Mutex
	waiting map[uuid.UUID]map[*waiter]struct{}
	callers map[string]int
	kick    chan struct{}
	once    sync.Once
}

type waiter struct {
	after int64
	woken chan struct{}
}

func (w *Watcher) init() {
	w.once.Do(func() {
		if w.Every <= 0 {
			w.Every = 200 * time.Millisecond
		}
		if w.PerCaller <= 0 {
			w.PerCaller = 4
		}
		w.waiting = map[uuid.UUID]map[*waiter]struct{}{}
		w.callers = map[string]int{}
		w.kick = make(chan struct{}, 1)
	})
}

// Wait returns when the institution's feed has a record after the sequence number after (nil), or
// ctx ends (ctx's error); ErrTooMany at once when caller has PerCaller polls waiting already.
func (w *Watcher) Wait(ctx context.Context, caller string, institution uuid.UUID, after int64) error {
	w.init()
	wt := &waiter{after: after, woken: make(chan struct{})}
	w.mu.Lock()
	if w.callers[caller] >= w.PerCaller {
		w.mu.Unlock()
		return ErrTooMany
	}
	w.callers[caller]++
	if w.waiting[institution] == nil {
		w.waiting[institution] = map[*waiter]struct{}{}
	}
	w.waiting[institution][wt] = struct{}{}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.callers[caller]--; w.callers[caller] == 0 {
			delete(w.callers, caller)
		}
		if ws := w.waiting[institution]; ws != nil {
			delete(ws, wt)
			if len(ws) == 0 {
				delete(w.waiting, institution)
			}
		}
	}()
	select {
	case <-wt.woken:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Waiting is how many polls wait now.
func (w *Watcher) Waiting() int {
	w.init()
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ws := range w.waiting {
		n += len(ws)
	}
	return n
}

// Run reads the heads of the feeds polls wait for, every Every while any waits, and wakes those
// whose feed has grown past their cursor. It returns when ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	w.init()
	for {
		w.mu.Lock()
		institutions := make([]uuid.UUID, 0, len(w.waiting))
		for id := range w.waiting {
			institutions = append(institutions, id)
		}
		w.mu.Unlock()
		if len(institutions) == 0 {
			select { // nothing waits: no query until a poll comes
			case <-ctx.Done():
				return nil
			case <-w.kick:
				continue
			}
		}
		heads, err := w.Heads(ctx, institutions)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("reading the feeds' heads failed; waiting polls wake when it works again", zap.Error(err))
		}
		w.mu.Lock()
		for id, head := range heads {
			for wt := range w.waiting[id] {
				if head > wt.after {
					close(wt.woken)
					delete(w.waiting[id], wt)
				}
			}
			if len(w.waiting[id]) == 0 {
				delete(w.waiting, id)
			}
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.Every):
		}
	}
}
