package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Reminder is a message due later, about an enrolment or a referral (its subject).
type Reminder struct {
	ID            uuid.UUID
	Kind          string // policy.CourseStart7d, …
	SubjectID     string
	RecipientID   string
	EventID       string // the event that scheduled it
	DueAt         time.Time
	ExpiresAt     time.Time
	ExpectStatus  string
	ExpectVersion *int64 // nil: any version with ExpectStatus
	Data          json.RawMessage
	Status        string // scheduled, sent, cancelled
	Note          string
}

// ScheduleReminder stores a reminder in the caller's transaction; the same reminder scheduled again by
// the same event is stored once.
func (s *Store) ScheduleReminder(ctx context.Context, tx pgx.Tx, r Reminder) error {
	_, err := tx.Exec(ctx, `INSERT INTO reminders (id, kind, subject_id, recipient_id, event_id, due_at, expires_at,
			expect_status, expect_version, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (subject_id, kind, event_id) DO NOTHING`,
		uuid.New(), r.Kind, r.SubjectID, r.RecipientID, r.EventID, r.DueAt, r.ExpiresAt, r.ExpectStatus, r.ExpectVersion,
		r.Data, s.Now())
	if err != nil {
		return fmt.Errorf("schedule reminder: %w", err)
	}
	return nil
}

// stale matches reminders ($1 subject) that a subject with status $2 and version $3 makes untrue.
const stale = `subject_id = $1 AND NOT (expect_status = $2 AND (expect_version IS NULL OR expect_version = $3::bigint))`

// CancelStale cancels, in the caller's transaction, what the subject's new state (status, version;
// version nil for a referral) makes untrue: its scheduled reminders, and the unsent messages of its
// sent reminders (e.g. an SMS held over quiet hours). It returns how many of each it cancelled.
func (s *Store) CancelStale(ctx context.Context, tx pgx.Tx, subjectID, status string, version *int64, note string) (int, int, error) {
	tag, err := tx.Exec(ctx, `UPDATE reminders SET status = 'cancelled', note = $4, done_at = $5
		WHERE status = 'scheduled' AND `+stale, subjectID, status, version, note, s.Now())
	if err != nil {
		return 0, 0, fmt.Errorf("cancel reminders: %w", err)
	}
	msgs, err := tx.Exec(ctx, `UPDATE messages SET status = 'cancelled', last_error = $4
		WHERE status = 'pending' AND reminder_id IN (SELECT id FROM reminders WHERE `+stale+`)`,
		subjectID, status, version, note)
	if err != nil {
		return 0, 0, fmt.Errorf("cancel reminder messages: %w", err)
	}
	return int(tag.RowsAffected()), int(msgs.RowsAffected()), nil
}

// CancelReminders cancels a subject's scheduled reminders of the given kinds (e.g. when a run's dates
// change and they are scheduled anew).
func (s *Store) CancelReminders(ctx context.Context, tx pgx.Tx, subjectID string, kinds []string, note string) error {
	_, err := tx.Exec(ctx, `UPDATE reminders SET status = 'cancelled', note = $3, done_at = $4
		WHERE subject_id = $1 AND status = 'scheduled' AND kind = ANY ($2)`, subjectID, kinds, note, s.Now())
	if err != nil {
		return fmt.Errorf("cancel reminders: %w", err)
	}
	return nil
}

const reminderColumns = `id, kind, subject_id, recipient_id, event_id, due_at, expires_at, expect_status, expect_version,
	data, status, note`

func scanReminder(r pgx.CollectableRow) (Reminder, error) {
	var x Reminder
	var event uuid.UUID
	err := r.Scan(&x.ID, &x.Kind, &x.SubjectID, &x.RecipientID, &event, &x.DueAt, &x.ExpiresAt, &x.ExpectStatus,
		&x.ExpectVersion, &x.Data, &x.Status, &x.Note)
	x.EventID = event.String()
	return x, err
}

// DueReminders locks up to n scheduled reminders due by now, earliest first, for the caller's
// transaction, leaving out those in skip; reminders another instance holds are skipped too.
func (s *Store) DueReminders(ctx context.Context, tx pgx.Tx, now time.Time, n int, skip []uuid.UUID) ([]Reminder, error) {
	if skip == nil {
		skip = []uuid.UUID{}
	}
	rows, err := tx.Query(ctx, `SELECT `+reminderColumns+` FROM reminders
		WHERE status = 'scheduled' AND due_at <= $1 AND id <> ALL ($3) ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
		now, n, skip)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanReminder)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	return list, nil
}

// FinishReminder marks a reminder sent or cancelled, with a note saying why.
func (s *Store) FinishReminder(ctx context.Context, tx pgx.Tx, id uuid.UUID, status, note string) error {
	if _, err := tx.Exec(ctx, `UPDATE reminders SET status = $2, note = $3, done_at = $4 WHERE id = $1`,
		id, status, note, s.Now()); err != nil {
		return fmt.Errorf("finish reminder: %w", err)
	}
	return nil
}

// Reminders lists the reminders of a subject (an enrolment or a referral), by due time.
func (s *Store) Reminders(ctx context.Context, subjectID string) ([]Reminder, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+reminderColumns+` FROM reminders WHERE subject_id = $1 ORDER BY due_at, kind, created_at`,
		subjectID)
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanReminder)
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	return list, nil
}
