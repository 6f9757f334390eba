// Package outbox writes events in the same Postgres transaction as the domain change and relays them
// to JetStream in order, with the event id as Nats-Msg-Id so a re-sent event is dropped as a duplicate.
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

// Relay publishes committed outbox rows to JetStream.
type Relay struct {
	Pool      *pgxpool.Pool
	JS        jetstream.JetStream
	Log       *zap.Logger
	BatchSize int               // rows per batch; default 500
	Poll      time.Duration     // fallback poll when no notification arrives; default 1s
	Retention time.Duration     // sent rows older than this are deleted; default 24h
	Metrics   *Metrics          // nil: no metrics
	Tracing   *tracing.Provider // nil: no spans; trace context is still copied into the headers
	// BeforePublish, if set, runs after a batch of committed rows is claimed and before it is
	// published (the fault-injection suite crashes the process there).
	BeforePublish func()
}

// Run relays until ctx is done.
func (r *Relay) Run(ctx context.Context) error {
	if r.BatchSize == 0 {
		r.BatchSize = 500
	}
	if r.Poll == 0 {
		r.Poll = time.Second
	}
	if r.Retention == 0 {
		r.Retention = 24 * time.Hour
	}
	wake := make(chan struct{}, 1)
	go r.listen(ctx, wake)
	window := polling(r.Pool.Config().ConnConfig)
	lastPrune := time.Time{}
	for {
		n, err := r.RelayOnce(ctx)
		if n > 0 {
			window.until.Store(time.Now().Add(busyFor).UnixNano())
		}
		if err != nil && ctx.Err() == nil {
			r.Log.Warn("outbox relay batch failed", zap.Error(err))
		}
		if time.Since(lastPrune) > time.Hour {
			if _, err := r.Pool.Exec(ctx, `DELETE FROM outbox WHERE sent_at < now() - $1::interval`, r.Retention.String()); err != nil && ctx.Err() == nil {
				r.Log.Warn("outbox prune failed", zap.Error(err))
			}
			lastPrune = time.Now()
		}
		if n == r.BatchSize && err == nil {
			continue // more waiting
		}
		wait := r.Poll
		if window.covers(time.Now().Add(-commitMargin)) {
			wait = busyPoll // busy: commits in this process skip the NOTIFY, so look again soon
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(wait):
		}
	}
}

// listen turns NOTIFY on the schema's outbox channel into wake-ups, reconnecting on failure.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
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
				select {
				case wake <- struct{}{}:
				default:
				}
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

// RelayOnce publishes one batch of unsent rows, oldest first, and marks those JetStream acknowledged.
// Rows are locked while they are published, so several relay instances never send the same batch.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	if r.BatchSize == 0 {
		r.BatchSize = 500
	}
	sent := 0
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		// Marking rows sent need not wait for the WAL flush: if a crash loses the mark, the rows
		// are sent again and JetStream drops them as duplicates (Nats-Msg-Id).
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("outbox relay: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT seq, event_id::text, subject, envelope FROM outbox
			WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, r.BatchSize)
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
		futures := make([]jetstream.PubAckFuture, len(batch))
		spans := make([]trace.Span, 0, len(batch))
		defer func() {
			for _, s := range spans {
				s.End()
			}
		}()
		for i, x := range batch {
			header := nats.Header{}
			spans = append(spans, r.publishSpan(ctx, x.subject, x.id, x.body, header))
			f, err := r.JS.PublishMsgAsync(&nats.Msg{Subject: x.subject, Data: x.body, Header: header},
				jetstream.WithMsgID(x.id))
			if err != nil {
				spans[i].RecordError(err)
				spans[i].SetStatus(codes.Error, err.Error())
				futures = futures[:i]
				break
			}
			futures[i] = f
		}
		var acked []int64
		var pubErr error
		timeout := time.After(10 * time.Second)
	wait:
		for i, f := range futures {
			select {
			case <-f.Ok():
				acked = append(acked, batch[i].seq)
				r.Metrics.published(batch[i].subject)
			case err := <-f.Err():
				pubErr = err
				spans[i].RecordError(err)
				spans[i].SetStatus(codes.Error, err.Error())
				break wait // keep order: stop at the first failure
			case <-timeout:
				pubErr = errors.New("timed out waiting for JetStream acks")
				break wait
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if pubErr != nil || len(futures) < len(batch) {
			r.Metrics.failed()
		}
		if len(acked) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = now() WHERE seq = ANY($1)`, acked); err != nil {
				return fmt.Errorf("mark outbox rows sent: %w", err)
			}
		}
		sent = len(acked)
		if pubErr != nil {
			// Commit what was acknowledged; the rest is retried (deduplication covers repeats).
			r.Log.Warn("outbox publish failed; will retry", zap.Error(pubErr), zap.Int("acked", sent), zap.Int("batch", len(batch)))
		}
		return nil
	})
	return sent, err
}
