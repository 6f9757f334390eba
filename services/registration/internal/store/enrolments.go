package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
)

// HistoryEntry is one state an enrolment passed through.
type HistoryEntry struct {
	Status enrolment.Status
	At     time.Time
	Cause  enrolment.Cause
	Reason string
}

// Enrolment is a citizen's request for a seat on a course run.
type Enrolment struct {
	ID                uuid.UUID
	CitizenID         string
	CourseID          uuid.UUID
	Status            enrolment.Status
	HoldsSeat         bool
	FundingPreference string
	Funding           *events.FundingSummary
	RequestedAt       time.Time
	Version           int64
	WaitlistPosition  int
	AheadWithPriority int // of those ahead on the waiting list, how many are there by priority group
	PriorityGroup     string
	OfferExpiresAt    *time.Time
	ReferralID        string  // the caseworker's referral this enrolment comes from, if any
	AttendedHours     float64 // reported with the outcome
	// Employer is the company that enrolled the citizen, with its commitment; nil if the citizen asked.
	Employer *events.EmployerCommitment
	// EmployerCVR is the company that is a party to the enrolment: it enrolled the citizen, or the
	// funding plan asked it; "" if none.
	EmployerCVR string
	History     []HistoryEntry
	Course      Course
}

const enrolmentColumns = `e.id, e.citizen_id, e.course_id, e.status, e.holds_seat, e.funding_preference, e.funding,
	e.requested_at, e.version, coalesce(e.attended_hours, 0)::float8, e.priority_group, e.offer_expires_at,
	coalesce(e.referral_id::text, ''), coalesce(e.employer_cvr, ''), coalesce(e.employer_name, ''), e.employer_pays_fee,
	e.employer_salary_continues`

func scanEnrolment(row pgx.Row) (Enrolment, error) {
	var e Enrolment
	var funding []byte
	var employerName string
	var paysFee, salary *bool
	if err := row.Scan(&e.ID, &e.CitizenID, &e.CourseID, &e.Status, &e.HoldsSeat, &e.FundingPreference, &funding,
		&e.RequestedAt, &e.Version, &e.AttendedHours, &e.PriorityGroup, &e.OfferExpiresAt, &e.ReferralID,
		&e.EmployerCVR, &employerName, &paysFee, &salary); err != nil {
		return Enrolment{}, err
	}
	if paysFee != nil && salary != nil {
		e.Employer = &events.EmployerCommitment{CVR: e.EmployerCVR, Name: employerName, PaysFee: *paysFee, SalaryContinues: *salary}
	}
	if funding != nil {
		e.Funding = &events.FundingSummary{}
		if err := json.Unmarshal(funding, e.Funding); err != nil {
			return Enrolment{}, fmt.Errorf("decode funding: %w", err)
		}
	}
	return e, nil
}

// NewEnrolment is a citizen's request to enrol.
type NewEnrolment struct {
	CitizenID         string
	CourseID          uuid.UUID
	FundingPreference string
	IdempotencyKey    string
	RequestHash       []byte
}

// Created is the answer to an enrolment request, stored for idempotent replays.
type Created struct {
	Status int
	Body   []byte
}

// ErrNoProfile is enrolling before the citizen has a profile.
var ErrNoProfile = fmt.Errorf("%w: create your profile first with PUT /v1/me/profile", httpapi.ErrUnprocessable)

// CreateEnrolment holds a seat on the run if one is free, else puts the request on the waiting list,
// and emits enrolment.requested or enrolment.waitlisted. The seat count is changed by one conditional
// UPDATE, so concurrent requests never oversell a run. respond renders the response body stored with
// the idempotency key; a repeated key with the same request returns the stored response.
func (s *Store) CreateEnrolment(ctx context.Context, n NewEnrolment, respond func(Enrolment) (Created, error)) (Created, error) {
	var out Created
	err := s.enrolments.do(ctx, n.CourseID.String(), func(tx pgx.Tx, batched bool) error {
		// Round trips are what a burst on one run waits for (the run's requests are written one
		// after another), so the statements go in three pipelined batches, and the seat in between.
		var (
			claimed                            bool
			citizen                            Citizen
			course                             Course
			otherRun                           string
			citizenErr, courseErr, otherRunErr error
		)
		reads := &pgx.Batch{}
		idempotency.QueueClaim(reads, n.CitizenID, n.IdempotencyKey, n.RequestHash, &claimed)
		// The run's row is held until commit (the lock holdSeat takes anyway), so a cancellation either
		// waits for this request, and then cancels it, or commits first and this request sees it.
		reads.Queue(`SELECT `+courseColumns+` FROM course_runs c JOIN institutions i ON i.id = c.institution_id
			WHERE c.id = $1 FOR NO KEY UPDATE OF c`, n.CourseID).QueryRow(func(row pgx.Row) error {
			course, courseErr = scanCourse(row)
			return nil
		})
		// The citizen's row is held until commit too (run first, then citizen, the order every seat
		// is given in): an erasure either waits for this request or runs first, and a request for
		// another run of the course waits for this one and then sees its seat (one seat per course).
		// In a batch it is taken without waiting, and a busy row sends the request on alone.
		lockCitizen := ` FOR NO KEY UPDATE OF c`
		if batched {
			lockCitizen += ` NOWAIT`
		}
		reads.Queue(citizenQuery+lockCitizen, n.CitizenID).QueryRow(func(row pgx.Row) error {
			citizen, citizenErr = s.scanCitizen(row)
			return nil
		})
		reads.Queue(seatOnOtherRunQuery, n.CitizenID, n.CourseID).QueryRow(func(row pgx.Row) error {
			otherRunErr = row.Scan(&otherRun)
			return nil
		})
		if err := tx.SendBatch(ctx, reads).Close(); batched && (pgdb.IsCode(err, lockNotAvailable) || pgdb.IsCode(citizenErr, lockNotAvailable)) {
			return errRunAlone
		} else if err != nil {
			return err
		}
		if !claimed {
			replay, err := idempotency.Replay(ctx, tx, n.CitizenID, n.IdempotencyKey, n.RequestHash)
			if err != nil {
				return err
			}
			out = Created{Status: replay.Status, Body: replay.Body}
			return nil
		}
		if errors.Is(citizenErr, pgx.ErrNoRows) {
			if erased, err := s.ring.Erased(ctx, tx, n.CitizenID); err != nil || erased {
				return cmp.Or(err, datakeys.ErrErased)
			}
			return ErrNoProfile
		} else if citizenErr != nil {
			return citizenErr
		}
		if errors.Is(courseErr, pgx.ErrNoRows) {
			return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "course_id", Message: "no course run with this id"}}}
		} else if courseErr != nil {
			return courseErr
		}
		if err := course.Open(s.now()); err != nil {
			return err
		}
		if err := seatOnOtherRun(course, otherRun, otherRunErr); err != nil {
			return err
		}
		held := false
		if !course.InBallot(s.now()) { // in a ballot window everyone waits for the draw
			var err error
			if held, err = s.holdSeat(ctx, tx, course.ID); err != nil {
				return err
			}
		}
		e := Enrolment{ID: uuid.New(), CitizenID: n.CitizenID, CourseID: n.CourseID, Status: enrolment.Waitlisted,
			HoldsSeat: held, FundingPreference: n.FundingPreference, RequestedAt: s.now(), Version: 1, Course: course,
			PriorityGroup: enrolment.GroupFor(n.FundingPreference)}
		var holdUntil *time.Time
		if held {
			e.Status = enrolment.Pending
			e.Course.SeatsTaken++
			holdUntil = s.holdExpiry()
		}
		writes := &pgx.Batch{}
		writes.Queue(`INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
				priority_group, priority, hold_expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, e.ID, e.CitizenID, e.CourseID, e.Status, e.HoldsSeat, e.FundingPreference,
			e.RequestedAt, e.PriorityGroup, enrolment.Priority(course.PriorityGroups, e.PriorityGroup), holdUntil)
		if e.Status == enrolment.Waitlisted {
			writes.Queue(waitlistPositionQuery, e.ID).QueryRow(func(row pgx.Row) error {
				return row.Scan(&e.WaitlistPosition, &e.AheadWithPriority)
			})
		}
		if err := tx.SendBatch(ctx, writes).Close(); err != nil {
			if errors.Is(pgdb.Translate(err), pgdb.ErrConflict) {
				return fmt.Errorf("%w: you already have a live enrolment on this course run", httpapi.ErrConflict)
			}
			return fmt.Errorf("write enrolment: %w", err)
		}
		e.History = []HistoryEntry{{Status: e.Status, At: e.RequestedAt, Cause: enrolment.ByCitizen}}
		var err error
		if out, err = respond(e); err != nil {
			return err
		}
		rest := &pgx.Batch{}
		s.queueRecord(rest, &e, enrolment.ByCitizen, "")
		if err := s.queueAnnounce(ctx, tx, rest, e, citizen, enrolment.ByCitizen, ""); err != nil {
			return err
		}
		idempotency.QueueComplete(rest, n.CitizenID, n.IdempotencyKey, out.Status, out.Body)
		return send(ctx, tx, rest, "write enrolment history, event and response")
	})
	return out, translate("create enrolment", err)
}

// lockNotAvailable is the SQLSTATE of a NOWAIT lock that another transaction holds.
const lockNotAvailable = "55P03"

// holdSeat takes one seat if the run has one free; a cancelled run has none.
func (s *Store) holdSeat(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken + 1
		WHERE id = $1 AND seats_taken < seats_total AND status = 'published'`, courseID)
	if err != nil {
		return false, fmt.Errorf("hold seat: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// record appends the enrolment's current state to its history.
func (s *Store) record(ctx context.Context, tx pgx.Tx, e *Enrolment, cause enrolment.Cause, reason string) error {
	b := &pgx.Batch{}
	s.queueRecord(b, e, cause, reason)
	return send(ctx, tx, b, "record history")
}

// queueRecord queues record's write on b.
func (s *Store) queueRecord(b *pgx.Batch, e *Enrolment, cause enrolment.Cause, reason string) {
	b.Queue(`INSERT INTO enrolment_history (enrolment_id, seq, status, at, cause, reason)
		VALUES ($1, (SELECT count(*) + 1 FROM enrolment_history WHERE enrolment_id = $1), $2, $3, $4, $5)`,
		e.ID, e.Status, s.now(), cause, reason)
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

// announce emits the event of the enrolment's current state, with the facts consumers need.
func (s *Store) announce(ctx context.Context, tx pgx.Tx, e Enrolment, citizen Citizen, cause enrolment.Cause, reason string) error {
	b := &pgx.Batch{}
	if err := s.queueAnnounce(ctx, tx, b, e, citizen, cause, reason); err != nil {
		return err
	}
	return send(ctx, tx, b, "write enrolment event")
}

// queueAnnounce queues announce's writes on b.
func (s *Store) queueAnnounce(ctx context.Context, tx pgx.Tx, b *pgx.Batch, e Enrolment, citizen Citizen, cause enrolment.Cause, reason string) error {
	ev, ok := statusEvents[e.Status]
	if !ok {
		return nil
	}
	return s.queueEmit(ctx, tx, b, e, citizen, ev[0], ev[1], cause, reason)
}

// emit publishes an enrolment event and appends it to the institution's feed.
func (s *Store) emit(ctx context.Context, tx pgx.Tx, e Enrolment, citizen Citizen, eventType, subject string, cause enrolment.Cause, reason string) error {
	b := &pgx.Batch{}
	if err := s.queueEmit(ctx, tx, b, e, citizen, eventType, subject, cause, reason); err != nil {
		return err
	}
	return send(ctx, tx, b, "write enrolment event")
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

// queueEmit queues emit's writes (outbox and feed) on b; tx is only read (a waiting-list position).
func (s *Store) queueEmit(ctx context.Context, tx pgx.Tx, b *pgx.Batch, e Enrolment, citizen Citizen, eventType, subject string, cause enrolment.Cause, reason string) (err error) {
	data := events.Enrolment{
		EnrolmentID: e.ID.String(), Version: e.Version, Status: string(e.Status), CitizenID: e.CitizenID,
		FundingPreference: e.FundingPreference, Course: e.Course.Facts(), Profile: citizen.Facts(),
		Cause: string(cause), Reason: reason, Funding: e.Funding,
		AttendedHours: e.AttendedHours, PlannedHours: e.Course.PlannedHours(), OfferExpiresAt: e.OfferExpiresAt,
		ReferralID: e.ReferralID, Erasure: citizen.Erasing, Employer: e.Employer,
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

// waitlistPositionQuery answers waitlistPosition for enrolment $1.
const waitlistPositionQuery = `SELECT count(*), count(*) FILTER (WHERE w.priority > e.priority)
	FROM enrolments w, enrolments e
	WHERE e.id = $1 AND w.course_id = e.course_id AND w.status = 'waitlisted'
	AND (w.priority > e.priority OR (w.priority = e.priority AND
		(coalesce(w.draw_rank, 2147483647), w.requested_at, w.id) <= (coalesce(e.draw_rank, 2147483647), e.requested_at, e.id)))`

// waitlistPosition is the enrolment's 1-based place in the order the list is served (priority group,
// then the draw where there was one, then time of request), and how many of those ahead are there
// because of a higher priority group.
func waitlistPosition(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id uuid.UUID) (position, aheadWithPriority int, err error) {
	err = q.QueryRow(ctx, waitlistPositionQuery, id).Scan(&position, &aheadWithPriority)
	if err != nil {
		return 0, 0, fmt.Errorf("waitlist position: %w", err)
	}
	return position, aheadWithPriority, nil
}

// GetEnrolment returns an enrolment with its course and history.
func (s *Store) GetEnrolment(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	e, err := scanEnrolment(s.pool.QueryRow(ctx, `SELECT `+enrolmentColumns+` FROM enrolments e WHERE e.id = $1`, id))
	if err != nil {
		return Enrolment{}, translate("get enrolment", err)
	}
	if err := s.complete(ctx, &e); err != nil {
		return Enrolment{}, err
	}
	return e, nil
}

// complete loads the enrolment's course, history and waiting-list position.
func (s *Store) complete(ctx context.Context, e *Enrolment) error {
	var err error
	if e.Course, err = s.GetCourse(ctx, e.CourseID); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT status, at, cause, reason FROM enrolment_history WHERE enrolment_id = $1 ORDER BY seq`, e.ID)
	if err != nil {
		return translate("enrolment history", err)
	}
	e.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryEntry, error) {
		var h HistoryEntry
		return h, r.Scan(&h.Status, &h.At, &h.Cause, &h.Reason)
	})
	if err != nil {
		return translate("enrolment history", err)
	}
	if e.Status == enrolment.Waitlisted {
		if e.WaitlistPosition, e.AheadWithPriority, err = waitlistPosition(ctx, s.pool, e.ID); err != nil {
			return err
		}
	}
	return nil
}

// ListEnrolments returns a citizen's enrolments, newest first.
func (s *Store) ListEnrolments(ctx context.Context, citizenID string) ([]Enrolment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+` FROM enrolments e WHERE e.citizen_id = $1
		ORDER BY e.requested_at DESC LIMIT 500`, citizenID)
	if err != nil {
		return nil, translate("list enrolments", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Enrolment, error) { return scanEnrolment(r) })
	if err != nil {
		return nil, translate("list enrolments", err)
	}
	for i := range list {
		if err := s.complete(ctx, &list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// lock loads an enrolment for update, with its course and citizen, for a state change.
func (s *Store) lock(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Enrolment, Citizen, error) {
	e, err := scanEnrolment(tx.QueryRow(ctx, `SELECT `+enrolmentColumns+` FROM enrolments e WHERE e.id = $1 FOR UPDATE`, id))
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

// move changes an enrolment's state, records it and announces it.
func (s *Store) move(ctx context.Context, tx pgx.Tx, e *Enrolment, c Citizen, to enrolment.Status, cause enrolment.Cause, reason string) error {
	if !enrolment.CanMove(e.Status, to) {
		return fmt.Errorf("%w: an enrolment that is %s cannot become %s", httpapi.ErrConflict, e.Status, to)
	}
	from := e.Status
	e.Status = to
	e.Version++
	funding, err := json.Marshal(e.Funding)
	if err != nil {
		return err
	}
	if e.Funding == nil {
		funding = nil
	}
	// An institution no longer answers an enrolment that left "confirmed".
	if _, err := tx.Exec(ctx, `UPDATE enrolments SET status = $2, holds_seat = $3, funding = $4, version = $5, updated_at = now(),
			institution_decision = CASE WHEN institution_decision = 'pending' AND $2 <> 'confirmed' THEN '' ELSE institution_decision END
		WHERE id = $1`, e.ID, e.Status, e.HoldsSeat, funding, e.Version); err != nil {
		return fmt.Errorf("update enrolment: %w", err)
	}
	if err := s.record(ctx, tx, e, cause, reason); err != nil {
		return err
	}
	if err := s.recordLearning(ctx, tx, e, c, from, reason); err != nil {
		return err
	}
	return s.announce(ctx, tx, *e, c, cause, reason)
}

// release frees the enrolment's seat and gives it to the first on the waiting list, who goes through
// funding like any new request.
func (s *Store) release(ctx context.Context, tx pgx.Tx, e *Enrolment) error {
	if !e.HoldsSeat {
		return nil
	}
	e.HoldsSeat = false
	return s.freeSeat(ctx, tx, e.CourseID)
}

// freeSeat gives a held seat back to the run and to the first on its waiting list.
func (s *Store) freeSeat(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken - 1 WHERE id = $1`, courseID); err != nil {
		return fmt.Errorf("release seat: %w", err)
	}
	_, err := s.promote(ctx, tx, courseID)
	return err
}

// nextInLine locks the first on the run's waiting list (priority group, draw, time of request) who
// may take a seat on it, and their citizen's row: one who holds a seat on another run of the course
// is passed over and keeps their place. ok is false when nobody may.
func (s *Store) nextInLine(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) (next uuid.UUID, ok bool, err error) {
	passed := []uuid.UUID{}
	for {
		var citizenID string
		err := tx.QueryRow(ctx, `SELECT id, citizen_id FROM enrolments WHERE course_id = $1 AND status = 'waitlisted'
			AND id <> ALL($2) ORDER BY priority DESC, draw_rank NULLS LAST, requested_at, id LIMIT 1 FOR UPDATE`,
			courseID, passed).Scan(&next, &citizenID)
		if errors.Is(err, pgx.ErrNoRows) {
			return uuid.Nil, false, nil
		} else if err != nil {
			return uuid.Nil, false, fmt.Errorf("next on waiting list: %w", err)
		}
		elsewhere, err := s.seatElsewhere(ctx, tx, citizenID, courseID)
		if err != nil {
			return uuid.Nil, false, err
		}
		if !elsewhere {
			return next, true, nil
		}
		passed = append(passed, next)
	}
}

// seatElsewhere locks the citizen's row, which every request and promotion that gives the citizen a
// seat holds to its commit, and reports whether they hold a seat on another run of the course run
// courseID belongs to (one seat per course).
func (s *Store) seatElsewhere(ctx context.Context, tx pgx.Tx, citizenID string, courseID uuid.UUID) (bool, error) {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM citizens WHERE id = $1 FOR NO KEY UPDATE`, citizenID); err != nil {
		return false, fmt.Errorf("lock citizen: %w", err)
	}
	var other string
	err := tx.QueryRow(ctx, seatOnOtherRunQuery, citizenID, courseID).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("check held seats: %w", err)
	}
	return true, nil
}

// promote gives a free seat on the run to the first on its waiting list who may take it (see
// nextInLine), who goes through funding like any new request. It reports whether anyone was promoted.
func (s *Store) promote(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) (bool, error) {
	next, ok, err := s.nextInLine(ctx, tx, courseID)
	if err != nil || !ok {
		return false, err
	}
	held, err := s.holdSeat(ctx, tx, courseID)
	if err != nil || !held {
		return false, err
	}
	w, c, err := s.lock(ctx, tx, next)
	if err != nil {
		return false, err
	}
	w.HoldsSeat = true
	var referralAccepted bool
	if err := tx.QueryRow(ctx, `SELECT referral_accepted FROM enrolments WHERE id = $1`, w.ID).Scan(&referralAccepted); err != nil {
		return false, err
	}
	if w.Course.OfferHours == 0 || referralAccepted {
		return true, s.request(ctx, tx, &w, c, enrolment.BySystem, "a seat became free")
	}
	expires := w.Course.offerExpiry(s.now())
	if _, err := tx.Exec(ctx, `UPDATE enrolments SET offer_expires_at = $2 WHERE id = $1`, w.ID, expires); err != nil {
		return false, fmt.Errorf("make offer: %w", err)
	}
	w.OfferExpiresAt = &expires
	return true, s.move(ctx, tx, &w, c, enrolment.Offered, enrolment.BySystem,
		"a seat became free: accept by "+expires.In(Copenhagen).Format("2006-01-02 15:04"))
}

// holdExpiry is when a seat held for funding is released if funding has not finished.
func (s *Store) holdExpiry() *time.Time {
	hours := s.HoldHours
	if hours <= 0 {
		hours = 168
	}
	t := s.now().Add(time.Duration(hours) * time.Hour)
	return &t
}

// request moves an enrolment that holds a seat to pending (funding under way), with a hold deadline.
func (s *Store) request(ctx context.Context, tx pgx.Tx, e *Enrolment, c Citizen, cause enrolment.Cause, reason string) error {
	if _, err := tx.Exec(ctx, `UPDATE enrolments SET hold_expires_at = $2, offer_expires_at = NULL WHERE id = $1`, e.ID, s.holdExpiry()); err != nil {
		return fmt.Errorf("hold seat: %w", err)
	}
	return s.move(ctx, tx, e, c, enrolment.Pending, cause, reason)
}

// seatOnOtherRunQuery finds a seat the citizen ($1) holds on another run of the same course as run $2
// (same institution and code): one seat per course.
const seatOnOtherRunQuery = `SELECT c.id::text FROM course_runs this
	JOIN course_runs c ON c.institution_id = this.institution_id AND c.code = this.code AND c.id <> this.id
	JOIN enrolments e ON e.course_id = c.id
	WHERE this.id = $2 AND e.citizen_id = $1 AND e.holds_seat AND e.status IN ('pending', 'offered', 'confirmed') LIMIT 1`

// seatOnOtherRun refuses a request on course while the citizen holds a seat on another run of it,
// from seatOnOtherRunQuery's answer (the run's id, or pgx.ErrNoRows).
func seatOnOtherRun(course Course, other string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("check held seats: %w", err)
	}
	return fmt.Errorf("%w: you already hold a seat on another run of %s (%s); cancel it first", httpapi.ErrConflict, course.Code, other)
}

// Cancel cancels the citizen's enrolment, freeing its seat. Cancelling a cancelled enrolment changes nothing.
func (s *Store) Cancel(ctx context.Context, id uuid.UUID, citizenID string, cause enrolment.Cause, reason string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		e, c, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.CitizenID != citizenID {
			return pgdb.ErrNotFound
		}
		if e.Status == enrolment.Cancelled {
			return nil
		}
		if !enrolment.CanMove(e.Status, enrolment.Cancelled) {
			return fmt.Errorf("%w: an enrolment that is %s cannot be cancelled", httpapi.ErrConflict, e.Status)
		}
		if err := s.release(ctx, tx, &e); err != nil {
			return err
		}
		return s.move(ctx, tx, &e, c, enrolment.Cancelled, cause, reason)
	})
	return translate("cancel enrolment", err)
}

// ApplyFunding applies funding's decision to the enrolment it was made for: approved confirms it,
// rejected rejects it and frees the seat, review required keeps it pending. A decision for an
// enrolment that has moved on (cancelled meanwhile, or requested again since) changes nothing.
func (s *Store) ApplyFunding(ctx context.Context, tx pgx.Tx, d events.FundingDecided) error {
	id, err := uuid.Parse(d.EnrolmentID)
	if err != nil {
		return fmt.Errorf("%w: enrolment id %q", events.ErrMalformed, d.EnrolmentID)
	}
	e, c, err := s.lock(ctx, tx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: decision for unknown enrolment %s", events.ErrMalformed, id)
	} else if err != nil {
		return err
	}
	if e.Status != enrolment.Pending || d.EnrolmentVersion != e.Version {
		return nil
	}
	summary := d.Summary
	e.Funding = &summary
	switch d.Summary.Outcome {
	case "approved":
		if err := s.move(ctx, tx, &e, c, enrolment.Confirmed, enrolment.ByFunding, "funding approved: "+summary.Scheme); err != nil {
			return err
		}
		return s.awaitAnswer(ctx, tx, e.ID)
	case "rejected":
		if err := s.release(ctx, tx, &e); err != nil {
			return err
		}
		reason := "funding rejected"
		if len(summary.Reasons) > 0 {
			reason += ": " + summary.Reasons[0]
		}
		return s.move(ctx, tx, &e, c, enrolment.Rejected, enrolment.ByFunding, reason)
	case "review_required":
		funding, _ := json.Marshal(e.Funding)
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET funding = $2, updated_at = now() WHERE id = $1`, e.ID, funding); err != nil {
			return fmt.Errorf("record review: %w", err)
		}
		return nil
	case "employer_required":
		// The seat stays held until the company's due date has passed (funding then decides without
		// it), and the history says whom the enrolment waits for.
		part := summary.Employer
		if part == nil {
			return fmt.Errorf("%w: employer_required without the employer's part", events.ErrMalformed)
		}
		due, err := time.ParseInLocation(time.DateOnly, part.DueOn, Copenhagen)
		if err != nil {
			return fmt.Errorf("%w: employer.due_on", events.ErrMalformed)
		}
		funding, _ := json.Marshal(e.Funding)
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET funding = $2, updated_at = now(), employer_cvr = $4,
				employer_name = coalesce(employer_name, nullif($5, '')),
				hold_expires_at = CASE WHEN holds_seat THEN greatest(hold_expires_at, $3) ELSE hold_expires_at END WHERE id = $1`,
			e.ID, funding, due.AddDate(0, 0, 2), part.CVR, part.Name); err != nil {
			return fmt.Errorf("record the employer's part: %w", err)
		}
		company := part.Name
		if company == "" {
			company = "CVR " + part.CVR
		}
		return s.record(ctx, tx, &e, enrolment.ByFunding, "waiting for the employer ("+company+") to answer by "+part.DueOn)
	default:
		return fmt.Errorf("%w: funding outcome %q", events.ErrMalformed, d.Summary.Outcome)
	}
}

// Outcome is what an institution reports at the end of an enrolment.
type Outcome struct {
	Status        enrolment.Status // Completed or Withdrawn
	Reason        string
	AttendedHours float64
}

// ReportOutcome records the institution's outcome for a confirmed (or started) enrolment on one of
// its runs. A closed record is never edited: reporting again is a conflict.
func (s *Store) ReportOutcome(ctx context.Context, id uuid.UUID, institutionID string, o Outcome) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		e, c, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Course.InstitutionID.String() != institutionID {
			return pgdb.ErrNotFound
		}
		if !enrolment.CanMove(e.Status, o.Status) {
			return fmt.Errorf("%w: an enrolment that is %s cannot become %s", httpapi.ErrConflict, e.Status, o.Status)
		}
		if o.AttendedHours > e.Course.PlannedHours() {
			return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "attended_hours",
				Message: fmt.Sprintf("more than the %.1f hours the run has", e.Course.PlannedHours())}}}
		}
		e.AttendedHours = o.AttendedHours
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET attended_hours = $2 WHERE id = $1`, e.ID, o.AttendedHours); err != nil {
			return fmt.Errorf("record attended hours: %w", err)
		}
		// The seat stays taken: the run is under way or over, so nobody can take it any more.
		return s.move(ctx, tx, &e, c, o.Status, enrolment.ByInstitution, o.Reason)
	})
	return translate("report outcome", err)
}
