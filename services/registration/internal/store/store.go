// Package store is registration's Postgres adapter: the catalogue, citizens' profiles and enrolments,
// each change written with its events in one transaction (outbox).
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pii"
)

// Source is the CloudEvents source of registration's events.
const Source = "/livslang/registration"

// Copenhagen is where course dates are civil dates and deadlines are shown.
var Copenhagen = businessday.Copenhagen

// Store is registration's storage.
type Store struct {
	pool *pgxpool.Pool
	keys *pii.Keys // the master keys: they wrap citizens' data keys; the index key finds CPR numbers
	ring datakeys.Keyring
	now  func() time.Time
	// Answer is the institutions' answer deadline and default.
	Answer AnswerPolicy
	// HoldHours is how long a seat is held for funding before it is released (default 168).
	HoldHours int
	// enrolments runs the requests for one run in shared transactions (see batcher).
	enrolments *batcher
	// Retention is how long what registration holds is kept.
	Retention Retention
	// Issuing is how certificates for completed courses are issued.
	Issuing CredentialPolicy
}

// New makes a store; keys are the master keys (wrapping citizens' data keys) and the CPR index key,
// now is the clock.
func New(pool *pgxpool.Pool, keys *pii.Keys, now func() time.Time) *Store {
	return &Store{pool: pool, keys: keys, ring: datakeys.Keyring{Keys: keys}, now: now, enrolments: newBatcher(pool, 64),
		Retention: DefaultRetention}
}

// RewrapKeys wraps every citizen's data key that an older master key wraps with the current one.
func (s *Store) RewrapKeys(ctx context.Context) (int, error) {
	return s.ring.Rewrap(ctx, s.pool, s.now())
}

// Today is the current civil date in Copenhagen.
func (s *Store) Today() time.Time {
	y, m, d := s.now().In(Copenhagen).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgdb.Tx(ctx, s.pool, fn)
}

// publish enqueues an event on the transaction's outbox and returns it.
func (s *Store) publish(ctx context.Context, tx pgx.Tx, eventType, subject, aggregate string, data any) (events.Envelope, error) {
	env, err := events.New(Source, eventType, subject, aggregate, s.now(), data)
	if err != nil {
		return events.Envelope{}, err
	}
	return env, outbox.Enqueue(ctx, tx, env)
}

func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, pgdb.Translate(err))
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

// WithClock returns a copy of the store that reads the time from now (for tests and tools).
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = now
	return &c
}
