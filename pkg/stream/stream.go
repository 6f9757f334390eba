// Package stream sets up the JetStream streams and runs durable pull consumers whose handlers return
// an error: nil acks, a retryable error naks with backoff, and a permanent error (or one that keeps
// failing) parks the message with its reason and terminates it. No handler acks by hand.
package stream

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/tracing"
)

// StreamOption changes how EnsureStreams configures the streams.
type StreamOption func(*jetstream.StreamConfig)

// WithReplicas stores each stream on n servers of a JetStream cluster (1, 3 or 5; 0 or 1 is a single
// copy). Consumers inherit the stream's replica count. Raising it on an existing stream is allowed
// while the cluster has that many servers.
func WithReplicas(n int) StreamOption {
	return func(c *jetstream.StreamConfig) {
		if n > 1 {
			c.Replicas = n
		}
	}
}

// EnsureStreams creates or updates the streams of every producing service.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, opts ...StreamOption) error {
	for name, subject := range events.StreamSubjects {
		cfg := jetstream.StreamConfig{
			Name:       name,
			Subjects:   []string{subject},
			Storage:    jetstream.FileStorage,
			Retention:  jetstream.LimitsPolicy,
			MaxAge:     30 * 24 * time.Hour,
			Duplicates: 10 * time.Minute,
		}
		for _, o := range opts {
			o(&cfg)
		}
		// Every service calls this at start; updating a stream whose configuration is already right
		// would race with other services creating their consumers on it, so only a difference updates.
		if s, err := js.Stream(ctx, name); err == nil && sameConfig(s.CachedInfo().Config, cfg) {
			continue
		}
		_, err := js.CreateOrUpdateStream(ctx, cfg)
		if err != nil {
			return fmt.Errorf("ensure stream %s: %w", name, err)
		}
	}
	return nil
}

// sameConfig reports whether the stream already has every setting EnsureStreams asks for.
func sameConfig(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Storage == want.Storage &&
		have.Retention == want.Retention && have.MaxAge == want.MaxAge &&
		have.Duplicates == want.Duplicates && max(have.Replicas, 1) == max(want.Replicas, 1)
}

// ErrPermanent marks a failure that retrying cannot fix.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err so the consumer parks the message instead of retrying it.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Parker keeps messages that are given up.
type Parker interface {
	Park(ctx context.Context, consumer, subject string, payload []byte, reason string, deliveries int) error
}

// Handler applies one event. It must be idempotent (see package inbox).
type Handler func(ctx context.Context, e events.Envelope) error

// Consumer describes one durable consumer: one per (consuming service, purpose). A message whose
// handler keeps failing is parked after MaxDeliver deliveries, unless it failed because the database
// could not be reached.
type Consumer struct {
	Stream     string
	Durable    string
	Subjects   []string
	MaxDeliver int // default 10
	// Types are the event types Handler knows. A message of another type (such as a newer version
	// of an event) is parked at once with the reason, never handed to Handler as if it were one it
	// knows. Empty: every type goes to Handler.
	Types   []string
	Handler Handler
	// Routes, instead of Handler and Types, give each event type its typed handler (Handle): the
	// consumer decodes the data and applies the event once, in an inbox transaction on DB, under its
	// Durable name. The types the routes name are the consumer's Types.
	Routes  []Route
	DB      *pgxpool.Pool
	Parker  Parker
	Log     *zap.Logger
	Metrics *Metrics          // nil: no metrics
	Tracing *tracing.Provider // nil: no spans
	// Lanes is how many messages an instance handles at once (default 1). Messages of one citizen
	// (the data's citizen_id, else the event's subject) go to the same lane and are handled one at a
	// time in the order this instance received them. That is not a promise of stream order: another
	// instance, a redelivery (a nak, a crash, a lost ack) or a retry after NakWithDelay can put a
	// citizen's events in another order, so handlers must not depend on it (docs/architecture.md,
	// "Delivery and order").
	Lanes int
	// AckWait is how long the server waits for an answer to a delivery before it redelivers the
	// message (default 30 s). A message is reported in progress every third of it while this
	// instance holds it, waiting in a lane or being handled.
	AckWait time.Duration
	// BeforeAck, if set, runs after the handler succeeded and before the message is acknowledged
	// (the fault-injection suite crashes the process there).
	BeforeAck func()
	// AfterCommit, if set, runs after a transaction of Routes that applied at least one event
	// committed: it wakes a worker the events gave work (a sender, a webhook worker).
	AfterCommit func()
	// Batch is how many messages one lane applies in one transaction at most (default 64; 1 applies
	// each alone). Routes only: the messages a lane has queued when it is free are applied in order,
	// each in a savepoint of its own with its inbox record, and committed once, then acknowledged. A
	// message that fails is rolled back to its savepoint and handled again alone (retried or parked
	// as any other); a batch whose commit fails is handled again message by message. At low load a
	// lane's queue holds one message, and it is applied as before.
	Batch int
	// LagEvery is how often the consumer's pending counts are read from the server for
	// Metrics (default 10 s).
	LagEvery time.Duration

	routes map[string]Route // by event type, set by Run from Routes
}

// backoff is the redelivery delay after the n-th failed delivery.
func backoff(n int) time.Duration {
	d := 200 * time.Millisecond << min(n, 8)
	return min(d, 30*time.Second)
}

// Run consumes until ctx is done.
func (c Consumer) Run(ctx context.Context, js jetstream.JetStream) error {
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 10
	}
	if len(c.Routes) > 0 {
		h, routes, types, err := c.routed()
		if err != nil {
			return err
		}
		c.Handler, c.routes, c.Types = h, routes, types
	}
	ackWait := cmp.Or(c.AckWait, 30*time.Second)
	cons, err := js.CreateOrUpdateConsumer(ctx, c.Stream, jetstream.ConsumerConfig{
		Durable:        c.Durable,
		FilterSubjects: c.Subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     -1, // the handler wrapper parks after c.MaxDeliver; the server must keep redelivering until then
		MaxAckPending:  1000,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("create consumer %s: %w", c.Durable, err)
	}
	handle, stop := c.lanes(ctx, ackWait)
	defer stop()
	cc, err := cons.Consume(handle, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() == nil {
			c.Log.Warn("consumer pull failed; it retries by itself", zap.String("consumer", c.Durable), zap.Error(err))
		}
	}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.Durable, err)
	}
	if c.Metrics != nil {
		go c.watchLag(ctx, cons)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	return nil
}

// lanes returns the message callback, which never blocks: it queues the message on the lane of its
// citizen, and each lane handles its queue in arrival order. Every message held (queued or being
// handled) is reported in progress to the server while it is held, so it is not redelivered to
// another instance meanwhile, however long it waits. stop waits for the lanes to finish what they
// hold (a consumer that is stopping hands it back).
func (c Consumer) lanes(ctx context.Context, ackWait time.Duration) (handle func(jetstream.Msg), stop func()) {
	d := &dispatcher{lanes: make([]lane, max(c.Lanes, 1)), held: map[jetstream.Msg]time.Time{}}
	for i := range d.lanes {
		d.lanes[i].wake = make(chan struct{}, 1)
	}
	batch := cmp.Or(c.Batch, 64)
	if c.routes == nil {
		batch = 1
	}
	var wg sync.WaitGroup
	for i := range d.lanes {
		wg.Go(func() {
			for {
				msgs := d.next(i, batch)
				if len(msgs) == 0 {
					return
				}
				if len(msgs) == 1 {
					c.handle(ctx, msgs[0])
				} else {
					c.handleBatch(ctx, msgs)
				}
				for _, msg := range msgs {
					d.done(msg)
				}
			}
		})
	}
	keep := make(chan struct{})
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		d.keepInProgress(keep, ackWait/3)
	}()
	handle = func(msg jetstream.Msg) {
		h := fnv.New32a()
		h.Write([]byte(laneKey(msg.Data())))
		d.add(int(h.Sum32()%uint32(len(d.lanes))), msg)
	}
	stop = func() {
		d.close()
		wg.Wait()
		close(keep)
		<-kept
	}
	return handle, stop
}

// dispatcher holds the messages a consumer was delivered until a lane has handled them.
type dispatcher struct {
	mu     sync.Mutex
	lanes  []lane
	held   map[jetstream.Msg]time.Time // when each held message was last known to the server as in progress
	closed bool
}

type lane struct {
	queue []jetstream.Msg
	wake  chan struct{} // one pending wake-up at most
}

// add queues msg on lane i; one that comes after the lanes have stopped is handed back at once.
func (d *dispatcher) add(i int, msg jetstream.Msg) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		_ = msg.Nak()
		return
	}
	d.lanes[i].queue = append(d.lanes[i].queue, msg)
	d.held[msg] = time.Now()
	d.mu.Unlock()
	select {
	case d.lanes[i].wake <- struct{}{}:
	default:
	}
}

// next is up to n of lane i's next messages, in arrival order, waiting for one if the lane has none;
// none once the dispatcher is closed and the lane's queue empty.
func (d *dispatcher) next(i, n int) []jetstream.Msg {
	l := &d.lanes[i]
	for {
		d.mu.Lock()
		if len(l.queue) > 0 {
			k := min(n, len(l.queue))
			msgs := slices.Clone(l.queue[:k])
			clear(l.queue[:k])
			l.queue = l.queue[k:]
			d.mu.Unlock()
			return msgs
		}
		closed := d.closed
		d.mu.Unlock()
		if closed {
			return nil
		}
		<-l.wake
	}
}

func (d *dispatcher) done(msg jetstream.Msg) {
	d.mu.Lock()
	delete(d.held, msg)
	d.mu.Unlock()
}

func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	for i := range d.lanes {
		select {
		case d.lanes[i].wake <- struct{}{}:
		default:
		}
	}
}

// keepInProgress tells the server, every period until stop is closed, that each message held for at
// least a period is still being worked on, which restarts its ack wait.
func (d *dispatcher) keepInProgress(stop <-chan struct{}, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Now()
		var due []jetstream.Msg
		d.mu.Lock()
		for msg, since := range d.held {
			if now.Sub(since) >= period {
				due = append(due, msg)
				d.held[msg] = now
			}
		}
		d.mu.Unlock()
		for _, msg := range due {
			_ = msg.InProgress() // a lost one costs a redelivery, which the inbox makes harmless
		}
	}
}

// laneKey is whom an event is about: the citizen_id of its data, else its subject ("" when the
// envelope does not parse; such messages are parked by whichever lane gets them).
func laneKey(body []byte) string {
	var e struct {
		Subject string `json:"subject"`
		Data    struct {
			CitizenID string `json:"citizen_id"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Data.CitizenID != "" {
		return e.Data.CitizenID
	}
	return e.Subject
}

// watchLag copies the consumer's pending counts from the server into the metrics until ctx is done.
func (c Consumer) watchLag(ctx context.Context, cons jetstream.Consumer) {
	every := c.LagEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if info, err := cons.Info(ictx); err == nil {
			c.Metrics.lag(c.Durable, info.NumPending, uint64(info.NumAckPending))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handlerTimeout bounds one handler call: one that hangs is given up and retried (the message stays
// in progress while it runs, so no other instance gets it meanwhile).
const handlerTimeout = 20 * time.Second

// handle runs the handler on one message and acks, naks or parks it. A message that arrives while the
// consumer is stopping is handed back at once; a handler that has started finishes (within
// handlerTimeout) even when the consumer stops meanwhile.
func (c Consumer) handle(stopping context.Context, msg jetstream.Msg) {
	if stopping.Err() != nil {
		_ = msg.Nak()
		return
	}
	start := time.Now()
	deliveries := 1
	if md, err := msg.Metadata(); err == nil {
		deliveries = int(md.NumDelivered)
		c.Metrics.pending(c.Durable, md.NumPending)
	}
	e, parseErr := events.Parse(msg.Data())
	ctx, cancel := context.WithTimeout(context.WithoutCancel(stopping), handlerTimeout)
	defer cancel()
	ctx, span := c.startSpan(ctx, msg, e, deliveries)
	defer span.End()
	log := c.Log.With(zap.String("consumer", c.Durable), zap.String("subject", msg.Subject()), zap.Int("delivery", deliveries))
	log = log.With(tracing.Fields(ctx)...)
	err := func() error {
		if parseErr != nil {
			return parseErr
		}
		log = log.With(zap.String("event_id", e.ID), zap.String("event_type", e.Type))
		if len(c.Types) > 0 && !slices.Contains(c.Types, e.Type) {
			return Permanent(fmt.Errorf("%w: unknown event type %s (%s reads %s)", events.ErrMalformed, e.Type, c.Durable, strings.Join(c.Types, ", ")))
		}
		return c.Handler(ctx, e)
	}()
	outcome := "ok"
	defer func() { c.Metrics.observe(c.Durable, outcome, deliveries, time.Since(start)) }()
	if err == nil {
		c.ack(ctx, msg, log)
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	// A database that cannot be reached says nothing about the message: it is retried however long
	// the outage lasts, never parked for it.
	permanent := errors.Is(err, ErrPermanent) || errors.Is(err, events.ErrMalformed)
	if !permanent && (deliveries < c.MaxDeliver || pgdb.Unavailable(err)) {
		outcome = "retry"
		log.Warn("event failed; retrying", zap.Error(err))
		_ = msg.NakWithDelay(backoff(deliveries))
		return
	}
	if perr := c.Parker.Park(ctx, c.Durable, msg.Subject(), msg.Data(), err.Error(), deliveries); perr != nil {
		outcome = "retry"
		log.Error("parking failed; retrying", zap.Error(perr), zap.NamedError("cause", err))
		_ = msg.NakWithDelay(backoff(deliveries))
		return
	}
	outcome = "parked"
	log.Error("event parked", zap.Error(err))
	_ = msg.Term()
}

// ack acknowledges a message whose handler succeeded and waits for the server's confirmation.
func (c Consumer) ack(ctx context.Context, msg jetstream.Msg, log *zap.Logger) {
	if c.BeforeAck != nil {
		c.BeforeAck()
	}
	if err := msg.DoubleAck(ctx); err != nil {
		log.Warn("ack failed; the event will be redelivered and skipped by the inbox", zap.Error(err))
	}
}

// startSpan starts the consumer span, continuing the trace context in the message headers (set by
// the outbox relay) or, failing that, the envelope's traceparent.
func (c Consumer) startSpan(ctx context.Context, msg jetstream.Msg, e events.Envelope, deliveries int) (context.Context, trace.Span) {
	if !c.Tracing.Enabled() {
		return ctx, trace.SpanFromContext(ctx)
	}
	if h := msg.Headers(); h != nil {
		ctx = c.Tracing.Propagator.Extract(ctx, tracing.HeaderCarrier(h))
	}
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = tracing.ContextWithTraceParent(ctx, e.TraceParent)
	}
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", msg.Subject()),
		attribute.String("messaging.consumer.group.name", c.Durable),
		attribute.Int("messaging.message.delivery_count", deliveries),
	}
	if e.ID != "" {
		attrs = append(attrs, attribute.String("messaging.message.id", e.ID), attribute.String("cloudevents.event_type", e.Type))
	}
	return c.Tracing.Tracer("livslang.dk/pkg/stream").Start(ctx, "process "+msg.Subject(),
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}
