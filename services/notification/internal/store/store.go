// Package store is notification's Postgres adapter: recipients (from registration's profile events)
// and their preferences, messages (one per event, recipient and channel) with their delivery state,
// what notification knows of enrolments, runs and referrals, reminders, and webhooks.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pii"
	"livslang.dk/services/notification/internal/policy"
)

// Source is the CloudEvents source of notification's events.
const Source = "/livslang/notification"

// Store is notification's storage.
type Store struct {
	Pool *pgxpool.Pool
	Now  func() time.Time // the clock of everything time-based (due times, quiet hours, reminders)
	Keys *pii.Keys        // seal webhook signing secrets at rest
	// Ring holds the citizens' data keys; a recipient's name, e-mail address and phone number are
	// sealed with theirs.
	Ring datakeys.Keyring
	// Retention is how long messages, reminders and webhook deliveries are kept.
	Retention Retention
}

// contact is what a recipient's data key seals.
type contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

func contactAAD(id string) []byte { return []byte("notification.recipients.contact\x00" + id) }

// openContact opens a recipient's sealed contact details with their wrapped data key.
func (s *Store) openContact(id string, sealed, wrapped []byte) (contact, error) {
	var c contact
	key, err := s.Ring.Open(id, wrapped)
	if err != nil {
		return c, fmt.Errorf("recipient %s: %w", id, err)
	}
	raw, err := key.Open(sealed, contactAAD(id))
	if err != nil {
		return c, fmt.Errorf("open contact details: %w", err)
	}
	return c, json.Unmarshal(raw, &c)
}

// sealContact seals a recipient's contact details with their data key (made the first time); an
// erased citizen is datakeys.ErrErased.
func (s *Store) sealContact(ctx context.Context, tx pgx.Tx, id string, c contact) ([]byte, error) {
	key, err := s.Ring.ForWriting(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return key.Seal(raw, contactAAD(id))
}

// Querier is a transaction or the pool.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// UpsertRecipient keeps the newest version of a recipient's contact details, sealed with the
// citizen's data key; an older version arriving late changes nothing, nor does a profile of an
// erased citizen.
func (s *Store) UpsertRecipient(ctx context.Context, tx pgx.Tx, p events.ProfileUpdated) error {
	sealed, err := s.sealContact(ctx, tx, p.CitizenID, contact{Name: p.Name, Email: p.Email, Phone: p.Phone})
	if errors.Is(err, datakeys.ErrErased) {
		return nil
	} else if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO recipients (id, contact_sealed, language, version)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET contact_sealed = EXCLUDED.contact_sealed, name = NULL, email = NULL, phone = NULL,
			language = EXCLUDED.language, version = EXCLUDED.version, updated_at = now()
		WHERE recipients.version < EXCLUDED.version`,
		p.CitizenID, sealed, p.Facts.Language, p.Version)
	if err != nil {
		return fmt.Errorf("upsert recipient: %w", err)
	}
	return nil
}

// Preferences returns a recipient's choices (none stored: the zero value) and the profile's language
// ("" when there is no profile yet).
func (s *Store) Preferences(ctx context.Context, q Querier, recipientID string) (policy.Preferences, string, error) {
	var (
		p             policy.Preferences
		lang, profile *string
		channels      []byte
	)
	err := q.QueryRow(ctx, `SELECT p.language, p.channels, r.language
		FROM (SELECT $1::text AS id) me
		LEFT JOIN preferences p ON p.recipient_id = me.id
		LEFT JOIN recipients r ON r.id = me.id`, recipientID).Scan(&lang, &channels, &profile)
	if err != nil {
		return p, "", fmt.Errorf("read preferences: %w", err)
	}
	if lang != nil {
		p.Language = *lang
	}
	if channels != nil {
		if err := json.Unmarshal(channels, &p.Channels); err != nil {
			return p, "", fmt.Errorf("read preferences: %w", err)
		}
	}
	if profile != nil {
		return p, *profile, nil
	}
	return p, "", nil
}

// SavePreferences replaces a recipient's choices.
func (s *Store) SavePreferences(ctx context.Context, recipientID string, p policy.Preferences) error {
	channels, err := json.Marshal(p.Channels)
	if err != nil {
		return err
	}
	if p.Channels == nil {
		channels = []byte("{}")
	}
	var lang *string
	if p.Language != "" {
		lang = &p.Language
	}
	_, err = s.Pool.Exec(ctx, `INSERT INTO preferences (recipient_id, language, channels, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (recipient_id) DO UPDATE SET language = EXCLUDED.language, channels = EXCLUDED.channels,
			updated_at = EXCLUDED.updated_at`, recipientID, lang, channels, s.Now())
	if err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	return nil
}

// NewMessage is a message to queue.
type NewMessage struct {
	EventID     string
	RecipientID string
	Channel     string
	Kind        string
	Data        any // rendered from when sent (templates.Input)
	MustArrive  bool
	ReminderID  *uuid.UUID
	FallbackOf  *uuid.UUID
}

// AddMessage queues a message, due now; a second message for the same event, recipient and channel is
// not created. It reports whether it queued one.
func (s *Store) AddMessage(ctx context.Context, tx pgx.Tx, m NewMessage) (bool, error) {
	raw, err := json.Marshal(m.Data)
	if err != nil {
		return false, fmt.Errorf("marshal message data: %w", err)
	}
	now := s.Now()
	tag, err := tx.Exec(ctx, `INSERT INTO messages (id, event_id, recipient_id, channel, kind, data, must_arrive, reminder_id,
			fallback_of, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (event_id, recipient_id, channel) DO NOTHING`,
		uuid.New(), m.EventID, m.RecipientID, m.Channel, m.Kind, raw, m.MustArrive, m.ReminderID, m.FallbackOf, now)
	if err != nil {
		return false, fmt.Errorf("add message: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Message is a message to send or sent.
type Message struct {
	ID               uuid.UUID
	Seq              int64
	EventID          uuid.UUID
	RecipientID      string
	Channel          string
	Kind             string
	Data             json.RawMessage
	Language         string
	Subject          string
	Status           string
	Attempts         int
	MustArrive       bool
	PermanentFailure bool
	LastError        string
	FallbackOf       *uuid.UUID
	ReminderID       *uuid.UUID
	ProviderRef      string
	CreatedAt        time.Time
	NextAttemptAt    time.Time
	SentAt           *time.Time
	// Recipient details, filled by Claim.
	Name  string
	Email string
	Phone string
}

// Claim takes up to n due messages whose recipient is known and marks them sending, counting the
// attempt, with the next attempt pushed back by lease: a sender that dies mid-send leaves the message
// to be tried again when the lease ends. The language is the citizen's choice, else the profile's.
func (s *Store) Claim(ctx context.Context, n int, lease time.Duration) ([]Message, error) {
	now := s.Now()
	rows, err := s.Pool.Query(ctx, `UPDATE messages m SET status = 'sending', attempts = attempts + 1,
			next_attempt_at = $3::timestamptz + $2::interval, language = coalesce(p.language, r.language)
		FROM recipients r LEFT JOIN preferences p ON p.recipient_id = r.id
		WHERE r.id = m.recipient_id AND m.id IN (
			SELECT m2.id FROM messages m2 JOIN recipients r2 ON r2.id = m2.recipient_id
			WHERE m2.status IN ('pending', 'sending') AND m2.next_attempt_at <= $3
			ORDER BY m2.next_attempt_at, m2.seq LIMIT $1 FOR UPDATE OF m2 SKIP LOCKED)
		RETURNING m.id, m.seq, m.event_id, m.recipient_id, m.channel, m.kind, m.data, m.attempts, m.must_arrive,
			m.reminder_id, m.language, r.contact_sealed, (SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = r.id)`,
		n, lease.String(), now)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		var sealed, wrapped []byte
		if err := r.Scan(&m.ID, &m.Seq, &m.EventID, &m.RecipientID, &m.Channel, &m.Kind, &m.Data, &m.Attempts, &m.MustArrive,
			&m.ReminderID, &m.Language, &sealed, &wrapped); err != nil {
			return m, err
		}
		c, err := s.openContact(m.RecipientID, sealed, wrapped)
		m.Name, m.Email, m.Phone = c.Name, c.Email, c.Phone
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	return msgs, nil
}

// Defer puts a claimed message back, due at until, without counting the attempt (quiet hours).
func (s *Store) Defer(ctx context.Context, m Message, until time.Time, note string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE messages SET status = 'pending', attempts = attempts - 1, next_attempt_at = $2,
			last_error = $3
		WHERE id = $1 AND status = 'sending'`, m.ID, until, note)
	if err != nil {
		return fmt.Errorf("defer message: %w", err)
	}
	return nil
}

// MarkSent records a delivered message and announces it.
func (s *Store) MarkSent(ctx context.Context, m Message, subject, ref string) error {
	return pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		now := s.Now()
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = 'sent', subject = $2, sent_at = $3, last_error = '',
				provider_ref = $4
			WHERE id = $1 AND status <> 'sent'`, m.ID, subject, now, ref)
		if err != nil {
			return fmt.Errorf("mark message sent: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		env, err := events.New(Source, events.TypeNotificationSent, events.SubjectNotificationSent, m.ID.String(), now,
			events.NotificationSent{MessageID: m.ID.String(), EventID: m.EventID.String(), RecipientID: m.RecipientID,
				Channel: m.Channel, Kind: m.Kind})
		if err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, env)
	})
}

// Retry records a failed attempt to be tried again at next.
func (s *Store) Retry(ctx context.Context, m Message, cause string, next time.Time) error {
	_, err := s.Pool.Exec(ctx, `UPDATE messages SET status = 'pending', last_error = $2, next_attempt_at = $3
		WHERE id = $1 AND status = 'sending'`, m.ID, cause, next)
	if err != nil {
		return fmt.Errorf("mark message for retry: %w", err)
	}
	return nil
}

// Fail records that a message will not be delivered on its channel: refused for good (permanent) or
// out of attempts. A message that must arrive and is not already going by another channel is queued
// on the next one (policy.Fallback) in the same transaction; Fail returns that channel ("" for none).
func (s *Store) Fail(ctx context.Context, m Message, cause string, permanent bool) (string, error) {
	var next string
	err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		next = ""
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = 'failed', last_error = $2, permanent_failure = $3
			WHERE id = $1 AND status = 'sending'`, m.ID, cause, permanent)
		if err != nil {
			return fmt.Errorf("mark message failed: %w", err)
		}
		if tag.RowsAffected() == 0 || !m.MustArrive {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT channel, status FROM messages WHERE event_id = $1 AND recipient_id = $2
			ORDER BY channel FOR UPDATE`, m.EventID, m.RecipientID)
		if err != nil {
			return fmt.Errorf("fallback: %w", err)
		}
		var used []string
		covered := false
		var channel, status string
		if _, err := pgx.ForEachRow(rows, []any{&channel, &status}, func() error {
			used = append(used, channel)
			covered = covered || status == "pending" || status == "sending" || status == "sent"
			return nil
		}); err != nil {
			return fmt.Errorf("fallback: %w", err)
		}
		if covered {
			return nil // already reaching the citizen another way (e.g. a decision's Digital Post copy)
		}
		c, ok := policy.Fallback(m.Channel, used)
		if !ok {
			return nil
		}
		added, err := s.AddMessage(ctx, tx, NewMessage{EventID: m.EventID.String(), RecipientID: m.RecipientID, Channel: c,
			Kind: m.Kind, Data: m.Data, MustArrive: true, ReminderID: m.ReminderID, FallbackOf: &m.ID})
		if added {
			next = c
		}
		return err
	})
	return next, err
}

const listColumns = `id, seq, event_id, recipient_id, channel, kind, coalesce(language, ''), coalesce(subject, ''), status,
	attempts, must_arrive, permanent_failure, last_error, fallback_of, reminder_id, created_at, next_attempt_at, sent_at`

func scanListed(r pgx.CollectableRow) (Message, error) {
	var m Message
	return m, r.Scan(&m.ID, &m.Seq, &m.EventID, &m.RecipientID, &m.Channel, &m.Kind, &m.Language, &m.Subject, &m.Status,
		&m.Attempts, &m.MustArrive, &m.PermanentFailure, &m.LastError, &m.FallbackOf, &m.ReminderID, &m.CreatedAt,
		&m.NextAttemptAt, &m.SentAt)
}

// ForRecipient lists a recipient's messages, newest first.
func (s *Store) ForRecipient(ctx context.Context, recipientID string, limit int) ([]Message, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+listColumns+`
		FROM messages WHERE recipient_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2`, recipientID, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, scanListed)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return msgs, nil
}

// DeliveryFilter selects messages for the administrators' view; empty fields match everything.
type DeliveryFilter struct {
	RecipientID, Kind, Status, Channel string
	Before                             int64 // seq; 0: from the newest
	Limit                              int
}

// MessageDeliveries lists messages newest first (by seq), for the administrators' delivery view.
func (s *Store) MessageDeliveries(ctx context.Context, f DeliveryFilter) ([]Message, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+listColumns+` FROM messages
		WHERE ($1 = '' OR recipient_id = $1) AND ($2 = '' OR kind = $2) AND ($3 = '' OR status = $3)
			AND ($4 = '' OR channel = $4) AND ($5::bigint = 0 OR seq < $5::bigint)
		ORDER BY seq DESC LIMIT $6`, f.RecipientID, f.Kind, f.Status, f.Channel, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, scanListed)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return msgs, nil
}

var errNoRows = pgx.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
