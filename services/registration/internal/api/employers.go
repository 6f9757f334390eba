package api

import (
	"encoding/json"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/services/registration/internal/store"
)

// Employers: a company's users (role employer, acting for the CVR number in their token) enrol its
// staff and follow the enrolments it is a party to; an administrator may read them.

// MaxStaff is the most employees one staff enrolment may name.
const MaxStaff = 200

type staffRequest struct {
	CourseID        string          `json:"course_id"`
	PaysFee         *bool           `json:"pays_fee"`
	SalaryContinues *bool           `json:"salary_continues"`
	Employees       []staffEmployee `json:"employees"`
}

type staffEmployee struct {
	CPR   string `json:"cpr"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// terms are the institution's fees for a company that cancels late or whose employee does not show
// up (the Herning institutions' terms: the AMU standard by course length), shown before it commits.
type terms struct {
	LateCancellationDays   int    `json:"late_cancellation_days"`
	LateCancellationFeeDKK int64  `json:"late_cancellation_fee_dkk"`
	NoShowFeeDKK           int64  `json:"no_show_fee_dkk"`
	Note                   string `json:"note"`
}

// termsFor is what a company pays the institution for a late cancellation or a no-show on a run
// with these planned hours.
func termsFor(plannedHours float64) terms {
	t := terms{LateCancellationDays: 7, LateCancellationFeeDKK: 1500, NoShowFeeDKK: 2500,
		Note: "A company that cancels less than 7 days before the start, or whose employee does not show up, pays the institution's fee."}
	if plannedHours > 37 {
		t.LateCancellationFeeDKK, t.NoShowFeeDKK = 2500, 3500
	}
	return t
}

type staffAnswer struct {
	CourseID        string              `json:"course_id"`
	PaysFee         bool                `json:"pays_fee"`
	SalaryContinues bool                `json:"salary_continues"`
	Terms           terms               `json:"terms"`
	Summary         map[string]int      `json:"summary"`
	Results         []store.StaffResult `json:"results"`
}

// enrolStaff enrols the company's employees on one run: 202 with one result per employee (a seat,
// a waiting-list place, an invitation to complete the profile, or why it failed, CPR masked). Bad
// rows fail alone; a request that names no run or no employees, or more than MaxStaff, is refused.
// An Idempotency-Key makes a retry answer the same results.
func (a *API) enrolStaff(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	key := r.Header.Get(idempotency.Header)
	if key == "" {
		key = uuid.NewString() // without a key a retry is a new request
	} else if key, err = idempotency.Key(r); err != nil {
		return err
	}
	var req staffRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	v := &httpapi.ValidationError{}
	courseID, err := uuid.Parse(req.CourseID)
	if err != nil {
		v.Add("course_id", "must be the id of a course run")
	}
	if req.PaysFee == nil {
		v.Add("pays_fee", "is required: true if the company pays the participant fee")
	}
	if req.SalaryContinues == nil {
		v.Add("salary_continues", "is required: true if the employees keep their salary during the course")
	}
	if n := len(req.Employees); n == 0 || n > MaxStaff {
		v.Add("employees", "name 1 to %d employees", MaxStaff)
	}
	if err := v.Err(); err != nil {
		return err
	}
	sr := store.StaffRequest{CVR: number, CompanyName: auth.Caller(r).Name, CourseID: courseID, PaysFee: *req.PaysFee,
		SalaryContinues: *req.SalaryContinues, IdempotencyKey: key}
	var invalid []store.StaffResult // rows that fail before the store sees them, by index
	at := map[int]int{}             // index in req.Employees → index in sr.Employees
	for i, emp := range req.Employees {
		number, cprErr := cpr.Parse(strings.TrimSpace(emp.CPR))
		name, email := strings.TrimSpace(emp.Name), strings.TrimSpace(emp.Email)
		reason := ""
		switch _, mailErr := mail.ParseAddress(email); {
		case cprErr != nil:
			reason = "cpr: not a CPR number (DDMMYYSSSS)"
		case name == "" || len(name) > 200:
			reason = "name: is required (at most 200 characters)"
		case mailErr != nil || strings.ContainsAny(email, " <>"):
			reason = "email: must be an e-mail address like name@example.dk"
		}
		if reason != "" {
			masked := "XXXXXX-XXXX"
			if cprErr == nil {
				masked = number.Masked()
			}
			invalid = append(invalid, store.StaffResult{CPR: masked, Name: name, Status: "failed", Reason: reason})
			at[i] = -len(invalid)
			continue
		}
		at[i] = len(sr.Employees)
		sr.Employees = append(sr.Employees, store.Employee{CPR: number, Name: name, Email: email})
	}
	canonical, _ := json.Marshal(req)
	sr.RequestHash = idempotency.Hash(r, canonical)
	created, err := a.Store.EnrolStaff(r.Context(), sr)
	if err != nil {
		return err
	}
	if created.Stored != nil {
		return writeStored(w, *created.Stored, "")
	}
	// The answer lists every row of the request in its order: those that failed here, and the rest
	// as the store enrolled them (a repeated request gets the same rows, so the same answer).
	done := created.Value
	answer := staffAnswer{CourseID: courseID.String(), PaysFee: sr.PaysFee, SalaryContinues: sr.SalaryContinues,
		Terms: termsFor(done.PlannedHours), Summary: map[string]int{}}
	for i := range req.Employees {
		var res store.StaffResult
		if at[i] < 0 {
			res = invalid[-at[i]-1]
		} else {
			res = done.Results[at[i]]
		}
		answer.Results = append(answer.Results, res)
		answer.Summary[res.Status]++
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, answer)
}

type staffEnrolmentJSON struct {
	enrolmentJSON
	Employee struct {
		Name string `json:"name"`
		CPR  string `json:"cpr"`
	} `json:"employee"`
	Employer     *events.EmployerCommitment `json:"employer,omitempty"`
	InvitationID *uuid.UUID                 `json:"invitation_id,omitempty"`
	ProfileDueAt *string                    `json:"profile_due_at,omitempty"`
	Terms        terms                      `json:"terms"`
}

// listStaff lists the enrolments the company is a party to, with status, funding and attendance
// (filters status, course_id, from and to on the run's start).
func (a *API) listStaff(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.StaffFilter{Status: q.Get("status")}
	v := &httpapi.ValidationError{}
	switch f.Status {
	case "", "pending", "waitlisted", "offered", "confirmed", "rejected", "cancelled", "started", "completed", "withdrawn", "awaiting_profile":
	default:
		v.Add("status", "must be an enrolment status or awaiting_profile")
	}
	if s := q.Get("course_id"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			v.Add("course_id", "must be the id of a course run")
		}
		f.CourseID = &id
	}
	for _, d := range []struct {
		name string
		to   **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(d.name); s != "" {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				v.Add(d.name, "must be a date YYYY-MM-DD")
			}
			*d.to = &t
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.Store.CompanyEnrolments(r.Context(), number, f)
	if err != nil {
		return err
	}
	items := make([]staffEnrolmentJSON, 0, len(list))
	for _, se := range list {
		it := staffEnrolmentJSON{enrolmentJSON: toEnrolmentJSON(se.Enrolment), Employer: se.Employer, InvitationID: se.InvitationID,
			Terms: termsFor(se.Course.PlannedHours())}
		it.Employee.Name, it.Employee.CPR = se.EmployeeName, se.EmployeeCPR
		if se.ProfileDueAt != nil {
			s := se.ProfileDueAt.UTC().Format(time.RFC3339)
			it.ProfileDueAt = &s
			it.Funding.Outcome = "not_started"
		}
		if se.InvitationID == nil {
			if err := a.record(r, se.CitizenID, audit.Read, "enrolment", se.ID.String(), "the employer's staff enrolments"); err != nil {
				return err
			}
		}
		items = append(items, it)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
