package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
	"livslang.dk/services/registration/internal/store"
)

type enrolmentRequest struct {
	CourseID          string `json:"course_id"`
	FundingPreference string `json:"funding_preference"`
}

type enrolmentJSON struct {
	ID                string        `json:"id"`
	Status            string        `json:"status"`
	CourseID          string        `json:"course_id"`
	Course            *courseJSON   `json:"course,omitempty"`
	FundingPreference string        `json:"funding_preference"`
	Funding           fundingJSON   `json:"funding"`
	WaitlistPosition  int           `json:"waitlist_position,omitempty"`
	Waitlist          *waitlistJSON `json:"waitlist,omitempty"`
	PriorityGroup     string        `json:"priority_group"`
	ReferralID        string        `json:"referral_id,omitempty"`
	OfferExpiresAt    *string       `json:"offer_expires_at,omitempty"`
	RequestedAt       string        `json:"requested_at"`
	Version           int64         `json:"version"`
	AttendedHours     *float64      `json:"attended_hours,omitempty"`
	History           []historyRow  `json:"history"`
}

type waitlistJSON struct {
	Position          int `json:"position"`
	AheadWithPriority int `json:"ahead_with_priority"`
}

type fundingJSON struct {
	Outcome        string   `json:"outcome"`
	Scheme         string   `json:"scheme"`
	CitizenPaysDKK *int64   `json:"citizen_pays_dkk,omitempty"`
	WeeklyDKK      *int64   `json:"weekly_allowance_dkk,omitempty"`
	Reasons        []string `json:"reasons,omitempty"`
	// Employer is whom the decision waits for, and by when (outcome employer_required).
	Employer *events.EmployerPart `json:"employer,omitempty"`
}

type historyRow struct {
	Status string `json:"status"`
	At     string `json:"at"`
	Cause  string `json:"cause"`
	Reason string `json:"reason,omitempty"`
	// ReasonCode and ReasonParams are the reason's code and parameters where registration gave it
	// (events.Reason); left out for a person's own words.
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
}

func toEnrolmentJSON(e store.Enrolment) enrolmentJSON {
	out := enrolmentJSON{ID: e.ID.String(), Status: string(e.Status), CourseID: e.CourseID.String(),
		FundingPreference: e.FundingPreference, WaitlistPosition: e.WaitlistPosition,
		RequestedAt: e.RequestedAt.UTC().Format(time.RFC3339), Version: e.Version, History: []historyRow{},
		Funding: fundingJSON{Outcome: "pending", Scheme: e.FundingPreference}}
	if e.Status != enrolment.Pending {
		out.Funding.Outcome = "not_started" // waiting, or ended before funding decided
	}
	out.PriorityGroup, out.ReferralID = e.PriorityGroup, e.ReferralID
	if e.Status == enrolment.Waitlisted && e.WaitlistPosition > 0 {
		out.Waitlist = &waitlistJSON{Position: e.WaitlistPosition, AheadWithPriority: e.AheadWithPriority}
	}
	if e.Status == enrolment.Offered && e.OfferExpiresAt != nil {
		s := e.OfferExpiresAt.UTC().Format(time.RFC3339)
		out.OfferExpiresAt = &s
	}
	if e.Funding != nil {
		f := e.Funding
		out.Funding = fundingJSON{Outcome: f.Outcome, Scheme: f.Scheme, CitizenPaysDKK: &f.CitizenPaysDKK,
			WeeklyDKK: &f.WeeklyDKK, Reasons: f.Reasons}
		if f.Outcome == "employer_required" {
			out.Funding.Employer = f.Employer
		}
	}
	if e.Status == enrolment.Started || e.Status == enrolment.Completed || e.Status == enrolment.Withdrawn {
		out.AttendedHours = &e.AttendedHours
	}
	if e.Course.ID != uuid.Nil {
		c := toCourseJSON(e.Course)
		out.Course = &c
	}
	for _, h := range e.History {
		out.History = append(out.History, historyRow{Status: string(h.Status), At: h.At.UTC().Format(time.RFC3339Nano),
			Cause: string(h.Cause), Reason: h.Reason, ReasonCode: h.ReasonCode, ReasonParams: h.ReasonParams})
	}
	return out
}

// course validates the request: the run it is for.
func (req enrolmentRequest) course() (uuid.UUID, error) {
	v := &httpapi.ValidationError{}
	courseID, err := uuid.Parse(req.CourseID)
	if err != nil {
		v.Add("course_id", "must be the UUID of a course run")
	}
	if err := enrolment.ValidPreference(req.FundingPreference); err != nil {
		v.Fields = append(v.Fields, err.(*httpapi.ValidationError).Fields...)
	}
	return courseID, v.Err()
}

func (a *API) createEnrolment(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	key, err := idempotency.Key(r)
	if err != nil {
		return err
	}
	var req enrolmentRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	courseID, err := req.course()
	if err != nil {
		return err
	}
	canonical, _ := json.Marshal(req)
	created, err := a.Store.CreateEnrolment(r.Context(), store.NewEnrolment{
		CitizenID: claims.Subject, CourseID: courseID, FundingPreference: req.FundingPreference,
		IdempotencyKey: key, RequestHash: idempotency.Hash(r, canonical),
	})
	if err != nil {
		return err
	}
	const location = "/v1/enrolments/"
	if created.Stored != nil {
		return writeStored(w, *created.Stored, location)
	}
	w.Header().Set("Location", location+created.Value.ID.String())
	return httpapi.WriteJSON(w, http.StatusAccepted, toEnrolmentJSON(created.Value))
}

// writeStored sends again a response an older version kept with an Idempotency-Key, as it was sent;
// with a location, its Location header is the location followed by the body's id.
func writeStored(w http.ResponseWriter, stored store.Created, location string) error {
	if location != "" {
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(stored.Body, &id)
		w.Header().Set("Location", location+id.ID)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(stored.Status)
	_, err := w.Write(append(bytes.TrimSpace(stored.Body), '\n'))
	return err
}

func (a *API) getEnrolment(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := a.Store.GetEnrolment(r.Context(), id)
	if err != nil {
		return err
	}
	if !visible(claims, e) {
		return pgdb.ErrNotFound // do not reveal that it exists
	}
	purpose := map[string]string{auth.RoleInstitution: "the institution follows an enrolment on its course",
		auth.RoleAdmin: "administration of enrolments"}[claims.Role]
	if err := a.record(r, e.CitizenID, audit.Read, "enrolment", id.String(), purpose); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toEnrolmentJSON(e))
}

func (a *API) myEnrolments(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	list, err := a.Store.ListEnrolments(r.Context(), claims.Subject)
	if err != nil {
		return err
	}
	out := struct {
		Items []enrolmentJSON `json:"items"`
		Next  string          `json:"next"`
	}{Items: []enrolmentJSON{}}
	for _, e := range list {
		out.Items = append(out.Items, toEnrolmentJSON(e))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

type cancelRequest struct {
	Reason string `json:"reason"`
}

func (a *API) cancelEnrolment(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req cancelRequest
	if err := httpapi.DecodeOptionalJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Reason) > 500 {
		return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "reason", Message: "at most 500 characters"}}}
	}
	if err := a.Store.Cancel(r.Context(), id, claims.Subject, enrolment.ByCitizen, req.Reason); err != nil {
		return err
	}
	return a.writeEnrolment(w, r, id, "the citizen cancelled the enrolment")
}

type outcomeRequest struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	// AttendedHours defaults to the attendance reported so far.
	AttendedHours *float64 `json:"attended_hours"`
}

// reportOutcome is the institution's report that an enrolment ended: completed (with attended
// hours, which make funding's payout due) or withdrawn (with a reason).
func (a *API) reportOutcome(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req outcomeRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	v := &httpapi.ValidationError{}
	o := store.Outcome{Reason: req.Reason}
	if req.AttendedHours != nil {
		o.AttendedHours = *req.AttendedHours
	} else if o.AttendedHours, err = a.Store.AttendedHours(r.Context(), id); err != nil {
		return err
	}
	switch req.Outcome {
	case "completed":
		o.Status = enrolment.Completed
	case "withdrawn":
		o.Status = enrolment.Withdrawn
		if req.Reason == "" {
			v.Add("reason", "is required when the citizen withdrew")
		}
	case "break":
		if req.Reason == "" {
			return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "reason", Message: "is required for a break"}}}
		}
		if err := a.Store.ReportBreak(r.Context(), id, claims.InstitutionID, req.Reason); err != nil {
			return err
		}
		return a.writeEnrolment(w, r, id, "the institution reported a break in the course")
	default:
		v.Add("outcome", "must be completed, withdrawn or break")
	}
	if o.AttendedHours < 0 {
		v.Add("attended_hours", "cannot be negative")
	}
	if len(req.Reason) > 500 {
		v.Add("reason", "at most 500 characters")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := a.Store.ReportOutcome(r.Context(), id, claims.InstitutionID, o); err != nil {
		return err
	}
	return a.writeEnrolment(w, r, id, "the institution reported the outcome: "+req.Outcome)
}

func (a *API) answerOffer(w http.ResponseWriter, r *http.Request, accept bool) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.Store.AnswerOffer(r.Context(), id, claims.Subject, accept); err != nil {
		return err
	}
	return a.writeEnrolment(w, r, id, map[bool]string{true: "the citizen accepted the offered seat", false: "the citizen declined the offered seat"}[accept])
}

func (a *API) acceptOffer(w http.ResponseWriter, r *http.Request) error {
	return a.answerOffer(w, r, true)
}
func (a *API) declineOffer(w http.ResponseWriter, r *http.Request) error {
	return a.answerOffer(w, r, false)
}

// ballot publishes a run's drawn ballot so anyone can check it.
func (a *API) ballot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := a.Store.GetBallot(r.Context(), id)
	if err != nil {
		return err
	}
	order := make([]string, len(b.Order))
	for i, e := range b.Order {
		order[i] = e.String()
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"course_id": id, "seed": b.Seed, "drawn_at": b.DrawnAt.UTC().Format(time.RFC3339), "order": order,
		"algorithm": "Requests made in the ballot window are ordered by the lowercase hex SHA-256 of seed + \":\" + enrolment id, ascending; priority groups come first.",
	})
}

// writeEnrolment records the change the caller made (why: purpose) in the audit log and answers
// with the enrolment as it is now.
func (a *API) writeEnrolment(w http.ResponseWriter, r *http.Request, id uuid.UUID, purpose string) error {
	e, err := a.Store.GetEnrolment(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.record(r, e.CitizenID, audit.Change, "enrolment", id.String(), purpose); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toEnrolmentJSON(e))
}
