package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/pgdb"
)

// Endpoint is an institution's webhook endpoint.
type Endpoint struct {
	ID                  uuid.UUID
	InstitutionID       string
	URL                 string
	EventTypes          []string
	Secret              string
	PreviousSecret      string // signs too until PreviousSecretUntil
	PreviousSecretUntil *time.Time
	Status              string // active, disabled, deleted
	CreatedAt           time.Time
	DisabledAt          *time.Time
}

// sealedPrefix marks a signing secret sealed with the service's keys (AES-256-GCM, bound to the
// endpoint's id), stored as text: "sealed:" then the sealed bytes in base64.
const sealedPrefix = "sealed:"

// seal seals an endpoint's signing secret for storing.
func (s *Store) seal(endpoint uuid.UUID, secret string) (string, error) {
	sealed, err := s.Keys.Seal([]byte(secret), endpoint[:])
	if err != nil {
		return "", fmt.Errorf("seal webhook secret: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// open opens a stored signing secret ("" stays "": none).
func (s *Store) open(endpoint uuid.UUID, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	enc, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return "", errors.New("open webhook secret: stored unsealed")
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("open webhook secret: %w", err)
	}
	secret, err := s.Keys.Open(raw, endpoint[:])
	if err != nil {
		return "", fmt.Errorf("open webhook secret: %w", err)
	}
	return string(secret), nil
}

// SealStoredSecrets seals the signing secrets stored before they were sealed at rest, and those sealed
// with a key no longer first (after a key rotation), so every secret is sealed with the current key.
// It runs at every start; it returns how many endpoints it changed.
func (s *Store) SealStoredSecrets(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, secret, previous_secret FROM webhook_endpoints
			WHERE status <> 'deleted' FOR UPDATE`)
		if err != nil {
			return err
		}
		type row struct {
			id               uuid.UUID
			secret, previous string
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.id, &x.secret, &x.previous)
		})
		if err != nil {
			return err
		}
		for _, x := range list {
			secret, previous, changed := x.secret, x.previous, false
			for _, v := range []*string{&secret, &previous} {
				if *v == "" {
					continue
				}
				plain, err := s.open(x.id, *v)
				if err != nil && !strings.HasPrefix(*v, sealedPrefix) {
					plain, err = *v, nil // stored before secrets were sealed
				}
				if err != nil {
					return err
				}
				if s.currentKey(*v) {
					continue
				}
				if *v, err = s.seal(x.id, plain); err != nil {
					return err
				}
				changed = true
			}
			if !changed {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET secret = $2, previous_secret = $3 WHERE id = $1`,
				x.id, secret, previous); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seal stored webhook secrets: %w", err)
	}
	return n, nil
}

// currentKey reports whether a stored secret is sealed with the key that seals now.
func (s *Store) currentKey(stored string) bool {
	enc, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	return err == nil && len(raw) > 0 && s.Keys.Current() == raw[0]
}

// CreateEndpoint stores a new active endpoint with its secret sealed; its ID and CreatedAt are set here.
func (s *Store) CreateEndpoint(ctx context.Context, e *Endpoint) error {
	e.ID, e.Status, e.CreatedAt = uuid.New(), "active", s.Now().UTC()
	sealed, err := s.seal(e.ID, e.Secret)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `INSERT INTO webhook_endpoints (id, institution_id, url, event_types, secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, e.ID, e.InstitutionID, e.URL, e.EventTypes, sealed, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("create webhook endpoint: %w", pgdb.Translate(err))
	}
	return nil
}

const endpointColumns = `id, institution_id, url, event_types, status, created_at, disabled_at`

func scanEndpoint(r pgx.CollectableRow) (Endpoint, error) {
	var e Endpoint
	return e, r.Scan(&e.ID, &e.InstitutionID, &e.URL, &e.EventTypes, &e.Status, &e.CreatedAt, &e.DisabledAt)
}

// Endpoints lists an institution's endpoints that are not deleted, oldest first, without secrets.
func (s *Store) Endpoints(ctx context.Context, institution string) ([]Endpoint, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE institution_id = $1 AND status <> 'deleted' ORDER BY created_at, id`, institution)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanEndpoint)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	return list, nil
}

// Endpoint returns an institution's endpoint that is not deleted, without secrets; another
// institution's endpoint is pgdb.ErrNotFound.
func (s *Store) Endpoint(ctx context.Context, institution string, id uuid.UUID) (Endpoint, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = $1 AND institution_id = $2 AND status <> 'deleted'`, id, institution)
	if err != nil {
		return Endpoint{}, fmt.Errorf("get webhook endpoint: %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
	if err != nil {
		return Endpoint{}, fmt.Errorf("get webhook endpoint: %w", pgdb.Translate(err))
	}
	return e, nil
}

// DeleteEndpoint deletes an endpoint: its open deliveries are given up and its secrets forgotten; the
// delivery log stays.
func (s *Store) DeleteEndpoint(ctx context.Context, institution string, id uuid.UUID) error {
	return pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET status = 'deleted', secret = '', previous_secret = ''
			WHERE id = $1 AND institution_id = $2 AND status <> 'deleted'`, id, institution)
		if err != nil {
			return fmt.Errorf("delete webhook endpoint: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("delete webhook endpoint: %w", pgdb.ErrNotFound)
		}
		return giveUpOpen(ctx, tx, id)
	})
}

func giveUpOpen(ctx context.Context, tx pgx.Tx, endpoint uuid.UUID) error {
	_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'gave_up'
		WHERE endpoint_id = $1 AND status IN ('pending', 'failed')`, endpoint)
	if err != nil {
		return fmt.Errorf("give up deliveries: %w", err)
	}
	return nil
}

// RotateSecret makes secret the endpoint's signing secret; the one it replaces keeps signing too
// until overlapUntil.
func (s *Store) RotateSecret(ctx context.Context, institution string, id uuid.UUID, secret string, overlapUntil time.Time) error {
	sealed, err := s.seal(id, secret)
	if err != nil {
		return err
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE webhook_endpoints
		SET previous_secret = secret, previous_secret_until = $3, secret = $4
		WHERE id = $1 AND institution_id = $2 AND status <> 'deleted'`, id, institution, overlapUntil, sealed)
	if err != nil {
		return fmt.Errorf("rotate webhook secret: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("rotate webhook secret: %w", pgdb.ErrNotFound)
	}
	return nil
}

// AddDeliveries queues an event for every active endpoint of the institution that wants its type
// (or "*"), in the caller's transaction; an event already queued for an endpoint is not queued again.
// It reports how many deliveries it queued.
func (s *Store) AddDeliveries(ctx context.Context, tx Querier, institution string, eventID, eventType string, payload []byte) (int, error) {
	now := s.Now().UTC()
	tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, created_at, queued_at, next_attempt_at)
		SELECT gen_random_uuid(), id, $2, $3, $4, $5, $5, $5 FROM webhook_endpoints
		WHERE institution_id = $1 AND status = 'active' AND ($3 = ANY (event_types) OR '*' = ANY (event_types))
		ON CONFLICT (endpoint_id, event_id) DO NOTHING`, institution, eventID, eventType, payload, now)
	if err != nil {
		return 0, fmt.Errorf("queue webhook deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Delivery is an event to deliver to an endpoint, as a worker claims it.
type Delivery struct {
	ID         uuid.UUID
	EndpointID uuid.UUID
	EventID    uuid.UUID
	EventType  string
	Payload    []byte
	Attempts   int // attempts made before this one
	QueuedAt   time.Time
	URL        string
	Secrets    []string // the current secret first, then the previous one while it still signs
}

// ClaimDeliveries leases up to n due deliveries of active endpoints until now+lease, taking at most
// perEndpoint minus busy[endpoint] of any one endpoint, the earliest due first. Rows another worker is
// claiming at the same moment are skipped, not waited for.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, n, perEndpoint int, busy map[uuid.UUID]int, lease time.Duration) ([]Delivery, error) {
	busyIDs, busyN := make([]uuid.UUID, 0, len(busy)), make([]int32, 0, len(busy))
	for id, k := range busy {
		busyIDs, busyN = append(busyIDs, id), append(busyN, int32(k))
	}
	rows, err := s.Pool.Query(ctx, `WITH due AS (
			SELECT d.id, d.next_attempt_at, d.seq, coalesce(b.n, 0) AS busy,
				row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.seq) AS rank
			FROM webhook_deliveries d
			JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'active'
			LEFT JOIN unnest($4::uuid[], $5::int[]) AS b (endpoint_id, n) ON b.endpoint_id = d.endpoint_id
			WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1
				AND (d.leased_until IS NULL OR d.leased_until <= $1)
		), picked AS (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.id IN (SELECT id FROM due WHERE rank + busy <= $3 ORDER BY next_attempt_at, seq LIMIT $2)
				AND d.status IN ('pending', 'failed') AND (d.leased_until IS NULL OR d.leased_until <= $1)
			FOR UPDATE SKIP LOCKED
		)
		UPDATE webhook_deliveries d SET leased_until = $1::timestamptz + $6::interval
		FROM picked, webhook_endpoints e
		WHERE d.id = picked.id AND e.id = d.endpoint_id
		RETURNING d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts, d.queued_at, e.url, e.secret,
			CASE WHEN e.previous_secret <> '' AND e.previous_secret_until > $1 THEN e.previous_secret ELSE '' END`,
		now, n, perEndpoint, busyIDs, busyN, lease.String())
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		var secret, previous string
		if err := r.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Payload, &d.Attempts, &d.QueuedAt, &d.URL, &secret, &previous); err != nil {
			return d, err
		}
		for _, stored := range []string{secret, previous} {
			if stored == "" {
				continue
			}
			plain, err := s.open(d.EndpointID, stored)
			if err != nil {
				return d, err
			}
			d.Secrets = append(d.Secrets, plain)
		}
		return d, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return list, nil
}

// Attempt is one try at delivering.
type Attempt struct {
	At         time.Time
	StatusCode int // 0: no response
	Latency    time.Duration
	Error      string
}

// Outcome is what an attempt decides for its delivery.
type Outcome struct {
	Status      string    // succeeded, failed (retried at NextAttempt) or gave_up
	NextAttempt time.Time // for failed
	Disable     bool      // the endpoint answered 410 Gone: disable it and give up its deliveries
}

// RecordAttempt records an attempt and its outcome, and ends the delivery's lease.
func (s *Store) RecordAttempt(ctx context.Context, d Delivery, a Attempt, o Outcome) error {
	return pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		var code *int
		if a.StatusCode != 0 {
			code = &a.StatusCode
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error)
			VALUES ($1, $2, $3, $4, $5)`, d.ID, a.At, code, a.Latency.Milliseconds(), a.Error); err != nil {
			return fmt.Errorf("record webhook attempt: %w", err)
		}
		next := o.NextAttempt
		if next.IsZero() {
			next = a.At
		}
		// A delivery given up while it was being sent (its endpoint deleted or disabled) stays given up
		// unless this attempt delivered it. A delivery replayed while it was being sent (queued_at moved)
		// stays queued for the replay.
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, leased_until = NULL,
				next_attempt_at = CASE WHEN queued_at <> $4 THEN next_attempt_at ELSE $3 END,
				status = CASE WHEN queued_at <> $4 THEN status
					WHEN status = 'gave_up' AND $2 <> 'succeeded' THEN 'gave_up' ELSE $2 END
			WHERE id = $1`, d.ID, o.Status, next, d.QueuedAt); err != nil {
			return fmt.Errorf("record webhook attempt: %w", err)
		}
		if !o.Disable {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET status = 'disabled', disabled_at = $2
			WHERE id = $1 AND status = 'active'`, d.EndpointID, a.At); err != nil {
			return fmt.Errorf("disable webhook endpoint: %w", err)
		}
		return giveUpOpen(ctx, tx, d.EndpointID)
	})
}

// Release ends a delivery's lease without recording an attempt (the worker stopped while sending).
func (s *Store) Release(ctx context.Context, id uuid.UUID) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE webhook_deliveries SET leased_until = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("release webhook delivery: %w", err)
	}
	return nil
}

// LoggedDelivery is a delivery with its attempts, as the delivery log shows it.
type LoggedDelivery struct {
	ID          uuid.UUID
	Seq         int64
	EventID     uuid.UUID
	EventType   string
	Status      string
	CreatedAt   time.Time
	NextAttempt *time.Time // for pending and failed deliveries
	Attempts    []Attempt
}

// Deliveries returns an endpoint's deliveries newest first, those with seq below before (0: from the newest).
func (s *Store) Deliveries(ctx context.Context, institution string, endpoint uuid.UUID, before int64, limit int) ([]LoggedDelivery, error) {
	if _, err := s.Endpoint(ctx, institution, endpoint); err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, seq, event_id, event_type, status, created_at,
			CASE WHEN status IN ('pending', 'failed') THEN next_attempt_at END
		FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2::bigint = 0 OR seq < $2::bigint) ORDER BY seq DESC LIMIT $3`,
		endpoint, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LoggedDelivery, error) {
		var d LoggedDelivery
		return d, r.Scan(&d.ID, &d.Seq, &d.EventID, &d.EventType, &d.Status, &d.CreatedAt, &d.NextAttempt)
	})
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	ids, index := make([]uuid.UUID, len(list)), make(map[uuid.UUID]int, len(list))
	for i, d := range list {
		ids[i], index[d.ID] = d.ID, i
	}
	rows, err = s.Pool.Query(ctx, `SELECT delivery_id, attempted_at, coalesce(status_code, 0), latency_ms, error
		FROM webhook_attempts WHERE delivery_id = ANY ($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("list webhook attempts: %w", err)
	}
	var (
		id uuid.UUID
		a  Attempt
		ms int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &a.At, &a.StatusCode, &ms, &a.Error}, func() error {
		a.Latency = time.Duration(ms) * time.Millisecond
		list[index[id]].Attempts = append(list[index[id]].Attempts, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list webhook attempts: %w", err)
	}
	return list, nil
}

// ErrEndpointDisabled is replaying to an endpoint that is disabled.
var ErrEndpointDisabled = fmt.Errorf("%w: the endpoint is disabled", pgdb.ErrConflict)

// Replay queues again, due now, every delivery to the endpoint created in [from, to): the same
// delivery id (webhook-id), a new retry window. It reports how many it queued.
func (s *Store) Replay(ctx context.Context, institution string, endpoint uuid.UUID, from, to time.Time) (int, error) {
	var n int
	err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM webhook_endpoints WHERE id = $1 AND institution_id = $2 AND status <> 'deleted'
			FOR SHARE`, endpoint, institution).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("replay webhook deliveries: %w", pgdb.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("replay webhook deliveries: %w", err)
		}
		if status != "active" {
			return ErrEndpointDisabled
		}
		now := s.Now().UTC()
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', queued_at = $4, next_attempt_at = $4
			WHERE endpoint_id = $1 AND created_at >= $2 AND created_at < $3`, endpoint, from, to, now)
		if err != nil {
			return fmt.Errorf("replay webhook deliveries: %w", err)
		}
		n = int(tag.RowsAffected())
		return nil
	})
	return n, err
}
