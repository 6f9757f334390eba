package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
)

// ErrRunCancelled is why a cancelled run cannot be changed (published again, imported, patched).
var ErrRunCancelled = fmt.Errorf("%w: the run is cancelled, and a cancelled run cannot be changed; publish it with another start date", fault.Conflict)

// upsertCourse writes a new run, or (same institution, code and start) updates the one there,
// keeping its seats taken and serving its waiting list from the seats it gains; it announces the
// run. It returns the stored run and whether it was new. A cancelled run is not changed
// (ErrRunCancelled).
func (s *Store) upsertCourse(ctx context.Context, tx pgx.Tx, c Course) (Course, bool, error) {
	var id uuid.UUID
	var inserted bool
	var free int
	err := tx.QueryRow(ctx, `INSERT INTO course_runs (id, institution_id, code, title, title_en, category, starts_on,
			ends_on, hours_per_week, fee_dkk, schemes, seats_total, location, description, description_en,
			min_participants, enrolment_deadline, offer_hours, priority_groups, opens_at, ballot_minutes, ects, skills,
			certificate_months, competences)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
		ON CONFLICT (institution_id, code, starts_on) DO UPDATE SET title = EXCLUDED.title, title_en = EXCLUDED.title_en,
			category = EXCLUDED.category, ends_on = EXCLUDED.ends_on, hours_per_week = EXCLUDED.hours_per_week,
			fee_dkk = EXCLUDED.fee_dkk, schemes = EXCLUDED.schemes, seats_total = EXCLUDED.seats_total,
			location = EXCLUDED.location, description = EXCLUDED.description, description_en = EXCLUDED.description_en,
			min_participants = EXCLUDED.min_participants, enrolment_deadline = EXCLUDED.enrolment_deadline,
			offer_hours = EXCLUDED.offer_hours, priority_groups = EXCLUDED.priority_groups, opens_at = EXCLUDED.opens_at,
			ballot_minutes = EXCLUDED.ballot_minutes, ects = EXCLUDED.ects, skills = EXCLUDED.skills,
			certificate_months = EXCLUDED.certificate_months, competences = EXCLUDED.competences, version = course_runs.version + 1, updated_at = now()
		WHERE course_runs.status <> 'cancelled'
		RETURNING id, xmax = 0, seats_total - seats_taken`,
		c.ID, c.InstitutionID, c.Code, c.Title, c.TitleEN, c.Category, c.StartsOn, c.EndsOn, c.HoursPerWeek, c.FeeDKK,
		c.Schemes, c.SeatsTotal, c.Location, c.Description, c.DescriptionEN, c.MinParticipants, c.EnrolmentDeadline,
		c.OfferHours, priorityGroups(c), c.OpensAt, c.BallotMinutes, c.ECTS, skills(c), c.CertificateMonths, competences(c)).Scan(&id, &inserted, &free)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) { // the run there is cancelled: the update's condition refused it
			return Course{}, false, ErrRunCancelled
		}
		if isCheck(err) {
			return Course{}, false, fmt.Errorf("%w: seats_total cannot be below the seats already taken", fault.Conflict)
		}
		return Course{}, false, err
	}
	if !inserted {
		if err := s.serveWaitingList(ctx, tx, id, free); err != nil {
			return Course{}, false, err
		}
	}
	stored, err := s.announceCourse(ctx, tx, id)
	return stored, inserted, err
}

// serveWaitingList gives up to free seats of the run to those waiting for it, in their order.
func (s *Store) serveWaitingList(ctx context.Context, tx pgx.Tx, courseID uuid.UUID, free int) error {
	for ; free > 0; free-- {
		promoted, err := s.promote(ctx, tx, courseID)
		if err != nil || !promoted {
			return err
		}
	}
	return nil
}

// announceCourse reads the run back and publishes it.
func (s *Store) announceCourse(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Course, error) {
	if err := s.offerDemand(ctx, tx, id); err != nil { // companies' demand the run matches (demand.go)
		return Course{}, err
	}
	stored, err := scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
		JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1`, id))
	if err != nil {
		return Course{}, err
	}
	_, err = s.publish(ctx, tx, events.TypeCourseUpdated, events.SubjectCourseUpdated, id.String(),
		events.CourseUpdated{Course: stored.Facts(), Version: stored.Version})
	return stored, err
}

func isCheck(err error) bool {
	return pgdb.IsCode(err, "23514")
}

// PublishCourse creates a run for an institution (or updates the run with the same code and start).
func (s *Store) PublishCourse(ctx context.Context, c Course) (Course, bool, error) {
	var out Course
	var created bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, created, err = s.upsertCourse(ctx, tx, c)
		return err
	})
	return out, created, translate("publish course", err)
}

// LockCourse reads a run for an update in tx.
func (s *Store) lockCourse(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Course, error) {
	return scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
		JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1 FOR UPDATE OF c`, id))
}

// UpdateCourse applies change to the run of the institution and announces it. Capacity never goes
// below the seats already taken (the CHECK refuses it), and a run that grows serves its waiting list.
func (s *Store) UpdateCourse(ctx context.Context, id uuid.UUID, institution string, change func(*Course) error) (Course, error) {
	var out Course
	err := s.tx(ctx, func(tx pgx.Tx) error {
		c, err := s.lockCourse(ctx, tx, id)
		if err != nil {
			return err
		}
		if institution != "" && c.InstitutionID.String() != institution {
			return pgdb.ErrNotFound
		}
		if c.Status == "cancelled" {
			return ErrRunCancelled
		}
		if err := change(&c); err != nil {
			return err
		}
		if c.SeatsTotal < c.SeatsTaken {
			return &fault.ValidationError{Fields: []fault.FieldError{{Field: "seats_total",
				Message: fmt.Sprintf("cannot be below the %d seats already taken", c.SeatsTaken)}}}
		}
		_, err = tx.Exec(ctx, `UPDATE course_runs SET code = $2, title = $3, title_en = $4, category = $5, starts_on = $6,
				ends_on = $7, hours_per_week = $8, fee_dkk = $9, schemes = $10, seats_total = $11, location = $12,
				description = $13, description_en = $14, min_participants = $15, enrolment_deadline = $16,
				offer_hours = $17, priority_groups = $18, opens_at = $19, ballot_minutes = $20,
				ects = $21, skills = $22, certificate_months = $23, competences = $24, version = version + 1, updated_at = now()
			WHERE id = $1`, c.ID, c.Code, c.Title, c.TitleEN, c.Category, c.StartsOn, c.EndsOn, c.HoursPerWeek, c.FeeDKK,
			c.Schemes, c.SeatsTotal, c.Location, c.Description, c.DescriptionEN, c.MinParticipants, c.EnrolmentDeadline,
			c.OfferHours, priorityGroups(c), c.OpensAt, c.BallotMinutes, c.ECTS, skills(c), c.CertificateMonths, competences(c))
		if err != nil {
			return err
		}
		if err := s.serveWaitingList(ctx, tx, c.ID, c.SeatsTotal-c.SeatsTaken); err != nil {
			return err
		}
		out, err = s.announceCourse(ctx, tx, c.ID)
		return err
	})
	return out, translate("update course", err)
}

// CancelCourse cancels a run: every live enrolment on it is cancelled with the reason (funding
// releases what it held, and everyone is told through the events), and the run takes no more: a
// request holds the run's row from its read of the run to its commit, and holdSeat gives no seat on
// a cancelled run. Cancelling a cancelled run again keeps its reason and version but still ends
// whatever live enrolment is on it.
func (s *Store) CancelCourse(ctx context.Context, id uuid.UUID, institution, reason string) (Course, error) {
	var out Course
	err := s.tx(ctx, func(tx pgx.Tx) error {
		c, err := s.lockCourse(ctx, tx, id)
		if err != nil {
			return err
		}
		if institution != "" && c.InstitutionID.String() != institution {
			return pgdb.ErrNotFound
		}
		// Cancelling again changes nothing of the run, but still ends any live enrolment on it.
		again := c.Status == "cancelled"
		if again {
			reason = c.CancelReason
		}
		if _, err := tx.Exec(ctx, `UPDATE course_runs SET status = 'cancelled', cancel_reason = $2, seats_taken = 0,
				version = version + CASE WHEN status = 'cancelled' THEN 0 ELSE 1 END,
				updated_at = CASE WHEN status = 'cancelled' THEN updated_at ELSE now() END WHERE id = $1`, id, reason); err != nil {
			return fmt.Errorf("cancel run: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT id FROM enrolments WHERE course_id = $1
			AND status IN ('pending', 'waitlisted', 'offered', 'confirmed') ORDER BY requested_at FOR UPDATE`, id)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		for _, eid := range ids { // the run's seats were all given back above
			if err := s.update(ctx, tx, eid, func(e *Enrolment) error { return e.CancelWithRun(reason) }); err != nil {
				return err
			}
		}
		if again {
			c.SeatsTaken = 0
			out = c
			return nil
		}
		out, err = s.announceCourse(ctx, tx, id)
		return err
	})
	return out, translate("cancel course", err)
}

// CancelledRunsError is an import refused because some of its runs are cancelled: Runs are their
// indexes in the import.
type CancelledRunsError struct{ Runs []int }

func (e *CancelledRunsError) Error() string {
	return fmt.Sprintf("%d runs of the import are cancelled", len(e.Runs))
}

// Unwrap makes errors.Is(e, ErrRunCancelled) true.
func (e *CancelledRunsError) Unwrap() error { return ErrRunCancelled }

// ImportCourses publishes every run in one transaction: all or nothing. It returns the stored runs
// and how many were new; a run that exists and is cancelled refuses the whole import with a
// *CancelledRunsError naming every such run.
func (s *Store) ImportCourses(ctx context.Context, runs []Course) ([]Course, int, error) {
	var out []Course
	created := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out, created = nil, 0
		cancelled := &CancelledRunsError{}
		for i, c := range runs {
			// A cancelled run changes nothing (its update's condition is false) and leaves the
			// transaction usable, so the import goes on to name every cancelled run at once.
			stored, isNew, err := s.upsertCourse(ctx, tx, c)
			switch {
			case errors.Is(err, ErrRunCancelled):
				cancelled.Runs = append(cancelled.Runs, i)
				continue
			case err != nil:
				return fmt.Errorf("%s %s: %w", c.Code, date(c.StartsOn), err)
			}
			if isNew {
				created++
			}
			out = append(out, stored)
		}
		if len(cancelled.Runs) > 0 {
			return cancelled
		}
		return nil
	})
	var ce *CancelledRunsError
	if errors.As(err, &ce) {
		return nil, 0, ce
	}
	return out, created, translate("import courses", err)
}

// InstitutionCourses lists an institution's runs, cancelled ones too, by start date.
func (s *Store) InstitutionCourses(ctx context.Context, institution uuid.UUID) ([]Course, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+courseColumns+` FROM course_runs c JOIN institutions i ON i.id = c.institution_id
		WHERE c.institution_id = $1 ORDER BY c.starts_on, c.code`, institution)
	if err != nil {
		return nil, translate("institution courses", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Course, error) { return scanCourse(r) })
	return list, translate("institution courses", err)
}

// InstitutionExists reports whether the institution is known.
func (s *Store) InstitutionExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM institutions WHERE id = $1)`, id).Scan(&ok)
	return ok, translate("institution exists", err)
}

// EnrolmentRow is one line of an institution's enrolment export.
type EnrolmentRow struct {
	Enrolment Enrolment
	Citizen   Citizen
}

// InstitutionEnrolments lists the enrolments on an institution's runs with the contact details the
// institution needs (never the CPR number).
func (s *Store) InstitutionEnrolments(ctx context.Context, institution uuid.UUID) ([]EnrolmentRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+` FROM enrolments e JOIN course_runs c ON c.id = e.course_id
		WHERE c.institution_id = $1 ORDER BY c.starts_on, c.code, e.requested_at`, institution)
	if err != nil {
		return nil, translate("institution enrolments", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Enrolment, error) { return scanEnrolment(r) })
	if err != nil {
		return nil, translate("institution enrolments", err)
	}
	out := make([]EnrolmentRow, 0, len(list))
	courses := map[uuid.UUID]Course{}
	for _, e := range list {
		if _, ok := courses[e.CourseID]; !ok {
			if courses[e.CourseID], err = s.GetCourse(ctx, e.CourseID); err != nil {
				return nil, err
			}
		}
		e.Course = courses[e.CourseID]
		var c Citizen
		if e.CitizenID != "" { // "": kept after the citizen's erasure, without their id
			if c, err = s.GetCitizen(ctx, e.CitizenID); err != nil {
				return nil, err
			}
		}
		out = append(out, EnrolmentRow{Enrolment: e, Citizen: c})
	}
	return out, nil
}

// priorityGroups is the run's waiting-list order, the default when none is set.
func priorityGroups(c Course) []string {
	if len(c.PriorityGroups) == 0 {
		return enrolment.DefaultPriorityGroups
	}
	return c.PriorityGroups
}

// Demand is the waiting demand on one of an institution's runs.
type Demand struct {
	Course          Course
	Waitlisted      int
	BelowMinimum    bool
	DemandForCourse int // seats taken and waiting across every open run with the same code
}

// InstitutionDemand lists the institution's open runs with their taken seats and waiting lists, and
// the demand for the course across its runs, so a run under its minimum can be merged with another.
func (s *Store) InstitutionDemand(ctx context.Context, institution uuid.UUID) ([]Demand, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+courseColumns+`,
			(SELECT count(*) FROM enrolments e WHERE e.course_id = c.id AND e.status = 'waitlisted'),
			(SELECT coalesce(sum(r.seats_taken), 0) FROM course_runs r
				WHERE r.institution_id = c.institution_id AND r.code = c.code AND r.status = 'published') +
			(SELECT count(*) FROM enrolments w JOIN course_runs r ON r.id = w.course_id
				WHERE r.institution_id = c.institution_id AND r.code = c.code AND r.status = 'published' AND w.status = 'waitlisted')
		FROM course_runs c JOIN institutions i ON i.id = c.institution_id
		WHERE c.institution_id = $1 AND c.status = 'published' ORDER BY c.code, c.starts_on`, institution)
	if err != nil {
		return nil, translate("demand", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Demand, error) {
		var d Demand
		c := &d.Course
		err := r.Scan(&c.ID, &c.InstitutionID, &c.InstitutionName, &c.Code, &c.Title, &c.TitleEN, &c.Category, &c.StartsOn, &c.EndsOn,
			&c.HoursPerWeek, &c.FeeDKK, &c.Schemes, &c.SeatsTotal, &c.SeatsTaken, &c.Location, &c.Description, &c.DescriptionEN,
			&c.Version, &c.Status, &c.CancelReason, &c.MinParticipants, &c.EnrolmentDeadline, &c.OfferHours, &c.PriorityGroups,
			&c.OpensAt, &c.BallotMinutes, &c.BallotSeed, &c.BallotDrawnAt, &c.ECTS, &c.Skills, &c.CertificateMonths, &c.Competences,
			&d.Waitlisted, &d.DemandForCourse)
		d.BelowMinimum = c.SeatsTaken < c.MinParticipants
		return d, err
	})
	return list, translate("demand", err)
}
