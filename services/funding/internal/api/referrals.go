package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decisions"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

type referralRequest struct {
	CPR        string `json:"cpr"`
	CourseID   string `json:"course_id"`
	Funding    string `json:"funding"`
	Reason     string `json:"reason"`
	ValidUntil string `json:"valid_until"`
}

type bulkRequest struct {
	CPRs       []string `json:"cprs"`
	CourseID   string   `json:"course_id"`
	Funding    string   `json:"funding"`
	Reason     string   `json:"reason"`
	ValidUntil string   `json:"valid_until"`
}

// parse validates a referral request: the client, the run and the last day to answer.
func (req referralRequest) parse() (cpr.Number, uuid.UUID, rules.Date, error) {
	v := &httpapi.ValidationError{}
	number, err := cpr.Parse(req.CPR)
	if err != nil {
		v.Add("cpr", "must be a CPR number DDMMYYSSSS")
	}
	courseID, err := uuid.Parse(req.CourseID)
	if err != nil {
		v.Add("course_id", "must be the UUID of a course run")
	}
	until, err := rules.ParseDate(req.ValidUntil)
	if err != nil {
		v.Add("valid_until", "must be a date YYYY-MM-DD")
	}
	if l := len(req.Reason); l == 0 || l > 1000 {
		v.Add("reason", "is required (at most 1000 characters): the citizen sees it")
	}
	return number, courseID, until, v.Err()
}

// refer validates one referral and makes it.
// A key (from Idempotency-Key, or "") makes a repeat of the same request answer the first's referral.
func (a *API) refer(r *http.Request, claims auth.Claims, req referralRequest, key string, hash []byte) (store.Referral, error) {
	number, courseID, until, err := req.parse()
	if err != nil {
		return store.Referral{}, err
	}
	// Only a missing row is the caller's mistake; a database that cannot be reached is a 503.
	course, err := a.Store.GetCourse(r.Context(), courseID)
	if errors.Is(err, pgdb.ErrNotFound) {
		return store.Referral{}, fault.InvalidField("course_id", "no course run with this id")
	} else if err != nil {
		return store.Referral{}, err
	}
	citizen, err := a.citizenByCPR(r.Context(), number, claims.Municipality)
	if errors.Is(err, pgdb.ErrNotFound) {
		return store.Referral{}, fault.New(fault.Unprocessable, "no Livslang profile for a citizen of your municipality with this CPR number")
	} else if err != nil {
		return store.Referral{}, err
	}
	ref, err := a.Decisions.CreateReferral(r.Context(), decisions.NewReferral{Citizen: citizen, CPRMasked: number.Masked(), Course: course, Scheme: req.Funding,
		Reason: req.Reason, ValidUntil: until, Caseworker: claims.Subject, Municipality: claims.Municipality,
		IdempotencyKey: key, RequestHash: hash})
	if err != nil {
		return ref, err
	}
	return ref, a.record(r, citizen.ID, audit.Change, "referral", ref.ID.String(), "the caseworker referred the citizen to "+course.Code)
}

func (a *API) createReferral(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	var key string
	if r.Header.Get(idempotency.Header) != "" {
		k, err := idempotency.Key(r)
		if err != nil {
			return err
		}
		key = k
	}
	var req referralRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	canonical, _ := json.Marshal(req)
	ref, err := a.refer(r, claims, req, key, idempotency.Hash(r, canonical))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/referrals/"+ref.ID.String())
	return httpapi.WriteJSON(w, http.StatusCreated, ref)
}

// bulkReferral refers many clients to one run in one action, with a result per client; CPR numbers
// come back masked.
func (a *API) bulkReferral(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	var req bulkRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.CPRs) == 0 || len(req.CPRs) > 200 {
		return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "cprs", Message: "one to 200 CPR numbers"}}}
	}
	type result struct {
		CPR      string               `json:"cpr"`
		Status   int                  `json:"status"`
		Referral *store.Referral      `json:"referral,omitempty"`
		Detail   string               `json:"detail,omitempty"`
		Errors   []httpapi.FieldError `json:"errors,omitempty"`
	}
	results := make([]result, 0, len(req.CPRs))
	created := 0
	for i, c := range req.CPRs {
		masked := "invalid"
		if n, err := cpr.Parse(c); err == nil {
			masked = n.Masked()
		}
		ref, err := a.refer(r, claims, referralRequest{CPR: c, CourseID: req.CourseID, Funding: req.Funding, Reason: req.Reason, ValidUntil: req.ValidUntil}, "", nil)
		if err != nil {
			p := httpapi.ProblemFor(err)
			if p.Status >= http.StatusInternalServerError { // a 4xx is the caller's; what failed here is logged, not told
				a.Log.Error("bulk referral: a line failed", zap.Int("line", i+1), zap.Int("status", p.Status), zap.Error(err))
			}
			results = append(results, result{CPR: masked, Status: p.Status, Detail: p.Detail, Errors: p.Errors})
			continue
		}
		created++
		results = append(results, result{CPR: masked, Status: http.StatusCreated, Referral: &ref})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"created": created, "refused": len(results) - created, "results": results})
}

func (a *API) listReferrals(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	q := r.URL.Query()
	f := store.ReferralFilter{Status: q.Get("status")}
	if claims.Role == auth.RoleCaseworker {
		f.Municipality = claims.Municipality
	} else {
		f.CitizenID = claims.Subject
	}
	if s := q.Get("due_before"); s != "" {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "due_before", Message: "must be a date YYYY-MM-DD"}}}
		}
		f.DueBefore = &d
	}
	switch f.Status {
	case "", "open", "accepted", "declined", "expired", "withdrawn":
	default:
		return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "status", Message: "open, accepted, declined, expired or withdrawn"}}}
	}
	list, err := a.Store.Referrals(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Referral{}
	}
	var entries []audit.Entry
	for _, ref := range list {
		if e, ok := audit.Of(r, ref.CitizenID, audit.Read, "referral", ref.ID.String(), "the municipality's list of referrals"); ok {
			entries = append(entries, e)
		}
	}
	if err := audit.Record(r.Context(), a.Store.Pool, entries...); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": list, "next": ""})
}

func (a *API) getReferral(w http.ResponseWriter, r *http.Request) error {
	ref, err := a.visibleReferral(r, auth.Caller(r))
	if err != nil {
		return err
	}
	if err := a.record(r, ref.CitizenID, audit.Read, "referral", ref.ID.String(), "following the referral"); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, ref)
}

type answerRequest struct {
	Reason string `json:"reason"`
}

// answerReferral is the citizen accepting or declining, or the caseworker withdrawing; the route
// table lets only that role in.
func (a *API) answerReferral(action string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		claims := auth.Caller(r)
		var req answerRequest
		if err := httpapi.DecodeOptionalJSON(w, r, &req); err != nil {
			return err
		}
		if len(req.Reason) > 1000 {
			return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "reason", Message: "at most 1000 characters"}}}
		}
		ref, err := a.visibleReferral(r, claims)
		if err != nil {
			return err
		}
		ans := decisions.Answer{ReferralID: ref.ID, Action: action, Actor: store.Actor{Role: claims.Role, ID: claims.Subject}, Reason: req.Reason}
		if claims.Role == auth.RoleCitizen {
			ans.CitizenID = claims.Subject
		} else {
			ans.Municipality = claims.Municipality
		}
		out, err := a.Decisions.AnswerReferral(r.Context(), ans)
		if err != nil {
			return err
		}
		if err := a.record(r, out.CitizenID, audit.Change, "referral", out.ID.String(), "the referral was "+out.Status); err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	}
}
