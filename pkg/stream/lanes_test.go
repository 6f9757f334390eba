package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

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

// With several lanes, different citizens' events are handled at the same time while each citizen's
// events keep their stream order.
func TestLanesKeepEachCitizensOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns, err := natsembed.Start("127.0.0.1", -1, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	js := testenv.JetStream(t, ns.ClientURL())
	if err := stream.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	const citizens, perCitizen = 8, 40
	for i := range perCitizen {
		for c := range citizens {
			e, err := events.New("test", events.TypeProfileUpdated, events.SubjectProfileUpdated, "x", time.Now(),
				map[string]any{"citizen_id": fmt.Sprintf("citizen-%d", c), "n": i})
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := js.Publish(ctx, e.NATSSubject, body); err != nil {
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
