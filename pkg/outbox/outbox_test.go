package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/natsembed"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/stream"
	"livslang.dk/pkg/testenv"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The messaging tables, as every service's first migration creates them.
const schema = `
CREATE TABLE outbox (seq bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, subject text NOT NULL,
    envelope bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz);
CREATE TABLE inbox (consumer text NOT NULL, event_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id));
CREATE TABLE parked_messages (id bigserial PRIMARY KEY, consumer text NOT NULL, subject text NOT NULL,
    payload bytea NOT NULL, reason text NOT NULL, deliveries integer NOT NULL, parked_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE applied (event_id uuid PRIMARY KEY, times integer NOT NULL DEFAULT 1);`

type bundle struct {
	pool  *pgxpool.Pool
	js    jetstream.JetStream
	url   string
	dbURL string
}

// setup makes a database with the messaging tables and starts one NATS server with the streams.
func setup(t testing.TB) bundle {
	t.Helper()
	ns, err := natsembed.Start("127.0.0.1", -1, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	return setupOn(t, ns.ClientURL())
}

// setupOn makes a database with the messaging tables and the streams on the NATS server (or the
// cluster's servers, comma-separated) at natsURL, with as many replicas as opts say.
func setupOn(t testing.TB, natsURL string, opts ...stream.StreamOption) bundle {
	t.Helper()
	ctx := context.Background()
	urls := pgtest.NewDatabase(t, "svc")
	pool, err := pgdb.Connect(ctx, urls["svc"], 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	js := testenv.JetStream(t, natsURL)
	if err := stream.EnsureStreams(ctx, js, opts...); err != nil {
		t.Fatal(err)
	}
	return bundle{pool: pool, js: js, url: natsURL, dbURL: urls["svc"]}
}

func event(t testing.TB, n int) events.Envelope {
	e, err := events.New("/test", events.TypeCourseUpdated, events.SubjectCourseUpdated, fmt.Sprint(n), time.Now(), map[string]int{"n": n})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run starts fn until the test ends.
func run(t *testing.T, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = fn(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRelayDeliversExactlyWhatCommittedAndRedeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	log := zap.NewNop()

	committed := map[string]bool{}
	for i := range 60 {
		e := event(t, i)
		rollback := i%6 == 0 // every sixth transaction fails after writing its event
		err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			if err := outbox.Enqueue(ctx, tx, e); err != nil {
				return err
			}
			if rollback {
				return fmt.Errorf("domain change failed")
			}
			return nil
		})
		if rollback != (err != nil) {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if !rollback {
			committed[e.ID] = true
		}
	}

	const consumer = "test-consumer"
	var mu sync.Mutex
	seen := map[string]int{}
	c := stream.Consumer{Stream: events.StreamRegistration, Durable: consumer, Subjects: []string{events.SubjectCourseUpdated},
		Log: log, Parker: inbox.Parker{Pool: b.pool},
		Handler: func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			seen[e.ID]++
			mu.Unlock()
			_, err := inbox.Apply(ctx, b.pool, consumer, e.ID, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO applied (event_id) VALUES ($1)
					ON CONFLICT (event_id) DO UPDATE SET times = applied.times + 1`, e.ID)
				return err
			})
			return err
		}}
	run(t, func(ctx context.Context) error { return c.Run(ctx, b.js) })
	run(t, (&outbox.Relay{Pool: b.pool, JS: b.js, Log: log, Poll: 50 * time.Millisecond}).Run)

	testenv.Eventually(t, 15*time.Second, "all committed events applied", func() bool {
		return count(t, b.pool, `SELECT count(*) FROM applied`) == len(committed)
	})
	rows, err := b.pool.Query(ctx, `SELECT event_id::text FROM applied`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !committed[id] {
			t.Fatalf("event %s was applied but its transaction rolled back", id)
		}
	}
	if n := count(t, b.pool, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); n != 0 {
		t.Fatalf("%d outbox rows still unsent", n)
	}

	// Redeliver one event past JetStream's deduplication (a new message id): the inbox skips it.
	var again events.Envelope
	for id := range committed {
		again = event(t, 0)
		again.ID = id
		break
	}
	env := &testenv.Env{NATSURL: b.url}
	env.Publish(t, again, "redelivery-"+again.ID)
	testenv.Eventually(t, 10*time.Second, "the redelivered event reached the consumer", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[again.ID] == 2
	})
	if n := count(t, b.pool, `SELECT count(*) FROM applied WHERE times > 1`); n != 0 {
		t.Fatalf("%d events were applied twice", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM applied`); n != len(committed) {
		t.Fatalf("applied %d events, want %d", n, len(committed))
	}
}

func TestPoisonedMessageIsParkedWithItsReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := stream.Consumer{Stream: events.StreamRegistration, Durable: "poison-test", Subjects: []string{events.SubjectCourseUpdated},
		MaxDeliver: 3, Log: zap.NewNop(), Parker: inbox.Parker{Pool: b.pool},
		Handler: func(ctx context.Context, e events.Envelope) error {
			var v struct{ N int }
			if err := e.Decode(&v); err != nil {
				return err
			}
			if v.N == 13 {
				return fmt.Errorf("thirteen is never accepted") // retryable, but fails every time
			}
			return nil
		}}
	run(t, func(ctx context.Context) error { return c.Run(ctx, b.js) })
	ctx := context.Background()
	if _, err := b.js.Publish(ctx, events.SubjectCourseUpdated, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	raw := fmt.Sprintf(`{"specversion":"1.0","id":"%s","source":"/t","type":"x","data":{"n":13}}`, "0b0e3e53-6a4c-4e0b-9d5e-0f4f6c2b7a11")
	if _, err := b.js.Publish(ctx, events.SubjectCourseUpdated, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "both messages parked", func() bool {
		return count(t, b.pool, `SELECT count(*) FROM parked_messages`) == 2
	})
	var reason string
	var deliveries int
	if err := b.pool.QueryRow(ctx, `SELECT reason, deliveries FROM parked_messages WHERE payload = $1`, []byte("{not json")).Scan(&reason, &deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 1 || reason == "" {
		t.Fatalf("malformed message: parked after %d deliveries with reason %q; want 1 delivery and a reason", deliveries, reason)
	}
	if err := b.pool.QueryRow(ctx, `SELECT reason, deliveries FROM parked_messages WHERE payload = $1`, []byte(raw)).Scan(&reason, &deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 3 || reason != "thirteen is never accepted" {
		t.Fatalf("failing message: parked after %d deliveries with %q; want 3 and the handler's error", deliveries, reason)
	}
}

// A consumer parks an event of a type it does not read (a newer version) at once, and keeps retrying
// an event whose handler cannot reach the database, past MaxDeliver, until it can.
func TestUnknownTypeIsParkedAndAnUnreachableDatabaseIsNot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var mu sync.Mutex
	tries := map[string]int{}
	c := stream.Consumer{Stream: events.StreamRegistration, Durable: "types-test", Subjects: []string{events.SubjectCourseUpdated},
		Types: []string{events.TypeCourseUpdated}, MaxDeliver: 2, Log: zap.NewNop(), Parker: inbox.Parker{Pool: b.pool},
		Handler: func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			if tries[e.ID]++; tries[e.ID] < 4 {
				return fmt.Errorf("save: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
			}
			return nil
		}}
	run(t, func(ctx context.Context) error { return c.Run(ctx, b.js) })
	ctx := context.Background()
	newer := event(t, 1)
	newer.Type = "livslang.course.updated.v2"
	older := event(t, 2)
	for _, e := range []events.Envelope{newer, older} {
		body, _ := json.Marshal(e)
		if _, err := b.js.Publish(ctx, events.SubjectCourseUpdated, body); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 20*time.Second, "the known event handled after the database came back", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return tries[older.ID] == 4
	})
	var reason string
	var deliveries int
	if err := b.pool.QueryRow(ctx, `SELECT reason, deliveries FROM parked_messages`).Scan(&reason, &deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 1 || !strings.Contains(reason, "unknown event type livslang.course.updated.v2") {
		t.Fatalf("parked after %d deliveries: %q", deliveries, reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if tries[newer.ID] != 0 {
		t.Fatalf("the handler saw the unknown type %d times", tries[newer.ID])
	}
}
