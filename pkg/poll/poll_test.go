package poll_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"livslang.dk/pkg/poll"
)

// within fails the test unless ch is closed within d.
func within(t *testing.T, d time.Duration, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("not within %s: %s", d, what)
	}
}

// Run calls at once, again at once while more is waiting, then only after every or a wake; it
// returns when ctx ends, even in a wait.
func TestRunPollsWakesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var w poll.Waker
	var calls atomic.Int32
	three, fourth := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, time.Hour, func(context.Context) bool {
			switch calls.Add(1) {
			case 3:
				close(three)
			case 4:
				close(fourth)
			}
			return calls.Load() < 3 // the first two find more waiting
		})
	}()
	within(t, 5*time.Second, "the first three calls, without a wait", three)
	time.Sleep(50 * time.Millisecond) // a wait is an hour: nothing more comes without a wake
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls while waiting an hour, want 3", n)
	}
	w.Wake()
	within(t, 5*time.Second, "a call after the wake", fourth)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return when ctx ended")
	}
}

// The wait passes by itself; wakes while the loop is busy count as one; a failure ends the loop
// with its error; a nil Waker polls on the wait alone; a negative wait lasts until a wake.
func TestLoopWaitsWhatFnSays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	var calls int
	start := time.Now()
	boom := errors.New("boom")
	err := (*poll.Waker)(nil).Loop(ctx, func(context.Context) (time.Duration, error) {
		if calls++; calls == 3 {
			return 0, boom
		}
		return 20 * time.Millisecond, nil
	})
	if !errors.Is(err, boom) || calls != 3 {
		t.Fatalf("Loop returned %v after %d calls, want boom after 3", err, calls)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("two waits of 20ms took %s", d)
	}

	var w poll.Waker
	w.Wake()
	w.Wake() // while busy: one wake
	calls = 0
	err = w.Loop(ctx, func(context.Context) (time.Duration, error) {
		switch calls++; calls {
		case 1:
			return -1, nil // until a wake: the pending one
		case 2:
			go func() { time.Sleep(20 * time.Millisecond); w.Wake() }()
			return -1, nil
		}
		return 0, boom
	})
	if !errors.Is(err, boom) || calls != 3 {
		t.Fatalf("Loop returned %v after %d calls, want boom after 3", err, calls)
	}
}
