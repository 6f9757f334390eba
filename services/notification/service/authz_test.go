package service_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/internal/api"
)

// TestAuthorizationMatrix calls every endpoint as every kind of caller. A new endpoint without a row
// here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	env, base := startNotification(t, nil)
	inst := uuid.NewString()
	citizen := func() string {
		return env.Token(t, auth.Claims{Subject: "citizen-" + uuid.NewString(), Role: auth.RoleCitizen, CPR: "1403881236", Municipality: "657"})
	}
	callers := testenv.Callers{
		testenv.Citizen:         citizen(),
		testenv.OtherCitizen:    citizen(),
		testenv.Caseworker:      env.Token(t, auth.Claims{Subject: "cw-657", Role: auth.RoleCaseworker, Municipality: "657"}),
		testenv.OtherCaseworker: env.Token(t, auth.Claims{Subject: "cw-661", Role: auth.RoleCaseworker, Municipality: "661"}),
		testenv.Staff:           staff(t, env, inst),
		testenv.OtherStaff:      staff(t, env, uuid.NewString()),
		testenv.Admin:           env.Token(t, auth.Claims{Subject: "admin", Role: auth.RoleAdmin}),
		testenv.Employer:        env.Token(t, auth.Claims{Subject: "employer", Role: auth.RoleEmployer, CVR: "12345674"}),
		testenv.OtherEmployer:   env.Token(t, auth.Claims{Subject: "employer-2", Role: auth.RoleEmployer, CVR: "41657006"}),
	}
	hooks := "/v1/institutions/" + inst + "/webhooks"
	// endpoint is a fresh webhook endpoint of the institution.
	endpoint := func() string {
		return hooks + "/" + register(t, base, callers[testenv.Staff], inst, "https://hooks.example.dk/livslang", "*").ID
	}
	shared := endpoint()
	on := func(suffix string, body any) func(*testing.T, int) testenv.Request {
		return func(*testing.T, int) testenv.Request { return testenv.Request{Path: endpoint() + suffix, Body: body} }
	}
	const (
		ok, created, accepted, noContent = http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent
		no, forbidden, gone              = http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound
	)
	// Columns: anonymous, citizen, other citizen, caseworker, other caseworker, staff, other staff, admin.
	citizens := testenv.Want{no, ok, ok, forbidden, forbidden, forbidden, forbidden, forbidden}
	staffOrAdmin := func(own int) testenv.Want {
		return testenv.Want{no, forbidden, forbidden, forbidden, forbidden, own, gone, own}
	}
	// The company's own users (CVR 12345674); another company's get 404.
	employerOnly := testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden}
	employerOnly[testenv.Employer], employerOnly[testenv.OtherEmployer] = ok, gone
	now := time.Now().UTC()
	cases := []testenv.Case{
		{Route: "GET /healthz", Call: testenv.Path("/healthz"), Want: testenv.All(ok)},
		{Route: "GET /readyz", Call: testenv.Path("/readyz"), Want: testenv.All(ok)},
		{Route: "GET /metrics", Call: testenv.Path("/metrics"), Want: testenv.All(ok)},
		{Route: "GET /v1/me/notifications", Call: testenv.Path("/v1/me/notifications"), Want: citizens},
		{Route: "GET /v1/me/audit", Call: testenv.Path("/v1/me/audit"), Want: citizens},
		{Route: "GET /v1/me/preferences", Call: testenv.Path("/v1/me/preferences"), Want: citizens},
		{Route: "PUT /v1/me/preferences", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/me/preferences", Body: map[string]any{"language": "en"}}
		}, Want: citizens},
		{Route: "GET /v1/employers/{cvr}/notifications", Call: testenv.Path("/v1/employers/12345674/notifications"),
			Want: employerOnly},
		{Route: "GET /v1/admin/deliveries", Call: testenv.Path("/v1/admin/deliveries"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok}},
		{Route: "POST /v1/institutions/{id}/webhooks", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: hooks, Body: map[string]any{"url": "https://hooks.example.dk/x", "event_types": []string{"*"}}}
		}, Want: staffOrAdmin(created)},
		{Route: "GET /v1/institutions/{id}/webhooks", Call: testenv.Path(hooks), Want: staffOrAdmin(ok)},
		{Route: "DELETE /v1/institutions/{id}/webhooks/{wid}", Call: on("", nil), Want: staffOrAdmin(noContent)},
		{Route: "POST /v1/institutions/{id}/webhooks/{wid}/rotate-secret", Call: on("/rotate-secret", nil), Want: staffOrAdmin(ok)},
		{Route: "GET /v1/institutions/{id}/webhooks/{wid}/deliveries", Call: testenv.Path(shared + "/deliveries"), Want: staffOrAdmin(ok)},
		{Route: "POST /v1/institutions/{id}/webhooks/{wid}/replay", Call: on("/replay", map[string]string{
			"from": now.Add(-time.Hour).Format(time.RFC3339), "to": now.Format(time.RFC3339)}), Want: staffOrAdmin(accepted)},
	}
	testenv.CheckMatrix(t, base, (&api.API{Log: zap.NewNop()}).Routes(), callers, cases)
}
