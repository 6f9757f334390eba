package web

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/services/portal/internal/session"
)

// TestPageAccessMatrix checks who gets past each page's gate: every page of the route table must have
// a row here, so a new page without a decision fails. Handlers are replaced by a stub that answers
// 200, so the test needs no APIs: which resources a signed-in user then sees, the APIs decide with
// the user's token (their own matrix tests).
func TestPageAccessMatrix(t *testing.T) {
	t.Parallel()
	const (
		ok, signIn, refused = http.StatusOK, http.StatusSeeOther, http.StatusForbidden
	)
	// Columns: anonymous, citizen, caseworker, institution staff, admin, employer. A form posted
	// without a session is refused by the CSRF check before any gate.
	public, publicPost := [6]int{ok, ok, ok, ok, ok, ok}, [6]int{refused, ok, ok, ok, ok, ok}
	citizen, citizenPost := [6]int{signIn, ok, refused, refused, refused, refused}, [6]int{refused, ok, refused, refused, refused, refused}
	caseworker, caseworkerPost := [6]int{signIn, refused, ok, refused, refused, refused}, [6]int{refused, refused, ok, refused, refused, refused}
	inst, instPost := [6]int{signIn, refused, refused, ok, refused, refused}, [6]int{refused, refused, refused, ok, refused, refused}
	employer, employerPost := [6]int{signIn, refused, refused, refused, refused, ok}, [6]int{refused, refused, refused, refused, refused, ok}
	matrix := map[string][6]int{
		"GET /{$}": public, "GET /courses": public, "GET /courses/{id}": public, "GET /courses/{id}/ballot": public,
		"GET /accessibility": public, "GET /shared/{token}": public, "GET /lang/{lang}": public, "GET /login": public, "GET /auth/callback": public,
		"POST /logout": publicPost,

		"GET /me/profile": citizen, "POST /me/profile": citizenPost, "POST /enrolments": citizenPost,
		"GET /me/enrolments": citizen, "GET /me/enrolments/{id}/cancel": citizen, "POST /me/enrolments/{id}/cancel": citizenPost,
		"POST /me/enrolments/{id}/offer/{answer}": citizenPost, "GET /me/decisions/{id}": citizen,
		"GET /me/notifications": citizen, "GET /me/preferences": citizen, "POST /me/preferences": citizenPost,
		"GET /me/referrals": citizen, "GET /me/referrals/{id}": citizen, "POST /me/referrals/{id}/{answer}": citizenPost,
		"GET /me/data": citizen, "POST /me/data": citizenPost, "GET /me/data/{id}/download": citizen,
		"GET /me/learning": citizen, "POST /me/learning": citizenPost, "GET /me/learning.json": citizen,

		"GET /caseworker/reviews": caseworker, "POST /caseworker/reviews/{id}": caseworkerPost, "GET /caseworker/budgets": caseworker,
		"GET /caseworker/eligibility": caseworker, "POST /caseworker/eligibility": caseworkerPost,
		"GET /caseworker/referrals": caseworker, "GET /caseworker/referrals/new": caseworker, "POST /caseworker/referrals": caseworkerPost,
		"GET /caseworker/referrals/bulk": caseworker, "POST /caseworker/referrals/bulk": caseworkerPost,
		"GET /caseworker/referrals/{id}": caseworker, "POST /caseworker/referrals/{id}/withdraw": caseworkerPost,

		"GET /institution": inst, "GET /institution/runs/new": inst, "POST /institution/runs": instPost,
		"GET /institution/runs/{id}": inst, "POST /institution/runs/{id}/seats": instPost, "POST /institution/runs/{id}/cancel": instPost,
		"GET /institution/enrolments": inst, "GET /institution/enrolments/{id}": inst, "POST /institution/enrolments/{id}/{action}": instPost,
		"GET /institution/import": inst, "POST /institution/import": instPost, "GET /institution/demand": inst, "GET /institution/demand/companies": inst,
		"GET /institution/webhooks": inst, "POST /institution/webhooks": instPost, "GET /institution/webhooks/{id}": inst,
		"POST /institution/webhooks/{id}/rotate": instPost, "POST /institution/webhooks/{id}/delete": instPost,
		"POST /institution/webhooks/{id}/replay": instPost, "GET /institution/{file}": inst,

		"GET /employer": employer, "POST /employer/contact": employerPost, "GET /employer/commitments": employer,
		"POST /employer/commitments/{id}/approve": employerPost, "POST /employer/commitments/{id}/decline": employerPost,
		"GET /employer/enrolments": employer, "GET /employer/enrol": employer, "POST /employer/enrol": employerPost,
		"GET /employer/refunds": employer, "GET /employer/refunds.csv": employer,
		"GET /employer/demand": employer, "POST /employer/demand": employerPost, "POST /employer/demand/{id}/withdraw": employerPost,
		"POST /employer/offers/{id}/{answer}": employerPost,
	}
	sealer, err := session.NewSealer("1:"+base64.StdEncoding.EncodeToString(make([]byte, 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Log: zap.NewNop(), Sessions: sealer}
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	pages := s.routes()
	for i := range pages {
		if _, ok := matrix[pages[i].pattern]; !ok {
			t.Errorf("page %s has no row in the access matrix", pages[i].pattern)
		}
		pages[i].handler = func(w http.ResponseWriter, r *http.Request) error { return nil }
	}
	if len(pages) != len(matrix) {
		t.Errorf("%d pages, %d rows: a row names no page", len(pages), len(matrix))
	}
	mux := http.NewServeMux()
	s.register(mux, pages)
	h := s.Middleware(mux)
	sessions, cookies := [6]*session.Session{}, [6]string{}
	for i, role := range []string{auth.RoleCitizen, auth.RoleCaseworker, auth.RoleInstitution, auth.RoleAdmin, auth.RoleEmployer} {
		sess := s.Sessions.New(time.Hour)
		sess.User = &session.User{Subject: "u", Role: role, Token: "t"}
		if role == auth.RoleEmployer {
			sess.User.CVR = "41657006"
		}
		if cookies[i+1], err = s.Sessions.Seal(sess); err != nil {
			t.Fatal(err)
		}
		sessions[i+1] = sess
	}
	path := strings.NewReplacer("{$}", "", "{id}", "x", "{answer}", "accept", "{action}", "accept", "{lang}", "en", "{file}", "courses.csv")
	for _, p := range pages {
		method, pattern, _ := strings.Cut(p.pattern, " ")
		for col, sess := range sessions {
			form := url.Values{}
			if sess != nil {
				form.Set("csrf", sess.CSRF)
			}
			req := httptest.NewRequest(method, path.Replace(pattern), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if sess != nil {
				req.AddCookie(&http.Cookie{Name: s.sessionCookie(), Value: cookies[col]})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if want := matrix[p.pattern][col]; rec.Code != want {
				t.Errorf("%s as %s: %d, want %d", p.pattern, []string{"anonymous", "citizen", "caseworker", "staff", "admin", "employer"}[col], rec.Code, want)
			}
		}
	}
}
