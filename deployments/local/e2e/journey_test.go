// Package e2e runs registration, funding and notification together, on real Postgres, JetStream and
// an SMTP server, and drives the journey through their HTTP APIs.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	funding "livslang.dk/services/funding/service"
	notification "livslang.dk/services/notification/service"
	registration "livslang.dk/services/registration/service"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func key() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

type system struct {
	env                     *testenv.Env
	smtp                    *smtptest.Server
	reg, fund, notification string
	post                    string // notification's Digital Post folder (development provider)
}

func start(t *testing.T) system {
	env := testenv.New(t, "registration", "funding", "notification")
	watch := guardCPR(t, env)
	smtp := smtptest.Start(t)
	s := system{env: env, smtp: smtp, post: t.TempDir()}
	index := key()
	s.reg = env.Start(t, "registration", registration.Run, map[string]string{
		"LIVSLANG_REGISTRATION_PII_KEYS": "1:" + key(), "LIVSLANG_CPR_INDEX_KEY": index,
		"LIVSLANG_REGISTRATION_SEED_DEMO": "true",
	})
	s.fund = env.Start(t, "funding", funding.Run, map[string]string{"LIVSLANG_CPR_INDEX_KEY": index, "LIVSLANG_FUNDING_SEED_DEMO": "true"})
	s.notification = env.Start(t, "notification", notification.Run, map[string]string{"LIVSLANG_SMTP_ADDR": smtp.Addr,
		"LIVSLANG_DIGITAL_POST_DIR": s.post, "LIVSLANG_SMS_FILE": filepath.Join(t.TempDir(), "sms.jsonl")})
	watch(s.reg, s.fund, s.notification)
	return s
}

type citizen struct {
	id, token, email string
}

func (s system) citizen(t *testing.T, cpr, name, email, language string) citizen {
	id := uuid.NewString()
	tok := s.env.Token(t, auth.Claims{Subject: id, Role: auth.RoleCitizen, CPR: cpr, Municipality: "657"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, s.reg+"/v1/me/profile", tok, map[string]any{
		"name": name, "email": email, "phone": "+4520123456", "language": language,
		"education":  map[string]any{"level": "erhvervsuddannelse", "completed_year": 2008},
		"employment": map[string]any{"status": "employed", "employer_cvr": "12345674", "since": "2021-02-01", "weekly_hours": 37},
		"benefits":   "none",
	}), http.StatusOK)
	return citizen{id: id, token: tok, email: email}
}

type enrolment struct {
	ID      string
	Status  string
	Funding struct {
		Outcome, Scheme string
		Employer        *struct {
			CommitmentID string `json:"commitment_id"`
			CVR          string `json:"cvr"`
			DueOn        string `json:"due_on"`
		} `json:"employer"`
	}
	History []struct{ Status, Cause, Reason string }
}

func (s system) enrol(t *testing.T, c citizen, course, preference string) enrolment {
	r := testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments", c.token,
		map[string]string{"course_id": course, "funding_preference": preference}, "Idempotency-Key", uuid.NewString())
	testenv.MustStatus(t, r, http.StatusAccepted)
	var e enrolment
	r.JSON(t, &e)
	return e
}

func (s system) get(t *testing.T, c citizen, id string) enrolment {
	var e enrolment
	r := testenv.Do(t, http.MethodGet, s.reg+"/v1/enrolments/"+id, c.token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &e)
	return e
}

func (s system) waitStatus(t *testing.T, c citizen, id, status string) enrolment {
	var e enrolment
	testenv.Eventually(t, 20*time.Second, "enrolment "+id+" becomes "+status, func() bool {
		e = s.get(t, c, id)
		if status == "confirmed" && e.Funding.Outcome == "employer_required" {
			s.employerApproves(t, e) // the citizen's employer agrees, as the plan asks
		}
		return e.Status == status
	})
	return e
}

// employerApproves approves, as the citizen's employer, what the enrolment's funding plan asks of it:
// the company pays the fee and continues the salary.
func (s system) employerApproves(t *testing.T, e enrolment) {
	t.Helper()
	part := e.Funding.Employer
	company := s.env.Token(t, auth.Claims{Subject: "hr-" + part.CVR, Role: auth.RoleEmployer, CVR: part.CVR, Name: "HR"})
	r := testenv.Do(t, http.MethodPost, s.fund+"/v1/employers/"+part.CVR+"/commitments/"+part.CommitmentID+"/approve", company,
		map[string]bool{"pays_fee": true, "salary_continues": true})
	testenv.MustStatus(t, r, http.StatusOK)
}

// mailsTo returns the mails to addr (Body is the plain-text part of notification's
// multipart/alternative mails).
func (s system) mailsTo(addr string) []smtptest.Message { return s.smtp.To(addr) }

// mailTo returns the mail to addr whose subject starts with prefix.
func (s system) mailTo(addr, prefix string) (smtptest.Message, bool) {
	for _, m := range s.mailsTo(addr) {
		if strings.HasPrefix(m.Subject, prefix) {
			return m, true
		}
	}
	return smtptest.Message{}, false
}

// letters returns the Digital Post documents (MeMo XML) notification wrote.
func (s system) letters(t *testing.T) []string {
	entries, err := os.ReadDir(s.post)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xml") {
			raw, err := os.ReadFile(filepath.Join(s.post, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(raw))
		}
	}
	return out
}

// course finds a seeded demo course by a word in its title.
func (s system) course(t *testing.T, query string) (id string, seats int) {
	var page struct {
		Items []struct {
			ID             string
			SeatsAvailable int `json:"seats_available"`
		}
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/courses?q="+url.QueryEscape(query), "", nil).JSON(t, &page)
	if len(page.Items) == 0 {
		t.Fatalf("no demo course matches %q", query)
	}
	return page.Items[0].ID, page.Items[0].SeatsAvailable
}

func TestJourneyFromEnrolmentToMail(t *testing.T) {
	t.Parallel()
	s := start(t)
	mette := s.citizen(t, "1403881236", "Mette Nielsen", "mette@example.dk", "da")
	james := s.citizen(t, "0205841457", "James Miller", "james@example.com", "en")
	truck, _ := s.course(t, "gaffeltruck")

	// VEU for an employed, skilled 38-year-old on an AMU course: the plan has her employer pay the fee
	// and decide whether her salary continues, so it waits for the company, with her seat held; the
	// company's approval confirms her.
	e := s.enrol(t, mette, truck, "veu")
	if e.Status != "pending" {
		t.Fatalf("new enrolment is %s, want pending", e.Status)
	}
	testenv.Eventually(t, 20*time.Second, "waiting for the employer", func() bool {
		e = s.get(t, mette, e.ID)
		return e.Funding.Outcome == "employer_required"
	})
	if e.Status != "pending" || e.Funding.Employer == nil || e.Funding.Employer.CVR != "12345674" || e.Funding.Employer.DueOn == "" ||
		!strings.Contains(e.History[len(e.History)-1].Reason, "waiting for the employer") {
		t.Fatalf("waiting for the employer: %+v", e)
	}
	e = s.waitStatus(t, mette, e.ID, "confirmed")
	if e.Funding.Outcome != "approved" || e.Funding.Scheme != "veu" {
		t.Fatalf("funding %+v", e.Funding)
	}
	// Three mails: the request received, waiting for the employer, then the place.
	testenv.Eventually(t, 20*time.Second, "Mette's confirmation mail", func() bool { return len(s.mailsTo(mette.email)) == 3 })
	if _, ok := s.mailTo(mette.email, "Din tilmelding afventer din arbejdsgiver"); !ok {
		t.Fatalf("no mail that the enrolment waits for the employer: %+v", s.mailsTo(mette.email))
	}
	m, ok := s.mailTo(mette.email, "Du har fået plads")
	if _, received := s.mailTo(mette.email, "Vi har modtaget din tilmelding"); !ok || !received || !strings.Contains(m.Body, "VEU-godtgørelse") {
		t.Fatalf("mail %q:\n%s", m.Subject, m.Body)
	}
	var d struct {
		Outcome string
		Rules   []struct{ Reference string }
	}
	testenv.Do(t, http.MethodGet, s.fund+"/v1/decisions/"+e.ID, mette.token, nil).JSON(t, &d)
	if d.Outcome != "approved" || len(d.Rules) == 0 || d.Rules[0].Reference == "" {
		t.Fatalf("decision %+v", d)
	}

	// SVU for an AMU course: rejected with reasons, in English for James.
	r := s.enrol(t, james, truck, "svu")
	s.waitStatus(t, james, r.ID, "rejected")
	testenv.Eventually(t, 20*time.Second, "James's rejection mail", func() bool { return len(s.mailsTo(james.email)) == 2 })
	j, ok := s.mailTo(james.email, "Your enrolment was not approved")
	if !ok || !strings.Contains(j.Body, "- ") {
		t.Fatalf("rejection mail %q:\n%s", j.Subject, j.Body)
	}
	// A funding rejection is a public authority's decision: it also goes by Digital Post.
	var notes struct {
		Items []struct{ Kind, Channel, Subject, Status, Language string }
	}
	testenv.Eventually(t, 20*time.Second, "James's notifications recorded as sent", func() bool {
		testenv.Do(t, http.MethodGet, s.notification+"/v1/me/notifications", james.token, nil).JSON(t, &notes)
		sent := 0
		for _, n := range notes.Items {
			if n.Status == "sent" {
				sent++
			}
		}
		return len(notes.Items) == 3 && sent == 3
	})
	channels := map[string]bool{}
	for _, n := range notes.Items {
		if n.Kind == "enrolment_rejected" {
			channels[n.Channel] = n.Language == "en" && n.Subject == j.Subject
		}
	}
	if !channels["email"] || !channels["digital_post"] {
		t.Fatalf("James's notifications %+v", notes.Items)
	}
	letters := 0
	for _, l := range s.letters(t) {
		if strings.Contains(l, "<memo:recipientID>"+james.id+"</memo:recipientID>") {
			letters++
			if !strings.Contains(l, "<memo:label>"+j.Subject+"</memo:label>") || !strings.Contains(l, "<memo:legalNotification>true") ||
				strings.Contains(l, "0205841457") {
				t.Fatalf("James's letter:\n%s", l)
			}
		}
	}
	if letters != 1 {
		t.Fatalf("%d Digital Post letters to James, want 1", letters)
	}
	checkEvents(t, s)
}

func TestCancellationPromotesTheWaitingList(t *testing.T) {
	t.Parallel()
	s := start(t)
	// The demo catalogue has one run with two seats.
	course, seats := s.course(t, "svejsning")
	if seats != 2 {
		t.Fatalf("the small demo run has %d seats, want 2", seats)
	}
	a := s.citizen(t, "1403881236", "Anne", "anne@example.dk", "da")
	b := s.citizen(t, "0205841457", "Bo", "bo@example.dk", "da")
	c := s.citizen(t, "1111751118", "Carl", "carl@example.dk", "en")
	ea := s.enrol(t, a, course, "self")
	eb := s.enrol(t, b, course, "self")
	ec := s.enrol(t, c, course, "self")
	if ec.Status != "waitlisted" {
		t.Fatalf("third enrolment is %s, want waitlisted", ec.Status)
	}
	s.waitStatus(t, a, ea.ID, "confirmed")
	s.waitStatus(t, b, eb.ID, "confirmed")
	testenv.Eventually(t, 20*time.Second, "Carl's waiting-list mail", func() bool { return len(s.mailsTo(c.email)) == 1 })
	if m := s.mailsTo(c.email)[0]; !strings.Contains(m.Body, "number 1 on the waiting list") {
		t.Fatalf("waiting-list mail:\n%s", m.Body)
	}

	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+ea.ID+"/cancel", a.token, `{"reason":"sick"}`), http.StatusOK)
	// The freed seat is offered to Carl, first on the waiting list, for two business days.
	offer := s.waitStatus(t, c, ec.ID, "offered")
	_ = offer
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+ec.ID+"/offer/accept", c.token, nil), http.StatusOK)
	got := s.waitStatus(t, c, ec.ID, "confirmed")
	want := []string{"waitlisted/citizen", "offered/system", "pending/citizen", "confirmed/funding"}
	for i, h := range got.History {
		if i >= len(want) || h.Status+"/"+h.Cause != want[i] {
			t.Fatalf("promoted enrolment history %+v, want %v", got.History, want)
		}
	}
	// Anne: received, confirmed, cancelled. Carl: waitlisted, offered, received (he took the offer), confirmed.
	testenv.Eventually(t, 20*time.Second, "Anne's cancellation, Carl's offer and confirmation mails", func() bool {
		return len(s.mailsTo(a.email)) == 3 && len(s.mailsTo(c.email)) == 4
	})
	offered := false
	for _, m := range s.mailsTo(c.email) {
		offered = offered || (strings.HasPrefix(m.Subject, "A place is available for you") && strings.Contains(m.Body, "answer by"))
	}
	if !offered {
		t.Fatalf("no offer mail among %+v", s.mailsTo(c.email))
	}
	var seatsNow struct {
		SeatsAvailable int `json:"seats_available"`
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/courses/"+course, "", nil).JSON(t, &seatsNow)
	if seatsNow.SeatsAvailable != 0 {
		t.Fatalf("%d seats available, want 0 (Carl took Anne's)", seatsNow.SeatsAvailable)
	}
	// Each service's role sees its own schema only.
	regPool, err := pgdb.Connect(context.Background(), s.env.DB["registration"], 2)
	if err != nil {
		t.Fatal(err)
	}
	defer regPool.Close()
	if _, err := regPool.Exec(context.Background(), `SELECT count(*) FROM funding.decisions`); err == nil ||
		!strings.Contains(err.Error(), "42501") {
		t.Fatalf("registration read funding's table: %v", err)
	}
	// Funding released the cancelled enrolment's decision.
	pool, err := pgdb.Connect(context.Background(), s.env.DB["funding"], 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	testenv.Eventually(t, 20*time.Second, "decision released", func() bool {
		var status string
		_ = pool.QueryRow(context.Background(), `SELECT status FROM decisions WHERE enrolment_id = $1`, uuid.MustParse(ea.ID)).Scan(&status)
		return status == "released"
	})
	checkEvents(t, s)
}
