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
		return s.endUnheldReferral(ctx, tx, r, refID, course, citizen, "the course run was cancelled: "+course.CancelReason)
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
	e := Enrolment{ID: uuid.New(), CitizenID: r.CitizenID, CourseID: courseID, Status: enrolment.Waitlisted, HoldsSeat: held,
		FundingPreference: r.Scheme, RequestedAt: s.now(), Version: 1, Course: course, PriorityGroup: enrolment.GroupReferral,
		ReferralID: r.ReferralID}
	var offerUntil *time.Time
	if held {
		e.Status, offerUntil, e.OfferExpiresAt = enrolment.Offered, &expires, &expires
	}
	tag, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
			priority_group, priority, offer_expires_at, referral_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		e.ID, e.CitizenID, e.CourseID, e.Status, e.HoldsSeat, e.FundingPreference, e.RequestedAt, e.PriorityGroup,
		enrolment.Priority(course.PriorityGroups, e.PriorityGroup), offerUntil, refID)
	if err != nil {
		return fmt.Errorf("hold seat for referral: %w", err)
	}
	if tag.RowsAffected() == 0 { // a live enrolment on the run already
		if held {
			if _, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken - 1 WHERE id = $1`, courseID); err != nil {
				return fmt.Errorf("give back the referral's seat: %w", err)
			}
		}
		return s.endUnheldReferral(ctx, tx, r, refID, course, citizen, "the citizen already has an enrolment on this course run")
	}
	if err := s.record(ctx, tx, &e, enrolment.ByCaseworker, "referred by the municipality: "+r.Reason); err != nil {
		return err
	}
	if err := s.announce(ctx, tx, e, citizen, enrolment.ByCaseworker, "referred by the municipality"); err != nil {
		return err
	}
	return s.applyEarlyAnswers(ctx, tx, r.ReferralID)
}

// endUnheldReferral records, for a referral that could hold nothing, an enrolment that is cancelled
// at once (by the system, with the reason), and announces it: the referral's money goes back.
func (s *Store) endUnheldReferral(ctx context.Context, tx pgx.Tx, r events.Referral, refID uuid.UUID, course Course, citizen Citizen, reason string) error {
	e := Enrolment{ID: uuid.New(), CitizenID: r.CitizenID, CourseID: course.ID, Status: enrolment.Cancelled, FundingPreference: r.Scheme,
		RequestedAt: s.now(), Version: 1, Course: course, PriorityGroup: enrolment.GroupReferral, ReferralID: r.ReferralID}
	if _, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
			priority_group, priority, referral_id)
		VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $9)`,
		e.ID, e.CitizenID, e.CourseID, e.Status, e.FundingPreference, e.RequestedAt, e.PriorityGroup,
		enrolment.Priority(course.PriorityGroups, e.PriorityGroup), refID); err != nil {
		return fmt.Errorf("record the referral's ended enrolment: %w", err)
	}
	if err := s.record(ctx, tx, &e, enrolment.BySystem, reason); err != nil {
		return err
	}
	return s.announce(ctx, tx, e, citizen, enrolment.BySystem, reason)
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

// referralEnrolment locks the enrolment a referral holds.
func (s *Store) referralEnrolment(ctx context.Context, tx pgx.Tx, referralID string) (Enrolment, Citizen, error) {
	var id uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT id FROM enrolments WHERE referral_id = $1`, referralID).Scan(&id); err != nil {
		return Enrolment{}, Citizen{}, err
	}
	return s.lock(ctx, tx, id)
}

// ApplyReferral follows the referral's answer: accepted goes on to funding (or, while waiting, takes
// the next free seat without an offer); declined, expired or withdrawn ends the enrolment and its
// seat goes to the next in line.
func (s *Store) ApplyReferral(ctx context.Context, tx pgx.Tx, eventType string, r events.Referral) error {
	e, c, err := s.referralEnrolment(ctx, tx, r.ReferralID)
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
	switch eventType {
	case events.TypeReferralAccepted:
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET referral_accepted = true WHERE id = $1`, e.ID); err != nil {
			return err
		}
		if e.Status == enrolment.Offered {
			return s.request(ctx, tx, &e, c, enrolment.ByCitizen, "accepted the referral")
		}
		return nil
	case events.TypeReferralDeclined, events.TypeReferralExpired, events.TypeReferralWithdrawn:
		if !enrolment.CanMove(e.Status, enrolment.Cancelled) {
			return nil
		}
		cause := map[string]enrolment.Cause{events.TypeReferralDeclined: enrolment.ByCitizen, events.TypeReferralExpired: enrolment.BySystem,
			events.TypeReferralWithdrawn: enrolment.ByCaseworker}[eventType]
		if err := s.release(ctx, tx, &e); err != nil {
			return err
		}
		reason := "the referral was " + r.Status
		if r.Note != "" {
			reason += ": " + r.Note
		}
		return s.move(ctx, tx, &e, c, enrolment.Cancelled, cause, reason)
	}
	return nil
}
