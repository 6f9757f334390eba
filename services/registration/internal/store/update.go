package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/services/registration/internal/enrolment"
)

// This file is the enrolment's one write path: Update locks an enrolment, lets a command of the
// state machine (internal/enrolment) change it, and persists the row and what the change means
// (its domain events: history rows, the learning record, events to the outbox and the feed, seats
// given back and the waiting list served) in the same transaction, the statements pipelined.

// lockColumns are enrolmentColumns with what only a state change reads.
const lockColumns = enrolmentColumns + `, e.hold_expires_at, e.referral_accepted, e.institution_decision, e.institution_deadline`

// lock loads an enrolment for update, with its course and citizen, for a state change.
func (s *Store) lock(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Enrolment, Citizen, error) {
	e, err := scanEnrolmentWith(tx.QueryRow(ctx, `SELECT `+lockColumns+` FROM enrolments e WHERE e.id = $1 FOR UPDATE`, id),
		func(e *Enrolment) []any {
			return []any{&e.HoldExpiresAt, &e.ReferralAccepted, &e.Decision, &e.DecisionDue}
		})
	if err != nil {
		return Enrolment{}, Citizen{}, err
	}
	if e.Course, err = scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
		JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1`, e.CourseID)); err != nil {
		return Enrolment{}, Citizen{}, err
	}
	c, err := s.citizen(ctx, tx, e.CitizenID)
	return e, c, err
}

// Update locks the enrolment, calls change with it (which applies the state machine's commands, or
// refuses with an error that undoes everything), and persists the row and the change's domain
// events, all in one transaction.
func (s *Store) Update(ctx context.Context, id uuid.UUID, change func(*Enrolment) error) error {
	return translate("update enrolment", s.tx(ctx, func(tx pgx.Tx) error { return s.update(ctx, tx, id, change) }))
}

// update is Update in tx.
func (s *Store) update(ctx context.Context, tx pgx.Tx, id uuid.UUID, change func(*Enrolment) error) error {
	return s.updateFor(ctx, tx, id, func(e *Enrolment, _ *Citizen) error { return change(e) })
}

// updateFor is update for a change that also needs the citizen (whose facts the events carry).
func (s *Store) updateFor(ctx context.Context, tx pgx.Tx, id uuid.UUID, change func(*Enrolment, *Citizen) error) error {
	e, c, err := s.lock(ctx, tx, id)
	if err != nil {
		return err
	}
	before := e.Enrolment
	if err := change(&e, &c); err != nil {
		return err
	}
	return s.persist(ctx, tx, before, &e, c)
}

// persist writes what changed of e since before, and its domain events.
func (s *Store) persist(ctx context.Context, tx pgx.Tx, before enrolment.Enrolment, e *Enrolment, c Citizen) error {
	b := &pgx.Batch{}
	if err := queueRow(b, before, e.Enrolment); err != nil {
		return err
	}
	if err := s.queueChanges(ctx, tx, b, e, c); err != nil {
		return err
	}
	return send(ctx, tx, b, "write enrolment")
}

func fundingJSON(f *events.FundingSummary) ([]byte, error) {
	if f == nil {
		return nil, nil
	}
	return json.Marshal(f)
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// queueRow queues the update of the enrolment's row when after differs from before. The row's
// updated_at moves with its state and its funding.
func queueRow(b *pgx.Batch, before, after enrolment.Enrolment) error {
	was, err := fundingJSON(before.Funding)
	if err != nil {
		return err
	}
	funding, err := fundingJSON(after.Funding)
	if err != nil {
		return err
	}
	touched := before.Status != after.Status || !bytes.Equal(was, funding)
	// The hours attended are written when they change and when an enrolment ends with them.
	hours := before.AttendedHours != after.AttendedHours ||
		(before.Status != after.Status && (after.Status == enrolment.Completed || after.Status == enrolment.Withdrawn))
	if !touched && !hours && before.HoldsSeat == after.HoldsSeat && before.Version == after.Version &&
		sameTime(before.HoldExpiresAt, after.HoldExpiresAt) && sameTime(before.OfferExpiresAt, after.OfferExpiresAt) &&
		before.Decision == after.Decision && sameTime(before.DecisionDue, after.DecisionDue) && before.ReferralAccepted == after.ReferralAccepted {
		return nil
	}
	b.Queue(`UPDATE enrolments SET status = $2, holds_seat = $3, funding = $4, version = $5, hold_expires_at = $6,
			offer_expires_at = $7, attended_hours = CASE WHEN $8::boolean THEN $9 ELSE attended_hours END,
			institution_decision = $10, institution_deadline = $11, referral_accepted = $12,
			updated_at = CASE WHEN $13::boolean THEN now() ELSE updated_at END
		WHERE id = $1`, after.ID, after.Status, after.HoldsSeat, funding, after.Version, after.HoldExpiresAt, after.OfferExpiresAt,
		hours, after.AttendedHours, after.Decision, after.DecisionDue, after.ReferralAccepted, touched)
	return nil
}

// queueChanges queues the writes of e's domain events on b, in their order, and forgets them. A
// freed seat is given back at once (b is sent first), so the next in line's events come before
// those of the enrolment that freed it.
func (s *Store) queueChanges(ctx context.Context, tx pgx.Tx, b *pgx.Batch, e *Enrolment, c Citizen) error {
	defer e.ClearEvents()
	for _, ev := range e.Events() {
		switch ev := ev.(type) {
		case enrolment.Created:
			recorded := ev.Why
			if ev.Recorded != nil {
				recorded = *ev.Recorded
			}
			if err := s.queueRecord(b, e.ID, e.Status, ev.Cause, recorded); err != nil {
				return err
			}
			if err := s.queueAnnounce(ctx, tx, b, *e, c, ev.Cause, ev.Why); err != nil {
				return err
			}
		case enrolment.Moved:
			if err := s.queueRecord(b, e.ID, ev.To, ev.Cause, ev.Why); err != nil {
				return err
			}
			if err := s.recordLearning(ctx, tx, e, c, ev.From, ev.Why.Text); err != nil {
				return err
			}
			announced := *e
			if ev.AnsweredOffer != nil {
				announced.OfferExpiresAt = ev.AnsweredOffer
			}
			if err := s.queueAnnounce(ctx, tx, b, announced, c, ev.Cause, ev.Why); err != nil {
				return err
			}
		case enrolment.Noted:
			if err := s.queueRecord(b, e.ID, e.Status, ev.Cause, ev.Why); err != nil {
				return err
			}
		case enrolment.Accepted:
			if err := s.queueRecord(b, e.ID, e.Status, ev.Cause, ev.Why); err != nil {
				return err
			}
			if err := s.queueEmit(ctx, tx, b, *e, c, events.TypeEnrolmentAccepted, events.SubjectEnrolmentAccepted, ev.Cause, ev.Why); err != nil {
				return err
			}
		case enrolment.EmployerAsked:
			b.Queue(`UPDATE enrolments SET employer_cvr = $2, employer_name = coalesce(employer_name, nullif($3, '')) WHERE id = $1`,
				e.ID, ev.CVR, ev.Name)
		case enrolment.SeatFreed:
			if err := send(ctx, tx, b, "write enrolment"); err != nil {
				return err
			}
			*b = pgx.Batch{}
			if err := s.freeSeat(ctx, tx, ev.CourseID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("enrolment event %T has no writes", ev)
		}
	}
	return nil
}

// queueRecord queues a history row: the enrolment's state, who changed it and why (the reason's
// sentence, and its code and parameters where registration gave the reason).
func (s *Store) queueRecord(b *pgx.Batch, id uuid.UUID, status enrolment.Status, cause enrolment.Cause, why enrolment.Why) error {
	var params []byte
	if len(why.Params) > 0 {
		var err error
		if params, err = json.Marshal(why.Params); err != nil {
			return fmt.Errorf("reason parameters: %w", err)
		}
	}
	b.Queue(`INSERT INTO enrolment_history (enrolment_id, seq, status, at, cause, reason, reason_code, reason_params)
		VALUES ($1, (SELECT count(*) + 1 FROM enrolment_history WHERE enrolment_id = $1), $2, $3, $4, $5, $6, $7)`,
		id, status, s.now(), cause, why.Text, string(why.Code), params)
	return nil
}

var statusEvents = map[enrolment.Status][2]string{
	enrolment.Pending:    {events.TypeEnrolmentRequested, events.SubjectEnrolmentRequested},
	enrolment.Waitlisted: {events.TypeEnrolmentWaitlisted, events.SubjectEnrolmentWaitlisted},
	enrolment.Confirmed:  {events.TypeEnrolmentConfirmed, events.SubjectEnrolmentConfirmed},
	enrolment.Rejected:   {events.TypeEnrolmentRejected, events.SubjectEnrolmentRejected},
	enrolment.Cancelled:  {events.TypeEnrolmentCancelled, events.SubjectEnrolmentCancelled},
	enrolment.Completed:  {events.TypeEnrolmentCompleted, events.SubjectEnrolmentCompleted},
	enrolment.Withdrawn:  {events.TypeEnrolmentWithdrawn, events.SubjectEnrolmentWithdrawn},
	enrolment.Started:    {events.TypeEnrolmentStarted, events.SubjectEnrolmentStarted},
	enrolment.Offered:    {events.TypeEnrolmentOffered, events.SubjectEnrolmentOffered},
}

// queueAnnounce queues the event of the enrolment's current state, with the facts consumers need.
func (s *Store) queueAnnounce(ctx context.Context, tx pgx.Tx, b *pgx.Batch, e Enrolment, citizen Citizen, cause enrolment.Cause, why enrolment.Why) error {
	ev, ok := statusEvents[e.Status]
	if !ok {
		return nil
	}
	return s.queueEmit(ctx, tx, b, e, citizen, ev[0], ev[1], cause, why)
}

// send sends the statements queued on b in one round trip; what names them in an error.
func send(ctx context.Context, tx pgx.Tx, b *pgx.Batch, what string) error {
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// queueEmit queues an enrolment event's writes (outbox and the institution's feed) on b; tx is only
// read (a waiting-list position). A confirmed enrolment the institution is to answer carries the
// deadline (answer_by).
func (s *Store) queueEmit(ctx context.Context, tx pgx.Tx, b *pgx.Batch, e Enrolment, citizen Citizen, eventType, subject string, cause enrolment.Cause, why enrolment.Why) (err error) {
	data := events.Enrolment{
		EnrolmentID: e.ID.String(), Version: e.Version, Status: string(e.Status), CitizenID: e.CitizenID,
		FundingPreference: e.FundingPreference, Course: e.Course.Facts(), Profile: citizen.Facts(),
		Cause: string(cause), Reason: why.Text, ReasonCode: string(why.Code), ReasonParams: why.Params, Funding: e.Funding,
		AttendedHours: e.AttendedHours, PlannedHours: e.Course.PlannedHours(), OfferExpiresAt: e.OfferExpiresAt,
		ReferralID: e.ReferralID, Erasure: citizen.Erasing, Employer: e.Employer,
	}
	if e.Status == enrolment.Confirmed && e.Decision == enrolment.DecisionPending && e.DecisionDue != nil {
		by := e.DecisionDue.UTC()
		data.AnswerBy = &by
	}
	if e.Status == enrolment.Waitlisted {
		if e.WaitlistPosition == 0 {
			if e.WaitlistPosition, e.AheadWithPriority, err = waitlistPosition(ctx, tx, e.ID); err != nil {
				return err
			}
		}
		data.WaitlistPosition = e.WaitlistPosition
	}
	env, err := events.New(Source, eventType, subject, e.ID.String(), s.now(), data)
	if err != nil {
		return err
	}
	if err := outbox.Queue(ctx, b, tx, env); err != nil {
		return err
	}
	return queueFeed(b, e.Course.InstitutionID, env, data)
}

// freeSeat gives a held seat back to the run and to the first on its waiting list.
func (s *Store) freeSeat(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken - 1 WHERE id = $1`, courseID); err != nil {
		return fmt.Errorf("release seat: %w", err)
	}
	_, err := s.promote(ctx, tx, courseID)
	return err
}

// promote gives a free seat on the run to the first on its waiting list who may take it (see
// nextInLine): the state machine decides whether it is offered or taken at once (SeatFree). It
// reports whether anyone was promoted.
func (s *Store) promote(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) (bool, error) {
	next, ok, err := s.nextInLine(ctx, tx, courseID)
	if err != nil || !ok {
		return false, err
	}
	held, err := s.holdSeat(ctx, tx, courseID)
	if err != nil || !held {
		return false, err
	}
	return true, s.update(ctx, tx, next, func(w *Enrolment) error {
		return w.SeatFree(enrolment.Promotion{Now: s.now(), OfferHours: w.Course.OfferHours, HoldUntil: s.holdExpiry()})
	})
}
