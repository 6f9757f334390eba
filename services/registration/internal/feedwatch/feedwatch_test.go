package feedwatch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// heads is a set of feed heads that a test moves; it counts the reads.
type heads struct {
	mu    sync.Mutex
	seq   map[uuid.UUID]int64
	reads atomic.Int64
}

func (h *heads) read(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	h.reads.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[uuid.UUID]int64{}
	for _, id := range ids {
		if s, ok := h.seq[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

func (h *heads) set(id uuid.UUID, seq int64) {
	h.mu.Lock()
	h.seq[id] = seq
	h.mu.Unlock()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Fifty polls of two feeds cost one read of the heads per tick, none while nothing waits; a poll
// wakes when its own feed grows past its cursor, and only then.
func TestOneReadPerTickWakesThePollsOfTheFeedThatGrew(t *testing.T) {
	t.Parallel()
	h := &heads{seq: map[uuid.UUID]int64{}}
	w := &Watcher{Heads: h.read, Log: zap.NewNop(), Every: 20 * time.Millisecond, PerCaller: 100}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	time.Sleep(100 * time.Millisecond) // idle: Run must not read (this is the condition tested, not a wait for an event)
	if n := h.reads.Load(); n != 0 {
		t.Fatalf("%d reads while nothing waits", n)
	}
	a, b := uuid.New(), uuid.New()
	h.set(a, 10)
	h.set(b, 10)
	var woken [2]atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		inst, n := a, &woken[0]
		if i%2 == 1 {
			inst, n = b, &woken[1]
		}
		wg.Go(func() {
			if err := w.Wait(ctx, "caller", inst, 10); err == nil {
				n.Add(1)
			}
		})
	}
	eventually(t, "fifty polls waiting", func() bool { return w.Waiting() == 50 })
	before := h.reads.Load()
	time.Sleep(200 * time.Millisecond) // ten ticks
	if n := h.reads.Load() - before; n < 5 || n > 12 {
		t.Fatalf("%d reads of the heads in ten ticks with fifty polls waiting, want one per tick", n)
	}
	h.set(a, 11)
	eventually(t, "the polls of the feed that grew woken", func() bool { return woken[0].Load() == 25 })
	if woken[1].Load() != 0 || w.Waiting() != 25 {
		t.Fatalf("%d polls of the other feed woken, %d waiting", woken[1].Load(), w.Waiting())
	}
	cancel()
	wg.Wait()
}

// A caller has at most PerCaller polls waiting; another caller is not held back by it.
func TestPollsAreBoundedPerCaller(t *testing.T) {
	t.Parallel()
	h := &heads{seq: map[uuid.UUID]int64{}}
	w := &Watcher{Heads: h.read, Log: zap.NewNop(), PerCaller: 2}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	inst := uuid.New()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { _ = w.Wait(ctx, "one", inst, 0) })
	}
	eventually(t, "two polls waiting", func() bool { return w.Waiting() == 2 })
	if err := w.Wait(ctx, "one", inst, 0); !errors.Is(err, ErrTooMany) {
		t.Fatalf("a third poll of one caller: %v, want ErrTooMany", err)
	}
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if err := w.Wait(short, "other", inst, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("another caller's poll: %v, want it to wait until its deadline", err)
	}
	cancel()
	wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.callers) != 0 || len(w.waiting) != 0 {
		t.Fatalf("after every poll ended: callers %v, waiting %v", w.callers, w.waiting)
	}
}
