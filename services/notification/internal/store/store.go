// Package store is notification's Postgres adapter: recipients (from registration's profile events)
// and messages, one per (event, recipient, channel).
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
)

// Source is the CloudEvents source of notification's events.
const Source = "/livslang/notification"

// Store is notification's storage.
type Store struct {
	Pool *pgxpool.Pool
	Now  func() time.Time
}

// UpsertRecipient keeps the newest version of a recipient's contact details; an older version
// arriving late changes nothing.
func (s *Store) UpsertRecipient(ctx context.Context, tx pgx.Tx, p events.ProfileUpdated) error {
	_, err := tx.Exec(ctx, `INSERT INTO recipients (id, name, email, phone, language, version)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone,
			language = EXCLUDED.language, version = EXCLUDED.version, updated_at = now()
		WHERE recipients.version < EXCLUDED.version`,
		p.CitizenID, p.Name, p.Email, p.Phone, p.Facts.Language, p.Version)
	if err != nil {
		return fmt.Errorf("upsert recipient: %w", err)
	}
	return nil
}

// AddMessage queues a message for an event; a second message for the same event, recipient and channel
// is not created.
func (s *Store) AddMessage(ctx context.Context, tx pgx.Tx, eventID, recipientID, channel, kind string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("marshal message data: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO messages (id, event_id, recipient_id, channel, kind, data)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id, recipient_id, channel) DO NOTHING`,
		uuid.New(), eventID, recipientID, channel, kind, raw)
	if err != nil {
		return fmt.Errorf("add message: %w", err)
	}
	return nil
}

// Message is a message to send or sent.
type Message struct {
	ID          uuid.UUID
	EventID     uuid.UUID
	RecipientID string
	Channel     string
	Kind        string
	Data        json.RawMessage
	Language    string
	Subject     string
	Status      string
	Attempts    int
	CreatedAt   time.Time
	SentAt      *time.Time
	// Recipient details, filled by Claim.
	Name  string
	Email string
}

// Claim takes up to n due messages whose recipient is known and marks them sending, with the next
// attempt pushed back by retry so a crashed sender's messages are retried later.
func (s *Store) Claim(ctx context.Context, n int, retry time.Duration) ([]Message, error) {
	rows, err := s.Pool.Query(ctx, `UPDATE messages m SET status = 'sending', attempts = attempts + 1,
			next_attempt_at = now() + $2::interval, language = r.language
		FROM recipients r
		WHERE r.id = m.recipient_id AND m.id IN (
			SELECT m2.id FROM messages m2 JOIN recipients r2 ON r2.id = m2.recipient_id
			WHERE m2.status IN ('pending', 'sending') AND m2.next_attempt_at <= now()
			ORDER BY m2.created_at LIMIT $1 FOR UPDATE OF m2 SKIP LOCKED)
		RETURNING m.id, m.event_id, m.recipient_id, m.channel, m.kind, m.data, m.attempts, r.name, r.email, r.language`,
		n, retry.String())
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		return m, r.Scan(&m.ID, &m.EventID, &m.RecipientID, &m.Channel, &m.Kind, &m.Data, &m.Attempts, &m.Name, &m.Email, &m.Language)
	})
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	return msgs, nil
}

// MarkSent records a delivered message and announces it.
func (s *Store) MarkSent(ctx context.Context, m Message, subject string) error {
	return pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = 'sent', subject = $2, sent_at = now(), last_error = ''
			WHERE id = $1 AND status <> 'sent'`, m.ID, subject)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		env, err := events.New(Source, events.TypeNotificationSent, events.SubjectNotificationSent, m.ID.String(), s.Now(),
			events.NotificationSent{MessageID: m.ID.String(), EventID: m.EventID.String(), RecipientID: m.RecipientID,
				Channel: m.Channel, Kind: m.Kind})
		if err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, env)
	})
}

// MarkFailed records a failed attempt; after maxAttempts the message is failed for good.
func (s *Store) MarkFailed(ctx context.Context, m Message, cause error, maxAttempts int, retryIn time.Duration) error {
	status := "sending"
	if m.Attempts >= maxAttempts {
		status = "failed"
	}
	_, err := s.Pool.Exec(ctx, `UPDATE messages SET status = $2, last_error = $3, next_attempt_at = now() + $4::interval
		WHERE id = $1`, m.ID, status, cause.Error(), retryIn.String())
	if err != nil {
		return fmt.Errorf("mark message failed: %w", err)
	}
	return nil
}

// ForRecipient lists a recipient's messages, newest first.
func (s *Store) ForRecipient(ctx context.Context, recipientID string, limit int) ([]Message, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, event_id, recipient_id, channel, kind, coalesce(language, ''),
			coalesce(subject, ''), status, created_at, sent_at
		FROM messages WHERE recipient_id = $1 ORDER BY created_at DESC, id LIMIT $2`, recipientID, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		return m, r.Scan(&m.ID, &m.EventID, &m.RecipientID, &m.Channel, &m.Kind, &m.Language, &m.Subject, &m.Status,
			&m.CreatedAt, &m.SentAt)
	})
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return msgs, nil
}
