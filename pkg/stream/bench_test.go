package stream_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/stream"
)

// benchConsumer measures a consumer with 4 lanes handling b.N events of 64 citizens, from its start
// until the last is acknowledged; work is how long the handler takes (a stand-in for its database
// transaction). The time per op is per event.
func benchConsumer(b *testing.B, work time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	js := startStreams(ctx, b)
	for i := range b.N {
		subject, body := profileEvent(b, fmt.Sprintf("citizen-%d", i%64), i)
		if _, err := js.PublishAsync(subject, body); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publishing timed out")
	}
	var handled atomic.Int64
	done := make(chan struct{})
	c := stream.Consumer{
		Stream: events.StreamRegistration, Durable: "bench", Subjects: []string{events.SubjectProfileUpdated},
		Lanes: 4, Log: zap.NewNop(),
		Handler: func(ctx context.Context, e events.Envelope) error {
			if work > 0 {
				time.Sleep(work) // the handler's work, not a wait for an event
			}
			if handled.Add(1) == int64(b.N) {
				close(done)
			}
			return nil
		},
	}
	b.ResetTimer()
	go c.Run(ctx, js) //nolint:errcheck
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("handled %d of %d events", handled.Load(), b.N)
	}
	b.StopTimer()
}

func BenchmarkConsumer(b *testing.B)        { benchConsumer(b, 0) }
func BenchmarkConsumerWork1ms(b *testing.B) { benchConsumer(b, time.Millisecond) }
