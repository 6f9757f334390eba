package api

import (
	"net/http"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/store"
)

// Authorization in funding is decided here: the route table says which roles may call each endpoint
// (enforced before the handler runs), and the predicates below say which decisions, reviews, budgets
// and referrals a caller of that role may touch. What the caller may not see answers 404.
// service/authz_test.go checks every route against every kind of caller.

// Routes is every endpoint funding serves, with who may call it.
func (a *API) Routes() []auth.Route {
	h := func(f httpapi.HandlerFunc) http.Handler { return httpapi.Handle(a.Log, f) }
	caseworkerOrAdmin := auth.Roles(auth.RoleCaseworker, auth.RoleAdmin)
	employerOrAdmin := auth.Roles(auth.RoleEmployer, auth.RoleAdmin)
	return []auth.Route{
		// The scheme and rate tables are public.
		{Pattern: "GET /v1/schemes", Access: auth.Public, Handler: h(a.schemes)},
		{Pattern: "GET /v1/rates", Access: auth.Public, Handler: h(a.rates)},
		// A decision: the citizen's own, their municipality's for a caseworker, any for an admin
		// (decisionVisible). Institutions see outcomes through registration's feed.
		{Pattern: "GET /v1/decisions/{enrolment_id}", Access: auth.Roles(auth.RoleCitizen, auth.RoleCaseworker, auth.RoleAdmin), Handler: h(a.getDecision)},
		// A citizen asks for themself, a caseworker for a client of their municipality (citizenByCPR).
		{Pattern: "POST /v1/eligibility", Access: auth.Roles(auth.RoleCitizen, auth.RoleCaseworker), Handler: h(a.eligibility)},
		// Reviews and budgets: a caseworker's municipality (municipalityOf), every one for an admin.
		{Pattern: "GET /v1/reviews", Access: caseworkerOrAdmin, Handler: h(a.listReviews)},
		{Pattern: "POST /v1/reviews/{id}/decide", Access: caseworkerOrAdmin, Handler: h(a.decideReview)},
		{Pattern: "GET /v1/budgets", Access: caseworkerOrAdmin, Handler: h(a.listBudgets)},
		{Pattern: "POST /v1/budgets", Access: auth.Roles(auth.RoleAdmin), Handler: h(a.createBudget)},
		// Referrals: made and withdrawn by a caseworker for their municipality, answered by their
		// citizen, read by either and by an admin (visibleReferral).
		{Pattern: "POST /v1/referrals", Access: auth.Roles(auth.RoleCaseworker), Handler: h(a.createReferral)},
		{Pattern: "POST /v1/referrals/bulk", Access: auth.Roles(auth.RoleCaseworker), Handler: h(a.bulkReferral)},
		{Pattern: "GET /v1/referrals", Access: auth.Roles(auth.RoleCaseworker, auth.RoleCitizen), Handler: h(a.listReferrals)},
		{Pattern: "GET /v1/referrals/{id}", Access: auth.Roles(auth.RoleCaseworker, auth.RoleCitizen, auth.RoleAdmin), Handler: h(a.getReferral)},
		{Pattern: "POST /v1/referrals/{id}/accept", Access: auth.Roles(auth.RoleCitizen), Handler: h(a.answerReferral("accept"))},
		{Pattern: "POST /v1/referrals/{id}/decline", Access: auth.Roles(auth.RoleCitizen), Handler: h(a.answerReferral("decline"))},
		{Pattern: "POST /v1/referrals/{id}/withdraw", Access: auth.Roles(auth.RoleCaseworker), Handler: h(a.answerReferral("withdraw"))},
		// A company's contact and what funding plans ask of it: its own users (companyCVR), an
		// administrator to read.
		{Pattern: "GET /v1/employers/{cvr}", Access: employerOrAdmin, Handler: h(a.getCompany)},
		{Pattern: "PUT /v1/employers/{cvr}", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.putCompany)},
		{Pattern: "GET /v1/employers/{cvr}/commitments", Access: employerOrAdmin, Handler: h(a.listCommitments)},
		{Pattern: "GET /v1/employers/{cvr}/commitments/{id}", Access: employerOrAdmin, Handler: h(a.getCommitment)},
		{Pattern: "POST /v1/employers/{cvr}/commitments/{id}/approve", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.answerCommitment(true))},
		{Pattern: "POST /v1/employers/{cvr}/commitments/{id}/decline", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.answerCommitment(false))},
		// What the company gets back for its employees' courses (VEU, SVU), as JSON and as CSV.
		{Pattern: "GET /v1/employers/{cvr}/refunds", Access: employerOrAdmin, Handler: h(a.listRefunds)},
		{Pattern: "GET /v1/employers/{cvr}/refunds.csv", Access: employerOrAdmin, Handler: h(a.exportRefunds)},
		// Who read or changed the citizen's data in funding: their own entries.
		{Pattern: "GET /v1/me/audit", Access: auth.Roles(auth.RoleCitizen), Handler: h(a.auditLog)},
	}
}

// decisionVisible: a citizen sees their own decisions, a caseworker those of their municipality's
// citizens, an admin all. A company sees what a plan asks of it as a commitment, never the
// decision's rules (they hold the citizen's facts).
func decisionVisible(c auth.Claims, rec decide.Record) bool {
	switch c.Role {
	case auth.RoleAdmin:
		return true
	case auth.RoleCitizen:
		return rec.CitizenID == c.Subject
	case auth.RoleCaseworker:
		return c.Municipality != "" && rec.Municipality == c.Municipality
	}
	return false
}

// municipalityOf is the municipality a caller's lists are narrowed to: a caseworker's own; "" (all)
// for an admin.
func municipalityOf(r *http.Request) string {
	if c := auth.Caller(r); c.Role == auth.RoleCaseworker {
		return c.Municipality
	}
	return ""
}

// visibleReferral reads a referral the caller may see: the citizen's own, their municipality's for a
// caseworker, any for an admin.
func (a *API) visibleReferral(r *http.Request, claims auth.Claims) (store.Referral, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return store.Referral{}, pgdb.ErrNotFound
	}
	ref, err := a.Store.GetReferral(r.Context(), id)
	if err != nil {
		return store.Referral{}, err
	}
	if (claims.Role == auth.RoleCitizen && ref.CitizenID != claims.Subject) ||
		(claims.Role == auth.RoleCaseworker && ref.Municipality != claims.Municipality) {
		return store.Referral{}, pgdb.ErrNotFound
	}
	return ref, nil
}

// auditLog serves the calling citizen's entries in funding's audit log.
func (a *API) auditLog(w http.ResponseWriter, r *http.Request) error {
	return audit.Handler(a.Store.Pool)(w, r)
}
