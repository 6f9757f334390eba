// Package datakeys keeps each citizen's data key (envelope encryption, see pii.DataKey) in the
// service's own schema, wrapped by the service's master keys, and ends it with the citizen's erasure:
// the key is destroyed (crypto-shredding), at once or, where the law requires records to be kept, when
// the last of them is deleted. An erased citizen stays marked, so nothing new is stored for them, even
// from an event that arrives late.
//
// Each service's schema has the table:
//
//	CREATE TABLE citizen_keys (citizen_id text PRIMARY KEY, wrapped bytea, created_at timestamptz NOT NULL DEFAULT now(),
//	    rewrapped_at timestamptz, erased_at timestamptz, shredded_at timestamptz,
//	    CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL)));
package datakeys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pii"
)

// ErrErased is writing personal data for a citizen whose data was erased; answered 410 Gone.
var ErrErased = fmt.Errorf("%w: the citizen's personal data was erased at their request", httpapi.ErrGone)

// ErrShredded is reading data whose key was destroyed: it can never be read again.
var ErrShredded = errors.New("the citizen's data key was destroyed")

// Querier is a transaction or a pool.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Keyring finds, makes, rewraps and destroys citizens' data keys.
type Keyring struct {
	Keys *pii.Keys // the service's master keys (the first wraps)
}

// ForWriting returns the citizen's data key, making one the first time. It holds the key's row (FOR
// SHARE) until tx ends, so an erasure waits for data being written with it. An erased citizen is
// ErrErased.
func (r Keyring) ForWriting(ctx context.Context, tx pgx.Tx, citizenID string) (pii.DataKey, error) {
	key, raw, err := pii.NewDataKey()
	if err != nil {
		return pii.DataKey{}, err
	}
	wrapped, err := r.Keys.Wrap(raw, citizenID)
	if err != nil {
		return pii.DataKey{}, fmt.Errorf("wrap data key: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO citizen_keys (citizen_id, wrapped) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		citizenID, wrapped)
	if err != nil {
		return pii.DataKey{}, fmt.Errorf("store data key: %w", err)
	}
	var stored []byte
	var erased *time.Time
	if err := tx.QueryRow(ctx, `SELECT wrapped, erased_at FROM citizen_keys WHERE citizen_id = $1 FOR SHARE`,
		citizenID).Scan(&stored, &erased); err != nil {
		return pii.DataKey{}, fmt.Errorf("read data key: %w", err)
	}
	if erased != nil {
		return pii.DataKey{}, ErrErased
	}
	if tag.RowsAffected() == 1 {
		return key, nil
	}
	return r.Open(citizenID, stored)
}

// ForReading returns the citizen's data key: pgx.ErrNoRows when they have none, ErrShredded when it
// was destroyed.
func (r Keyring) ForReading(ctx context.Context, q Querier, citizenID string) (pii.DataKey, error) {
	var wrapped []byte
	if err := q.QueryRow(ctx, `SELECT wrapped FROM citizen_keys WHERE citizen_id = $1`, citizenID).Scan(&wrapped); err != nil {
		return pii.DataKey{}, fmt.Errorf("read data key: %w", err)
	}
	return r.Open(citizenID, wrapped)
}

// Open unwraps a key read together with the data (a join on citizen_keys); a destroyed (NULL) key is
// ErrShredded.
func (r Keyring) Open(citizenID string, wrapped []byte) (pii.DataKey, error) {
	if wrapped == nil {
		return pii.DataKey{}, ErrShredded
	}
	return r.Keys.Unwrap(wrapped, citizenID)
}

// Erased reports whether the citizen's data was erased.
func (r Keyring) Erased(ctx context.Context, q Querier, citizenID string) (bool, error) {
	var erased bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM citizen_keys WHERE citizen_id = $1 AND erased_at IS NOT NULL)`,
		citizenID).Scan(&erased)
	if err != nil {
		return false, fmt.Errorf("read erasure: %w", err)
	}
	return erased, nil
}

// Erase marks the citizen erased at the time given. With shred the key is destroyed now; without, it
// is kept for the records the law requires and destroyed by Shred once they are gone. Erasing again
// changes nothing but may shred.
func (r Keyring) Erase(ctx context.Context, tx pgx.Tx, citizenID string, at time.Time, shred bool) error {
	if _, err := tx.Exec(ctx, `INSERT INTO citizen_keys (citizen_id, wrapped, erased_at, shredded_at) VALUES ($1, NULL, $2, $2)
		ON CONFLICT (citizen_id) DO UPDATE SET erased_at = coalesce(citizen_keys.erased_at, EXCLUDED.erased_at)`,
		citizenID, at); err != nil {
		return fmt.Errorf("mark citizen erased: %w", err)
	}
	if !shred {
		return nil
	}
	return r.Shred(ctx, tx, citizenID, at)
}

// Shred destroys the citizen's key: whatever was sealed with it, wherever a copy is, cannot be read.
func (r Keyring) Shred(ctx context.Context, q Querier, citizenID string, at time.Time) error {
	if _, err := q.Exec(ctx, `UPDATE citizen_keys SET wrapped = NULL, shredded_at = $2
		WHERE citizen_id = $1 AND wrapped IS NOT NULL`, citizenID, at); err != nil {
		return fmt.Errorf("destroy data key: %w", err)
	}
	return nil
}

// Rewrap wraps every data key that an older master key wraps with the current one, in batches, and
// returns how many it rewrapped. Run it after putting a new master key first; when it has finished,
// the old key can be removed from the configuration.
func (r Keyring) Rewrap(ctx context.Context, pool *pgxpool.Pool, at time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			n = 0
			rows, err := tx.Query(ctx, `SELECT citizen_id, wrapped FROM citizen_keys
				WHERE wrapped IS NOT NULL AND get_byte(wrapped, 0) <> $1 LIMIT 200 FOR UPDATE SKIP LOCKED`, int(r.Keys.Current()))
			if err != nil {
				return fmt.Errorf("find keys to rewrap: %w", err)
			}
			type key struct {
				id      string
				wrapped []byte
			}
			keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (key, error) {
				var k key
				return k, row.Scan(&k.id, &k.wrapped)
			})
			if err != nil {
				return fmt.Errorf("find keys to rewrap: %w", err)
			}
			for _, k := range keys {
				wrapped, _, err := r.Keys.Rewrap(k.wrapped, k.id)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE citizen_keys SET wrapped = $2, rewrapped_at = $3 WHERE citizen_id = $1`,
					k.id, wrapped, at); err != nil {
					return fmt.Errorf("store rewrapped key: %w", err)
				}
			}
			n = len(keys)
			return nil
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}
