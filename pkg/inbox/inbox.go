// Package inbox makes event consumers idempotent: an event's effect and the record that it was applied
// commit in one transaction, so a redelivered event changes nothing. It also parks poisoned messages.
//
// Each consuming service's schema has the tables:
//
//	CREATE TABLE inbox (consumer text NOT NULL, event_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
//	    PRIMARY KEY (consumer, event_id));
//	CREATE TABLE parked_messages (id bigserial PRIMARY KEY, consumer text NOT NULL, subject text NOT NULL,
//	    payload bytea NOT NULL, reason text NOT NULL, deliveries integer NOT NULL, parked_at timestamptz NOT NULL DEFAULT now());
package inbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/pgdb"
)

// Apply runs fn in a transaction unless consumer has already applied eventID; it records the event
// in the same transaction. It reports whether fn ran.
func Apply(ctx context.Context, pool *pgxpool.Pool, consumer, eventID string, fn func(pgx.Tx) error) (bool, error) {
	applied := false
	err := pgdb.Tx(ctx, pool, func(tx pgx.Tx) error {
		var err error
		applied, err = ApplyIn(ctx, tx, consumer, eventID, fn)
		return err
	})
	return applied, err
}

// ApplyIn is Apply in a transaction of the caller's (a consumer applying a batch gives each event a
// savepoint of its own): it records eventID and runs fn unless consumer has applied it already.
func ApplyIn(ctx context.Context, tx pgx.Tx, consumer, eventID string, fn func(pgx.Tx) error) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, consumer, eventID)
	if err != nil {
		return false, fmt.Errorf("record inbox event: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	return true, fn(tx)
}

// Parker stores messages that can never be processed, with the reason, in parked_messages.
type Parker struct{ Pool *pgxpool.Pool }

// Park keeps the message and why it was given up.
func (p Parker) Park(ctx context.Context, consumer, subject string, payload []byte, reason string, deliveries int) error {
	_, err := p.Pool.Exec(ctx, `INSERT INTO parked_messages (consumer, subject, payload, reason, deliveries)
		VALUES ($1, $2, $3, $4, $5)`, consumer, subject, payload, reason, deliveries)
	if err != nil {
		return fmt.Errorf("park message: %w", err)
	}
	return nil
}
