package service_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/service"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func profile(t *testing.T, citizen, name, email, language string, version int64) events.Envelope {
	e, err := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, citizen, time.Now(),
		events.ProfileUpdated{CitizenID: citizen, Version: version, Name: name, Email: email, Facts: events.ProfileFacts{Language: language}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func confirmed(t *testing.T, citizen string) events.Envelope {
	e, err := events.New("/livslang/registration", events.TypeEnrolmentConfirmed, events.SubjectEnrolmentConfirmed, "", time.Now(),
		events.Enrolment{EnrolmentID: uuid.NewString(), Version: 2, Status: "confirmed", CitizenID: citizen,
			Course: events.CourseFacts{Title: "Gaffeltruckcertifikat", TitleEN: "Forklift certificate", InstitutionName: "Herningsholm Erhvervsskole",
				StartsOn: "2027-01-04", EndsOn: "2027-01-08"},
			Funding: &events.FundingSummary{Outcome: "approved", Scheme: "veu", CitizenPaysDKK: 1040, WeeklyDKK: 4865}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOneMailPerEventInTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, "notification")
	smtp := smtptest.Start(t)
	base := env.Start(t, "notification", service.Run, map[string]string{"LIVSLANG_SMTP_ADDR": smtp.Addr})
	mette, james := "mette-"+uuid.NewString(), "james-"+uuid.NewString()

	// James's enrolment event arrives before his profile: the message waits for the address.
	jamesConfirmed := confirmed(t, james)
	env.Publish(t, jamesConfirmed, jamesConfirmed.ID)
	for _, e := range []events.Envelope{
		profile(t, mette, "Mette Nielsen", "mette@example.dk", "da", 1),
		profile(t, james, "James Miller", "james@example.com", "en", 2),
		profile(t, james, "James Old", "old@example.com", "da", 1), // an older version arriving late changes nothing
	} {
		env.Publish(t, e, e.ID)
	}
	metteConfirmed := confirmed(t, mette)
	env.Publish(t, metteConfirmed, metteConfirmed.ID)
	testenv.Eventually(t, 15*time.Second, "two mails", func() bool { return len(smtp.Messages()) == 2 })

	// Redelivered events (past deduplication) send nothing more.
	env.Publish(t, metteConfirmed, "again-"+metteConfirmed.ID)
	env.Publish(t, jamesConfirmed, "again-"+jamesConfirmed.ID)
	marker := confirmed(t, mette)
	env.Publish(t, marker, marker.ID)
	testenv.Eventually(t, 15*time.Second, "the marker's mail", func() bool { return len(smtp.Messages()) == 3 })

	byAddr := map[string][]smtptest.Message{}
	for _, m := range smtp.Messages() {
		byAddr[m.To[0]] = append(byAddr[m.To[0]], m)
	}
	if len(byAddr["mette@example.dk"]) != 2 || len(byAddr["james@example.com"]) != 1 {
		t.Fatalf("mails by address: %v", byAddr)
	}
	m := byAddr["mette@example.dk"][0]
	if m.Subject != "Du har fået plads: Gaffeltruckcertifikat" || !strings.Contains(m.Body, "Du betaler: 1040 kr.") {
		t.Fatalf("Danish mail: %q\n%s", m.Subject, m.Body)
	}
	j := byAddr["james@example.com"][0]
	if j.Subject != "You have a place: Forklift certificate" || !strings.Contains(j.Body, "Dear James Miller") {
		t.Fatalf("English mail: %q\n%s", j.Subject, j.Body)
	}

	// The citizen sees their messages, and only theirs.
	token := env.Token(t, auth.Claims{Subject: mette, Role: auth.RoleCitizen, CPR: "0101851234"})
	var list struct {
		Items []struct {
			ID, EventID, Kind, Channel, Language, Subject, Status string
			SentAt                                                *string `json:"sent_at"`
		}
	}
	r := testenv.Do(t, http.MethodGet, base+"/v1/me/notifications", token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("Mette sees %d notifications, want 2", len(list.Items))
	}
	for _, n := range list.Items {
		if n.Channel != "email" || n.Language != "da" || n.Status != "sent" || n.SentAt == nil || n.Kind != "enrolment_confirmed" {
			t.Fatalf("notification %+v", n)
		}
	}
	sent := env.Events(t, events.StreamNotification, events.SubjectNotificationSent)
	if len(sent) != 3 {
		t.Fatalf("%d notification.sent events, want 3", len(sent))
	}
}
