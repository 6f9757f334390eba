package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
)

// Staff enrolment: a company enrols its employees on a run, with its commitment (it pays the fee,
// the salary continues) given at once, so funding asks it nothing more. An employee with a profile
// gets a seat or a waiting-list place, as if they had asked themself; one without a profile is
// invited: a free seat is held for them until they complete the profile (InvitationDays), and then
// their enrolment is made. Everything for one request is one transaction.

// Employee is one row of a company's staff enrolment.
type Employee struct {
	CPR   cpr.Number
	Name  string
	Email string
}

// StaffRequest is a company's enrolment of its employees on one run.
type StaffRequest struct {
	CVR             string
	CompanyName     string
	CourseID        uuid.UUID
	PaysFee         bool
	SalaryContinues bool
	Employees       []Employee
	IdempotencyKey  string
	RequestHash     []byte
}

// StaffResult is what became of one employee.
type StaffResult struct {
	CPR          string     `json:"cpr"` // masked, DDMMYY-XXXX
	Name         string     `json:"name"`
	Status       string     `json:"status"` // pending, waitlisted, awaiting_profile or failed
	EnrolmentID  *uuid.UUID `json:"enrolment_id,omitempty"`
	InvitationID *uuid.UUID `json:"invitation_id,omitempty"`
	ProfileDueAt *time.Time `json:"profile_due_at,omitempty"`
	Reason       string     `json:"reason,omitempty"`
}

// InvitationDays is how long a seat is held for an employee to complete their profile.
const InvitationDays = 7

// ErrCourseNotFound is a staff enrolment on an unknown run.
var ErrCourseNotFound = &fault.ValidationError{Fields: []fault.FieldError{{Field: "course_id", Message: "no course run with this id"}}}

func invitationKeyID(id uuid.UUID) string { return "invitation:" + id.String() }

func invitationAAD(id uuid.UUID) []byte {
	return []byte("registration.staff_invitations.personal\x00" + id.String())
}

// invitee is what an invitation seals.
type invitee struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	CPR   string `json:"cpr"` // masked
}

// StaffEnrolled is what a staff enrolment did: the run's planned hours (which set the company's
// cancellation terms), and a result per employee in the request's order.
type StaffEnrolled struct {
	PlannedHours float64
	Results      []StaffResult
}

// EnrolStaff enrols the employees. What it did is kept with the idempotency key (under
// "staff_enrolment"); a repeated key with the same request returns it again.
func (s *Store) EnrolStaff(ctx context.Context, req StaffRequest) (Kept[StaffEnrolled], error) {
	principal := "employer:" + req.CVR
	var out Kept[StaffEnrolled]
	err := s.tx(ctx, func(tx pgx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, principal, req.IdempotencyKey, req.RequestHash)
		if err != nil {
			return err
		}
		if prior != nil {
			out = replay[StaffEnrolled]("staff_enrolment", prior)
			return nil
		}
		course, err := s.lockCourse(ctx, tx, req.CourseID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrCourseNotFound
		} else if err != nil {
			return err
		}
		if err := course.Open(s.now()); err != nil {
			return err
		}
		results := make([]StaffResult, 0, len(req.Employees))
		var seen []string
		for _, emp := range req.Employees {
			r := StaffResult{CPR: emp.CPR.Masked(), Name: emp.Name}
			if slices.Contains(seen, emp.CPR.Digits()) {
				r.Status, r.Reason = "failed", "this employee is listed twice"
				results = append(results, r)
				continue
			}
			seen = append(seen, emp.CPR.Digits())
			if err := s.enrolEmployee(ctx, tx, req, course, emp, &r); err != nil {
				return err
			}
			results = append(results, r)
		}
		done := StaffEnrolled{PlannedHours: course.PlannedHours(), Results: results}
		kept, err := keep("staff_enrolment", done)
		if err != nil {
			return err
		}
		out = Kept[StaffEnrolled]{Value: done}
		return idempotency.Complete(ctx, tx, principal, req.IdempotencyKey, http.StatusAccepted, kept)
	})
	return out, translate("enrol staff", err)
}

// preferenceFor is the funding an employer's enrolment asks for: the employer when it pays the fee,
// else the first allowance scheme the run lists, else self-payment.
func preferenceFor(c Course, paysFee bool) string {
	if paysFee && slices.Contains(c.Schemes, "employer") {
		return "employer"
	}
	for _, s := range []string{"veu", "svu"} {
		if slices.Contains(c.Schemes, s) {
			return s
		}
	}
	return "self"
}

// enrolEmployee enrols one employee in tx (a savepoint, so one that fails leaves the others), or
// invites them when they have no profile, and records what became of them in r.
func (s *Store) enrolEmployee(ctx context.Context, tx pgx.Tx, req StaffRequest, course Course, emp Employee, r *StaffResult) error {
	var citizenID string
	err := tx.QueryRow(ctx, `SELECT id FROM citizens WHERE cpr_index = $1`, s.keys.Index(emp.CPR.Digits())).Scan(&citizenID)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.invite(ctx, tx, req, course, emp, r)
	} else if err != nil {
		return fmt.Errorf("find employee: %w", err)
	}
	citizen, err := s.citizen(ctx, tx, citizenID)
	if err != nil {
		return fmt.Errorf("read employee: %w", err)
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	e, err := s.enrolFor(ctx, sp, citizen, course, staffCommitment{cvr: req.CVR, name: req.CompanyName, paysFee: req.PaysFee,
		salaryContinues: req.SalaryContinues, preference: preferenceFor(course, req.PaysFee)})
	if errors.Is(err, fault.Conflict) {
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return fmt.Errorf("rollback savepoint: %w", rbErr)
		}
		r.Status, r.Reason = "failed", reasonOf(err)
		return nil
	}
	if err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	r.Status, r.EnrolmentID = string(e.Status), &e.ID
	r.Name = citizen.Profile.Name
	return sp.Commit(ctx)
}

// reasonOf is a conflict's explanation for the company, without its kind.
func reasonOf(err error) string {
	_, reason, _ := strings.Cut(err.Error(), ": ")
	return reason
}

// staffCommitment is the company behind an enrolment and what it committed to.
type staffCommitment struct {
	cvr, name                string
	paysFee, salaryContinues bool
	preference               string
}

// enrolFor enrols the citizen on the run for the company: a seat if one is free, else the waiting
// list. A live enrolment on the run, or a seat on another run of the course, is a conflict.
func (s *Store) enrolFor(ctx context.Context, tx pgx.Tx, citizen Citizen, course Course, by staffCommitment) (Enrolment, error) {
	var other string
	otherErr := tx.QueryRow(ctx, seatOnOtherRunQuery, citizen.ID, course.ID).Scan(&other)
	if err := seatOnOtherRun(course, other, otherErr); err != nil {
		return Enrolment{}, fmt.Errorf("%w: the employee already holds a seat on another run of %s", fault.Conflict, course.Code)
	}
	held := false
	if !course.InBallot(s.now()) {
		var err error
		if held, err = s.takeSeatFor(ctx, tx, by.cvr, course.ID); err != nil {
			return Enrolment{}, err
		}
	}
	e := Enrolment{Enrolment: enrolment.RequestFor(enrolment.NewRequest{ID: uuid.New(), CitizenID: citizen.ID, CourseID: course.ID,
		FundingPreference: by.preference, At: s.now(), Seat: held, HoldUntil: s.holdExpiry()}, by.name), Course: course,
		Employer: &events.EmployerCommitment{CVR: by.cvr, Name: by.name, PaysFee: by.paysFee, SalaryContinues: by.salaryContinues}}
	if _, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference, requested_at,
			priority_group, priority, hold_expires_at, employer_cvr, employer_name, employer_pays_fee, employer_salary_continues)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, e.ID, e.CitizenID, e.CourseID, e.Status, e.HoldsSeat,
		e.FundingPreference, e.RequestedAt, e.PriorityGroup, enrolment.Priority(course.PriorityGroups, e.PriorityGroup), e.HoldExpiresAt,
		by.cvr, by.name, by.paysFee, by.salaryContinues); err != nil {
		if errors.Is(pgdb.Translate(err), pgdb.ErrConflict) {
			return Enrolment{}, fmt.Errorf("%w: the employee already has a live enrolment on this course run", fault.Conflict)
		}
		return Enrolment{}, fmt.Errorf("write enrolment: %w", err)
	}
	return e, s.persist(ctx, tx, e.Enrolment, &e, citizen)
}

// takeSeatFor takes a seat for the company's employee: one the company holds on the run from an
// offer of its demand first, else a free one.
func (s *Store) takeSeatFor(ctx context.Context, tx pgx.Tx, cvr string, courseID uuid.UUID) (bool, error) {
	if held, err := s.TakeOfferSeat(ctx, tx, cvr, courseID); err != nil || held {
		return held, err
	}
	return s.holdSeat(ctx, tx, courseID)
}

// invite records an employee without a profile: a free seat is held for them until they complete it.
func (s *Store) invite(ctx context.Context, tx pgx.Tx, req StaffRequest, course Course, emp Employee, r *StaffResult) error {
	id := uuid.New()
	key, err := s.ring.ForWriting(ctx, tx, invitationKeyID(id))
	if err != nil {
		return err
	}
	raw, err := json.Marshal(invitee{Name: emp.Name, Email: emp.Email, CPR: emp.CPR.Masked()})
	if err != nil {
		return err
	}
	sealed, err := key.Seal(raw, invitationAAD(id))
	if err != nil {
		return err
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	held := false
	if !course.InBallot(s.now()) {
		if held, err = s.takeSeatFor(ctx, sp, req.CVR, course.ID); err != nil {
			_ = sp.Rollback(ctx)
			return err
		}
	}
	due := s.now().Add(InvitationDays * 24 * time.Hour)
	if start := course.StartsOn; !start.IsZero() && due.After(start) {
		due = start
	}
	_, err = sp.Exec(ctx, `INSERT INTO staff_invitations (id, cvr, employer_name, course_id, cpr_index, personal_sealed, pays_fee,
			salary_continues, funding_preference, holds_seat, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, req.CVR, req.CompanyName, course.ID, s.keys.Index(emp.CPR.Digits()), sealed, req.PaysFee, req.SalaryContinues,
		preferenceFor(course, req.PaysFee), held, due)
	if errors.Is(pgdb.Translate(err), pgdb.ErrConflict) {
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return fmt.Errorf("rollback savepoint: %w", rbErr)
		}
		r.Status, r.Reason = "failed", "the employee is already invited to this course run"
		return nil
	} else if err != nil {
		_ = sp.Rollback(ctx)
		return fmt.Errorf("write invitation: %w", err)
	}
	if _, err := s.publish(ctx, sp, events.TypeStaffInvited, events.SubjectStaffInvited, id.String(), events.StaffInvited{InvitationID: id.String(),
		CVR: req.CVR, CompanyName: req.CompanyName, Name: emp.Name, Email: emp.Email, Course: course.Facts(), DueAt: due}); err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	r.Status, r.InvitationID, r.ProfileDueAt = "awaiting_profile", &id, &due
	return sp.Commit(ctx)
}

// acceptInvitations makes the enrolments a company invited the citizen to, in tx, now that they have
// a profile: the seat held for them becomes theirs.
func (s *Store) acceptInvitations(ctx context.Context, tx pgx.Tx, citizen Citizen) error {
	rows, err := tx.Query(ctx, `SELECT id, cvr, employer_name, course_id, pays_fee, salary_continues, funding_preference, holds_seat
		FROM staff_invitations WHERE cpr_index = $1 AND status = 'awaiting_profile' ORDER BY created_at FOR UPDATE`,
		s.keys.Index(citizen.CPR.Digits()))
	if err != nil {
		return fmt.Errorf("read invitations: %w", err)
	}
	type inv struct {
		id, courseID uuid.UUID
		by           staffCommitment
		held         bool
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (inv, error) {
		var i inv
		err := row.Scan(&i.id, &i.by.cvr, &i.by.name, &i.courseID, &i.by.paysFee, &i.by.salaryContinues, &i.by.preference, &i.held)
		return i, err
	})
	if err != nil {
		return fmt.Errorf("read invitations: %w", err)
	}
	for _, i := range list {
		course, err := s.lockCourse(ctx, tx, i.courseID)
		if err != nil {
			return err
		}
		if i.held { // the seat held for the invitation is given back and taken again by the enrolment
			if _, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken - 1 WHERE id = $1`, i.courseID); err != nil {
				return fmt.Errorf("release invitation seat: %w", err)
			}
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		status, enrolmentID := "enrolled", (*uuid.UUID)(nil)
		e, err := s.enrolFor(ctx, sp, citizen, course, i.by)
		if err == nil {
			enrolmentID = &e.ID
			err = sp.Commit(ctx)
		} else if errors.Is(err, fault.Conflict) {
			_ = sp.Rollback(ctx)
			status, err = "cancelled", nil // already enrolled on it themself
		} else {
			_ = sp.Rollback(ctx)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_invitations SET status = $2, enrolment_id = $3, holds_seat = false, updated_at = now()
			WHERE id = $1`, i.id, status, enrolmentID); err != nil {
			return fmt.Errorf("close invitation: %w", err)
		}
	}
	return nil
}

// ExpireInvitations ends invitations whose employee did not complete their profile in time and gives
// their seats to the next in line.
func (s *Store) ExpireInvitations(ctx context.Context) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE staff_invitations SET status = 'expired', updated_at = now()
			WHERE status = 'awaiting_profile' AND due_at < $1 RETURNING course_id, holds_seat`, s.now())
		if err != nil {
			return fmt.Errorf("expire invitations: %w", err)
		}
		type freed struct {
			course uuid.UUID
			held   bool
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (freed, error) {
			var f freed
			return f, row.Scan(&f.course, &f.held)
		})
		if err != nil {
			return fmt.Errorf("expire invitations: %w", err)
		}
		n = len(list)
		for _, f := range list {
			if !f.held {
				continue
			}
			if err := s.freeSeat(ctx, tx, f.course); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// StaffFilter narrows a company's staff enrolments.
type StaffFilter struct {
	Status   string     // an enrolment status, or awaiting_profile; "" for all
	CourseID *uuid.UUID // one run
	From, To *time.Time // the run starts on or after From, on or before To
}

// StaffEnrolment is one of a company's staff enrolments as the company sees it: the employee by name
// and masked CPR number, never their other courses.
type StaffEnrolment struct {
	Enrolment
	EmployeeName string
	EmployeeCPR  string     // masked
	InvitationID *uuid.UUID // set while the employee has not completed their profile
	ProfileDueAt *time.Time
}

// CompanyEnrolments lists the enrolments the company is a party to (it enrolled the employee, or a
// funding plan asked it), and the employees it invited who have not yet completed their profile.
func (s *Store) CompanyEnrolments(ctx context.Context, cvr string, f StaffFilter) ([]StaffEnrolment, error) {
	var out []StaffEnrolment
	if f.Status != "awaiting_profile" {
		rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+` FROM enrolments e JOIN course_runs c ON c.id = e.course_id
			WHERE e.employer_cvr = $1 AND ($2 = '' OR e.status = $2) AND ($3::uuid IS NULL OR e.course_id = $3)
			AND ($4::date IS NULL OR c.starts_on >= $4) AND ($5::date IS NULL OR c.starts_on <= $5)
			ORDER BY e.requested_at DESC LIMIT 1000`, cvr, f.Status, f.CourseID, f.From, f.To)
		if err != nil {
			return nil, translate("list staff enrolments", err)
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Enrolment, error) { return scanEnrolment(r) })
		if err != nil {
			return nil, translate("list staff enrolments", err)
		}
		for _, e := range list {
			if err := s.complete(ctx, &e); err != nil {
				return nil, err
			}
			c, err := s.citizen(ctx, s.pool, e.CitizenID)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // erased
			} else if err != nil {
				return nil, err
			}
			out = append(out, StaffEnrolment{Enrolment: e, EmployeeName: c.Profile.Name, EmployeeCPR: c.CPR.Masked()})
		}
	}
	if f.Status != "" && f.Status != "awaiting_profile" {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT i.id, i.course_id, i.created_at, i.due_at, i.funding_preference, i.pays_fee, i.salary_continues,
			i.employer_name, i.personal_sealed, k.wrapped
		FROM staff_invitations i JOIN course_runs c ON c.id = i.course_id
		LEFT JOIN citizen_keys k ON k.citizen_id = 'invitation:' || i.id::text
		WHERE i.cvr = $1 AND i.status = 'awaiting_profile' AND ($2::uuid IS NULL OR i.course_id = $2)
		AND ($3::date IS NULL OR c.starts_on >= $3) AND ($4::date IS NULL OR c.starts_on <= $4)
		ORDER BY i.created_at DESC LIMIT 1000`, cvr, f.CourseID, f.From, f.To)
	if err != nil {
		return nil, translate("list invitations", err)
	}
	defer rows.Close()
	for rows.Next() {
		var se StaffEnrolment
		var id uuid.UUID
		var due time.Time
		var sealed, wrapped []byte
		var paysFee, salary bool
		var name string
		if err := rows.Scan(&id, &se.CourseID, &se.RequestedAt, &due, &se.FundingPreference, &paysFee, &salary, &name, &sealed, &wrapped); err != nil {
			return nil, translate("list invitations", err)
		}
		key, err := s.ring.Open(invitationKeyID(id), wrapped)
		if err != nil {
			return nil, fmt.Errorf("invitation %s: %w", id, err)
		}
		raw, err := key.Open(sealed, invitationAAD(id))
		if err != nil {
			return nil, fmt.Errorf("open invitation %s: %w", id, err)
		}
		var who invitee
		if err := json.Unmarshal(raw, &who); err != nil {
			return nil, fmt.Errorf("decode invitation: %w", err)
		}
		se.ID, se.Status, se.InvitationID, se.ProfileDueAt = id, "awaiting_profile", &id, &due
		se.EmployeeName, se.EmployeeCPR = who.Name, who.CPR
		se.Employer = &events.EmployerCommitment{CVR: cvr, Name: name, PaysFee: paysFee, SalaryContinues: salary}
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("list invitations", err)
	}
	for i := range out {
		if out[i].InvitationID != nil {
			if out[i].Course, err = s.GetCourse(ctx, out[i].CourseID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
