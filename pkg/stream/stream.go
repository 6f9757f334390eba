// Package stream sets up the JetStream streams and runs durable pull consumers whose handlers return
// an error: nil acks, a retryable error naks with backoff, and a permanent error (or one that keeps
// failing) parks the message with its reason and terminates it. No handler acks by hand.
package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
)

// EnsureStreams creates or updates the streams of every producing service.
func EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	for name, subject := range events.StreamSubjects {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       name,
			Subjects:   []string{subject},
			Storage:    jetstream.FileStorage,
			Retention:  jetstream.LimitsPolicy,
			MaxAge:     30 * 24 * time.Hour,
			Duplicates: 10 * time.Minute,
		})
		if err != nil {
			return fmt.Errorf("ensure stream %s: %w", name, err)
		}
	}
	return nil
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

// Consumer describes one durable consumer: one per (consuming service, purpose).
type Consumer struct {
	Stream     string
	Durable    string
	Subjects   []string
	MaxDeliver int // default 10
	Handler    Handler
	Parker     Parker
	Log        *zap.Logger
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
	cons, err := js.CreateOrUpdateConsumer(ctx, c.Stream, jetstream.ConsumerConfig{
		Durable:        c.Durable,
		FilterSubjects: c.Subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        30 * time.Second,
		MaxDeliver:     -1, // the handler wrapper parks after c.MaxDeliver; the server must keep redelivering until then
		MaxAckPending:  1000,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("create consumer %s: %w", c.Durable, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) { c.handle(ctx, msg) })
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.Durable, err)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	return nil
}

func (c Consumer) handle(ctx context.Context, msg jetstream.Msg) {
	deliveries := 1
	if md, err := msg.Metadata(); err == nil {
		deliveries = int(md.NumDelivered)
	}
	log := c.Log.With(zap.String("consumer", c.Durable), zap.String("subject", msg.Subject()), zap.Int("delivery", deliveries))
	err := func() error {
		e, err := events.Parse(msg.Data())
		if err != nil {
			return err
		}
		log = log.With(zap.String("event_id", e.ID), zap.String("event_type", e.Type))
		return c.Handler(ctx, e)
	}()
	if err == nil {
		if err := msg.DoubleAck(ctx); err != nil {
			log.Warn("ack failed; the event will be redelivered and skipped by the inbox", zap.Error(err))
		}
		return
	}
	permanent := errors.Is(err, ErrPermanent) || errors.Is(err, events.ErrMalformed)
	if !permanent && deliveries < c.MaxDeliver {
		log.Warn("event failed; retrying", zap.Error(err))
		_ = msg.NakWithDelay(backoff(deliveries))
		return
	}
	if perr := c.Parker.Park(ctx, c.Durable, msg.Subject(), msg.Data(), err.Error(), deliveries); perr != nil {
		log.Error("parking failed; retrying", zap.Error(perr), zap.NamedError("cause", err))
		_ = msg.NakWithDelay(backoff(deliveries))
		return
	}
	log.Error("event parked", zap.Error(err))
	_ = msg.Term()
}
