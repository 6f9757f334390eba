package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/stream"
	"livslang.dk/pkg/testenv"
)

// lossyJS is the real JetStream connection, except that the first publish of every seventh event
// it is asked to send is lost on the way (as in a leader change): it never reaches the server and
// its future fails, while the publishes after it go through.
type lossyJS struct {
	jetstream.JetStream
	mu    sync.Mutex
	calls int
	lost  map[string]bool
}

func (j *lossyJS) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	var e struct{ ID string }
	_ = json.Unmarshal(m.Data, &e)
	j.mu.Lock()
	j.calls++
	drop := j.calls%7 == 3 && !j.lost[e.ID]
	if drop {
		j.lost[e.ID] = true
	}
	j.mu.Unlock()
	if drop {
		f := lostFuture{msg: m, err: make(chan error, 1)}
		f.err <- errors.New("injected: the publish was lost on the way")
		return f, nil
	}
	return j.JetStream.PublishMsgAsync(m, opts...)
}

type lostFuture struct {
	msg *nats.Msg
	err chan error
}

func (f lostFuture) Ok() <-chan *jetstream.PubAck { return nil }
func (f lostFuture) Err() <-chan error            { return f.err }
func (f lostFuture) Msg() *nats.Msg               { return f.msg }

// foreignJS is the real JetStream connection, except that just before the relay's third publish
// something else (an operator, another tool) publishes an event of its own, without a Nats-Msg-Id,
// on the same stream.
type foreignJS struct {
	jetstream.JetStream
	mu      sync.Mutex
	calls   int
	foreign []byte
	err     error
}

func (j *foreignJS) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	j.mu.Lock()
	j.calls++
	if j.calls == 3 {
		_, j.err = j.JetStream.Publish(context.Background(), m.Subject, j.foreign)
	}
	j.mu.Unlock()
	return j.JetStream.PublishMsgAsync(m, opts...)
}

// On a three-server cluster, with an event of someone else's landing in the middle of a batch, the
// relay's condition on the order is checked where it can be: nats-server checks an expected last
// message id on every replica as it applies the message, and a replica that finds another last id
// stops the stream for good (the chaos run lost REGISTRATION's leader so). The stream keeps its
// leader and its replicas and takes every event of the outbox, once.
func TestRelayKeepsAClusteredStreamAlive(t *testing.T) {
	t.Parallel()
	_, urls := testenv.NATSCluster(t, 3)
	b := setupOn(t, strings.Join(urls, ","), stream.WithReplicas(3))
	ctx := context.Background()
	foreign, err := json.Marshal(event(t, -1))
	if err != nil {
		t.Fatal(err)
	}
	enqueue := func(from, k int) {
		t.Helper()
		err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			envs := make([]events.Envelope, k)
			for i := range envs {
				envs[i] = event(t, from+i)
			}
			return outbox.Enqueue(ctx, tx, envs...)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	enqueue(0, 10) // one batch, with the foreign event published before its third row
	js := &foreignJS{JetStream: b.js, foreign: foreign}
	r := &outbox.Relay{Pool: b.pool, JS: js, Log: zap.NewNop(), Poll: 20 * time.Millisecond, BatchSize: 10}
	run(t, r.Run)
	testenv.Eventually(t, 20*time.Second, "the first batch sent", func() bool {
		return count(t, b.pool, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) == 0
	})
	if js.err != nil {
		t.Fatalf("publish the foreign event: %v", js.err)
	}
	enqueue(10, 10)
	testenv.Eventually(t, 20*time.Second, "the events after it sent", func() bool {
		return count(t, b.pool, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) == 0
	})
	testenv.Eventually(t, 20*time.Second, "the stream led, its three replicas current and holding all 21 events", func() bool {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, err := b.js.Stream(cctx, events.StreamRegistration)
		if err != nil {
			return false
		}
		info, err := s.Info(cctx)
		if err != nil || info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 || info.State.Msgs != 21 {
			return false
		}
		for _, p := range info.Cluster.Replicas {
			if !p.Current || p.Offline {
				return false
			}
		}
		return true
	})
	foreignEvent, _ := events.Parse(foreign)
	got := slices.DeleteFunc(streamOrder(t, b.js), func(id string) bool { return id == foreignEvent.ID })
	want := outboxOrder(t, b.pool)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the stream holds the outbox's events\n%v, want each once:\n%v", got, want)
	}
}

// streamOrder returns the event ids on the REGISTRATION stream, oldest first.
func streamOrder(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, events.StreamRegistration)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		e, err := events.Parse(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// outboxOrder returns the outbox's event ids in seq order.
func outboxOrder(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT event_id::text FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// Two instances' relays on one outbox, with publishes lost in the middle of batches: the stream holds
// every event once, in the outbox's order.
func TestTwoRelaysPublishInOutboxOrderDespiteLostPublishes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	log := zap.NewNop()
	for range 2 { // two instances: a pool, a connection to NATS and a relay each
		pool, err := pgdb.Connect(ctx, b.dbURL, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		js := &lossyJS{JetStream: testenv.JetStream(t, b.url), lost: map[string]bool{}}
		r := &outbox.Relay{Pool: pool, JS: js, Log: log, Poll: 20 * time.Millisecond, BatchSize: 10}
		run(t, r.Run)
	}
	// Events are committed while the relays run, in transactions of one to five.
	const total = 400
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < total; {
		k := min(1+rng.IntN(5), total-n)
		err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			envs := make([]events.Envelope, k)
			for i := range envs {
				envs[i] = event(t, n+i)
			}
			return outbox.Enqueue(ctx, tx, envs...)
		})
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	testenv.Eventually(t, 30*time.Second, "every outbox row sent", func() bool {
		return count(t, b.pool, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) == 0
	})
	want, got := outboxOrder(t, b.pool), streamOrder(t, b.js)
	if len(got) != len(want) {
		t.Fatalf("the stream holds %d events, the outbox %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			pos := map[string]int{}
			for j, id := range want {
				pos[id] = j
			}
			t.Fatalf("stream position %d holds outbox row %d, want row %d", i, pos[got[i]], i)
		}
	}
}

// One relay of two at a time (Postgres grants the lock to one session): the other stands by and takes over when the holder stops (its
// process killed) or loses its database session (the connection cut), and nothing is sent out of order.
func TestAStandingByRelayTakesOverFromAKilledOne(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	log := zap.NewNop()
	type instance struct {
		reg  *prometheus.Registry
		stop context.CancelFunc
		done chan struct{}
	}
	var inst [2]*instance
	for i := range inst {
		pool, err := pgdb.Connect(ctx, b.dbURL, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		reg := prometheus.NewRegistry()
		r := &outbox.Relay{Pool: pool, JS: testenv.JetStream(t, b.url), Log: log, Poll: 20 * time.Millisecond,
			BatchSize: 10, Standby: 50 * time.Millisecond, Metrics: outbox.NewMetrics(reg, "svc", pool)}
		rctx, cancel := context.WithCancel(ctx)
		in := &instance{reg: reg, stop: cancel, done: make(chan struct{})}
		go func() { defer close(in.done); _ = r.Run(rctx) }()
		t.Cleanup(func() { cancel(); <-in.done })
		inst[i] = in
	}
	leading := func(in *instance) bool {
		v, _ := value(t, in.reg, "livslang_outbox_relay_leading")
		return v == 1
	}
	leader := func() int {
		var l []int
		for i, in := range inst {
			if in != nil && leading(in) {
				l = append(l, i)
			}
		}
		if len(l) != 1 { // none, or two for a moment: a relay whose session was cut learns it at its next batch
			return -1
		}
		return l[0]
	}
	n := 0
	publish := func(what string, k int) {
		t.Helper()
		for range k {
			if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return outbox.Enqueue(ctx, tx, event(t, n)) }); err != nil {
				t.Fatal(err)
			}
			n++
		}
		testenv.Eventually(t, 10*time.Second, what, func() bool {
			return count(t, b.pool, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) == 0
		})
	}
	testenv.Eventually(t, 5*time.Second, "one relay leads", func() bool { return leader() >= 0 })
	publish("the first events sent", 30)

	// The leader's session is cut (pg_terminate_backend: as when its connection drops).
	first := leader()
	var pid int
	if err := b.pool.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "a relay leads on a new session", func() bool {
		var now int
		err := b.pool.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2`).Scan(&now)
		return err == nil && now != pid && leader() >= 0
	})
	publish("events sent after the session was cut", 30)

	// The leader's process is killed: the one standing by takes over.
	killed := leader()
	inst[killed].stop()
	<-inst[killed].done
	inst[killed] = nil
	start := time.Now()
	testenv.Eventually(t, 5*time.Second, "the standing-by relay leads", func() bool { return leader() == 1-killed })
	t.Logf("relay %d led first; relay %d was killed; the other took over in %v", first, killed, time.Since(start))
	publish("events sent after the leader was killed", 30)

	want, got := outboxOrder(t, b.pool), streamOrder(t, b.js)
	if len(got) != len(want) {
		t.Fatalf("the stream holds %d events, the outbox %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("stream position %d out of the outbox's order", i)
		}
	}
}
