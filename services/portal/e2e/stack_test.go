package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
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
			"employment": map[string]any{"status": "employed", "employer_cvr": "12345678", "since": "2021-02-01", "weekly_hours": 37},
			"benefits":   "none",
		}), http.StatusOK)
	}
	return s
}

// token is a bearer token for a demo user, for setting up through the APIs.
func (s *stack) token(t *testing.T, key string) string {
	u := user(key)
	tr := u.TokenRequest
	return s.env.Token(t, auth.Claims{Subject: tr.Sub, Role: tr.Role, CPR: tr.CPR, Municipality: tr.Municipality, InstitutionID: tr.InstitutionID})
}

type course struct {
	ID             string `json:"id"`
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
	ID      string `json:"id"`
	Status  string `json:"status"`
	Funding struct {
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
