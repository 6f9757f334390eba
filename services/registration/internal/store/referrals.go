package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/services/registration/internal/enrolment"
)

// HoldForReferral holds a seat for a new referral: the citizen is offered it until the referral's
// last day, ahead of self-enrolled requests; on a full run the referral waits in the referral
// priority group. A citizen who already has a live enrolment on the run keeps it, and on a
// cancelled run nothing can be held: the referral then gets an enrolment that is cancelled at once,
// announced like any other, so funding gives back the money the referral reserved and no longer
// lets the citizen accept it.
func (s *Store) HoldForReferral(ctx context.Context, tx pgx.Tx, r events.Referral) error {
	refID, err := uuid.Parse(r.ReferralID)
	if err != nil {
		return fmt.Errorf("%w: referral_id", events.ErrMalformed)
	}
	courseID, err := uuid.Parse(r.Course.ID)
	if err != nil {
		return fmt.Errorf("%w: course id", events.ErrMalformed)
	}
	until, err := time.ParseInLocation(time.DateOnly, r.ValidUntil, Copenhagen)
	if err != nil {
		return fmt.Errorf("%w: valid_until", events.ErrMalformed)
	}
	expires := until.AddDate(0, 0, 1).Add(-time.Millisecond)
	course, err := s.lockCourse(ctx, tx, courseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: referral to unknown run %s", events.ErrMalformed, courseID)
	} else if err != nil {
		return err
	}
	var held bool
	switch err := tx.QueryRow(ctx, `SELECT true FROM enrolments WHERE referral_id = $1`, refID).Scan(&held); {
	case err == nil:
		return nil // this referral held before (a redelivery)
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("referral's enrolment: %w", err)
	}
	citizen, err := s.citizen(ctx, tx, r.CitizenID)
	if errors.Is(err, pgx.ErrNoRows) {
		if erased, err := s.ring.Erased(ctx, tx, r.CitizenID); err != nil || erased {
			return err // an erased citizen is held nothing; funding withdrew their referrals
		}
		return fmt.Errorf("%w: referral for unknown citizen", events.ErrMalformed)
	} else if err != nil { // e.g. the database cut the connection: retried, not parked
		return fmt.Errorf("referral's citizen: %w", err)
	}
	if course.Status == "cancelled" {
		return s.endUnheldReferral(ctx, tx, r, refID, course, citizen, enrolment.RunCancelled(course.CancelReason))
	}
	// A citizen who holds a seat on another run of the course waits in the referral group instead.
	elsewhere, err := s.seatElsewhere(ctx, tx, r.CitizenID, courseID)
	if err != nil {
		return err
	}
	if !elsewhere {
		if held, err = s.holdSeat(ctx, tx, courseID); err != nil {
			return err
		}
	}
	e := Enrolment{Enrolment: enrolment.Refer(enrolment.NewRequest{ID: uuid.New(), CitizenID: r.CitizenID, CourseID: courseID,
		FundingPreference: r.Scheme, At: s.now(), Seat: held}, r.ReferralID, expires, r.Reason), Course: course}
	tag, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
			priority_group, priority, offer_expires_at, referral_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		e.ID, e.CitizenID, e.CourseID, e.Status, e.HoldsSeat, e.FundingPreference, e.RequestedAt, e.PriorityGroup,
		enrolment.Priority(course.PriorityGroups, e.PriorityGroup), e.OfferExpiresAt, refID)
	if err != nil {
		return fmt.Errorf("hold seat for referral: %w", err)
	}
	if tag.RowsAffected() == 0 { // a live enrolment on the run already
		if held {
			if _, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken - 1 WHERE id = $1`, courseID); err != nil {
				return fmt.Errorf("give back the referral's seat: %w", err)
			}
		}
		return s.endUnheldReferral(ctx, tx, r, refID, course, citizen, enrolment.AlreadyEnrolled())
	}
	if err := s.persist(ctx, tx, e.Enrolment, &e, citizen); err != nil {
		return err
	}
	return s.applyEarlyAnswers(ctx, tx, r.ReferralID)
}

// endUnheldReferral records, for a referral that could hold nothing, an enrolment that is cancelled
// at once (by the system, with the reason), and announces it: the referral's money goes back.
func (s *Store) endUnheldReferral(ctx context.Context, tx pgx.Tx, r events.Referral, refID uuid.UUID, course Course, citizen Citizen, why enrolment.Why) error {
	e := Enrolment{Enrolment: enrolment.EndedReferral(enrolment.NewRequest{ID: uuid.New(), CitizenID: r.CitizenID, CourseID: course.ID,
		FundingPreference: r.Scheme, At: s.now()}, r.ReferralID, why), Course: course}
	if _, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
			priority_group, priority, referral_id)
		VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $9)`,
		e.ID, e.CitizenID, e.CourseID, e.Status, e.FundingPreference, e.RequestedAt, e.PriorityGroup,
		enrolment.Priority(course.PriorityGroups, e.PriorityGroup), refID); err != nil {
		return fmt.Errorf("record the referral's ended enrolment: %w", err)
	}
	return s.persist(ctx, tx, e.Enrolment, &e, citizen)
}

// applyEarlyAnswers applies the answers to a referral that arrived before it did: acceptance first,
// then its end.
func (s *Store) applyEarlyAnswers(ctx context.Context, tx pgx.Tx, referralID string) error {
	rows, err := tx.Query(ctx, `SELECT event_type, status, note FROM referral_answers WHERE referral_id = $1
		ORDER BY event_type <> $2, received_at`, referralID, events.TypeReferralAccepted)
	if err != nil {
		return fmt.Errorf("early referral answers: %w", err)
	}
	type answer struct{ eventType, status, note string }
	answers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (answer, error) {
		var a answer
		return a, r.Scan(&a.eventType, &a.status, &a.note)
	})
	if err != nil {
		return fmt.Errorf("early referral answers: %w", err)
	}
	for _, a := range answers {
		if err := s.ApplyReferral(ctx, tx, a.eventType, events.Referral{ReferralID: referralID, Status: a.status, Note: a.note}); err != nil {
			return err
		}
	}
	return nil
}

// ApplyReferral follows the referral's answer: accepted goes on to funding (or, while waiting, takes
// the next free seat without an offer); declined, expired or withdrawn ends the enrolment and its
// seat goes to the next in line.
func (s *Store) ApplyReferral(ctx context.Context, tx pgx.Tx, eventType string, r events.Referral) error {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `SELECT id FROM enrolments WHERE referral_id = $1`, r.ReferralID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// The referral held nothing (the citizen already had an enrolment on the run), or it has not
		// arrived yet: kept, so that its hold applies the answer.
		_, err := tx.Exec(ctx, `INSERT INTO referral_answers (referral_id, event_type, status, note) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, r.ReferralID, eventType, r.Status, r.Note)
		if err != nil {
			return fmt.Errorf("keep early referral answer: %w", err)
		}
		return nil
	} else if err != nil {
		return err
	}
	ends := map[string]enrolment.ReferralEnd{events.TypeReferralDeclined: enrolment.ReferralDeclined,
		events.TypeReferralExpired: enrolment.ReferralExpired, events.TypeReferralWithdrawn: enrolment.ReferralWithdrawn}
	switch end, ok := ends[eventType]; {
	case eventType == events.TypeReferralAccepted:
		return s.update(ctx, tx, id, func(e *Enrolment) error { return e.AcceptReferral(s.holdExpiry()) })
	case ok:
		return s.update(ctx, tx, id, func(e *Enrolment) error { return e.EndReferral(end, r.Status, r.Note) })
	}
	return nil
}
