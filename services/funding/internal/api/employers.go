package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decisions"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// Employers: a company's users (role employer, acting for the CVR number in their token) keep its
// contact and answer what funding plans ask of it; an administrator may read them.

func (a *API) getCompany(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	c, err := a.Store.Company(r.Context(), number)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, c)
}

type companyRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
}

func (a *API) putCompany(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	var req companyRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	req.Name, req.Email = strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	v := &httpapi.ValidationError{}
	if l := len(req.Name); l == 0 || l > 200 {
		v.Add("name", "is required (at most 200 characters)")
	}
	if at := strings.Index(req.Email, "@"); req.Email != "" && (at < 1 || at == len(req.Email)-1 || len(req.Email) > 254 || strings.ContainsAny(req.Email, " <>,")) {
		v.Add("email", "must be an e-mail address like hr@example.dk")
	}
	if req.Language == "" {
		req.Language = "da"
	}
	if req.Language != "da" && req.Language != "en" {
		v.Add("language", "must be da or en")
	}
	if err := v.Err(); err != nil {
		return err
	}
	c := store.Company{CVR: number, Name: req.Name, Email: req.Email, Language: req.Language}
	if err := a.Store.SaveCompany(r.Context(), c); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, c)
}

func (a *API) listCommitments(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "approved", "declined", "expired", "withdrawn":
	default:
		return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "status", Message: "pending, approved, declined, expired or withdrawn"}}}
	}
	list, err := a.Store.CompanyCommitments(r.Context(), number, status)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Commitment{}
	}
	for _, c := range list {
		if err := a.record(r, c.CitizenID, audit.Read, "commitment", c.ID.String(), "the employer's requests for approval"); err != nil {
			return err
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

// commitment is the commitment the path names, of the caller's company.
func (a *API) commitment(r *http.Request) (store.Commitment, error) {
	number, err := auth.Company(r)
	if err != nil {
		return store.Commitment{}, err
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return store.Commitment{}, pgdb.ErrNotFound
	}
	return a.Store.GetCommitment(r.Context(), number, id)
}

func (a *API) getCommitment(w http.ResponseWriter, r *http.Request) error {
	c, err := a.commitment(r)
	if err != nil {
		return err
	}
	if err := a.record(r, c.CitizenID, audit.Read, "commitment", c.ID.String(), "the employer's request for approval"); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, c)
}

type approveRequest struct {
	PaysFee         *bool `json:"pays_fee"`
	SalaryContinues *bool `json:"salary_continues"`
}

type declineRequest struct {
	Reason string `json:"reason"`
}

// answerCommitment serves approve and decline. Answering again as before answers the same
// commitment (a retried request); another answer to an answered request is a conflict.
func (a *API) answerCommitment(approve bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.commitment(r)
		if err != nil {
			return err
		}
		in := decisions.EmployerAnswer{CVR: c.CVR, CommitmentID: c.ID, Approve: approve, By: auth.Caller(r).Subject}
		v := &httpapi.ValidationError{}
		if approve {
			var req approveRequest
			if err := httpapi.DecodeJSON(w, r, &req); err != nil {
				return err
			}
			if slices.Contains(c.Asks, rules.AskPaysFee) && req.PaysFee == nil {
				v.Add("pays_fee", "is required: the plan asks whether the company pays the fee of %d kr.", c.FeeDKK)
			}
			if slices.Contains(c.Asks, rules.AskSalaryContinues) && req.SalaryContinues == nil {
				v.Add("salary_continues", "is required: the plan asks whether the salary continues during the course")
			}
			in.PaysFee, in.SalaryContinues = req.PaysFee != nil && *req.PaysFee, req.SalaryContinues != nil && *req.SalaryContinues
		} else {
			var req declineRequest
			if err := httpapi.DecodeJSON(w, r, &req); err != nil {
				return err
			}
			in.Reason = strings.TrimSpace(req.Reason)
			if l := len(in.Reason); l == 0 || l > 1000 {
				v.Add("reason", "is required (at most 1000 characters): the employee is told why")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		done, err := a.Decisions.AnswerCommitment(r.Context(), in)
		if errors.Is(err, decisions.ErrAnswered) {
			if again, getErr := a.Store.GetCommitment(r.Context(), c.CVR, c.ID); getErr == nil && sameAnswer(again, in) {
				return httpapi.WriteJSON(w, http.StatusOK, again)
			}
		}
		if err != nil {
			return err
		}
		if err := a.record(r, done.CitizenID, audit.Change, "commitment", done.ID.String(), "the employer's answer: "+done.Status); err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, done)
	}
}

// sameAnswer reports whether the commitment was answered as in.
func sameAnswer(c store.Commitment, in decisions.EmployerAnswer) bool {
	if c.Answer == nil {
		return false
	}
	if !in.Approve {
		return c.Status == "declined" && c.Answer.Reason == in.Reason
	}
	is := func(p *bool, want bool) bool { return (p != nil && *p) == want }
	return c.Status == "approved" && is(c.Answer.PaysFee, in.PaysFee && slices.Contains(c.Asks, rules.AskPaysFee)) &&
		is(c.Answer.SalaryContinues, in.SalaryContinues && slices.Contains(c.Asks, rules.AskSalaryContinues))
}
