// Package api is funding's HTTP API.
package api

import (
	"net/http"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/store"
)

// API serves funding's endpoints.
type API struct {
	Store *store.Store
	Log   *zap.Logger
}

// Routes registers every endpoint on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.Handle("GET /v1/decisions/{enrolment_id}", httpapi.Handle(a.Log, a.getDecision))
}

func (a *API) getDecision(w http.ResponseWriter, r *http.Request) error {
	claims, err := auth.Require(r, auth.RoleCitizen, auth.RoleAdmin, auth.RoleCaseworker, auth.RoleInstitution)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(r.PathValue("enrolment_id"))
	if err != nil {
		return pgdb.ErrNotFound
	}
	rec, err := a.Store.Get(r.Context(), id)
	if err != nil {
		return err
	}
	// A citizen sees their own decisions; admins all. Caseworkers and institutions get theirs with
	// their own issues (referrals, the institution feed); until then nobody else sees a decision.
	if !(claims.Role == auth.RoleAdmin || (claims.Role == auth.RoleCitizen && rec.CitizenID == claims.Subject)) {
		return pgdb.ErrNotFound
	}
	return httpapi.WriteJSON(w, http.StatusOK, rec)
}
