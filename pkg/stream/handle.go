package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
)

// Func applies one event, whose data is a T, in tx: the transaction that also records the event in
// the consumer's inbox, so a redelivered event is never applied twice. An error rolls both back; see
// Consumer for what then happens to the message.
type Func[T any] func(ctx context.Context, tx pgx.Tx, e events.Envelope, data T) error

// ErrRollback, returned (or wrapped) by a Func, rolls its transaction back, the inbox record with it,
// and acknowledges the event: applying it changed nothing that needs keeping.
var ErrRollback = errors.New("roll back and acknowledge")

// Route is what a consumer does with the events of some types (see Handle).
type Route interface {
	eventTypes() []string
	prepare(e events.Envelope) (step, error)
}

// step is what applying one decoded event takes: nothing (skip), or apply in the inbox's transaction
// and, once that committed, applied.
type step struct {
	skip    bool
	apply   func(ctx context.Context, tx pgx.Tx) error
	applied func() // nil: nothing to run
}

// On routes the events of Types to Apply. Build one with Handle.
type On[T any] struct {
	Types []string
	Apply Func[T]
	// Skip, if set, reports an event that changes nothing: it is acknowledged without a transaction
	// and without an inbox record.
	Skip func(e events.Envelope, data T) bool
	// Applied, if set, runs after Apply's transaction committed (not for an event already applied).
	Applied func(e events.Envelope, data T)
}

// Handle routes the events of types, whose data decode into a T, to fn. An event whose data does not
// decode is parked with the reason.
func Handle[T any](fn Func[T], types ...string) On[T] { return On[T]{Types: types, Apply: fn} }

func (o On[T]) eventTypes() []string { return o.Types }

func (o On[T]) prepare(e events.Envelope) (step, error) {
	var data T
	if err := e.Decode(&data); err != nil {
		return step{}, err
	}
	if o.Skip != nil && o.Skip(e, data) {
		return step{skip: true}, nil
	}
	s := step{apply: func(ctx context.Context, tx pgx.Tx) error { return o.Apply(ctx, tx, e, data) }}
	if o.Applied != nil {
		s.applied = func() { o.Applied(e, data) }
	}
	return s, nil
}

// applyOne applies the event in a transaction of its own.
func applyOne(ctx context.Context, db *pgxpool.Pool, consumer string, e events.Envelope, s step, afterCommit func()) error {
	if s.skip {
		return nil
	}
	applied, err := inbox.Apply(ctx, db, consumer, e.ID, func(tx pgx.Tx) error { return s.apply(ctx, tx) })
	if errors.Is(err, ErrRollback) {
		return nil
	}
	if err == nil && applied {
		if s.applied != nil {
			s.applied()
		}
		if afterCommit != nil {
			afterCommit()
		}
	}
	return err
}

// routed is the Handler of c's Routes, the routes by event type, and the event types they name in
// order (the first route that names a type gets it).
func (c Consumer) routed() (Handler, map[string]Route, []string, error) {
	if c.Handler != nil || len(c.Types) > 0 {
		return nil, nil, nil, fmt.Errorf("consumer %s: Routes name the handlers and types; Handler and Types must be empty", c.Durable)
	}
	if c.DB == nil {
		return nil, nil, nil, fmt.Errorf("consumer %s: Routes need DB, the inbox's database", c.Durable)
	}
	byType := map[string]Route{}
	var types []string
	for _, r := range c.Routes {
		for _, t := range r.eventTypes() {
			if _, ok := byType[t]; !ok {
				byType[t] = r
				types = append(types, t)
			}
		}
	}
	db, consumer, afterCommit := c.DB, c.Durable, c.AfterCommit
	return func(ctx context.Context, e events.Envelope) error {
		r, ok := byType[e.Type]
		if !ok { // Types keeps other types out; this is for a caller of the Handler itself
			return Permanent(fmt.Errorf("%w: no route for event type %s", events.ErrMalformed, e.Type))
		}
		s, err := r.prepare(e)
		if err != nil {
			return err
		}
		return applyOne(ctx, db, consumer, e, s, afterCommit)
	}, byType, slices.Clip(types), nil
}
