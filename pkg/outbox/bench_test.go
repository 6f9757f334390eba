package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
)

// BenchmarkRelay measures the relay's throughput: b.N committed events (in transactions of 50) are
// published, from the relay's start until the stream holds them all. The time per op is per event.
func BenchmarkRelay(b *testing.B) {
	bu := setup(b)
	ctx := context.Background()
	for i := 0; i < b.N; i += 50 {
		err := pgx.BeginFunc(ctx, bu.pool, func(tx pgx.Tx) error {
			envs := make([]events.Envelope, 0, 50)
			for j := i; j < min(i+50, b.N); j++ {
				envs = append(envs, event(b, j))
			}
			return outbox.Enqueue(ctx, tx, envs...)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	st, err := bu.js.Stream(ctx, events.StreamRegistration)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = (&outbox.Relay{Pool: bu.pool, JS: bu.js, Log: zap.NewNop(), Poll: 50 * time.Millisecond}).Run(rctx)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		info, err := st.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Msgs >= uint64(b.N) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d events published", info.State.Msgs, b.N)
		}
		time.Sleep(time.Millisecond) // a poll of the stream's state, not a wait for an event
	}
	b.StopTimer()
	cancel()
	<-done
}
