package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/stream"
	"livslang.dk/pkg/testenv"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The messaging tables as every service's first migration creates them, and what the test applies.
const schema = `
CREATE TABLE inbox (consumer text NOT NULL, event_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id));
CREATE TABLE parked_messages (id bigserial PRIMARY KEY, consumer text NOT NULL, subject text NOT NULL,
    payload bytea NOT NULL, reason text NOT NULL, deliveries integer NOT NULL, parked_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE applied (citizen_id text PRIMARY KEY, times integer NOT NULL);`

// profile is the data of the test's profile events.
type profile struct {
	CitizenID string `json:"citizen_id"`
	N         int    `json:"n"`
}

// fixture is a test's database, NATS server and the consumer it runs.
type fixture struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
}

func setupHandled(ctx context.Context, t *testing.T) fixture {
	t.Helper()
	pool, err := pgdb.Connect(ctx, pgtest.NewDatabase(t, "svc")["svc"], 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	return fixture{pool: pool, js: startStreams(ctx, t)}
}

// run starts the consumer named durable with routes until the test ends.
func (h fixture) run(ctx context.Context, t *testing.T, durable string, routes ...stream.Route) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	c := stream.Consumer{Stream: events.StreamRegistration, Durable: durable, Subjects: []string{events.SubjectProfileUpdated},
		Routes: routes, DB: h.pool, Parker: inbox.Parker{Pool: h.pool}, Log: zap.NewNop()}
	go func() { done <- c.Run(ctx, h.js) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// publish publishes the envelope as it is, as the outbox relay does (again, after a lost mark).
func (h fixture) publish(ctx context.Context, t *testing.T, e events.Envelope) {
	t.Helper()
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.js.Publish(ctx, events.SubjectProfileUpdated, body); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the consumer durable has acknowledged or terminated every message on the stream.
func (h fixture) settled(ctx context.Context, t *testing.T, durable string) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, durable+" handled every message", func() bool {
		cons, err := h.js.Consumer(ctx, events.StreamRegistration, durable)
		if err != nil {
			return false
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return false
		}
		// Every message of the stream answered: not merely nothing pending, which a consumer still
		// being created also reports.
		s, err := h.js.Stream(ctx, events.StreamRegistration)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream >= s.CachedInfo().State.LastSeq
	})
}

func (h fixture) times(ctx context.Context, t *testing.T, citizen string) int {
	t.Helper()
	var n int
	err := h.pool.QueryRow(ctx, `SELECT coalesce((SELECT times FROM applied WHERE citizen_id = $1), 0)`, citizen).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func profileEnvelope(t *testing.T, eventType string, data any) events.Envelope {
	t.Helper()
	e, err := events.New("test", eventType, events.SubjectProfileUpdated, "x", time.Now(), data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// count is a Func that counts the event in the test's table, in the inbox's transaction.
func count(ctx context.Context, tx pgx.Tx, _ events.Envelope, p profile) error {
	_, err := tx.Exec(ctx, `INSERT INTO applied (citizen_id, times) VALUES ($1, 1)
		ON CONFLICT (citizen_id) DO UPDATE SET times = applied.times + 1`, p.CitizenID)
	return err
}

// A good event is applied once in the inbox's transaction, however often it is delivered; Applied
// runs once, after the commit.
func TestHandleAppliesAnEventOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := setupHandled(ctx, t)
	e := profileEnvelope(t, events.TypeProfileUpdated, profile{CitizenID: "c-1"})
	for range 3 { // one event in the stream three times
		h.publish(ctx, t, e)
	}
	var after atomic.Int32
	route := stream.Handle(count, events.TypeProfileUpdated)
	route.Applied = func(got events.Envelope, p profile) {
		if got.ID != e.ID || p.CitizenID != "c-1" {
			t.Errorf("Applied got event %s of %q", got.ID, p.CitizenID)
		}
		after.Add(1)
	}
	h.run(ctx, t, "once", route)
	h.settled(ctx, t, "once")
	if n := h.times(ctx, t, "c-1"); n != 1 {
		t.Errorf("applied %d times, want once", n)
	}
	if n := after.Load(); n != 1 {
		t.Errorf("Applied ran %d times, want once", n)
	}
	var inboxRows, parked int
	if err := h.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM inbox WHERE consumer = 'once' AND event_id = $1),
		(SELECT count(*) FROM parked_messages)`, e.ID).Scan(&inboxRows, &parked); err != nil {
		t.Fatal(err)
	}
	if inboxRows != 1 || parked != 0 {
		t.Errorf("%d inbox rows and %d parked messages, want 1 and 0", inboxRows, parked)
	}
}

// An event whose data does not decode into the handler's type, and an event of a version no route
// names, are parked with the reason at their first delivery, never handed to a handler; the good
// event between them is applied.
func TestHandleParksWhatItCannotRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := setupHandled(ctx, t)
	bad := profileEnvelope(t, events.TypeProfileUpdated, "not a profile")
	h.publish(ctx, t, bad)
	h.publish(ctx, t, profileEnvelope(t, events.TypeProfileUpdated, profile{CitizenID: "c-good"}))
	newer := profileEnvelope(t, "livslang.profile.updated.v2", profile{CitizenID: "c-v2"})
	h.publish(ctx, t, newer)
	h.run(ctx, t, "parking", stream.Handle(count, events.TypeProfileUpdated))
	h.settled(ctx, t, "parking")

	rows, err := h.pool.Query(ctx, `SELECT consumer, payload, reason, deliveries FROM parked_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for rows.Next() {
		var consumer, reason string
		var payload []byte
		var deliveries int
		if err := rows.Scan(&consumer, &payload, &reason, &deliveries); err != nil {
			t.Fatal(err)
		}
		e, err := events.Parse(payload)
		if err != nil {
			t.Fatalf("parked payload is not the message: %v", err)
		}
		if consumer != "parking" || deliveries != 1 {
			t.Errorf("event %s parked by %q after %d deliveries, want parking after 1", e.ID, consumer, deliveries)
		}
		reasons[e.ID] = reason
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 2 {
		t.Fatalf("parked %v, want the two unreadable events", reasons)
	}
	if r := reasons[bad.ID]; !strings.Contains(r, "malformed event") || !strings.Contains(r, "data") {
		t.Errorf("undecodable event parked with reason %q", r)
	}
	if r := reasons[newer.ID]; !strings.Contains(r, "unknown event type livslang.profile.updated.v2") {
		t.Errorf("newer version parked with reason %q", r)
	}
	if n := h.times(ctx, t, "c-good"); n != 1 {
		t.Errorf("good event applied %d times, want once", n)
	}
	if n := h.times(ctx, t, "c-v2"); n != 0 {
		t.Errorf("unknown version applied %d times", n)
	}
	var inboxRows int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM inbox`).Scan(&inboxRows); err != nil {
		t.Fatal(err)
	}
	if inboxRows != 1 {
		t.Errorf("%d inbox rows, want the good event's alone", inboxRows)
	}
}

// A transient failure rolls back what the handler did, inbox record included, and the event is
// delivered again until it applies; ErrRollback and Skip acknowledge without keeping anything.
func TestHandleRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := setupHandled(ctx, t)
	h.publish(ctx, t, profileEnvelope(t, events.TypeProfileUpdated, profile{CitizenID: "c-flaky"}))
	h.publish(ctx, t, profileEnvelope(t, events.TypeProfileUpdated, profile{CitizenID: "c-undone"}))
	h.publish(ctx, t, profileEnvelope(t, events.TypeProfileUpdated, profile{CitizenID: "c-skipped"}))
	var calls atomic.Int32
	route := stream.Handle(func(ctx context.Context, tx pgx.Tx, e events.Envelope, p profile) error {
		if err := count(ctx, tx, e, p); err != nil {
			return err
		}
		switch {
		case p.CitizenID == "c-undone":
			return stream.ErrRollback
		case p.CitizenID == "c-flaky" && calls.Add(1) < 3:
			return errors.New("the database is busy")
		}
		return nil
	}, events.TypeProfileUpdated)
	route.Skip = func(_ events.Envelope, p profile) bool { return p.CitizenID == "c-skipped" }
	h.run(ctx, t, "retry", route)
	testenv.Eventually(t, 20*time.Second, "the flaky event delivered a third time", func() bool { return calls.Load() >= 3 })
	h.settled(ctx, t, "retry")
	if n := calls.Load(); n != 3 {
		t.Errorf("flaky event handled %d times, want 3 (two failures, then applied)", n)
	}
	for citizen, want := range map[string]int{"c-flaky": 1, "c-undone": 0, "c-skipped": 0} {
		if n := h.times(ctx, t, citizen); n != want {
			t.Errorf("%s applied %d times, want %d", citizen, n, want)
		}
	}
	var inboxRows, parked int
	if err := h.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM parked_messages)`).
		Scan(&inboxRows, &parked); err != nil {
		t.Fatal(err)
	}
	if inboxRows != 1 || parked != 0 {
		t.Errorf("%d inbox rows and %d parked messages, want the flaky event's row alone", inboxRows, parked)
	}
}

// Events that wait in a lane are applied together, in one transaction with one commit; one that
// fails in the batch is rolled back alone (to its savepoint) and parked as it would be alone, an
// ErrRollback undoes only its own event, and every other event of the batch is applied once.
func TestQueuedEventsApplyInOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := setupHandled(ctx, t)
	if _, err := h.pool.Exec(ctx, `CREATE TABLE txs (citizen_id text PRIMARY KEY, tx bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const n = 60
	for i := range n {
		citizen := fmt.Sprintf("c-%d", i)
		switch i {
		case 20:
			citizen = "c-poison"
		case 40:
			citizen = "c-undone"
		}
		h.publish(ctx, t, profileEnvelope(t, events.TypeProfileUpdated, profile{CitizenID: citizen}))
	}
	var after atomic.Int32
	route := stream.Handle(func(ctx context.Context, tx pgx.Tx, e events.Envelope, p profile) error {
		if err := count(ctx, tx, e, p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO txs VALUES ($1, txid_current())`, p.CitizenID); err != nil {
			return err
		}
		switch p.CitizenID {
		case "c-poison":
			return stream.Permanent(errors.New("this one can never apply"))
		case "c-undone":
			return stream.ErrRollback
		}
		return nil
	}, events.TypeProfileUpdated)
	route.Applied = func(events.Envelope, profile) { after.Add(1) }
	h.run(ctx, t, "batch", route) // one lane: every event waits behind the one before it
	h.settled(ctx, t, "batch")

	var applied, txs, parked int
	var reason string
	if err := h.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM applied WHERE times = 1), (SELECT count(DISTINCT tx) FROM txs),
		(SELECT count(*) FROM parked_messages), coalesce((SELECT reason FROM parked_messages LIMIT 1), '')`).
		Scan(&applied, &txs, &parked, &reason); err != nil {
		t.Fatal(err)
	}
	if applied != n-2 || after.Load() != n-2 {
		t.Errorf("%d events applied once and Applied ran %d times, want %d", applied, after.Load(), n-2)
	}
	if txs > n/4 {
		t.Errorf("%d events applied in %d transactions, want them batched (at most %d)", n-2, txs, n/4)
	}
	if parked != 1 || !strings.Contains(reason, "this one can never apply") {
		t.Errorf("%d parked (%q), want the poisoned event alone", parked, reason)
	}
	for _, c := range []string{"c-poison", "c-undone"} {
		if got := h.times(ctx, t, c); got != 0 {
			t.Errorf("%s kept %d times, want rolled back", c, got)
		}
	}
	t.Logf("%d events in %d transactions", n-2, txs)
}
