package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
)

// AnswerPolicy is how long an institution has to accept or reject a confirmed enrolment, in Danish
// business days, and what happens when it does not answer in time.
type AnswerPolicy struct {
	Days    int    // default 5
	Default string // "accept" (default) or "reject"
}

func (p AnswerPolicy) days() int {
	if p.Days <= 0 {
		return 5
	}
	return p.Days
}

// answerBy is the institution's deadline for an enrolment confirmed now.
func (s *Store) answerBy() time.Time {
	return businessday.Denmark().Deadline(s.now(), s.Answer.days())
}

// Answer is the institution's answer to a confirmed enrolment.
type Answer struct {
	Accept bool
	Reason string
	Cause  enrolment.Cause // institution, or system when the deadline passed
}

// AnswerEnrolment records the institution's acceptance (the enrolment stays confirmed and everyone is
// told) or rejection (rejected with the reason; the seat goes to the waiting list and funding
// releases what it held). institution "" is the system applying the default.
func (s *Store) AnswerEnrolment(ctx context.Context, id uuid.UUID, institution string, a Answer) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		return s.update(ctx, tx, id, func(e *Enrolment) error {
			if institution != "" && e.Course.InstitutionID.String() != institution {
				return pgdb.ErrNotFound
			}
			return e.Answer(a.Accept, a.Cause, a.Reason)
		})
	})
	return translate("answer enrolment", err)
}

// ApplyOverdueAnswers applies the default answer to enrolments whose institution did not answer
// before its deadline. It returns how many it answered.
func (s *Store) ApplyOverdueAnswers(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM enrolments WHERE institution_decision = 'pending' AND status = 'confirmed'
		AND institution_deadline < $1 ORDER BY institution_deadline LIMIT 100`, s.now())
	if err != nil {
		return 0, translate("overdue answers", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, translate("overdue answers", err)
	}
	accept := s.Answer.Default != "reject"
	done := 0
	for _, id := range ids {
		err := s.tx(ctx, func(tx pgx.Tx) error {
			// Someone may have answered meanwhile: only a still-pending, overdue answer is applied.
			return s.update(ctx, tx, id, func(e *Enrolment) error {
				_, err := e.AnswerOverdue(s.now(), accept, s.Answer.days())
				return err
			})
		})
		if err != nil {
			return done, translate("apply default answer", err)
		}
		done++
	}
	return done, nil
}

// ReportAttendance records hours attended on a day; the first report starts the enrolment.
func (s *Store) ReportAttendance(ctx context.Context, id uuid.UUID, institution, reporter string, day time.Time, hours float64) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := s.update(ctx, tx, id, func(e *Enrolment) error {
			if e.Course.InstitutionID.String() != institution {
				return pgdb.ErrNotFound
			}
			return e.ReportAttendance(day, e.Course.StartsOn, e.Course.EndsOn)
		})
		if err != nil {
			return err
		}
		// A second report for the same day corrects the first: a new row pointing at the old one.
		var previous *int64
		_ = tx.QueryRow(ctx, `SELECT id FROM attendance a WHERE enrolment_id = $1 AND day = $2
			AND NOT EXISTS (SELECT 1 FROM attendance b WHERE b.corrects = a.id) ORDER BY id DESC LIMIT 1`, id, day).Scan(&previous)
		if _, err := tx.Exec(ctx, `INSERT INTO attendance (enrolment_id, day, hours, corrects, reported_by) VALUES ($1, $2, $3, $4, $5)`,
			id, day, hours, previous, reporter); err != nil {
			return fmt.Errorf("record attendance: %w", err)
		}
		return nil
	})
	return translate("report attendance", err)
}

// AttendedHours sums the current (uncorrected) attendance rows of an enrolment.
func (s *Store) AttendedHours(ctx context.Context, id uuid.UUID) (float64, error) {
	var hours float64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(hours), 0)::float8 FROM attendance a WHERE enrolment_id = $1
		AND NOT EXISTS (SELECT 1 FROM attendance b WHERE b.corrects = a.id)`, id).Scan(&hours)
	return hours, translate("attended hours", err)
}

// ReportBreak records that a citizen pauses a started (or confirmed) enrolment, with the reason;
// the enrolment stays as it is and the break is in its history.
func (s *Store) ReportBreak(ctx context.Context, id uuid.UUID, institution, reason string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		return s.update(ctx, tx, id, func(e *Enrolment) error {
			if e.Course.InstitutionID.String() != institution {
				return pgdb.ErrNotFound
			}
			return e.ReportBreak(reason)
		})
	})
	return translate("report break", err)
}
