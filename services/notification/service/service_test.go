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
	// The sender looks for due messages once an hour by itself: every mail below is sent because the
	// consumer's commit that queued it (or made its recipient known) woke the sender.
	base := env.Start(t, "notification", service.Run, map[string]string{"LIVSLANG_SMTP_ADDR": smtp.Addr,
		"LIVSLANG_NOTIFICATION_IDLE_POLL": "1h"})
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
	// multipart/alternative: the same words as plain text and as HTML.
	m := byAddr["mette@example.dk"][0]
	text, html := m.Body, m.HTML
	if m.Subject != "Du har fået plads: Gaffeltruckcertifikat" || !strings.Contains(text, "Du betaler: 1.040 kr.") ||
		!strings.Contains(html, "Du betaler: 1.040 kr.") || !strings.Contains(html, `<html lang="da">`) ||
		!strings.Contains(text, "Holdet starter mandag den 4. januar 2027") {
		t.Fatalf("Danish mail: %q\n%s\n%s", m.Subject, text, html)
	}
	j := byAddr["james@example.com"][0]
	text = j.Body
	if j.Subject != "You have a place: Forklift certificate" || !strings.Contains(text, "Dear James Miller") ||
		!strings.Contains(text, "You pay: DKK 1,040") {
		t.Fatalf("English mail: %q\n%s", j.Subject, text)
	}

	// The citizen sees their messages, and only theirs.
	token := env.Token(t, auth.Claims{Subject: mette, Role: auth.RoleCitizen, CPR: "0101851234"})
	var list struct {
		Items []struct {
			ID, Kind, Channel, Language, Subject, Status string
			EventID                                      string  `json:"event_id"`
			SentAt                                       *string `json:"sent_at"`
		}
	}
	// The mail reaches the server a moment before it is recorded as sent.
	testenv.Eventually(t, 10*time.Second, "Mette's two messages recorded as sent", func() bool {
		r := testenv.Do(t, http.MethodGet, base+"/v1/me/notifications", token, nil)
		testenv.MustStatus(t, r, http.StatusOK)
		r.JSON(t, &list)
		return len(list.Items) == 2 && list.Items[0].Status == "sent" && list.Items[1].Status == "sent"
	})
	for _, n := range list.Items {
		if n.Channel != "email" || n.Language != "da" || n.Status != "sent" || n.SentAt == nil || n.Kind != "enrolment_confirmed" ||
			!strings.HasPrefix(n.Subject, "Du har fået plads") {
			t.Fatalf("notification %+v", n)
		}
	}
	// Each mail's Message-ID is its message's id, the same on every attempt.
	ids := map[string]bool{}
	for _, m := range byAddr["mette@example.dk"] {
		ids[m.Header.Get("Message-ID")] = true
	}
	for _, n := range list.Items {
		if !ids["<"+n.ID+"@livslang.herning.dk>"] {
			t.Fatalf("no mail with Message-ID of %s among %v", n.ID, ids)
		}
	}
	for _, n := range list.Items {
		if n.EventID != metteConfirmed.ID && n.EventID != marker.ID {
			t.Fatalf("notification names event %q", n.EventID)
		}
	}
	testenv.Eventually(t, 10*time.Second, "three notification.sent events", func() bool {
		return len(env.Events(t, events.StreamNotification, events.SubjectNotificationSent)) == 3
	})
}
