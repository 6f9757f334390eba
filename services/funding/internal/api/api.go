// Package api is funding's HTTP API: decisions, eligibility before enrolling, the review queue,
// budgets, and the scheme and rate tables.
package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/decisions"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// API serves funding's endpoints.
type API struct {
	Decisions *decisions.Service
	Store     *store.Store
	Log       *zap.Logger
	// CPRIndexKey is the key of the keyed hash registration puts in profile events, so a caseworker's
	// CPR number can be matched without funding holding CPR numbers.
	CPRIndexKey []byte
}

func (a *API) getDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := uuid.Parse(r.PathValue("enrolment_id"))
	if err != nil {
		return pgdb.ErrNotFound
	}
	rec, err := a.Store.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if !decisionVisible(auth.Caller(r), rec) {
		return pgdb.ErrNotFound
	}
	if err := a.record(r, rec.CitizenID, audit.Read, "decision", rec.ID.String(), "looking at the funding decision"); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, rec)
}

// record adds the caller's access to a citizen's data to the audit log (a citizen reading their own
// data is not recorded; every change is).
func (a *API) record(r *http.Request, citizenID, action, resource, resourceID, purpose string) error {
	if e, ok := audit.Of(r, citizenID, action, resource, resourceID, purpose); ok {
		return audit.Record(r.Context(), a.Store.Pool, e)
	}
	return nil
}

// day reads ?on=YYYY-MM-DD, defaulting to today in Copenhagen.
func (a *API) day(r *http.Request) (rules.Date, error) {
	s := r.URL.Query().Get("on")
	if s == "" {
		return rules.DateOf(a.Store.Now().In(copenhagen)), nil
	}
	d, err := rules.ParseDate(s)
	if err != nil {
		return rules.Date{}, &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "on", Message: "must be a date YYYY-MM-DD"}}}
	}
	return d, nil
}

var copenhagen = func() *time.Location {
	l, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		return time.UTC
	}
	return l
}()

func (a *API) schemes(w http.ResponseWriter, r *http.Request) error {
	day, err := a.day(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"on": day, "items": rules.Schemes(day), "next": ""})
}

func (a *API) rates(w http.ResponseWriter, r *http.Request) error {
	day, err := a.day(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, a.Decisions.Rates.On(day))
}

type eligibilityRequest struct {
	CourseID string `json:"course_id"`
	CPR      string `json:"cpr"`
}

type schemeAnswer struct {
	Scheme  string         `json:"scheme"`
	Outcome string         `json:"outcome"`
	Amounts decide.Amounts `json:"amounts"`
	Rules   []decide.Rule  `json:"rules"`
}

// eligibility answers what each scheme the run lists would give, before enrolling. It writes nothing.
func (a *API) eligibility(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	var req eligibilityRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	v := &httpapi.ValidationError{}
	courseID, err := uuid.Parse(req.CourseID)
	if err != nil {
		v.Add("course_id", "must be the UUID of a course run")
	}
	var number cpr.Number
	switch {
	case claims.Role == auth.RoleCaseworker:
		if number, err = cpr.Parse(req.CPR); err != nil {
			v.Add("cpr", "a caseworker names the client by CPR number (DDMMYYSSSS)")
		}
	case req.CPR != "":
		v.Add("cpr", "only caseworkers name a client; a citizen asks for themself")
	}
	if err := v.Err(); err != nil {
		return err
	}
	course, err := a.Store.GetCourse(r.Context(), courseID)
	if err != nil {
		return err
	}
	if course.Status == "cancelled" {
		return fault.New(fault.Unprocessable, "the course run is cancelled")
	}
	var citizen store.Citizen
	if claims.Role == auth.RoleCaseworker {
		citizen, err = a.citizenByCPR(r.Context(), number, claims.Municipality)
	} else {
		citizen, err = a.Store.GetCitizen(r.Context(), claims.Subject)
	}
	if errors.Is(err, pgdb.ErrNotFound) {
		return fault.New(fault.Unprocessable, "no enrolment profile for this citizen yet (PUT /v1/me/profile on registration)")
	} else if err != nil {
		return err
	}
	if err := a.record(r, citizen.ID, audit.Read, "facts", "", "a caseworker checked what funding the citizen can get for "+course.Code); err != nil {
		return err
	}
	answers, on, err := a.Decisions.Eligibility(r.Context(), citizen, course)
	if err != nil {
		return err
	}
	out := struct {
		CourseID string         `json:"course_id"`
		On       rules.Date     `json:"on"`
		Schemes  []schemeAnswer `json:"schemes"`
	}{CourseID: course.ID, On: on, Schemes: []schemeAnswer{}}
	for _, res := range answers {
		out.Schemes = append(out.Schemes, schemeAnswer{Scheme: res.Scheme, Outcome: res.Outcome, Amounts: res.Amounts, Rules: res.Rules})
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// citizenByCPR finds a citizen of the caseworker's municipality by the keyed hash of their CPR
// number; funding never holds the number itself.
func (a *API) citizenByCPR(ctx context.Context, number cpr.Number, municipality string) (store.Citizen, error) {
	mac := hmac.New(sha256.New, a.CPRIndexKey)
	mac.Write([]byte(number.Digits()))
	c, err := a.Store.CitizenByCPRIndex(ctx, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	if err == nil && (municipality == "" || c.Facts.Municipality != municipality) {
		err = pgdb.ErrNotFound // another municipality's citizen
	}
	return c, err
}

func (a *API) listReviews(w http.ResponseWriter, r *http.Request) error {
	list, err := a.Store.OpenReviews(r.Context(), municipalityOf(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []decide.Record{}
	}
	entries := make([]audit.Entry, 0, len(list))
	for _, d := range list {
		entries = append(entries, audit.By(auth.Caller(r), d.CitizenID, audit.Read, "decision", d.ID.String(), "the queue of decisions to review"))
	}
	if err := audit.Record(r.Context(), a.Store.Pool, entries...); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": list, "next": ""})
}

type reviewRequest struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

func (a *API) decideReview(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return pgdb.ErrNotFound
	}
	var req reviewRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	v := &httpapi.ValidationError{}
	if req.Outcome != "approved" && req.Outcome != "rejected" {
		v.Add("outcome", "must be approved or rejected")
	}
	if l := len(req.Reason); l == 0 || l > 1000 {
		v.Add("reason", "is required (at most 1000 characters): the citizen is told why")
	}
	if err := v.Err(); err != nil {
		return err
	}
	rv := decisions.Review{DecisionID: id, Approve: req.Outcome == "approved", Reason: req.Reason, Caseworker: claims.Subject,
		Municipality: municipalityOf(r)}
	rec, err := a.Decisions.DecideReview(r.Context(), rv)
	if err != nil {
		return err
	}
	if err := a.record(r, rec.CitizenID, audit.Change, "decision", rec.ID.String(), "the caseworker's review: "+req.Outcome); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, rec)
}

func (a *API) listBudgets(w http.ResponseWriter, r *http.Request) error {
	pools, err := a.Store.Pools(r.Context(), municipalityOf(r))
	if err != nil {
		return err
	}
	if pools == nil {
		pools = []store.Pool{}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": pools, "next": ""})
}

type budgetRequest struct {
	Scheme    string `json:"scheme"`
	Owner     string `json:"owner"`
	Year      int    `json:"year"`
	Name      string `json:"name"`
	AmountDKK int64  `json:"amount_dkk"`
}

func (a *API) createBudget(w http.ResponseWriter, r *http.Request) error {
	var req budgetRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	v := &httpapi.ValidationError{}
	switch req.Scheme {
	case rules.SchemeRegionalPulje, rules.SchemeMunicipality, rules.SchemeOmstillingsfonden:
	default:
		v.Add("scheme", "must be a budget-limited scheme: regional_pulje, municipality or omstillingsfonden")
	}
	if req.Owner == "" || len(req.Owner) > 64 {
		v.Add("owner", "is required: a municipality code (e.g. 657) or an institution id")
	}
	if req.Year < 2020 || req.Year > 2100 {
		v.Add("year", "must be a year")
	}
	if req.AmountDKK <= 0 {
		v.Add("amount_dkk", "must be positive")
	}
	if req.Name == "" {
		req.Name = fmt.Sprintf("%s %s %d", req.Scheme, req.Owner, req.Year)
	}
	if err := v.Err(); err != nil {
		return err
	}
	p, err := a.Store.CreatePool(r.Context(), store.Pool{Scheme: req.Scheme, Owner: req.Owner, Year: req.Year, Name: req.Name, AmountDKK: req.AmountDKK})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, p)
}
