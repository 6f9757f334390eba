// Package poll runs the services' poll loops: work done now, then again after a wait, or at once when
// something wakes the loop (a NOTIFY, a freed slot, a changed profile).
package poll

import (
	"context"
	"sync"
	"time"
)

// Waker wakes a poll loop before its wait is over. Wakes while the loop is busy count as one, and
// Wake never blocks. The zero value is ready; a nil *Waker is never woken. A Waker must not be
// copied after first use.
type Waker struct {
	once sync.Once
	ch   chan struct{}
}

func (w *Waker) c() chan struct{} {
	w.once.Do(func() { w.ch = make(chan struct{}, 1) })
	return w.ch
}

// Wake ends the loop's current wait, or the next one if it is busy.
func (w *Waker) Wake() {
	select {
	case w.c() <- struct{}{}:
	default:
	}
}

// Loop calls fn until ctx is done or fn fails, and returns fn's error (nil when ctx ended). After
// each call it waits what fn returned before calling again: 0 is at once, a negative wait lasts until
// the Waker wakes it; a wake ends any wait early.
func (w *Waker) Loop(ctx context.Context, fn func(context.Context) (wait time.Duration, err error)) error {
	var woken chan struct{} // nil: never
	if w != nil {
		woken = w.c()
	}
	for ctx.Err() == nil {
		wait, err := fn(ctx)
		if err != nil {
			return err
		}
		if wait == 0 {
			continue
		}
		var after <-chan time.Time // nil: only a wake ends the wait
		var t *time.Timer
		if wait > 0 {
			t = time.NewTimer(wait)
			after = t.C
		}
		select {
		case <-ctx.Done():
		case <-woken:
		case <-after:
		}
		if t != nil {
			t.Stop()
		}
	}
	return nil
}

// Run calls fn at once and then until ctx is done: again at once when fn reports that more is
// waiting, else after every or when woken, whichever comes first. It returns nil when ctx ends.
func (w *Waker) Run(ctx context.Context, every time.Duration, fn func(context.Context) (more bool)) error {
	return w.Loop(ctx, func(ctx context.Context) (time.Duration, error) {
		if fn(ctx) {
			return 0, nil
		}
		return every, nil
	})
}
