package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
)

// HistoryEntry is one state an enrolment passed through.
type HistoryEntry struct {
	Status enrolment.Status
	At     time.Time
	Cause  enrolment.Cause
	Reason string
	// ReasonCode and ReasonParams are the reason's code (events.Reason) where registration gave it;
	// empty for a person's own words and for rows from before codes.
	ReasonCode   string            `json:",omitempty"`
	ReasonParams map[string]string `json:",omitempty"`
}

// Enrolment is a citizen's request for a seat on a course run: the state machine's enrolment with
// what the store reads beside it (its run, history, waiting-list place and employer).
type Enrolment struct {
	enrolment.Enrolment
	WaitlistPosition  int
	AheadWithPriority int // of those ahead on the waiting list, how many are there by priority group
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

func scanEnrolment(row pgx.Row) (Enrolment, error) { return scanEnrolmentWith(row, nil) }

// scanEnrolmentWith scans enrolmentColumns and then the columns more gives the destinations of.
func scanEnrolmentWith(row pgx.Row, more func(*Enrolment) []any) (Enrolment, error) {
	var e Enrolment
	var funding []byte
	var employerName string
	var paysFee, salary *bool
	dest := []any{&e.ID, &e.CitizenID, &e.CourseID, &e.Status, &e.HoldsSeat, &e.FundingPreference, &funding,
		&e.RequestedAt, &e.Version, &e.AttendedHours, &e.PriorityGroup, &e.OfferExpiresAt, &e.ReferralID,
		&e.EmployerCVR, &employerName, &paysFee, &salary}
	if more != nil {
		dest = append(dest, more(&e)...)
	}
	if err := row.Scan(dest...); err != nil {
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
var ErrNoProfile = fmt.Errorf("%w: create your profile first with PUT /v1/me/profile", fault.Unprocessable)

// Enrolled is the answer to an enrolment request: the enrolment as it was created (kept under
// "enrolment").
type Enrolled = Kept[Enrolment]

// CreateEnrolment holds a seat on the run if one is free, else puts the request on the waiting list,
// and emits enrolment.requested or enrolment.waitlisted. The seat count is changed by one conditional
// UPDATE, so concurrent requests never oversell a run. The enrolment as created is kept with the
// idempotency key; a repeated key with the same request returns it again.
func (s *Store) CreateEnrolment(ctx context.Context, n NewEnrolment) (Enrolled, error) {
	var out Enrolled
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
			prior, err := idempotency.Replay(ctx, tx, n.CitizenID, n.IdempotencyKey, n.RequestHash)
			if err != nil {
				return err
			}
			out = replay[Enrolment]("enrolment", prior)
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
			return &fault.ValidationError{Fields: []fault.FieldError{{Field: "course_id", Message: "no course run with this id"}}}
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
		e := Enrolment{Enrolment: enrolment.Request(enrolment.NewRequest{ID: uuid.New(), CitizenID: n.CitizenID, CourseID: n.CourseID,
			FundingPreference: n.FundingPreference, At: s.now(), Seat: held, HoldUntil: s.holdExpiry()}),
			Course: course}
		if held {
			e.Course.SeatsTaken++
		}
		writes := &pgx.Batch{}
		writes.Queue(`INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
				priority_group, priority, hold_expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, e.ID, e.CitizenID, e.CourseID, e.Status, e.HoldsSeat, e.FundingPreference,
			e.RequestedAt, e.PriorityGroup, enrolment.Priority(course.PriorityGroups, e.PriorityGroup), e.HoldExpiresAt)
		if e.Status == enrolment.Waitlisted {
			writes.Queue(waitlistPositionQuery, e.ID).QueryRow(func(row pgx.Row) error {
				return row.Scan(&e.WaitlistPosition, &e.AheadWithPriority)
			})
		}
		if err := tx.SendBatch(ctx, writes).Close(); err != nil {
			if errors.Is(pgdb.Translate(err), pgdb.ErrConflict) {
				return fmt.Errorf("%w: you already have a live enrolment on this course run", fault.Conflict)
			}
			return fmt.Errorf("write enrolment: %w", err)
		}
		e.History = []HistoryEntry{{Status: e.Status, At: e.RequestedAt, Cause: enrolment.ByCitizen}}
		kept, err := keep("enrolment", &e)
		if err != nil {
			return fmt.Errorf("keep enrolment for replays: %w", err)
		}
		rest := &pgx.Batch{}
		if err := s.queueChanges(ctx, tx, rest, &e, citizen); err != nil {
			return err
		}
		idempotency.QueueComplete(rest, n.CitizenID, n.IdempotencyKey, http.StatusAccepted, kept)
		if err := send(ctx, tx, rest, "write enrolment history, event and response"); err != nil {
			return err
		}
		out = Enrolled{Value: e}
		return nil
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
	rows, err := s.pool.Query(ctx, `SELECT status, at, cause, reason, reason_code, reason_params FROM enrolment_history
		WHERE enrolment_id = $1 ORDER BY seq`, e.ID)
	if err != nil {
		return translate("enrolment history", err)
	}
	e.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryEntry, error) {
		var h HistoryEntry
		return h, r.Scan(&h.Status, &h.At, &h.Cause, &h.Reason, &h.ReasonCode, &h.ReasonParams)
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

// holdExpiry is when a seat held for funding is released if funding has not finished.
func (s *Store) holdExpiry() time.Time {
	hours := s.HoldHours
	if hours <= 0 {
		hours = 168
	}
	return s.now().Add(time.Duration(hours) * time.Hour)
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
	return fmt.Errorf("%w: you already hold a seat on another run of %s (%s); cancel it first", fault.Conflict, course.Code, other)
}

// Outcome is what an institution reports at the end of an enrolment.
type Outcome struct {
	Status        enrolment.Status // Completed or Withdrawn
	Reason        string
	AttendedHours float64
}

// Cancel cancels the citizen's enrolment, freeing its seat. Cancelling a cancelled enrolment changes nothing.
func (s *Store) Cancel(ctx context.Context, id uuid.UUID, citizenID string, cause enrolment.Cause, reason string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		return s.update(ctx, tx, id, func(e *Enrolment) error {
			if e.CitizenID != citizenID {
				return pgdb.ErrNotFound
			}
			return e.Cancel(cause, reason)
		})
	})
	return translate("cancel enrolment", err)
}

// ApplyFunding applies funding's decision to the enrolment it was made for (see
// enrolment.ApplyFunding): approved confirms it and starts the institution's answer deadline,
// rejected rejects it and frees the seat, review required keeps it pending, employer required
// keeps the seat for the company's answer. A decision for an enrolment that has moved on changes nothing.
func (s *Store) ApplyFunding(ctx context.Context, tx pgx.Tx, d events.FundingDecided) error {
	id, err := uuid.Parse(d.EnrolmentID)
	if err != nil {
		return fmt.Errorf("%w: enrolment id %q", events.ErrMalformed, d.EnrolmentID)
	}
	err = s.update(ctx, tx, id, func(e *Enrolment) error {
		return e.ApplyFunding(d.EnrolmentVersion, d.Summary, s.answerBy())
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: decision for unknown enrolment %s", events.ErrMalformed, id)
	}
	return err
}

// ReportOutcome records the institution's outcome for a confirmed (or started) enrolment on one of
// its runs. A closed record is never edited: reporting again is a conflict.
func (s *Store) ReportOutcome(ctx context.Context, id uuid.UUID, institutionID string, o Outcome) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		return s.update(ctx, tx, id, func(e *Enrolment) error {
			if e.Course.InstitutionID.String() != institutionID {
				return pgdb.ErrNotFound
			}
			return e.ReportOutcome(o.Status, o.Reason, o.AttendedHours, e.Course.PlannedHours())
		})
	})
	return translate("report outcome", err)
}
