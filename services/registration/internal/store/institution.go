package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
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

// awaitAnswer starts the institution's deadline for a newly confirmed enrolment.
func (s *Store) awaitAnswer(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	deadline := businessday.Denmark().Deadline(s.now(), s.Answer.days())
	if _, err := tx.Exec(ctx, `UPDATE enrolments SET institution_decision = 'pending', institution_deadline = $2 WHERE id = $1`,
		id, deadline); err != nil {
		return fmt.Errorf("start institution deadline: %w", err)
	}
	return nil
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
	err := s.tx(ctx, func(tx pgx.Tx) error { return s.answer(ctx, tx, id, institution, a) })
	return translate("answer enrolment", err)
}

func (s *Store) answer(ctx context.Context, tx pgx.Tx, id uuid.UUID, institution string, a Answer) error {
	e, c, err := s.lock(ctx, tx, id)
	if err != nil {
		return err
	}
	if institution != "" && e.Course.InstitutionID.String() != institution {
		return pgdb.ErrNotFound
	}
	var decision string
	if err := tx.QueryRow(ctx, `SELECT institution_decision FROM enrolments WHERE id = $1`, id).Scan(&decision); err != nil {
		return err
	}
	if e.Status != enrolment.Confirmed || decision != "pending" {
		return fmt.Errorf("%w: only a confirmed enrolment waiting for the institution's answer can be answered (it is %s)",
			httpapi.ErrConflict, e.Status)
	}
	if a.Accept {
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET institution_decision = 'accepted', version = version + 1 WHERE id = $1`, id); err != nil {
			return err
		}
		e.Version++
		reason := a.Reason
		if reason == "" {
			reason = "accepted by the institution"
		}
		if err := s.record(ctx, tx, &e, a.Cause, reason); err != nil {
			return err
		}
		return s.emit(ctx, tx, e, c, events.TypeEnrolmentAccepted, events.SubjectEnrolmentAccepted, a.Cause, reason)
	}
	if _, err := tx.Exec(ctx, `UPDATE enrolments SET institution_decision = 'rejected' WHERE id = $1`, id); err != nil {
		return err
	}
	if err := s.release(ctx, tx, &e); err != nil {
		return err
	}
	return s.move(ctx, tx, &e, c, enrolment.Rejected, a.Cause, a.Reason)
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
		reason := fmt.Sprintf("the institution did not answer within %d business days", s.Answer.days())
		err := s.tx(ctx, func(tx pgx.Tx) error {
			// Someone may have answered meanwhile: only a still-pending, overdue answer is applied.
			var pending bool
			if err := tx.QueryRow(ctx, `SELECT institution_decision = 'pending' AND status = 'confirmed' AND institution_deadline < $2
				FROM enrolments WHERE id = $1 FOR UPDATE`, id, s.now()).Scan(&pending); err != nil || !pending {
				return err
			}
			return s.answer(ctx, tx, id, "", Answer{Accept: accept, Reason: reason, Cause: enrolment.BySystem})
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
		e, c, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Course.InstitutionID.String() != institution {
			return pgdb.ErrNotFound
		}
		if e.Status != enrolment.Confirmed && e.Status != enrolment.Started {
			return fmt.Errorf("%w: attendance is reported for confirmed or started enrolments (this one is %s)", httpapi.ErrConflict, e.Status)
		}
		if day.Before(e.Course.StartsOn) || day.After(e.Course.EndsOn) {
			return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "date",
				Message: fmt.Sprintf("must be within the run (%s to %s)", date(e.Course.StartsOn), date(e.Course.EndsOn))}}}
		}
		// A second report for the same day corrects the first: a new row pointing at the old one.
		var previous *int64
		_ = tx.QueryRow(ctx, `SELECT id FROM attendance a WHERE enrolment_id = $1 AND day = $2
			AND NOT EXISTS (SELECT 1 FROM attendance b WHERE b.corrects = a.id) ORDER BY id DESC LIMIT 1`, id, day).Scan(&previous)
		if _, err := tx.Exec(ctx, `INSERT INTO attendance (enrolment_id, day, hours, corrects, reported_by) VALUES ($1, $2, $3, $4, $5)`,
			id, day, hours, previous, reporter); err != nil {
			return fmt.Errorf("record attendance: %w", err)
		}
		if e.Status == enrolment.Confirmed {
			return s.move(ctx, tx, &e, c, enrolment.Started, enrolment.ByInstitution, "attendance reported")
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
		e, _, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Course.InstitutionID.String() != institution {
			return pgdb.ErrNotFound
		}
		if e.Status != enrolment.Started && e.Status != enrolment.Confirmed {
			return fmt.Errorf("%w: a break is reported for a confirmed or started enrolment (this one is %s)", httpapi.ErrConflict, e.Status)
		}
		return s.record(ctx, tx, &e, enrolment.ByInstitution, "break: "+reason)
	})
	return translate("report break", err)
}
