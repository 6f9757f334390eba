// Package outbox writes events in the same Postgres transaction as the domain change and relays them
// to JetStream in order, with the event id as Nats-Msg-Id so a re-sent event is dropped as a duplicate.
//
// The stream holds a service's events in the order of its outbox (seq): one relay per service
// publishes at a time (it holds a session-level advisory lock; the relays of the other instances
// stand by), and within a batch each event after the first is published on condition that the
// stream's last sequence is the one the event before it got (Nats-Expected-Last-Sequence), so when
// one is lost nothing after it is stored before it is sent again. (Not Nats-Expected-Last-Msg-Id:
// every replica checks that one as it applies the message, and a replica that finds another last id
// stops the stream; see docs/architecture.md, "Outbox".)
//
// Each service's schema has the table:
//
//	CREATE TABLE outbox (seq bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, subject text NOT NULL,
//	    envelope bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz);
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/poll"
	"livslang.dk/pkg/tracing"
)

// publishSpan starts the producer span of one outbox row, a child of the envelope's traceparent
// (the span that enqueued it), and writes the trace context into the NATS message header. Without
// tracing, the envelope's traceparent (if any) is copied into the header as it is.
func (r *Relay) publishSpan(ctx context.Context, subject, id string, body []byte, header nats.Header) trace.Span {
	var env struct {
		TraceParent string `json:"traceparent"`
		Type        string `json:"type"`
	}
	_ = json.Unmarshal(body, &env)
	if !r.Tracing.Enabled() {
		if env.TraceParent != "" {
			header.Set("traceparent", env.TraceParent)
		}
		return trace.SpanFromContext(context.Background())
	}
	ctx = tracing.ContextWithTraceParent(ctx, env.TraceParent)
	ctx, span := r.Tracing.Tracer("livslang.dk/pkg/outbox").Start(ctx, "send "+subject,
		trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", subject),
			attribute.String("messaging.message.id", id),
			attribute.String("cloudevents.event_type", env.Type)))
	r.Tracing.Propagator.Inject(ctx, tracing.HeaderCarrier(header))
	return span
}

// Enqueue stores the events in the transaction's outbox and wakes the relay when it commits. An
// event without a traceparent gets the one of the span in ctx (the HTTP request or the consumed
// event that caused it), so the trace continues through NATS.
func Enqueue(ctx context.Context, tx pgx.Tx, envs ...events.Envelope) error {
	b := &pgx.Batch{}
	if err := Queue(ctx, b, tx, envs...); err != nil || b.Len() == 0 {
		return err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	return nil
}

// Queue queues Enqueue's writes on b, for a caller that sends them in tx with its other statements in
// one round trip.
func Queue(ctx context.Context, b *pgx.Batch, tx pgx.Tx, envs ...events.Envelope) error {
	traceparent := tracing.TraceParent(ctx)
	for _, e := range envs {
		if e.NATSSubject == "" {
			return fmt.Errorf("enqueue %s: no NATS subject", e.Type)
		}
		if e.TraceParent == "" {
			e.TraceParent = traceparent
		}
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("marshal %s: %w", e.Type, err)
		}
		b.Queue(`INSERT INTO outbox (event_id, subject, envelope) VALUES ($1, $2, $3)`, e.ID, e.NATSSubject, body)
	}
	// A NOTIFY makes the commit take PostgreSQL's cluster-wide notification lock, which serialises
	// every notifying commit; while this process's relay polls on its own for a while yet, the
	// commit does without.
	if len(envs) > 0 && !polling(tx.Conn().Config()).covers(time.Now()) {
		b.Queue(`SELECT pg_notify('outbox_' || current_schema(), '')`)
	}
	return nil
}

const (
	// busyPoll is how often a relay that found rows looks again, for busyFor after it last found some.
	busyPoll = 5 * time.Millisecond
	busyFor  = 200 * time.Millisecond
	// commitMargin is how long a relay must still be polling when an event is enqueued for its
	// transaction to skip the NOTIFY: longer than a commit takes (a slower one waits for the
	// relay's fallback poll).
	commitMargin = 100 * time.Millisecond
)

// pollWindow is until when (Unix nanoseconds) a relay in this process polls one outbox by itself.
type pollWindow struct{ until atomic.Int64 }

func (w *pollWindow) covers(now time.Time) bool {
	return w.until.Load()-now.UnixNano() > int64(commitMargin)
}

// windows holds a pollWindow per outbox, keyed by the database role and address: each service has
// its own role and schema, so services running in one process (as in tests) never share one.
var windows sync.Map

func polling(c *pgx.ConnConfig) *pollWindow {
	key := fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
	w, _ := windows.LoadOrStore(key, &pollWindow{})
	return w.(*pollWindow)
}

// Relay publishes committed outbox rows to JetStream, one relay per service at a time.
type Relay struct {
	Pool      *pgxpool.Pool
	JS        jetstream.JetStream
	Log       *zap.Logger
	BatchSize int               // rows per batch; default 500
	Poll      time.Duration     // fallback poll when no notification arrives; default 5s
	Retention time.Duration     // sent rows older than this are deleted; default 24h
	Metrics   *Metrics          // nil: no metrics
	Tracing   *tracing.Provider // nil: no spans; trace context is still copied into the headers
	// Standby is how often a relay that stands by (another instance's relay holds the lock) tries
	// to take over; default 1s.
	Standby time.Duration
	// BeforePublish, if set, runs after a batch of committed rows is claimed and before it is
	// published (the fault-injection suite crashes the process there).
	BeforePublish func()
}

const (
	// batchTimeout bounds one batch (claim, publish, mark): a relay cut off from Postgres gives up
	// its session, and with it the lock, rather than hang.
	batchTimeout = 30 * time.Second
	// ackTimeout bounds the wait for a batch's acknowledgements.
	ackTimeout = 10 * time.Second
)

// lockSession are the settings of the relay's own session. The server ends the session of a relay
// it cannot reach, and so frees the lock for another instance: idle, after 5 s and three
// unanswered keepalive probes 2 s apart (about 11 s); with data unacknowledged, after 10 s; idle in
// a batch's transaction (claim done, publishing; at most ackTimeout), after 20 s.
var lockSession = map[string]string{
	"application_name":                    "livslang-outbox-relay",
	"tcp_keepalives_idle":                 "5",
	"tcp_keepalives_interval":             "2",
	"tcp_keepalives_count":                "3",
	"tcp_user_timeout":                    "10000",
	"idle_in_transaction_session_timeout": "20s",
}

// relayLock is the relay's advisory lock, one per schema (the two-key form, a key space apart from
// the one-key locks of migrations and funding's citizens).
const relayLock = `hashtext('livslang.outbox_relay'), hashtext(current_schema())`

// Run relays until ctx is done: it stands by until it holds the service's relay lock, then relays
// on that session until ctx is done or the session is lost, and stands by again.
func (r *Relay) Run(ctx context.Context) error {
	if r.BatchSize == 0 {
		r.BatchSize = 500
	}
	if r.Poll == 0 {
		r.Poll = 5 * time.Second
	}
	if r.Retention == 0 {
		r.Retention = 24 * time.Hour
	}
	if r.Standby == 0 {
		r.Standby = time.Second
	}
	wake := &poll.Waker{}
	go r.listen(ctx, wake)
	for {
		conn := r.lead(ctx)
		if conn == nil {
			return nil
		}
		r.Metrics.leading(true)
		r.Log.Info("outbox relay holds the lock; relaying")
		err := r.relay(ctx, conn, wake)
		r.Metrics.leading(false)
		_ = conn.Close(context.WithoutCancel(ctx)) // ends the session, and so frees the lock
		if ctx.Err() != nil {
			return nil
		}
		r.Log.Warn("outbox relay lost its session; standing by", zap.Error(err))
	}
}

// lead waits until this relay holds the relay lock and returns the session that holds it (nil when
// ctx is done first). The session is its own connection, outside the pool.
func (r *Relay) lead(ctx context.Context) *pgx.Conn {
	var conn *pgx.Conn
	warned := false
	for {
		err := func() error {
			if conn == nil {
				cfg := r.Pool.Config().ConnConfig.Copy()
				for k, v := range lockSession {
					cfg.RuntimeParams[k] = v
				}
				c, err := pgx.ConnectConfig(ctx, cfg)
				if err != nil {
					return fmt.Errorf("connect: %w", err)
				}
				conn = c
			}
			var held bool
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+relayLock+`)`).Scan(&held); err != nil {
				_ = conn.Close(context.WithoutCancel(ctx))
				conn = nil
				return fmt.Errorf("try relay lock: %w", err)
			}
			if !held {
				return errStandby
			}
			return nil
		}()
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			if conn != nil {
				_ = conn.Close(context.WithoutCancel(ctx))
			}
			return nil
		}
		if !errors.Is(err, errStandby) && !warned {
			r.Log.Warn("outbox relay cannot reach its database; retrying", zap.Error(err))
			warned = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.Standby):
		}
	}
}

var errStandby = errors.New("another instance's relay holds the lock")

// relay publishes batches on conn, the session that holds the lock, until ctx is done or conn fails.
func (r *Relay) relay(ctx context.Context, conn *pgx.Conn, wake *poll.Waker) error {
	window := polling(r.Pool.Config().ConnConfig)
	lastPrune := time.Time{}
	return wake.Loop(ctx, func(ctx context.Context) (time.Duration, error) {
		n, err := r.relayOnce(ctx, conn)
		if n > 0 {
			window.until.Store(time.Now().Add(busyFor).UnixNano())
		}
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil // the loop ends
			}
			if conn.IsClosed() || !alive(ctx, conn) {
				return 0, err
			}
			r.Log.Warn("outbox relay batch failed", zap.Error(err))
		}
		if time.Since(lastPrune) > time.Hour {
			if _, err := r.Pool.Exec(ctx, `DELETE FROM outbox WHERE sent_at < now() - $1::interval`, r.Retention.String()); err != nil && ctx.Err() == nil {
				r.Log.Warn("outbox prune failed", zap.Error(err))
			}
			lastPrune = time.Now()
		}
		if n == r.BatchSize && err == nil {
			return 0, nil // more waiting
		}
		if window.covers(time.Now().Add(-commitMargin)) {
			return busyPoll, nil // busy: commits in this process skip the NOTIFY, so look again soon
		}
		return r.Poll, nil
	})
}

// alive reports whether the session still answers (and so still holds the lock).
func alive(ctx context.Context, conn *pgx.Conn) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return conn.Ping(ctx) == nil
}

// listen turns NOTIFY on the schema's outbox channel into wake-ups, reconnecting on failure.
func (r *Relay) listen(ctx context.Context, wake *poll.Waker) {
	for ctx.Err() == nil {
		err := func() error {
			conn, err := r.Pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			var channel string
			if err := conn.QueryRow(ctx, `SELECT 'outbox_' || current_schema()`).Scan(&channel); err != nil {
				return err
			}
			if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
				return err
			}
			defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *") //nolint:errcheck
			for {
				if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
					return err
				}
				wake.Wake()
			}
		}()
		if ctx.Err() != nil {
			return
		}
		r.Log.Warn("outbox listener stopped; polling until it reconnects", zap.Error(err))
		select {
		case <-ctx.Done():
		case <-time.After(r.Poll):
		}
	}
}

// relayOnce publishes one batch of unsent rows in seq order on conn, the session that holds the
// relay lock, and marks those JetStream acknowledged. The first row goes alone; each row after it is
// published on condition that the stream's last sequence is the one the row before it got, and the
// batch stops at the first row that is not acknowledged: what follows a lost row is refused by the
// server, so the stream never holds a row before one that precedes it, and the next batch starts
// with the lost row.
func (r *Relay) relayOnce(ctx context.Context, conn *pgx.Conn) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	sent := 0
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Marking rows sent need not wait for the WAL flush: if a crash loses the mark, the rows
		// are sent again and JetStream drops them as duplicates (Nats-Msg-Id).
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("outbox relay: %w", err)
		}
		// FOR UPDATE without SKIP LOCKED: a relay never skips rows another holds (only a relay of
		// an older version, without the lock, could), which would reorder them.
		rows, err := tx.Query(ctx, `SELECT seq, event_id::text, subject, envelope FROM outbox
			WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE`, r.BatchSize)
		if err != nil {
			return fmt.Errorf("claim outbox rows: %w", err)
		}
		type row struct {
			seq     int64
			id      string
			subject string
			body    []byte
		}
		batch, err := pgx.CollectRows(rows, func(rs pgx.CollectableRow) (row, error) {
			var x row
			return x, rs.Scan(&x.seq, &x.id, &x.subject, &x.body)
		})
		if err != nil {
			return fmt.Errorf("read outbox rows: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if r.BeforePublish != nil {
			r.BeforePublish()
		}
		spans := make([]trace.Span, 0, len(batch))
		defer func() {
			for _, s := range spans {
				s.End()
			}
		}()
		publish := func(i int, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
			x := batch[i]
			header := nats.Header{}
			spans = append(spans, r.publishSpan(ctx, x.subject, x.id, x.body, header))
			f, err := r.JS.PublishMsgAsync(&nats.Msg{Subject: x.subject, Data: x.body, Header: header},
				append(opts, jetstream.WithMsgID(x.id))...)
			if err != nil {
				spans[i].RecordError(err)
				spans[i].SetStatus(codes.Error, err.Error())
			}
			return f, err
		}
		var acked []int64
		timeout := time.After(ackTimeout)
		// await waits for row i's acknowledgement and returns it.
		await := func(i int, f jetstream.PubAckFuture) (*jetstream.PubAck, error) {
			select {
			case ack := <-f.Ok():
				acked = append(acked, batch[i].seq)
				r.Metrics.published(batch[i].subject)
				return ack, nil
			case err := <-f.Err():
				spans[i].RecordError(err)
				spans[i].SetStatus(codes.Error, err.Error())
				return nil, err
			case <-timeout:
				return nil, errors.New("timed out waiting for JetStream acks")
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		// The first row goes alone: every row before it is stored, so it needs no condition, and
		// its sequence (the original's, if the server drops it as a duplicate) anchors the others.
		var pubErr error
		if f, err := publish(0); err != nil {
			pubErr = err
		} else if ack, err := await(0, f); err != nil {
			pubErr = err
		} else {
			futures := make([]jetstream.PubAckFuture, 0, len(batch)-1)
			for i := 1; i < len(batch); i++ {
				f, err := publish(i, jetstream.WithExpectLastSequence(ack.Sequence+uint64(i-1)))
				if err != nil {
					pubErr = err
					break
				}
				futures = append(futures, f)
			}
			for i, f := range futures {
				if _, err := await(i+1, f); err != nil {
					pubErr = err // keep order: stop at the first failure
					break
				}
			}
		}
		if pubErr != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if pubErr != nil {
			r.Metrics.failed()
		}
		if len(acked) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = now() WHERE seq = ANY($1)`, acked); err != nil {
				return fmt.Errorf("mark outbox rows sent: %w", err)
			}
		}
		sent = len(acked)
		if pubErr != nil {
			// Commit what was acknowledged; the rest is retried, from the first row not acknowledged
			// (deduplication covers repeats).
			r.Log.Warn("outbox publish failed; will retry", zap.Error(pubErr), zap.Int("acked", sent), zap.Int("batch", len(batch)))
		}
		return nil
	})
	return sent, err
}
