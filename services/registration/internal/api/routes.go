package api

import (
	"net/http"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/store"
)

// Authorization in registration is decided here: the route table says which roles may call each
// endpoint (enforced before the handler runs), and the predicates below say which resources a caller
// of that role may touch. A resource the caller may not see answers 404, so its existence is not told.
// service/authz_test.go checks every route against every kind of caller.

// Routes is every endpoint registration serves, with who may call it.
func (a *API) Routes() []auth.Route {
	h := a.handle
	var (
		citizen     = auth.Roles(auth.RoleCitizen)
		staff       = auth.Roles(auth.RoleInstitution)
		staffOrAdmn = auth.Roles(auth.RoleInstitution, auth.RoleAdmin)
	)
	return []auth.Route{
		// The catalogue and published ballots are public.
		{Pattern: "GET /v1/courses", Access: auth.Public, Handler: h(a.listCourses)},
		{Pattern: "GET /v1/courses/{id}", Access: auth.Public, Handler: h(a.getCourse)},
		{Pattern: "GET /v1/courses/{id}/ballot", Access: auth.Public, Handler: h(a.ballot)},
		{Pattern: "GET /v1/courses/{id}/next-steps", Access: auth.Public, Handler: h(a.courseNextSteps)},
		// Certificates anyone can verify: the signing keys, verification, revocation status, issuers, share links.
		{Pattern: "GET /.well-known/jwks.json", Access: auth.Public, Handler: h(a.jwks)},
		{Pattern: "GET /v1/verify", Access: auth.Public, Handler: h(a.verify)},
		{Pattern: "POST /v1/verify", Access: auth.Public, Handler: h(a.verify)},
		{Pattern: "GET /v1/credentials/{id}/status", Access: auth.Public, Handler: h(a.credentialStatus)},
		{Pattern: "GET /v1/issuers/{id}", Access: auth.Public, Handler: h(a.issuerProfile)},
		{Pattern: "GET /v1/shared/{token}", Access: auth.Public, Handler: h(a.shared)},
		// A citizen's learning record and certificates (their own only).
		{Pattern: "GET /v1/me/learning-record", Access: citizen, Handler: h(a.learningRecord)},
		{Pattern: "GET /v1/me/next-steps", Access: citizen, Handler: h(a.nextSteps)},
		{Pattern: "POST /v1/me/learning-record/entries", Access: citizen, Handler: h(a.addEducation)},
		{Pattern: "PUT /v1/me/learning-record/entries/{id}", Access: citizen, Handler: h(a.putEducation)},
		{Pattern: "DELETE /v1/me/learning-record/entries/{id}", Access: citizen, Handler: h(a.deleteEducation)},
		{Pattern: "GET /v1/me/credentials", Access: citizen, Handler: h(a.myCredentials)},
		{Pattern: "GET /v1/me/credentials/{id}", Access: citizen, Handler: h(a.myCredential)},
		{Pattern: "POST /v1/me/credentials/{id}/shares", Access: citizen, Handler: h(a.shareCredential)},
		{Pattern: "GET /v1/me/credentials/{id}/shares", Access: citizen, Handler: h(a.credentialShares)},
		{Pattern: "DELETE /v1/me/credentials/{id}/shares/{share}", Access: citizen, Handler: h(a.revokeShare)},
		// Rotating the key that signs credentials: an administrator.
		{Pattern: "POST /v1/admin/signing-keys", Access: auth.Roles(auth.RoleAdmin), Handler: h(a.rotateSigningKey)},
		// A company's staff enrolments: its own users enrol and follow them (auth.Company), an administrator reads.
		{Pattern: "POST /v1/employers/{cvr}/enrolments", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.enrolStaff)},
		{Pattern: "GET /v1/employers/{cvr}/enrolments", Access: auth.Roles(auth.RoleEmployer, auth.RoleAdmin), Handler: h(a.listStaff)},
		// A company's skills demand and the offers runs make from it: its own users (auth.Company), an
		// administrator reads; the demand added up across companies: institutions and administrators.
		{Pattern: "POST /v1/employers/{cvr}/demands", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.createDemand)},
		{Pattern: "GET /v1/employers/{cvr}/demands", Access: auth.Roles(auth.RoleEmployer, auth.RoleAdmin), Handler: h(a.listDemands)},
		{Pattern: "GET /v1/employers/{cvr}/demands/{id}", Access: auth.Roles(auth.RoleEmployer, auth.RoleAdmin), Handler: h(a.getDemand)},
		{Pattern: "DELETE /v1/employers/{cvr}/demands/{id}", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.withdrawDemand)},
		{Pattern: "GET /v1/employers/{cvr}/offers", Access: auth.Roles(auth.RoleEmployer, auth.RoleAdmin), Handler: h(a.listOffers)},
		{Pattern: "POST /v1/employers/{cvr}/offers/{id}/accept", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.answerDemandOffer(true))},
		{Pattern: "POST /v1/employers/{cvr}/offers/{id}/decline", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.answerDemandOffer(false))},
		{Pattern: "GET /v1/demand", Access: staffOrAdmn, Handler: h(a.demandTotals)},
		// A citizen's own profile and enrolments.
		{Pattern: "GET /v1/me/profile", Access: citizen, Handler: h(a.getProfile)},
		{Pattern: "PUT /v1/me/profile", Access: citizen, Handler: h(a.putProfile)},
		{Pattern: "POST /v1/enrolments", Access: citizen, Handler: a.limited(h(a.createEnrolment))},
		{Pattern: "GET /v1/me/enrolments", Access: citizen, Handler: h(a.myEnrolments)},
		{Pattern: "POST /v1/enrolments/{id}/cancel", Access: citizen, Handler: h(a.cancelEnrolment)},
		{Pattern: "POST /v1/enrolments/{id}/offer/accept", Access: citizen, Handler: h(a.acceptOffer)},
		{Pattern: "POST /v1/enrolments/{id}/offer/decline", Access: citizen, Handler: h(a.declineOffer)},
		// An enrolment: its citizen, the course's institution, an administrator (visible).
		{Pattern: "GET /v1/enrolments/{id}", Access: auth.Roles(auth.RoleCitizen, auth.RoleInstitution, auth.RoleAdmin), Handler: h(a.getEnrolment)},
		// An institution's runs, feed and reports: its own staff or an administrator (institutionScope, staffOf).
		{Pattern: "POST /v1/institutions/{id}/courses", Access: staffOrAdmn, Handler: h(a.createCourse)},
		{Pattern: "POST /v1/institutions/{id}/courses/import", Access: staffOrAdmn, Handler: h(a.importCourses)},
		{Pattern: "GET /v1/institutions/{id}/courses.csv", Access: staffOrAdmn, Handler: h(a.exportCourses)},
		{Pattern: "GET /v1/institutions/{id}/enrolments.csv", Access: staffOrAdmn, Handler: h(a.exportEnrolments)},
		{Pattern: "GET /v1/institutions/{id}/feed", Access: staffOrAdmn, Handler: h(a.feed)},
		{Pattern: "GET /v1/institutions/{id}/demand", Access: staffOrAdmn, Handler: h(a.demand)},
		{Pattern: "GET /v1/institutions/{id}/synonyms", Access: staffOrAdmn, Handler: h(a.synonyms)},
		{Pattern: "POST /v1/institutions/{id}/synonyms", Access: staffOrAdmn, Handler: h(a.addSynonym)},
		{Pattern: "DELETE /v1/institutions/{id}/synonyms/{term}", Access: staffOrAdmn, Handler: h(a.removeSynonym)},
		{Pattern: "PATCH /v1/courses/{id}", Access: staffOrAdmn, Handler: h(a.patchCourse)},
		{Pattern: "POST /v1/courses/{id}/cancel", Access: staffOrAdmn, Handler: h(a.cancelCourse)},
		// Answering and following an enrolment: the course's own staff only (ownStaff).
		{Pattern: "POST /v1/enrolments/{id}/accept", Access: staff, Handler: h(a.acceptEnrolment)},
		{Pattern: "POST /v1/enrolments/{id}/reject", Access: staff, Handler: h(a.rejectEnrolment)},
		{Pattern: "POST /v1/enrolments/{id}/attendance", Access: staff, Handler: h(a.reportAttendance)},
		{Pattern: "POST /v1/enrolments/{id}/outcome", Access: staff, Handler: h(a.reportOutcome)},
		{Pattern: "POST /v1/enrolments/{id}/credential/revoke", Access: staff, Handler: h(a.revokeCredential)},
		// A citizen's data requests (their own only, GetDataRequest) and who read or changed their data.
		{Pattern: "POST /v1/me/data-requests", Access: citizen, Handler: h(a.createDataRequest)},
		{Pattern: "GET /v1/me/data-requests", Access: citizen, Handler: h(a.listDataRequests)},
		{Pattern: "GET /v1/me/data-requests/{id}", Access: citizen, Handler: h(a.getDataRequest)},
		{Pattern: "GET /v1/me/data-requests/{id}/export", Access: citizen, Handler: h(a.downloadExport)},
		{Pattern: "GET /v1/me/audit", Access: citizen, Handler: h(audit.Handler(a.Pool))},
	}
}

// visible reports whether the caller may see the enrolment: its citizen, the course's institution, or an admin.
func visible(c auth.Claims, e store.Enrolment) bool {
	switch c.Role {
	case auth.RoleCitizen:
		return e.CitizenID == c.Subject
	case auth.RoleInstitution:
		return e.Course.InstitutionID.String() == c.InstitutionID
	case auth.RoleAdmin:
		return true
	}
	return false
}

// citizenCPR is the CPR number in a citizen's token: a citizen acts by it, so a token without one is refused.
func citizenCPR(c auth.Claims) (cpr.Number, error) {
	n, err := cpr.Parse(c.CPR)
	if err != nil {
		return cpr.Number{}, &httpapi.BearerError{Kind: httpapi.ErrForbidden, Code: "insufficient_scope", Description: "the token carries no valid CPR number"}
	}
	return n, nil
}

// institutionScope is the institution {id} the caller acts for: its own staff or an admin. Staff of
// another institution get 404, so they cannot tell what exists.
func (a *API) institutionScope(r *http.Request) (uuid.UUID, error) {
	claims := auth.Caller(r)
	inst, err := uuid.Parse(r.PathValue("id"))
	if err != nil || (claims.Role == auth.RoleInstitution && claims.InstitutionID != inst.String()) {
		return uuid.Nil, pgdb.ErrNotFound
	}
	ok, err := a.Store.InstitutionExists(r.Context(), inst)
	if err != nil {
		return uuid.Nil, err
	}
	if !ok {
		return uuid.Nil, pgdb.ErrNotFound
	}
	return inst, nil
}

// staffOf is the institution whose existing resources the caller may act on: the store refuses
// (404) another institution's; "" for an admin, who may act on any.
func staffOf(r *http.Request) string {
	if c := auth.Caller(r); c.Role == auth.RoleInstitution {
		return c.InstitutionID
	}
	return ""
}

// ownStaff is the institution of a caller the route table let in as its staff (answering and
// following enrolments is the institution's own business, not an administrator's).
func ownStaff(r *http.Request) string { return auth.Caller(r).InstitutionID }
