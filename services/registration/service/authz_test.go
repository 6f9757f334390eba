package service_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/internal/api"
	"livslang.dk/services/registration/internal/store"
)

// TestAuthorizationMatrix calls every endpoint as every kind of caller. A new endpoint without a row
// here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	inst, staff := b.institution(t)
	_, otherStaff := b.institution(t)
	profileOf := func(sub, number string) string {
		tok := b.env.Token(t, auth.Claims{Subject: sub, Role: auth.RoleCitizen, CPR: number, Municipality: "657"})
		testenv.MustStatus(t, testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", tok, profile()), http.StatusOK)
		return tok
	}
	callers := testenv.Callers{
		testenv.Citizen:         profileOf("citizen-"+uuid.NewString(), "1403881236"),
		testenv.OtherCitizen:    profileOf("citizen-"+uuid.NewString(), "0205841457"),
		testenv.Caseworker:      b.env.Token(t, auth.Claims{Subject: "cw-657", Role: auth.RoleCaseworker, Municipality: "657"}),
		testenv.OtherCaseworker: b.env.Token(t, auth.Claims{Subject: "cw-661", Role: auth.RoleCaseworker, Municipality: "661"}),
		testenv.Staff:           staff,
		testenv.OtherStaff:      otherStaff,
		testenv.Admin:           b.env.Token(t, auth.Claims{Subject: "admin", Role: auth.RoleAdmin}),
		testenv.Employer:        b.env.Token(t, auth.Claims{Subject: "employer", Role: auth.RoleEmployer, CVR: "12345674"}),
		testenv.OtherEmployer:   b.env.Token(t, auth.Claims{Subject: "employer-2", Role: auth.RoleEmployer, CVR: "41657006"}),
	}
	// run is a fresh run of the institution.
	run := func() string {
		id := uuid.New()
		start := time.Now().AddDate(0, 1, 0).Truncate(24 * time.Hour)
		if _, err := b.st.CreateCourse(ctx, store.Course{ID: id, InstitutionID: inst, Code: "AMU-" + id.String()[:8], Title: "Gaffeltruck",
			Category: "amu", StartsOn: start, EndsOn: start.AddDate(0, 0, 4), HoursPerWeek: 37, FeeDKK: 1040,
			Schemes: []string{"self"}, SeatsTotal: 100, Location: "Herning"}); err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	course := run()
	// enrolment is a fresh pending enrolment of the citizen on a run of the institution (a citizen has
	// one live enrolment a run).
	enrolment := func() string {
		r := b.enrol(t, callers[testenv.Citizen], uuid.MustParse(run()), uuid.NewString())
		testenv.MustStatus(t, r, http.StatusAccepted)
		var e struct{ ID string }
		r.JSON(t, &e)
		return e.ID
	}
	shared := enrolment()
	onEnrolment := func(suffix string, body any) func(*testing.T, int) testenv.Request {
		return func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/enrolments/" + enrolment() + suffix, Body: body}
		}
	}
	// export is the citizen's export, not complete (funding and notification are not running here).
	var export struct{ ID string }
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/me/data-requests", callers[testenv.Citizen], map[string]string{"kind": "export"},
		"Idempotency-Key", uuid.NewString())
	testenv.MustStatus(t, r, http.StatusAccepted)
	r.JSON(t, &export)
	institution := "/v1/institutions/" + inst.String()
	csv := "code,title,category,starts_on,ends_on,hours_per_week,fee_dkk,seats_total\n" +
		"IMP-1,Svejsning,amu,2031-03-03,2031-03-07,37,1040,12\n"
	const (
		ok, created, accepted = http.StatusOK, http.StatusCreated, http.StatusAccepted
		no, forbidden, gone   = http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound
		conflict              = http.StatusConflict
	)
	// Columns: anonymous, citizen, other citizen, caseworker, other caseworker, staff, other staff, admin.
	citizens := func(own, other int) testenv.Want {
		return testenv.Want{no, own, other, forbidden, forbidden, forbidden, forbidden, forbidden}
	}
	institutionOrAdmin := func(own int) testenv.Want {
		return testenv.Want{no, forbidden, forbidden, forbidden, forbidden, own, gone, own}
	}
	institutionOnly := func(own int) testenv.Want {
		return testenv.Want{no, forbidden, forbidden, forbidden, forbidden, own, gone, forbidden}
	}
	// A completed enrolment with its credential, a self-reported education and a share link of the citizen.
	done := enrolment()
	b.approve(t, callers[testenv.Citizen], done)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+done+"/outcome", staff,
		map[string]any{"outcome": "completed", "attended_hours": 10}), http.StatusOK)
	var creds struct{ Items []struct{ ID string } }
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/credentials", callers[testenv.Citizen], nil).JSON(t, &creds)
	if len(creds.Items) != 1 {
		t.Fatalf("the citizen's credentials: %+v", creds)
	}
	credential := "/v1/me/credentials/" + creds.Items[0].ID
	var entry, share struct{ ID string }
	testenv.Do(t, http.MethodPost, b.base+"/v1/me/learning-record/entries", callers[testenv.Citizen], map[string]any{"level": "gymnasial",
		"name": "HF", "year": 2001}, "Idempotency-Key", "authz").JSON(t, &entry)
	testenv.Do(t, http.MethodPost, b.base+credential+"/shares", callers[testenv.Citizen], map[string]any{}, "Idempotency-Key", "authz").JSON(t, &share)
	withKey := func(path string, body any) func(*testing.T, int) testenv.Request {
		return func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: path, Body: body, Header: []string{"Idempotency-Key", uuid.NewString()}}
		}
	}
	cases := []testenv.Case{
		// Certificates: verification is public; a citizen's record and credentials are their own.
		{Route: "GET /.well-known/jwks.json", Call: testenv.Path("/.well-known/jwks.json"), Want: testenv.All(ok)},
		{Route: "GET /v1/verify", Call: testenv.Path("/v1/verify?credential=x.y.z"), Want: testenv.All(ok)},
		{Route: "POST /v1/verify", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/verify", Body: map[string]string{"credential": "x.y.z"}}
		}, Want: testenv.All(ok)},
		{Route: "GET /v1/credentials/{id}/status", Call: testenv.Path("/v1/credentials/" + creds.Items[0].ID + "/status"), Want: testenv.All(ok)},
		{Route: "GET /v1/issuers/{id}", Call: testenv.Path("/v1/issuers/" + inst.String()), Want: testenv.All(ok)},
		{Route: "GET /v1/shared/{token}", Call: testenv.Path("/v1/shared/unknown"), Want: testenv.All(gone)},
		{Route: "GET /v1/me/learning-record", Call: testenv.Path("/v1/me/learning-record"), Want: citizens(ok, ok)},
		{Route: "GET /v1/me/next-steps", Call: testenv.Path("/v1/me/next-steps"), Want: citizens(ok, ok)},
		{Route: "POST /v1/me/learning-record/entries", Call: withKey("/v1/me/learning-record/entries",
			map[string]any{"level": "gymnasial", "name": "HF", "year": 2001}), Want: citizens(created, created)},
		{Route: "PUT /v1/me/learning-record/entries/{id}", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/me/learning-record/entries/" + entry.ID, Body: map[string]any{"level": "gymnasial", "name": "HF", "year": 2002}}
		}, Want: citizens(ok, gone)},
		{Route: "DELETE /v1/me/learning-record/entries/{id}", Call: testenv.Path("/v1/me/learning-record/entries/" + uuid.NewString()),
			Want: citizens(http.StatusNoContent, http.StatusNoContent)},
		{Route: "GET /v1/me/credentials", Call: testenv.Path("/v1/me/credentials"), Want: citizens(ok, ok)},
		{Route: "GET /v1/me/credentials/{id}", Call: testenv.Path(credential), Want: citizens(ok, gone)},
		{Route: "POST /v1/me/credentials/{id}/shares", Call: withKey(credential+"/shares", map[string]any{}), Want: citizens(created, gone)},
		{Route: "GET /v1/me/credentials/{id}/shares", Call: testenv.Path(credential + "/shares"), Want: citizens(ok, gone)},
		{Route: "DELETE /v1/me/credentials/{id}/shares/{share}", Call: testenv.Path(credential + "/shares/" + share.ID),
			Want: citizens(http.StatusNoContent, gone)},
		{Route: "POST /v1/admin/signing-keys", Call: testenv.Path("/v1/admin/signing-keys"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, created}},
		// A pending enrolment has no credential: its own staff get past authorization to 404.
		{Route: "POST /v1/enrolments/{id}/credential/revoke", Call: onEnrolment("/credential/revoke", map[string]string{"reason": "rettet"}),
			Want: institutionOnly(gone)},
		{Route: "GET /healthz", Call: testenv.Path("/healthz"), Want: testenv.All(ok)},
		{Route: "GET /readyz", Call: testenv.Path("/readyz"), Want: testenv.All(ok)},
		{Route: "GET /metrics", Call: testenv.Path("/metrics"), Want: testenv.All(ok)},
		{Route: "GET /v1/courses", Call: testenv.Path("/v1/courses"), Want: testenv.All(ok)},
		{Route: "GET /v1/courses/{id}", Call: testenv.Path("/v1/courses/" + course), Want: testenv.All(ok)},
		{Route: "GET /v1/courses/{id}/next-steps", Call: testenv.Path("/v1/courses/" + course + "/next-steps"), Want: testenv.All(ok)},
		{Route: "GET /v1/courses/{id}/ballot", Call: testenv.Path("/v1/courses/" + course + "/ballot"), Want: testenv.All(gone)}, // no ballot drawn
		// A company's staff enrolments: its own users; an administrator reads (employer columns: CVR 12345674, another).
		{Route: "POST /v1/employers/{cvr}/enrolments", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/employers/12345674/enrolments", Header: []string{"Idempotency-Key", uuid.NewString()},
				Body: map[string]any{"course_id": run(), "pays_fee": true, "salary_continues": true,
					"employees": []map[string]string{{"cpr": "1505901237", "name": "Ole Jensen", "email": "ole@example.dk"}}}}
		}, Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, accepted, forbidden}},
		{Route: "GET /v1/employers/{cvr}/enrolments", Call: testenv.Path("/v1/employers/12345674/enrolments"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}},
		{Route: "GET /v1/me/profile", Call: testenv.Path("/v1/me/profile"), Want: citizens(ok, ok)},
		{Route: "PUT /v1/me/profile", Call: func(*testing.T, int) testenv.Request { return testenv.Request{Path: "/v1/me/profile", Body: profile()} }, Want: citizens(ok, ok)},
		{Route: "POST /v1/enrolments", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/enrolments", Body: map[string]string{"course_id": run(), "funding_preference": "self"},
				Header: []string{"Idempotency-Key", uuid.NewString()}}
		}, Want: citizens(accepted, accepted)},
		{Route: "GET /v1/me/enrolments", Call: testenv.Path("/v1/me/enrolments"), Want: citizens(ok, ok)},
		{Route: "GET /v1/enrolments/{id}", Call: testenv.Path("/v1/enrolments/" + shared), Want: testenv.Want{no, ok, gone, forbidden, forbidden, ok, gone, ok}},
		{Route: "POST /v1/enrolments/{id}/cancel", Call: onEnrolment("/cancel", nil), Want: citizens(ok, gone)},
		// A pending enrolment has no offer to answer: the citizen gets past authorization to a conflict.
		{Route: "POST /v1/enrolments/{id}/offer/accept", Call: onEnrolment("/offer/accept", nil), Want: citizens(conflict, gone)},
		{Route: "POST /v1/enrolments/{id}/offer/decline", Call: onEnrolment("/offer/decline", nil), Want: citizens(conflict, gone)},
		{Route: "POST /v1/institutions/{id}/courses", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: institution + "/courses", Body: runBody("NEW-"+uuid.NewString()[:8], 10)}
		}, Want: institutionOrAdmin(created)},
		{Route: "POST /v1/institutions/{id}/courses/import", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: institution + "/courses/import", Body: csv, Header: []string{"Content-Type", "text/csv"}}
		}, Want: institutionOrAdmin(ok)},
		{Route: "GET /v1/institutions/{id}/courses.csv", Call: testenv.Path(institution + "/courses.csv"), Want: institutionOrAdmin(ok)},
		{Route: "GET /v1/institutions/{id}/enrolments.csv", Call: testenv.Path(institution + "/enrolments.csv"), Want: institutionOrAdmin(ok)},
		{Route: "GET /v1/institutions/{id}/feed", Call: testenv.Path(institution + "/feed"), Want: institutionOrAdmin(ok)},
		{Route: "GET /v1/institutions/{id}/demand", Call: testenv.Path(institution + "/demand"), Want: institutionOrAdmin(ok)},
		{Route: "GET /v1/institutions/{id}/synonyms", Call: testenv.Path(institution + "/synonyms"), Want: institutionOrAdmin(ok)},
		{Route: "POST /v1/institutions/{id}/synonyms", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: institution + "/synonyms", Body: map[string]string{"term": "ord-" + uuid.NewString()[:8], "means": "svejsning"}}
		}, Want: institutionOrAdmin(created)},
		{Route: "DELETE /v1/institutions/{id}/synonyms/{term}", Call: testenv.Path(institution + "/synonyms/svejsekursus"), Want: institutionOrAdmin(http.StatusNoContent)},
		{Route: "PATCH /v1/courses/{id}", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/courses/" + course, Body: map[string]any{"description": "Med certifikat"}}
		}, Want: institutionOrAdmin(ok)},
		{Route: "POST /v1/courses/{id}/cancel", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/courses/" + run() + "/cancel", Body: map[string]string{"reason": "for få tilmeldte"}}
		}, Want: institutionOrAdmin(ok)},
		// Funding has not decided these enrolments yet: the institution's staff get past authorization to a conflict.
		{Route: "POST /v1/enrolments/{id}/accept", Call: onEnrolment("/accept", nil), Want: institutionOnly(conflict)},
		{Route: "POST /v1/enrolments/{id}/reject", Call: onEnrolment("/reject", map[string]string{"reason": "fuldt"}), Want: institutionOnly(conflict)},
		{Route: "POST /v1/enrolments/{id}/attendance", Call: onEnrolment("/attendance", map[string]any{"date": time.Now().Format(time.DateOnly), "hours": 7}), Want: institutionOnly(conflict)},
		{Route: "POST /v1/enrolments/{id}/outcome", Call: onEnrolment("/outcome", map[string]any{"outcome": "completed", "attended_hours": 10}), Want: institutionOnly(conflict)},
		// Data requests: a citizen's own (an export here; an erasure would end the citizen's part in the other rows).
		{Route: "POST /v1/me/data-requests", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/me/data-requests", Body: map[string]string{"kind": "export"},
				Header: []string{"Idempotency-Key", uuid.NewString()}}
		}, Want: citizens(accepted, accepted)},
		{Route: "GET /v1/me/data-requests", Call: testenv.Path("/v1/me/data-requests"), Want: citizens(ok, ok)},
		{Route: "GET /v1/me/data-requests/{id}", Call: testenv.Path("/v1/me/data-requests/" + export.ID), Want: citizens(ok, gone)},
		// Not complete: the citizen gets past authorization to a conflict.
		{Route: "GET /v1/me/data-requests/{id}/export", Call: testenv.Path("/v1/me/data-requests/" + export.ID + "/export"), Want: citizens(conflict, gone)},
		{Route: "GET /v1/me/audit", Call: testenv.Path("/v1/me/audit"), Want: citizens(ok, ok)},
	}
	// Skills demand: a company's own users (CVR 12345674), an administrator reads; the demand added up:
	// institutions (any, their own waiting lists) and administrators. demandFixtures (demand_test.go)
	// makes a demand of the company and two offers to it.
	dm := b.demandFixtures(t, callers[testenv.Employer])
	company := "/v1/employers/12345674"
	employerOnly := func(own int) testenv.Want {
		return testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, own, forbidden}
	}
	employerOrAdmin := testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}
	cases = append(cases, []testenv.Case{
		{Route: "POST /v1/employers/{cvr}/demands", Call: withKey(company+"/demands", map[string]any{"course_code": "AMU 47583",
			"employees": 2, "earliest": time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "latest": time.Now().AddDate(0, 2, 0).Format(time.DateOnly),
			"contact_ok": true}), Want: employerOnly(created)},
		{Route: "GET /v1/employers/{cvr}/demands", Call: testenv.Path(company + "/demands"), Want: employerOrAdmin},
		{Route: "GET /v1/employers/{cvr}/demands/{id}", Call: testenv.Path(company + "/demands/" + dm.demand), Want: employerOrAdmin},
		{Route: "DELETE /v1/employers/{cvr}/demands/{id}", Call: testenv.Path(company + "/demands/" + dm.demand), Want: employerOnly(http.StatusNoContent)},
		{Route: "GET /v1/employers/{cvr}/offers", Call: testenv.Path(company + "/offers"), Want: employerOrAdmin},
		{Route: "POST /v1/employers/{cvr}/offers/{id}/accept", Call: testenv.Path(company + "/offers/" + dm.accept + "/accept"), Want: employerOnly(ok)},
		{Route: "POST /v1/employers/{cvr}/offers/{id}/decline", Call: testenv.Path(company + "/offers/" + dm.decline + "/decline"), Want: employerOnly(ok)},
		{Route: "GET /v1/demand", Call: testenv.Path("/v1/demand?course_code=AMU+47583"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, ok, ok, ok, forbidden, forbidden}},
	}...)
	testenv.CheckMatrix(t, b.base, (&api.API{Log: zap.NewNop()}).Routes(), callers, cases)
}
