package service_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/funding/internal/api"
)

// TestAuthorizationMatrix calls every endpoint as every kind of caller. A new endpoint without a row
// here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	const citizenCPR, otherCPR = "1403881236", "0205841457"
	citizen, other := "citizen-"+uuid.NewString(), "citizen-"+uuid.NewString()
	for i, c := range []struct{ id, cpr string }{{citizen, citizenCPR}, {other, otherCPR}} {
		e, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, c.id, time.Now(),
			events.ProfileUpdated{CitizenID: c.id, CPRIndex: f.cprIndex(c.cpr), Version: int64(i + 1), Name: "Mette", Email: "m@example.dk",
				Facts: facts("erhvervsuddannelse")})
		f.env.Publish(t, e, e.ID)
	}
	caseworker := f.env.Token(t, auth.Claims{Subject: "cw-657", Role: auth.RoleCaseworker, Municipality: "657"})
	callers := testenv.Callers{
		testenv.Citizen:         f.env.Token(t, auth.Claims{Subject: citizen, Role: auth.RoleCitizen, CPR: citizenCPR, Municipality: "657"}),
		testenv.OtherCitizen:    f.env.Token(t, auth.Claims{Subject: other, Role: auth.RoleCitizen, CPR: otherCPR, Municipality: "657"}),
		testenv.Caseworker:      caseworker,
		testenv.OtherCaseworker: f.env.Token(t, auth.Claims{Subject: "cw-661", Role: auth.RoleCaseworker, Municipality: "661"}),
		testenv.Staff:           f.env.Token(t, auth.Claims{Subject: "staff", Role: auth.RoleInstitution, InstitutionID: uuid.NewString()}),
		testenv.OtherStaff:      f.env.Token(t, auth.Claims{Subject: "staff-2", Role: auth.RoleInstitution, InstitutionID: uuid.NewString()}),
		testenv.Admin:           f.admin,
		testenv.Employer:        f.env.Token(t, auth.Claims{Subject: "employer", Role: auth.RoleEmployer, CVR: "12345674"}),
		testenv.OtherEmployer:   f.env.Token(t, auth.Claims{Subject: "employer-2", Role: auth.RoleEmployer, CVR: "41657006"}),
	}
	// A run funding knows, and a municipal pool to review against.
	course := akademi(uuid.NewString(), 7000)
	start, _ := time.Parse(time.DateOnly, course.StartsOn)
	f.pool(t, "municipality", "657", start.Year(), 1_000_000)
	knowCourse := func(c events.CourseFacts) {
		e, _ := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, c.ID, time.Now(),
			events.CourseUpdated{Course: c, Version: 1})
		f.env.Publish(t, e, e.ID)
	}
	knowCourse(course)
	// The citizen's decision (paying themself) and one waiting for a caseworker's review.
	paid, decision := request(t, citizen, "self", course, facts("erhvervsuddannelse"))
	review, _ := request(t, citizen, "municipality", akademi(uuid.NewString(), 7000), facts("erhvervsuddannelse"))
	f.env.Publish(t, paid, paid.ID)
	f.env.Publish(t, review, review.ID)
	var reviewID string
	testenv.Eventually(t, 10*time.Second, "the decision and the review", func() bool {
		var queue struct {
			Items []struct{ ID, EnrolmentID string }
		}
		testenv.Do(t, http.MethodGet, f.base+"/v1/reviews", caseworker, nil).JSON(t, &queue)
		for _, it := range queue.Items {
			reviewID = it.ID
		}
		return reviewID != "" && testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+decision, f.admin, nil).Status == http.StatusOK
	})
	// referral is a fresh open referral of the citizen, on a run of its own.
	referral := func() string {
		c := akademi(uuid.NewString(), 900)
		knowCourse(c)
		var ref struct{ ID string }
		testenv.Eventually(t, 10*time.Second, "a referral", func() bool {
			r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", caseworker, map[string]string{"cpr": citizenCPR, "course_id": c.ID,
				"funding": "municipality", "reason": "Ledelse", "valid_until": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)})
			r.JSON(t, &ref)
			return r.Status == http.StatusCreated
		})
		return ref.ID
	}
	shared := referral()
	// The company of the employer column (CVR 12345674, the citizens' employer in facts()) and a request to it.
	employer := f.env.Token(t, auth.Claims{Subject: "employer", Role: auth.RoleEmployer, CVR: companyCVR})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, f.base+"/v1/employers/"+companyCVR, employer,
		map[string]string{"name": "Herning Stål A/S", "language": "da"}), http.StatusOK)
	sharedRequest, _ := pendingRequest(t, f, employer)
	// onRequest answers a fresh request as the company (whose answer changes it), the shared one otherwise.
	onRequest := func(action string, body any) func(*testing.T, int) testenv.Request {
		return func(t *testing.T, caller int) testenv.Request {
			id := sharedRequest["id"].(string)
			if caller == testenv.Employer {
				fresh, _ := pendingRequest(t, f, employer)
				id = fresh["id"].(string)
			}
			return testenv.Request{Path: "/v1/employers/" + companyCVR + "/commitments/" + id + "/" + action, Body: body}
		}
	}
	onReferral := func(action string) func(*testing.T, int) testenv.Request {
		return func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/referrals/" + referral() + "/" + action}
		}
	}
	withBody := func(path string, body func() any) func(*testing.T, int) testenv.Request {
		return func(*testing.T, int) testenv.Request { return testenv.Request{Path: path, Body: body()} }
	}
	const (
		ok, created, unprocessable = http.StatusOK, http.StatusCreated, http.StatusUnprocessableEntity
		no, forbidden, gone        = http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound
		conflict                   = http.StatusConflict
	)
	// Columns: anonymous, citizen, other citizen, caseworker, other caseworker, staff, other staff, admin
	// (and, where given, the employer and another company).
	cases := []testenv.Case{
		{Route: "GET /healthz", Call: testenv.Path("/healthz"), Want: testenv.All(ok)},
		{Route: "GET /readyz", Call: testenv.Path("/readyz"), Want: testenv.All(ok)},
		{Route: "GET /metrics", Call: testenv.Path("/metrics"), Want: testenv.All(ok)},
		{Route: "GET /v1/schemes", Call: testenv.Path("/v1/schemes"), Want: testenv.All(ok)},
		{Route: "GET /v1/rates", Call: testenv.Path("/v1/rates"), Want: testenv.All(ok)},
		{Route: "GET /v1/decisions/{enrolment_id}", Call: testenv.Path("/v1/decisions/" + decision),
			Want: testenv.Want{no, ok, gone, ok, gone, forbidden, forbidden, ok}},
		// A citizen asks for themself; a caseworker names the client, who must live in their municipality.
		{Route: "POST /v1/eligibility", Call: func(_ *testing.T, caller int) testenv.Request {
			body := map[string]string{"course_id": course.ID}
			if caller == testenv.Caseworker || caller == testenv.OtherCaseworker {
				body["cpr"] = citizenCPR
			}
			return testenv.Request{Path: "/v1/eligibility", Body: body}
		}, Want: testenv.Want{no, ok, ok, ok, unprocessable, forbidden, forbidden, forbidden}},
		{Route: "GET /v1/reviews", Call: testenv.Path("/v1/reviews"), Want: testenv.Want{no, forbidden, forbidden, ok, ok, forbidden, forbidden, ok}},
		// One review, called in column order: the caseworker decides it, so the admin after finds it decided.
		{Route: "POST /v1/reviews/{id}/decide", Call: func(*testing.T, int) testenv.Request {
			return testenv.Request{Path: "/v1/reviews/" + reviewID + "/decide", Body: map[string]string{"outcome": "approved", "reason": "Mangelområde"}}
		}, Want: testenv.Want{no, forbidden, forbidden, ok, gone, forbidden, forbidden, conflict}},
		{Route: "GET /v1/budgets", Call: testenv.Path("/v1/budgets"), Want: testenv.Want{no, forbidden, forbidden, ok, ok, forbidden, forbidden, ok}},
		{Route: "POST /v1/budgets", Call: withBody("/v1/budgets", func() any {
			return map[string]any{"scheme": "regional_pulje", "owner": uuid.NewString(), "year": start.Year(), "amount_dkk": 1000}
		}), Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, created}},
		// Another municipality's caseworker finds no such client: refused without telling whether the CPR number is known.
		{Route: "POST /v1/referrals", Call: withBody("/v1/referrals", func() any {
			return map[string]string{"cpr": citizenCPR, "course_id": course.ID, "funding": "municipality", "reason": "Ledelse",
				"valid_until": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}
		}), Want: testenv.Want{no, forbidden, forbidden, created, unprocessable, forbidden, forbidden, forbidden}},
		{Route: "POST /v1/referrals/bulk", Call: withBody("/v1/referrals/bulk", func() any {
			return map[string]any{"cprs": []string{otherCPR}, "course_id": course.ID, "funding": "self", "reason": "Ledelse",
				"valid_until": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}
		}), Want: testenv.Want{no, forbidden, forbidden, ok, ok, forbidden, forbidden, forbidden}},
		{Route: "GET /v1/me/audit", Call: testenv.Path("/v1/me/audit"), Want: testenv.Want{no, ok, ok, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{Route: "GET /v1/referrals", Call: testenv.Path("/v1/referrals"), Want: testenv.Want{no, ok, ok, ok, ok, forbidden, forbidden, forbidden}},
		{Route: "GET /v1/referrals/{id}", Call: testenv.Path("/v1/referrals/" + shared), Want: testenv.Want{no, ok, gone, ok, gone, forbidden, forbidden, ok}},
		{Route: "POST /v1/referrals/{id}/accept", Call: onReferral("accept"), Want: testenv.Want{no, ok, gone, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{Route: "POST /v1/referrals/{id}/decline", Call: onReferral("decline"), Want: testenv.Want{no, ok, gone, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{Route: "GET /v1/employers/{cvr}", Call: testenv.Path("/v1/employers/" + companyCVR),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}},
		{Route: "PUT /v1/employers/{cvr}", Call: withBody("/v1/employers/"+companyCVR, func() any {
			return map[string]string{"name": "Herning Stål A/S", "email": "hr@example.dk", "language": "da"}
		}), Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, forbidden}},
		{Route: "GET /v1/employers/{cvr}/commitments", Call: testenv.Path("/v1/employers/" + companyCVR + "/commitments"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}},
		{Route: "GET /v1/employers/{cvr}/commitments/{id}", Call: testenv.Path("/v1/employers/" + companyCVR + "/commitments/" + sharedRequest["id"].(string)),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}},
		{Route: "POST /v1/employers/{cvr}/commitments/{id}/approve", Call: onRequest("approve", map[string]bool{"pays_fee": true, "salary_continues": true}),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, forbidden}},
		{Route: "POST /v1/employers/{cvr}/commitments/{id}/decline", Call: onRequest("decline", map[string]string{"reason": "Ikke nu"}),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, forbidden}},
		{Route: "GET /v1/employers/{cvr}/refunds", Call: testenv.Path("/v1/employers/" + companyCVR + "/refunds"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}},
		{Route: "GET /v1/employers/{cvr}/refunds.csv", Call: testenv.Path("/v1/employers/" + companyCVR + "/refunds.csv"),
			Want: testenv.Want{no, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}},
		{Route: "POST /v1/referrals/{id}/withdraw", Call: onReferral("withdraw"), Want: testenv.Want{no, forbidden, forbidden, ok, gone, forbidden, forbidden, forbidden}},
	}
	testenv.CheckMatrix(t, f.base, (&api.API{Log: zap.NewNop()}).Routes(), callers, cases)
}
