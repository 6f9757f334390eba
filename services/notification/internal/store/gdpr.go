package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/retention"
	"livslang.dk/services/notification/internal/policy"
)

// Retention is how long notification keeps what it holds; see docs/configuration.md.
type Retention struct {
	// Messages: messages that were sent, failed or cancelled, reminders that are done, and what
	// notification knows of enrolments and referrals that ended, are deleted this long after
	// (LIVSLANG_NOTIFICATION_RETAIN_MESSAGES, default 6mo).
	Messages retention.Period
	// WebhookDeliveries: deliveries to institutions that succeeded or were given up are deleted, with
	// their attempts, this long after they were queued (LIVSLANG_NOTIFICATION_RETAIN_WEBHOOK_DELIVERIES,
	// default 90d).
	WebhookDeliveries retention.Period
	// Audit is the shared LIVSLANG_RETAIN_AUDIT, named in erasure reports.
	Audit retention.Period
}

const auditBasis = "GDPR art. 5(2) and 32 (accountability and security of processing) and art. 17(3)(e): the record of " +
	"who read or changed your data, which you can read yourself"

// Section is notification's part of a citizen's export.
type Section struct {
	Service     string              `json:"service"`
	Recipient   *SectionRecipient   `json:"recipient"`
	Preferences *policy.Preferences `json:"preferences"`
	Messages    []SectionMessage    `json:"messages"`
	Reminders   []SectionReminder   `json:"reminders"`
	AuditLog    []audit.Entry       `json:"audit_log"`
}

// SectionRecipient is how notification reaches the citizen.
type SectionRecipient struct {
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Language  string    `json:"language"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SectionMessage is one message to the citizen and how it went.
type SectionMessage struct {
	Kind      string     `json:"kind"`
	Channel   string     `json:"channel"`
	Language  string     `json:"language,omitempty"`
	Subject   string     `json:"subject,omitempty"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// SectionReminder is a reminder scheduled for the citizen.
type SectionReminder struct {
	Kind   string    `json:"kind"`
	DueAt  time.Time `json:"due_at"`
	Status string    `json:"status"`
	Note   string    `json:"note,omitempty"`
}

// ExportSection gathers what notification holds about the citizen, in tx.
func (s *Store) ExportSection(ctx context.Context, tx pgx.Tx, citizenID string) (Section, error) {
	sec := Section{Service: "notification", Messages: []SectionMessage{}, Reminders: []SectionReminder{}}
	var sealed, wrapped []byte
	var r SectionRecipient
	err := tx.QueryRow(ctx, `SELECT contact_sealed, language, updated_at, (SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = r.id)
		FROM recipients r WHERE id = $1`, citizenID).Scan(&sealed, &r.Language, &r.UpdatedAt, &wrapped)
	switch {
	case err == nil:
		c, err := s.openContact(citizenID, sealed, wrapped)
		if err != nil {
			return Section{}, err
		}
		r.Name, r.Email, r.Phone = c.Name, c.Email, c.Phone
		sec.Recipient = &r
	case !isNoRows(err):
		return Section{}, fmt.Errorf("export recipient: %w", err)
	}
	var stored bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM preferences WHERE recipient_id = $1)`, citizenID).Scan(&stored); err != nil {
		return Section{}, fmt.Errorf("export preferences: %w", err)
	}
	if stored {
		p, _, err := s.Preferences(ctx, tx, citizenID)
		if err != nil {
			return Section{}, err
		}
		sec.Preferences = &p
	}
	msgs, err := s.ForRecipient(ctx, citizenID, 10000)
	if err != nil {
		return Section{}, err
	}
	for _, m := range msgs {
		sec.Messages = append(sec.Messages, SectionMessage{Kind: m.Kind, Channel: m.Channel, Language: m.Language, Subject: m.Subject,
			Status: m.Status, Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt.UTC(), SentAt: m.SentAt})
	}
	rows, err := tx.Query(ctx, `SELECT kind, due_at, status, note FROM reminders WHERE recipient_id = $1 ORDER BY due_at`, citizenID)
	if err != nil {
		return Section{}, fmt.Errorf("export reminders: %w", err)
	}
	var x SectionReminder
	if _, err := pgx.ForEachRow(rows, []any{&x.Kind, &x.DueAt, &x.Status, &x.Note}, func() error {
		sec.Reminders = append(sec.Reminders, x)
		return nil
	}); err != nil {
		return Section{}, fmt.Errorf("export reminders: %w", err)
	}
	if sec.AuditLog, err = audit.ForCitizen(ctx, tx, citizenID, 0, 10000); err != nil {
		return Section{}, err
	}
	return sec, nil
}

// Erase deletes everything notification holds about the citizen (contact details, preferences,
// messages, their employer's messages about them, reminders, what it knew of their enrolments and referrals) and destroys their data key;
// it keeps the audit log, and the webhook deliveries to institutions (the institutions' record,
// naming the citizen only by pseudonymous id) until their retention ends.
func (s *Store) Erase(ctx context.Context, tx pgx.Tx, citizenID string) (events.ErasureReport, error) {
	var report events.ErasureReport
	for _, step := range []struct{ what, sql string }{
		{"your name, e-mail address, phone number and language", `DELETE FROM recipients WHERE id = $1`},
		{"your choices of channels and language", `DELETE FROM preferences WHERE recipient_id = $1`},
		{"the messages to you (e-mail, SMS, Digital Post), sent or waiting", `DELETE FROM messages WHERE recipient_id = $1`},
		{"reminders to you", `DELETE FROM reminders WHERE recipient_id = $1`},
		{"e-mails to your employer about your enrolments (what it was asked to approve), sent or waiting",
			`DELETE FROM messages WHERE recipient_id LIKE 'company:%' AND data->'commitment'->>'citizen_id' = $1`},
		{"e-mails to your employer about the refunds paid for your courses, sent or waiting",
			`DELETE FROM messages WHERE recipient_id LIKE 'company:%' AND data->'refund'->>'citizen_id' = $1`},
		{"what notification knew of your enrolments", `DELETE FROM enrolments WHERE citizen_id = $1`},
		{"what notification knew of your referrals", `DELETE FROM referrals WHERE citizen_id = $1`},
		{"stored answers to your repeated requests (idempotency keys)", `DELETE FROM idempotency_keys WHERE principal = $1`},
		{"events about you that could not be processed (parked messages)",
			`DELETE FROM parked_messages WHERE position(convert_to('"citizen_id":"' || $1 || '"', 'UTF8') IN payload) > 0`},
	} {
		tag, err := tx.Exec(ctx, step.sql, citizenID)
		if err != nil {
			return report, fmt.Errorf("erase %s: %w", step.what, err)
		}
		report.Deleted = append(report.Deleted, events.Deleted{What: step.what, Count: tag.RowsAffected()})
	}
	now := s.Now()
	if err := s.Ring.Erase(ctx, tx, citizenID, now, true); err != nil {
		return report, err
	}
	report.Deleted = append(report.Deleted, events.Deleted{What: "your data key: whatever was sealed with it, in backups too, can no longer be read", Count: 1})
	var deliveries int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries
		WHERE position(convert_to('"citizen_id":"' || $1 || '"', 'UTF8') IN payload) > 0`, citizenID).Scan(&deliveries); err != nil {
		return report, fmt.Errorf("count webhook deliveries: %w", err)
	}
	report.Keep(events.Kept{
		What:  "webhook deliveries to institutions about your enrolments, as they were sent (your pseudonymous id, the course, the status; never your name, contact details or CPR number)",
		Count: deliveries, Why: "the institution's record of what it was told, which it may need to check",
		LegalBasis: "GDPR art. 17(3)(e): the institutions' delivery log, kept for LIVSLANG_NOTIFICATION_RETAIN_WEBHOOK_DELIVERIES",
		Until:      date(s.Retention.WebhookDeliveries.After(now))})
	entries, err := audit.Count(ctx, tx, citizenID)
	if err != nil {
		return report, err
	}
	report.Keep(events.Kept{What: "audit log entries about your data", Count: entries,
		Why: "who read or changed your data, when and why", LegalBasis: auditBasis, Until: date(s.Retention.Audit.After(now))})
	return report, nil
}

// RetentionSteps are notification's own retention steps (the shared ones come from package retention).
func (s *Store) RetentionSteps() []retention.Step {
	tx := func(sqls ...string) func(ctx context.Context, cutoff time.Time) (int64, error) {
		return func(ctx context.Context, cutoff time.Time) (int64, error) {
			var n int64
			err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
				for _, sql := range sqls {
					tag, err := tx.Exec(ctx, sql, cutoff)
					if err != nil {
						return err
					}
					n = tag.RowsAffected() // the last statement's count: the records themselves
				}
				return nil
			})
			return n, err
		}
	}
	messages := tx(
		`UPDATE messages SET fallback_of = NULL WHERE fallback_of IN (SELECT id FROM messages
			WHERE status IN ('sent', 'failed', 'cancelled') AND created_at < $1)`,
		`DELETE FROM messages WHERE status IN ('sent', 'failed', 'cancelled') AND created_at < $1`)
	reminders := tx(`DELETE FROM reminders WHERE status <> 'scheduled' AND done_at < $1`)
	tracked := tx(
		`DELETE FROM enrolments WHERE status IN ('cancelled', 'rejected', 'completed', 'withdrawn') AND updated_at < $1`,
		`DELETE FROM referrals WHERE status <> 'open' AND updated_at < $1`)
	deliveries := tx(
		`DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries
			WHERE status IN ('succeeded', 'gave_up') AND created_at < $1)`,
		`DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'gave_up') AND created_at < $1`)
	invitees := tx(
		`DELETE FROM citizen_keys k WHERE k.citizen_id LIKE 'invitation:%' AND k.created_at < $1
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.recipient_id = k.citizen_id)`,
		`DELETE FROM recipients r WHERE r.id LIKE 'invitation:%' AND r.updated_at < $1
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.recipient_id = r.id)`)
	return []retention.Step{
		{Name: "messages", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return messages(ctx, s.Retention.Messages.Before(now))
		}},
		{Name: "reminders", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return reminders(ctx, s.Retention.Messages.Before(now))
		}},
		{Name: "ended_enrolments_and_referrals", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return tracked(ctx, s.Retention.Messages.Before(now))
		}},
		{Name: "webhook_deliveries", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return deliveries(ctx, s.Retention.WebhookDeliveries.Before(now))
		}},
		// An invited employee's name and address go with the last message to them, kept as long as
		// messages are: an invitation's data key is destroyed with them.
		{Name: "invitees", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return invitees(ctx, s.Retention.Messages.Before(now))
		}},
	}
}

// SealLegacyRecipients seals the contact details stored in plaintext before they were sealed with the
// citizens' data keys (migration 0005). It returns how many recipients it sealed.
func (s *Store) SealLegacyRecipients(ctx context.Context) (int, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM recipients WHERE contact_sealed IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("find plaintext recipients: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("find plaintext recipients: %w", err)
	}
	for _, id := range ids {
		err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
			var c contact
			if err := tx.QueryRow(ctx, `SELECT name, email, coalesce(phone, '') FROM recipients WHERE id = $1 FOR UPDATE`, id).
				Scan(&c.Name, &c.Email, &c.Phone); err != nil {
				return err
			}
			sealed, err := s.sealContact(ctx, tx, id, c)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE recipients SET contact_sealed = $2, name = NULL, email = NULL, phone = NULL WHERE id = $1`, id, sealed)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("seal plaintext recipient: %w", err)
		}
	}
	return len(ids), nil
}

func date(t time.Time) string { return t.Format(time.DateOnly) }
