package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/retention"
	"livslang.dk/services/registration/internal/enrolment"
)

// Legal bases registration names in its erasure reports (and funding in its own).
const (
	accountingBasis = "GDPR art. 17(3)(b): the municipality's duty to keep accounting records, 5 years from the end of " +
		"the financial year (bogføringsloven, LBK nr. 648 af 15/06/2006, § 10, stk. 1, which the municipal accounting rules " +
		"under lov om kommunernes styrelse § 42 follow)"
	auditBasis = "GDPR art. 5(2) and 32 (accountability and security of processing) and art. 17(3)(e): the record of " +
		"who read or changed your data, which you can read yourself"
	credentialBasis = "GDPR art. 6(1)(e) and 17(3)(b): the institution's public task of documenting the education it gave " +
		"(bekendtgørelse om arbejdsmarkedsuddannelser m.v. on AMU certificates); kept without anything that identifies you"
	requestBasis = "GDPR art. 5(2) (accountability): the proof that your request was carried out; it names you only by your pseudonymous id"
)

// erase removes what registration holds about the citizen, in the erasure request's transaction:
// live enrolments are cancelled (their seats go to the waiting lists; institutions and funding hear
// of it as usual) and a started one is withdrawn with the hours attended so far (funding pays that
// part out); then everything is deleted except completed and withdrawn enrolments, which document
// funding's payouts and are kept without the citizen's id; their id is removed from institutions'
// feed entries; the citizen's data key is destroyed, so no copy of anything sealed with it, in a
// backup or anywhere else, can be read again. The stored answer to the erasure's own Idempotency-Key
// (key) stays, so a retry of the request answers as the first time. It reports what it deleted and
// what it kept, and why.
func (s *Store) erase(ctx context.Context, tx pgx.Tx, r DataRequest, key string) (events.ErasureReport, error) {
	var report events.ErasureReport
	deleted := func(what string, n int64) {
		report.Deleted = append(report.Deleted, events.Deleted{What: what, Count: n})
	}
	rows, err := tx.Query(ctx, `SELECT id FROM enrolments WHERE citizen_id = $1 ORDER BY requested_at FOR UPDATE`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("find enrolments to erase: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return report, fmt.Errorf("find enrolments to erase: %w", err)
	}
	for _, id := range ids {
		if err := s.endForErasure(ctx, tx, id); err != nil {
			return report, err
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE institution_feed SET envelope = convert_to(jsonb_set(jsonb_set(
			convert_from(envelope, 'UTF8')::jsonb, '{data,citizen_id}', '""'), '{data,reason}',
			CASE WHEN convert_from(envelope, 'UTF8')::jsonb #>> '{data,cause}' = 'citizen' THEN '""'::jsonb
				ELSE coalesce(convert_from(envelope, 'UTF8')::jsonb #> '{data,reason}', '""') END)::text, 'UTF8')
		WHERE convert_from(envelope, 'UTF8')::jsonb #>> '{data,citizen_id}' = $1`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("remove the citizen from institutions' feeds: %w", err)
	}
	feed := tag.RowsAffected()
	var attendance, history int64
	if err := tx.QueryRow(ctx, `WITH gone AS (SELECT id FROM enrolments WHERE citizen_id = $1 AND status NOT IN ('completed', 'withdrawn')),
			a AS (DELETE FROM attendance WHERE enrolment_id IN (SELECT id FROM gone) RETURNING 1),
			h AS (DELETE FROM enrolment_history WHERE enrolment_id IN (SELECT id FROM gone) RETURNING 1)
		SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM h)`, r.CitizenID).Scan(&attendance, &history); err != nil {
		return report, fmt.Errorf("delete enrolment history: %w", err)
	}
	tag, err = tx.Exec(ctx, `DELETE FROM enrolments WHERE citizen_id = $1 AND status NOT IN ('completed', 'withdrawn')`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("delete enrolments: %w", err)
	}
	enrolments := tag.RowsAffected()
	var kept int64
	var lastEnded *time.Time
	if err := tx.QueryRow(ctx, `WITH k AS (UPDATE enrolments SET citizen_id = '' WHERE citizen_id = $1 RETURNING updated_at)
		SELECT count(*), max(updated_at) FROM k`, r.CitizenID).Scan(&kept, &lastEnded); err != nil {
		return report, fmt.Errorf("keep completed enrolments without the citizen's id: %w", err)
	}
	funded, err := tx.Exec(ctx, `DELETE FROM funded_courses WHERE citizen_id = $1`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("delete funded courses: %w", err)
	}
	tag, err = tx.Exec(ctx, `DELETE FROM citizens WHERE id = $1`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("delete profile: %w", err)
	}
	deleted("profile: CPR number, name, e-mail address, phone number, education, employment and benefits", tag.RowsAffected())
	deleted("the course runs funding found you could get funded (for the search)", funded.RowsAffected())
	deleted("enrolments that did not end in a completed or withdrawn course, with their history", enrolments)
	deleted("history entries of those enrolments", history)
	deleted("attendance reported for those enrolments", attendance)
	deleted("your id and your own reasons in institutions' feed entries (the entries stay, naming no one)", feed)
	learned, shares, credentials, err := eraseLearning(ctx, tx, r.CitizenID)
	if err != nil {
		return report, err
	}
	deleted("your learning record: the courses you took through Livslang and the education you added yourself", learned)
	deleted("links you made to share your certificates", shares)
	deleted("your certificates (credentials) as kept for you", credentials)
	tag, err = tx.Exec(ctx, `DELETE FROM data_requests WHERE citizen_id = $1 AND kind = 'export'`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("delete exports: %w", err)
	}
	deleted("earlier exports of your data", tag.RowsAffected())
	tag, err = tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE principal = $1 AND key <> $2`, r.CitizenID, key)
	if err != nil {
		return report, fmt.Errorf("delete idempotency keys: %w", err)
	}
	deleted("stored answers to your repeated requests (idempotency keys)", tag.RowsAffected())
	tag, err = tx.Exec(ctx, `DELETE FROM parked_messages WHERE position(convert_to('"citizen_id":"' || $1 || '"', 'UTF8') IN payload) > 0`, r.CitizenID)
	if err != nil {
		return report, fmt.Errorf("delete parked messages: %w", err)
	}
	deleted("events about you that could not be processed (parked messages)", tag.RowsAffected())
	if err := s.ring.Erase(ctx, tx, r.CitizenID, s.now(), true); err != nil {
		return report, err
	}
	deleted("your data key: whatever was sealed with it, in backups too, can no longer be read", 1)

	now := s.now()
	var until time.Time
	if lastEnded != nil {
		until = retention.YearsAfterYearEnd(lastEnded.In(Copenhagen), s.Retention.completedYears()).AddDate(0, 0, -1)
	}
	entries, err := audit.Count(ctx, tx, r.CitizenID)
	if err != nil {
		return report, err
	}
	for _, k := range []events.Kept{
		{What: "completed and withdrawn enrolments with their attendance and history, without your id", Count: kept,
			Why:        "funding paid out for them by the hours attended; they are the documentation of those payments",
			LegalBasis: accountingBasis, Until: date(until)},
		{What: "the ids, dates and revocation status of certificates issued to you, naming no one", Count: credentials,
			Why:        "a certificate you already gave someone can still be verified; the certificate itself names you only by a salted hash",
			LegalBasis: credentialBasis, Until: "as long as the certificate can be shown, for it does not expire or until it does"},
		{What: "audit log entries about your data", Count: entries, Why: "who read or changed your data, when and why",
			LegalBasis: auditBasis, Until: date(s.Retention.Audit.After(now))},
		{What: "this erasure request and each service's report", Count: 1, Why: "to show that your request was carried out " +
			"(the stored answer to the request itself stays until the idempotency keys' retention, so a retry answers as the first time)",
			LegalBasis: requestBasis, Until: date(s.Retention.DataRequests.After(now))},
	} {
		report.Keep(k)
	}
	return report, nil
}

// endForErasure cancels a live enrolment or withdraws a started one; an ended one stays as it is.
func (s *Store) endForErasure(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	return s.updateFor(ctx, tx, id, func(e *Enrolment, c *Citizen) error {
		c.Erasing = true
		var attended float64
		if e.Status == enrolment.Started {
			if err := tx.QueryRow(ctx, `SELECT coalesce(sum(hours), 0)::float8 FROM attendance a WHERE enrolment_id = $1
				AND NOT EXISTS (SELECT 1 FROM attendance b WHERE b.corrects = a.id)`, id).Scan(&attended); err != nil {
				return fmt.Errorf("attended hours: %w", err)
			}
		}
		return e.EndForErasure(attended)
	})
}
