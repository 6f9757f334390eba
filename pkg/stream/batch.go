package stream

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/pgdb"
)

// batched is one message of a batch and what became of it.
type batched struct {
	msg        jetstream.Msg
	e          events.Envelope
	step       step
	ctx        context.Context
	span       trace.Span
	deliveries int
	applied    bool  // its Apply ran and was kept
	err        error // its Apply failed; handled again alone
}

// handleBatch applies msgs, one lane's queue in arrival order, in one transaction: each event in a
// savepoint with its inbox record, one commit for all, then the acknowledgements. Messages that need
// no transaction (unreadable, of an unknown type, skipped) and those that fail in the batch go through
// handle alone, which acks, retries or parks them as it does any message.
func (c Consumer) handleBatch(stopping context.Context, msgs []jetstream.Msg) {
	if stopping.Err() != nil {
		for _, msg := range msgs {
			_ = msg.Nak()
		}
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(stopping), handlerTimeout)
	defer cancel()
	var items []*batched
	for _, msg := range msgs {
		e, err := events.Parse(msg.Data())
		r, known := c.routes[e.Type]
		if err != nil || !known {
			c.handle(stopping, msg)
			continue
		}
		s, err := r.prepare(e)
		if err != nil || s.skip {
			c.handle(stopping, msg)
			continue
		}
		items = append(items, &batched{msg: msg, e: e, step: s, deliveries: 1})
	}
	if len(items) <= 1 { // no savepoints for one
		for _, it := range items {
			c.handle(stopping, it.msg)
		}
		return
	}
	for _, it := range items {
		if md, err := it.msg.Metadata(); err == nil {
			it.deliveries = int(md.NumDelivered)
			c.Metrics.pending(c.Durable, md.NumPending)
		}
		it.ctx, it.span = c.startSpan(ctx, it.msg, it.e, it.deliveries)
	}
	err := pgdb.Tx(ctx, c.DB, func(tx pgx.Tx) error { return c.applyBatch(tx, items) })
	if err != nil {
		c.Log.Warn("batch failed; handling its events one at a time", zap.String("consumer", c.Durable),
			zap.Int("events", len(items)), zap.Error(err))
	}
	applied := false
	for _, it := range items {
		applied = applied || (err == nil && it.err == nil && it.applied)
	}
	if applied && c.AfterCommit != nil {
		c.AfterCommit()
	}
	for _, it := range items {
		it.span.End()
		if err != nil || it.err != nil {
			c.handle(stopping, it.msg)
			continue
		}
		if it.applied && it.step.applied != nil {
			it.step.applied()
		}
		c.ack(ctx, it.msg, c.Log.With(zap.String("consumer", c.Durable), zap.String("event_id", it.e.ID)))
		c.Metrics.observe(c.Durable, "ok", it.deliveries, time.Since(start))
	}
}

// applyBatch applies each item in a savepoint of tx. An item whose Apply fails is rolled back to its
// savepoint and marked; an error returned fails the whole transaction. It runs again from the start
// when pgdb.Tx retries the transaction.
func (c Consumer) applyBatch(tx pgx.Tx, items []*batched) error {
	for _, it := range items {
		it.applied, it.err = false, nil
		sp, err := tx.Begin(it.ctx)
		if err != nil {
			return err
		}
		applied, err := inbox.ApplyIn(it.ctx, sp, c.Durable, it.e.ID, func(tx pgx.Tx) error { return it.step.apply(it.ctx, tx) })
		if err != nil {
			if rerr := sp.Rollback(it.ctx); rerr != nil {
				return errors.Join(err, rerr)
			}
			if !errors.Is(err, ErrRollback) {
				it.err = err
			}
			continue
		}
		if err := sp.Commit(it.ctx); err != nil {
			return err
		}
		it.applied = applied
	}
	return nil
}
