package api

import (
	"net/http"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
)

// Authorization in notification is decided here: the route table says which roles may call each
// endpoint (enforced before the handler runs), and the predicates below say which institution's
// webhooks a caller may touch. service/authz_test.go checks every route against every kind of caller.

// Routes is every endpoint notification serves, with who may call it.
func (a *API) Routes() []auth.Route {
	h := func(f httpapi.HandlerFunc) http.Handler { return httpapi.Handle(a.Log, f) }
	citizen := auth.Roles(auth.RoleCitizen)
	// An institution's webhooks: its own staff or an administrator (institution, endpoint).
	staffOrAdmin := auth.Roles(auth.RoleInstitution, auth.RoleAdmin)
	return []auth.Route{
		// A citizen's own messages and preferences.
		{Pattern: "GET /v1/me/notifications", Access: citizen, Handler: h(a.myNotifications)},
		{Pattern: "GET /v1/me/preferences", Access: citizen, Handler: h(a.preferences)},
		{Pattern: "PUT /v1/me/preferences", Access: citizen, Handler: h(a.savePreferences)},
		// A company's messages (what it was asked to approve): its own users.
		{Pattern: "GET /v1/employers/{cvr}/notifications", Access: auth.Roles(auth.RoleEmployer), Handler: h(a.companyNotifications)},
		// Who was sent what, by pseudonymous id: administrators.
		{Pattern: "GET /v1/admin/deliveries", Access: auth.Roles(auth.RoleAdmin), Handler: h(a.deliveries)},
		{Pattern: "POST /v1/institutions/{id}/webhooks", Access: staffOrAdmin, Handler: h(a.createWebhook)},
		{Pattern: "GET /v1/institutions/{id}/webhooks", Access: staffOrAdmin, Handler: h(a.listWebhooks)},
		{Pattern: "DELETE /v1/institutions/{id}/webhooks/{wid}", Access: staffOrAdmin, Handler: h(a.deleteWebhook)},
		{Pattern: "POST /v1/institutions/{id}/webhooks/{wid}/rotate-secret", Access: staffOrAdmin, Handler: h(a.rotateSecret)},
		{Pattern: "GET /v1/institutions/{id}/webhooks/{wid}/deliveries", Access: staffOrAdmin, Handler: h(a.webhookDeliveries)},
		{Pattern: "POST /v1/institutions/{id}/webhooks/{wid}/replay", Access: staffOrAdmin, Handler: h(a.replayWebhooks)},
		// Who read or changed the citizen's data in notification: their own entries.
		{Pattern: "GET /v1/me/audit", Access: auth.Roles(auth.RoleCitizen), Handler: h(a.auditLog)},
	}
}

// company is the company {cvr} the caller acts for: a user of another company gets 404, so it cannot
// tell what exists.
func company(r *http.Request) (string, error) {
	cvr := r.PathValue("cvr")
	if c := auth.Caller(r); c.Role != auth.RoleEmployer || c.CVR == "" || c.CVR != cvr {
		return "", fault.New(fault.NotFound, "no such company")
	}
	return cvr, nil
}

var errNoSuchInstitution = fault.New(fault.NotFound, "no such institution")

// institution is the institution {id} the caller acts for: its own staff or an admin. Staff of another
// institution get 404, so they cannot tell what exists.
func institution(r *http.Request) (string, error) {
	claims := auth.Caller(r)
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil || (claims.Role == auth.RoleInstitution && claims.InstitutionID != id.String()) {
		return "", errNoSuchInstitution
	}
	return id.String(), nil
}

// endpoint is the institution and the endpoint {wid} the caller acts on; the store finds the
// endpoint only under that institution.
func endpoint(r *http.Request) (string, uuid.UUID, error) {
	inst, err := institution(r)
	if err != nil {
		return "", uuid.Nil, err
	}
	id, err := uuid.Parse(r.PathValue("wid"))
	if err != nil {
		return "", uuid.Nil, fault.New(fault.NotFound, "no such webhook endpoint")
	}
	return inst, id, nil
}

// auditLog serves the calling citizen's entries in notification's audit log.
func (a *API) auditLog(w http.ResponseWriter, r *http.Request) error {
	return audit.Handler(a.Store.Pool)(w, r)
}
