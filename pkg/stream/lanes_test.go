package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/natsembed"
	"livslang.dk/pkg/stream"
	"livslang.dk/pkg/testenv"
)

type noParking struct{ t *testing.T }

func (p noParking) Park(_ context.Context, _, subject string, _ []byte, reason string, _ int) error {
	p.t.Errorf("parked %s: %s", subject, reason)
	return nil
}

// startStreams starts a NATS server for the test alone and creates the streams on it.
func startStreams(ctx context.Context, tb testing.TB) jetstream.JetStream {
	tb.Helper()
	ns, err := natsembed.Start("127.0.0.1", -1, tb.TempDir(), "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ns.Shutdown)
	js := testenv.JetStream(tb, ns.ClientURL())
	if err := stream.EnsureStreams(ctx, js); err != nil {
		tb.Fatal(err)
	}
	return js
}

// profileEvent is the n-th profile event of a citizen, as published.
func profileEvent(tb testing.TB, citizen string, n int) (subject string, body []byte) {
	tb.Helper()
	e, err := events.New("test", events.TypeProfileUpdated, events.SubjectProfileUpdated, "x", time.Now(),
		map[string]any{"citizen_id": citizen, "n": n})
	if err != nil {
		tb.Fatal(err)
	}
	body, err = json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	return e.NATSSubject, body
}

// publishProfiles publishes n profile events of one citizen, numbered from 0.
func publishProfiles(ctx context.Context, t *testing.T, js jetstream.JetStream, citizen string, n int) {
	t.Helper()
	for i := range n {
		subject, body := profileEvent(t, citizen, i)
		if _, err := js.Publish(ctx, subject, body); err != nil {
			t.Fatal(err)
		}
	}
}

// A message that waits in its lane behind slow ones, or whose handler runs past the ack wait, is
// reported in progress and never delivered a second time meanwhile (to this instance or another).
func TestMessagesHeldPastTheAckWaitAreNotRedelivered(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	js := startStreams(ctx, t)
	const n = 8
	publishProfiles(ctx, t, js, "citizen-slow", n)
	var mu sync.Mutex
	calls := map[string]int{}
	handled := 0
	done := make(chan struct{})
	c := stream.Consumer{
		Stream: events.StreamRegistration, Durable: "held-test", Subjects: []string{events.SubjectProfileUpdated},
		Lanes: 2, AckWait: time.Second, Log: zap.NewNop(), Parker: noParking{t},
		Handler: func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			calls[e.ID]++
			first := handled == 0
			mu.Unlock()
			work := 400 * time.Millisecond // n of them: the last waits about 3 ack waits in its lane
			if first {
				work = 1500 * time.Millisecond // longer than the ack wait itself
			}
			select {
			case <-time.After(work):
			case <-ctx.Done():
				return ctx.Err()
			}
			mu.Lock()
			defer mu.Unlock()
			if handled++; handled == n {
				close(done)
			}
			return nil
		},
	}
	go c.Run(ctx, js) //nolint:errcheck
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the events were not all handled")
	}
	mu.Lock()
	defer mu.Unlock()
	for id, k := range calls {
		if k != 1 {
			t.Errorf("event %s handled %d times", id, k)
		}
	}
	if len(calls) != n || handled != n {
		t.Errorf("%d events handled %d times, want %d once each", len(calls), handled, n)
	}
}

// With several lanes, different citizens' events are handled at the same time while each citizen's
// events keep their stream order.
func TestLanesKeepEachCitizensOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	js := startStreams(ctx, t)
	const citizens, perCitizen = 8, 40
	for i := range perCitizen {
		for c := range citizens {
			subject, body := profileEvent(t, fmt.Sprintf("citizen-%d", c), i)
			if _, err := js.Publish(ctx, subject, body); err != nil {
				t.Fatal(err)
			}
		}
	}

	var mu sync.Mutex
	next := map[string]int{}
	inFlight, maxInFlight, handled := 0, 0, 0
	overlap := make(chan struct{})
	done := make(chan struct{})
	c := stream.Consumer{
		Stream: events.StreamRegistration, Durable: "lanes-test", Subjects: []string{events.SubjectProfileUpdated},
		Lanes: 4, Log: zap.NewNop(), Parker: noParking{t},
		Handler: func(ctx context.Context, e events.Envelope) error {
			var d struct {
				CitizenID string `json:"citizen_id"`
				N         int    `json:"n"`
			}
			if err := e.Decode(&d); err != nil {
				return err
			}
			mu.Lock()
			if d.N != next[d.CitizenID] {
				t.Errorf("%s: event %d handled when %d was due", d.CitizenID, d.N, next[d.CitizenID])
			}
			next[d.CitizenID] = d.N + 1
			inFlight++
			if inFlight > maxInFlight {
				maxInFlight = inFlight
				if maxInFlight == 2 {
					close(overlap)
				}
			}
			first := d.N == 0
			mu.Unlock()
			if first { // the first events wait (a while at most) for another lane to be busy too
				select {
				case <-overlap:
				case <-time.After(2 * time.Second):
				}
			}
			mu.Lock()
			inFlight--
			handled++
			if handled == citizens*perCitizen {
				close(done)
			}
			mu.Unlock()
			return nil
		},
	}
	go c.Run(ctx, js) //nolint:errcheck
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("handled %d of %d events", handled, citizens*perCitizen)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxInFlight < 2 {
		t.Errorf("at most %d event at a time with 4 lanes", maxInFlight)
	}
}
