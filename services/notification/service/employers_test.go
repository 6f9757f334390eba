package service_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/service"
)

// employerRequired is funding's decision on the enrolment that waits for the citizen's employer.
func employerRequired(t *testing.T, en *enrolment, company string) events.Envelope {
	t.Helper()
	d := events.FundingDecided{DecisionID: uuid.NewString(), EnrolmentID: en.EnrolmentID, EnrolmentVersion: en.Version,
		CitizenID: en.CitizenID, Summary: events.FundingSummary{Outcome: "employer_required", Scheme: "veu",
			Employer: &events.EmployerPart{CommitmentID: uuid.NewString(), CVR: "12345674", Name: company,
				Asks: []string{events.AskPaysFee, events.AskSalaryContinues}, DueOn: "2026-12-10"}}}
	e, err := events.New("/livslang/funding", events.TypeFundingEmployer, events.SubjectFundingEmployer, d.DecisionID, time.Now(), d)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// commitmentEvent is a commitment event ("requested", "reminded", "answered") about c.
func commitmentEvent(t *testing.T, event string, c events.Commitment) events.Envelope {
	t.Helper()
	types := map[string]string{"requested": events.TypeCommitmentRequested, "reminded": events.TypeCommitmentReminded,
		"answered": events.TypeCommitmentAnswered}
	e, err := events.New("/livslang/funding", types[event], events.CommitmentSubject(event), c.CommitmentID, time.Now(), c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTheCitizenHearsTheDecisionWaitsForTheEmployer(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2026-12-01 10:00:00"), nil, service.Options{})
	mette := s.citizen(t, "Mette Nielsen", "mette@example.dk", "", "da")
	gry := s.citizen(t, "Gry Dal", "gry@example.dk", "", "en")

	// Mette's enrolment is known (its request came first); Gry's decision comes before notification
	// has seen her enrolment (it is tried again until the enrolment arrives), and names no company.
	me := newEnrolment(mette, newRun())
	s.publish(t, me.event(t, events.TypeEnrolmentRequested, "pending", "citizen", "", s.clock.Now()))
	testenv.Eventually(t, 15*time.Second, "Mette's receipt", func() bool { return len(s.smtp.To("mette@example.dk")) == 1 })
	decision := employerRequired(t, me, "Vestas Wind Systems A/S")
	s.publish(t, decision)
	s.env.Publish(t, decision, "again-"+decision.ID) // redelivered past JetStream's deduplication
	ge := newEnrolment(gry, newRun())
	s.publish(t, employerRequired(t, ge, ""))
	s.publish(t, ge.event(t, events.TypeEnrolmentRequested, "pending", "citizen", "", s.clock.Now()))

	testenv.Eventually(t, 15*time.Second, "both citizens told", func() bool {
		return len(s.smtp.To("mette@example.dk")) == 2 && len(s.smtp.To("gry@example.dk")) == 2
	})
	m := s.smtp.To("mette@example.dk")[1]
	for _, want := range []string{"Kære Mette Nielsen", `"Gaffeltruckcertifikat (B)" hos Herningsholm Erhvervsskole`,
		"svar fra Vestas Wind Systems A/S på:", "- om den betaler deltagerbetalingen", "- om du får løn under kurset",
		"senest torsdag den 10. december 2026 (inden midnat)", "Vi holder pladsen til dig imens",
		"https://livslang.herning.dk/me/enrolments"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("Mette's mail lacks %q:\n%s", want, m.Body)
		}
	}
	if m.Subject != "Din tilmelding afventer din arbejdsgiver: Gaffeltruckcertifikat (B)" {
		t.Errorf("Mette's subject %q", m.Subject)
	}
	var g smtptest.Message
	for _, m := range s.smtp.To("gry@example.dk") {
		if strings.HasPrefix(m.Subject, "Your enrolment is waiting") {
			g = m
		}
	}
	for _, want := range []string{"Dear Gry Dal", "Forklift", "an answer from your employer on:",
		"- whether it pays the participant fee", "by the end of Thursday 10 December 2026", "We are keeping your place meanwhile"} {
		if !strings.Contains(g.Body, want) {
			t.Errorf("Gry's mail lacks %q:\n%s", want, g.Body)
		}
	}
	if !strings.HasPrefix(g.Subject, "Your enrolment is waiting for your employer: ") {
		t.Errorf("Gry's subject %q", g.Subject)
	}
	// The redelivered decision sent nothing more: a later event on the same lane is told, and Mette
	// still has the one message of the decision.
	s.publish(t, me.event(t, events.TypeEnrolmentCancelled, "cancelled", "citizen", "ny vagtplan", s.clock.Now()))
	testenv.Eventually(t, 15*time.Second, "Mette's cancellation", func() bool { return len(s.smtp.To("mette@example.dk")) == 3 })
	if got := s.deliveries(t, mette); len(got) != 3 || byKindChannel(got)["funding_employer_required/email"].Status != "sent" {
		t.Fatalf("Mette's messages %+v", got)
	}
	if n := s.count(t, `SELECT count(*) FROM parked_messages`); n != 0 {
		t.Fatalf("%d events parked", n)
	}
}

func TestTheCompanyIsAskedRemindedAndToldOfTheDeadlineOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2026-12-01 10:00:00"), nil, service.Options{})
	mette := s.citizen(t, "Mette Nielsen", "mette@example.dk", "", "da")
	c := events.Commitment{CommitmentID: uuid.NewString(), Status: "pending", EnrolmentID: uuid.NewString(), DecisionID: uuid.NewString(),
		CitizenID: mette, EmployeeName: "Mette Nielsen",
		Company: events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Email: "hr@vestas.example", Language: "en"},
		Course:  newRun(), Asks: []string{events.AskPaysFee, events.AskSalaryContinues}, FeeDKK: 1040, RefundEstimateDKK: 4865,
		DueOn: "2026-12-10"}
	requested := commitmentEvent(t, "requested", c)
	s.publish(t, requested)
	s.env.Publish(t, requested, "again-"+requested.ID) // redelivered past JetStream's deduplication
	// A company without an e-mail address gets nothing, and that is no error.
	silent := c
	silent.CommitmentID, silent.Company = uuid.NewString(), events.Company{CVR: "41657006", Name: "Uden Mail ApS", Language: "da"}
	s.publish(t, commitmentEvent(t, "requested", silent))
	// The same lane (the citizen) carries the reminder after them: once it is sent, the request was
	// handled as often as it will be.
	s.publish(t, commitmentEvent(t, "reminded", c))
	testenv.Eventually(t, 15*time.Second, "the request and the reminder", func() bool { return len(s.smtp.To("hr@vestas.example")) == 2 })

	// Sent side by side: in either order.
	ask, remind := s.smtp.To("hr@vestas.example")[0], s.smtp.To("hr@vestas.example")[1]
	if strings.HasPrefix(ask.Subject, "Please answer") {
		ask, remind = remind, ask
	}
	if ask.Subject != "Please approve: Mette Nielsen on Forklift certificate (B)" {
		t.Errorf("request subject %q", ask.Subject)
	}
	for _, want := range []string{"Dear Vestas Wind Systems A/S", `Mette Nielsen, who works for you, has enrolled on "Forklift certificate (B)" at Herningsholm Erhvervsskole, which starts on Monday 11 January 2027`,
		"- whether the company pays the participant fee", "- whether the employee keeps their salary during the course",
		"Participant fee the company pays: DKK 1,040", "Expected allowance to the company if the salary continues: DKK 4,865",
		"Please answer by the end of Thursday 10 December 2026", "https://livslang.herning.dk/employer/commitments"} {
		if !strings.Contains(ask.Body, want) {
			t.Errorf("request lacks %q:\n%s", want, ask.Body)
		}
	}
	if !strings.Contains(ask.HTML, `<a href="https://livslang.herning.dk/employer/commitments"`) || !strings.Contains(ask.HTML, `<html lang="en">`) {
		t.Errorf("request HTML:\n%s", ask.HTML)
	}
	if remind.Subject != "Please answer: Mette Nielsen on Forklift certificate (B)" || !strings.Contains(remind.Body, "has not yet answered") {
		t.Errorf("reminder %q:\n%s", remind.Subject, remind.Body)
	}

	// An approval sends the company nothing; an expiry tells it the deadline passed. Now in Danish.
	approved := c
	approved.Status, approved.CommitmentID = "approved", uuid.NewString()
	s.publish(t, commitmentEvent(t, "answered", approved))
	expired := c
	expired.Status, expired.Company.Language = "expired", "da"
	s.publish(t, commitmentEvent(t, "answered", expired))
	testenv.Eventually(t, 15*time.Second, "the expiry", func() bool { return len(s.smtp.To("hr@vestas.example")) == 3 })
	gone := s.smtp.To("hr@vestas.example")[2]
	if gone.Subject != "Fristen er udløbet: Mette Nielsen på Gaffeltruckcertifikat (B)" ||
		!strings.Contains(gone.Body, "Kære Vestas Wind Systems A/S") || !strings.Contains(gone.Body, "Mette Nielsen har fået besked") ||
		!strings.Contains(gone.Body, "torsdag den 10. december 2026 (inden midnat)") {
		t.Errorf("expiry %q:\n%s", gone.Subject, gone.Body)
	}
	if n := len(s.smtp.Messages()); n != 3 {
		t.Fatalf("%d mails, want the company's three", n)
	}

	// The messages are stored as the company's, with no readable personal data, and listed for its
	// own users only.
	if n := s.count(t, `SELECT count(*) FROM messages WHERE recipient_id = 'company:12345674'
		AND data::text NOT LIKE '%Mette%' AND data::text NOT LIKE '%hr@vestas%'`); n != 3 {
		t.Fatalf("%d stored company messages without personal data, want 3", n)
	}
	if n := s.count(t, `SELECT count(*) FROM messages WHERE recipient_id LIKE 'company:41657006%'`); n != 0 {
		t.Fatalf("%d messages to the company without an address", n)
	}
	own := s.env.Token(t, auth.Claims{Subject: "employer-" + uuid.NewString(), Role: auth.RoleEmployer, CVR: "12345674"})
	var list struct {
		Items []struct{ Kind, Channel, Language, Subject, Status string }
	}
	testenv.Eventually(t, 10*time.Second, "the company's three messages recorded as sent", func() bool {
		r := testenv.Do(t, http.MethodGet, s.base+"/v1/employers/12345674/notifications", own, nil)
		testenv.MustStatus(t, r, http.StatusOK)
		r.JSON(t, &list)
		return len(list.Items) == 3 && list.Items[0].Status == "sent" && list.Items[1].Status == "sent" && list.Items[2].Status == "sent"
	})
	if k := list.Items[0]; k.Kind != "commitment_expired" || k.Language != "da" || k.Channel != "email" {
		t.Fatalf("newest message %+v", k)
	}
	other := s.env.Token(t, auth.Claims{Subject: "employer-" + uuid.NewString(), Role: auth.RoleEmployer, CVR: "41657006"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.base+"/v1/employers/12345674/notifications", other, nil), http.StatusNotFound)

	// Mette's erasure takes the company's messages about her with it.
	req := events.DataRequest{RequestID: uuid.NewString(), CitizenID: mette, Kind: events.DataErasure, RequestedAt: time.Now()}
	e, err := events.New("/livslang/registration", events.TypeDataRequestRequested, events.SubjectDataRequestRequested, req.RequestID, time.Now(), req)
	if err != nil {
		t.Fatal(err)
	}
	s.publish(t, e)
	testenv.Eventually(t, 15*time.Second, "the company's messages about Mette erased", func() bool {
		return s.count(t, `SELECT count(*) FROM messages WHERE recipient_id = 'company:12345674'`) == 0
	})
}
