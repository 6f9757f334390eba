package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	funding "livslang.dk/services/funding/service"
	notification "livslang.dk/services/notification/service"
	portal "livslang.dk/services/portal/service"
	registration "livslang.dk/services/registration/service"
)

// Institution ids from registration's demo catalogue.
const (
	herningsholm = "d7151794-43da-493a-9bb0-dd8a8445f22e"
)

// demoUser is a user the test identity provider offers, with the profile a citizen starts with.
type demoUser struct {
	auth.DemoUser
	Email, ProfileLang string
	NoProfile          bool
}

var users = []demoUser{
	{DemoUser: auth.DemoUser{Key: "citizen-mette", Label: "Mette Nielsen", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-mette", CPR: "1403881236", Municipality: "657"}}, Email: "mette@example.dk", ProfileLang: "da"},
	{DemoUser: auth.DemoUser{Key: "citizen-james", Label: "James Miller", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-james", CPR: "0205841457", Municipality: "657"}}, Email: "james@example.com", ProfileLang: "en"},
	{DemoUser: auth.DemoUser{Key: "citizen-anna", Label: "Anna Jensen (no profile yet)", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-anna", CPR: "0101901234", Municipality: "657"}}, NoProfile: true},
	{DemoUser: auth.DemoUser{Key: "citizen-lars", Label: "Lars Sørensen", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-lars", CPR: "2206791455", Municipality: "657"}}, Email: "lars@example.dk", ProfileLang: "da"},
	{DemoUser: auth.DemoUser{Key: "citizen-sofie", Label: "Sofie Berg", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-sofie", CPR: "1505851236", Municipality: "657"}}, Email: "sofie@example.dk", ProfileLang: "en"},
	{DemoUser: auth.DemoUser{Key: "citizen-ole", Label: "Ole Hansen", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-ole", CPR: "0303771239", Municipality: "657"}}, Email: "ole@example.dk", ProfileLang: "da"},
	{DemoUser: auth.DemoUser{Key: "citizen-eva", Label: "Eva Lund", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-eva", CPR: "1112881232", Municipality: "657"}}, Email: "eva@example.dk", ProfileLang: "en"},
	{DemoUser: auth.DemoUser{Key: "citizen-kim", Label: "Kim Dahl", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-kim", CPR: "2109921234", Municipality: "657"}}, Email: "kim@example.dk", ProfileLang: "da"},
	// Employees of the demo companies: their profiles name the employer (employee() saves them).
	{DemoUser: auth.DemoUser{Key: "citizen-jonas", Label: "Jonas Kristensen", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-jonas", CPR: "0908034127", Municipality: "657"}}, Email: "jonas@example.dk", ProfileLang: "da", NoProfile: true},
	{DemoUser: auth.DemoUser{Key: "citizen-ana", Label: "Ana Costa", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-ana", CPR: "0505921768", Municipality: "657"}}, Email: "ana@example.com", ProfileLang: "en", NoProfile: true},
	{DemoUser: auth.DemoUser{Key: "citizen-mads", Label: "Mads Holm", TokenRequest: auth.TokenRequest{Role: auth.RoleCitizen, Sub: "c-mads", CPR: "1207901237", Municipality: "657"}}, Email: "mads@example.dk", ProfileLang: "da", NoProfile: true},
	{DemoUser: auth.DemoUser{Key: "employer-herning-staal", Label: "HR, Herning Stål A/S", TokenRequest: auth.TokenRequest{Role: auth.RoleEmployer, Sub: "e-herning-staal", CVR: "41657006", Name: "Herning Stål A/S"}}},
	{DemoUser: auth.DemoUser{Key: "employer-midtjysk-logistik", Label: "HR, Midtjysk Logistik ApS", TokenRequest: auth.TokenRequest{Role: auth.RoleEmployer, Sub: "e-midtjysk-logistik", CVR: "43657003", Name: "Midtjysk Logistik ApS"}}},
	{DemoUser: auth.DemoUser{Key: "employer-vestjysk-byg", Label: "HR, Vestjysk Byg ApS", TokenRequest: auth.TokenRequest{Role: auth.RoleEmployer, Sub: "e-vestjysk-byg", CVR: "20202025", Name: "Vestjysk Byg ApS"}}},
	{DemoUser: auth.DemoUser{Key: "caseworker-herning", Label: "Caseworker, Herning", TokenRequest: auth.TokenRequest{Role: auth.RoleCaseworker, Sub: "cw-herning", Municipality: "657"}}},
	{DemoUser: auth.DemoUser{Key: "institution-herningsholm", Label: "Course administrator, Herningsholm", TokenRequest: auth.TokenRequest{Role: auth.RoleInstitution, Sub: "inst-hh", InstitutionID: herningsholm}}},
}

func user(key string) demoUser {
	for _, u := range users {
		if u.Key == key {
			return u
		}
	}
	panic("no demo user " + key)
}

// stack is the running system: the three services, the identity provider and the portal.
type stack struct {
	env                           *testenv.Env
	reg, fund, notification, base string
}

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func startStack(t *testing.T) *stack {
	t.Helper()
	env := testenv.New(t, "registration", "funding", "notification")
	smtp := smtptest.Start(t)
	index := randomKey()
	s := &stack{env: env}
	s.reg = env.Start(t, "registration", registration.Run, map[string]string{
		"LIVSLANG_REGISTRATION_PII_KEYS": "1:" + randomKey(), "LIVSLANG_CPR_INDEX_KEY": index, "LIVSLANG_REGISTRATION_SEED_DEMO": "true",
		"LIVSLANG_REGISTRATION_TIMER_SECONDS": "1", // ballots are drawn within a second of their window
	})
	s.fund = env.Start(t, "funding", funding.Run, map[string]string{"LIVSLANG_CPR_INDEX_KEY": index, "LIVSLANG_FUNDING_SEED_DEMO": "true"})
	s.notification = env.Start(t, "notification", notification.Run, map[string]string{"LIVSLANG_SMTP_ADDR": smtp.Addr})
	var demo []auth.DemoUser
	for _, u := range users {
		demo = append(demo, u.DemoUser)
	}
	env.Issuer.SetUsers(demo)
	s.base = env.Start(t, "portal", portal.Run, map[string]string{
		"LIVSLANG_REGISTRATION_URL": s.reg, "LIVSLANG_FUNDING_URL": s.fund, "LIVSLANG_NOTIFICATION_URL": s.notification,
	})
	for _, u := range users {
		if u.Role != auth.RoleCitizen || u.NoProfile {
			continue
		}
		testenv.MustStatus(t, testenv.Do(t, http.MethodPut, s.reg+"/v1/me/profile", s.token(t, u.Key), map[string]any{
			"name": u.Label, "email": u.Email, "phone": "+4520123456", "language": u.ProfileLang,
			"education":  map[string]any{"level": "erhvervsuddannelse", "completed_year": 2008},
			"employment": map[string]any{"status": "employed", "employer_cvr": "12345674", "since": "2021-02-01", "weekly_hours": 37},
			"benefits":   "none",
		}), http.StatusOK)
	}
	return s
}

// token is a bearer token for a demo user, for setting up through the APIs.
func (s *stack) token(t *testing.T, key string) string {
	u := user(key)
	tr := u.TokenRequest
	return s.env.Token(t, auth.Claims{Subject: tr.Sub, Role: tr.Role, CPR: tr.CPR, Municipality: tr.Municipality, InstitutionID: tr.InstitutionID,
		CVR: tr.CVR, Name: tr.Name})
}

// employee saves a demo citizen's profile as employed full time by the company with the CVR number.
func (s *stack) employee(t *testing.T, key, cvr string) {
	t.Helper()
	u := user(key)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, s.reg+"/v1/me/profile", s.token(t, key), map[string]any{
		"name": u.Label, "email": u.Email, "phone": "+4520123456", "language": u.ProfileLang,
		"education":  map[string]any{"level": "erhvervsuddannelse", "completed_year": 2008},
		"employment": map[string]any{"status": "employed", "employer_cvr": cvr, "since": "2020-02-01", "weekly_hours": 37},
		"benefits":   "none",
	}), http.StatusOK)
}

// waitEmployer enrols an employee with VEU and waits until the enrolment waits for the employer.
func (s *stack) waitEmployer(t *testing.T, key, courseID string) enrolment {
	t.Helper()
	e := s.enrol(t, key, courseID, "veu")
	return s.waitEnrolment(t, key, e.ID, "waiting for the employer", func(e enrolment) bool {
		return e.Status == "pending" && e.Funding.Outcome == "employer_required"
	})
}

type course struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	Title          string `json:"title"`
	TitleEN        string `json:"title_en"`
	FeeDKK         int64  `json:"fee_dkk"`
	SeatsAvailable int    `json:"seats_available"`
	SeatsTotal     int    `json:"seats_total"`
}

// course finds a demo run by a word of its title.
func (s *stack) course(t *testing.T, q string) course {
	t.Helper()
	var page struct{ Items []course }
	testenv.Do(t, http.MethodGet, s.reg+"/v1/courses?q="+url.QueryEscape(q), "", nil).JSON(t, &page)
	if len(page.Items) == 0 {
		t.Fatalf("no demo course matches %q", q)
	}
	return page.Items[0]
}

type enrolment struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	CourseID   string `json:"course_id"`
	ReferralID string `json:"referral_id"`
	Funding    struct {
		Outcome string `json:"outcome"`
	} `json:"funding"`
}

// enrol enrols a demo citizen through the API.
func (s *stack) enrol(t *testing.T, key, courseID, preference string) enrolment {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments", s.token(t, key),
		map[string]string{"course_id": courseID, "funding_preference": preference}, "Idempotency-Key", randomKey())
	testenv.MustStatus(t, r, http.StatusAccepted)
	var e enrolment
	r.JSON(t, &e)
	return e
}

func (s *stack) enrolments(t *testing.T, key string) []enrolment {
	t.Helper()
	var out struct{ Items []enrolment }
	testenv.Do(t, http.MethodGet, s.reg+"/v1/me/enrolments", s.token(t, key), nil).JSON(t, &out)
	return out.Items
}

// waitEnrolment polls until the citizen's enrolment satisfies cond.
func (s *stack) waitEnrolment(t *testing.T, key, id string, what string, cond func(enrolment) bool) enrolment {
	t.Helper()
	var e enrolment
	testenv.Eventually(t, 30*time.Second, "enrolment "+what, func() bool {
		testenv.Do(t, http.MethodGet, s.reg+"/v1/enrolments/"+id, s.token(t, key), nil).JSON(t, &e)
		return cond(e)
	})
	return e
}

type referral struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	EnrolmentStatus string `json:"enrolment_status"`
}

// refer makes a referral through the funding API as Herning's caseworker, once funding knows the
// citizen and the run (both arrive as events).
func (s *stack) refer(t *testing.T, citizen, courseID, funding string, validFor int) referral {
	t.Helper()
	var ref referral
	body := map[string]string{"cpr": user(citizen).CPR, "course_id": courseID, "funding": funding,
		"reason": "Kurset styrker dine muligheder for job.", "valid_until": time.Now().AddDate(0, 0, validFor).Format(time.DateOnly)}
	testenv.Eventually(t, 20*time.Second, "referral of "+citizen, func() bool {
		r := testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals", s.token(t, "caseworker-herning"), body)
		if r.Status != http.StatusCreated {
			return false
		}
		r.JSON(t, &ref)
		return true
	})
	return ref
}

// waitHold waits until registration holds a seat (or a place in line) for the referral.
func (s *stack) waitHold(t *testing.T, citizen, referralID string) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, "a seat held for the referral", func() bool {
		for _, e := range s.enrolments(t, citizen) {
			if e.ReferralID == referralID {
				return true
			}
		}
		return false
	})
}

// referralOf reads a referral as the caseworker sees it.
func (s *stack) referralOf(t *testing.T, id string) referral {
	t.Helper()
	var ref referral
	testenv.Do(t, http.MethodGet, s.fund+"/v1/referrals/"+id, s.token(t, "caseworker-herning"), nil).JSON(t, &ref)
	return ref
}

// ballotRun publishes a run of Herningsholm whose enrolment opened minutes ago with a one-minute
// ballot, so registration draws it at once.
func (s *stack) ballotRun(t *testing.T, code string) course {
	t.Helper()
	starts := time.Now().AddDate(0, 2, 0)
	r := testenv.Do(t, http.MethodPost, s.reg+"/v1/institutions/"+herningsholm+"/courses", s.token(t, "institution-herningsholm"), map[string]any{
		"code": code, "title": "Svejsning med lodtrækning " + code, "title_en": "Welding with a ballot " + code, "category": "amu",
		"schemes": []string{"self", "veu"}, "location": "Lillelundvej 13, Herning", "starts_on": starts.Format(time.DateOnly),
		"ends_on": starts.AddDate(0, 0, 4).Format(time.DateOnly), "hours_per_week": 37, "fee_dkk": 1040, "seats_total": 4,
		"opens_at": time.Now().Add(-3 * time.Minute).UTC().Format(time.RFC3339), "ballot_minutes": 1,
	})
	testenv.MustStatus(t, r, http.StatusCreated)
	var c course
	r.JSON(t, &c)
	testenv.Eventually(t, 20*time.Second, "the ballot drawn", func() bool {
		return testenv.Do(t, http.MethodGet, s.reg+"/v1/courses/"+c.ID+"/ballot", "", nil).Status == http.StatusOK
	})
	return c
}

// receiver is a webhook endpoint that answers 200 and counts what it got.
type receiver struct {
	*httptest.Server
	got atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rc.got.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// publish publishes a run of Herningsholm in Herning with the course code, as its course
// administrator does, starting on the day.
func (s *stack) publish(t *testing.T, code string, starts time.Time) course {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, s.reg+"/v1/institutions/"+herningsholm+"/courses", s.token(t, "institution-herningsholm"), map[string]any{
		"code": code, "title": "Hold efter behov " + code, "title_en": "Course on demand " + code, "category": "amu",
		"schemes": []string{"self", "veu", "employer"}, "location": "Lillelundvej 13, Herning", "starts_on": starts.Format(time.DateOnly),
		"ends_on": starts.AddDate(0, 0, 4).Format(time.DateOnly), "hours_per_week": 37, "fee_dkk": 1040, "seats_total": 12,
	})
	testenv.MustStatus(t, r, http.StatusCreated)
	var c course
	r.JSON(t, &c)
	return c
}
