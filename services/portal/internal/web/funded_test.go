package web

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// The "funded for me" checks run concurrently but never more than the limit at a time, so a page of
// 20 runs takes about 20/limit round trips, not 20.
func TestForEachLimitedIsConcurrentAndBounded(t *testing.T) {
	t.Parallel()
	var running, peak, calls atomic.Int32
	start := time.Now()
	started := forEachLimited(context.Background(), searchPageSize, fundedConcurrency, func(ctx context.Context, i int) {
		calls.Add(1)
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(40 * time.Millisecond)
		running.Add(-1)
	})
	took := time.Since(start)
	if calls.Load() != searchPageSize || len(started) != searchPageSize {
		t.Fatalf("%d calls for %d runs", calls.Load(), searchPageSize)
	}
	if p := peak.Load(); p > fundedConcurrency || p < 2 {
		t.Fatalf("peak concurrency %d, want 2..%d", p, fundedConcurrency)
	}
	// Sequential would be 800 ms; bounded at 6 it is 4 rounds of 40 ms.
	if took > 500*time.Millisecond {
		t.Fatalf("20 checks took %v", took)
	}
}

func TestForEachLimitedStopsStartingWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var calls atomic.Int32
	started := forEachLimited(ctx, 10, 1, func(ctx context.Context, i int) {
		calls.Add(1)
		<-ctx.Done()
	})
	n := 0
	for _, s := range started {
		if s {
			n++
		}
	}
	if n != int(calls.Load()) || n >= 10 {
		t.Fatalf("%d started, %d called, of 10", n, calls.Load())
	}
}
