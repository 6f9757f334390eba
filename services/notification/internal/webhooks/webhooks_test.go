package webhooks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"livslang.dk/pkg/events"
)

func TestSignMatchesTheReferenceLibrary(t *testing.T) {
	t.Parallel()
	secret, at, body := NewSecret(), time.Unix(1767225600, 0), []byte(`{"id":"e1"}`)
	ref, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ref.Sign("msg_1", at, body)
	if got, err := Sign(secret, "msg_1", at, body); err != nil || got != want {
		t.Fatalf("Sign = %q, %v; the reference library signs %q", got, err, want)
	}
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 {
		t.Fatalf("secret %q", secret)
	}
	if NewSecret() == secret {
		t.Fatal("two secrets alike")
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	queued := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	p := Policy{Schedule: []time.Duration{5 * time.Second, time.Minute, time.Hour}, GiveUpAfter: 72 * time.Hour,
		Jitter: func(d time.Duration) time.Duration { return d }} // the bound itself: the upper edge of full jitter
	for _, c := range []struct {
		failed int
		after  time.Duration // since queued
		wait   time.Duration // 0: give up
	}{
		{1, 0, 5 * time.Second},
		{2, 5 * time.Second, time.Minute},
		{3, time.Minute, time.Hour},
		{40, 50 * time.Hour, time.Hour}, // the last step repeats
		{41, 72*time.Hour - time.Second, time.Hour},
		{42, 72 * time.Hour, 0}, // three days after queueing: give up
	} {
		now := queued.Add(c.after)
		next, ok := p.Next(c.failed, queued, now)
		if ok != (c.wait != 0) || (ok && next.Sub(now) != c.wait) {
			t.Errorf("after failure %d at +%s: %s, %v; want wait %s", c.failed, c.after, next.Sub(now), ok, c.wait)
		}
	}
	// Full jitter: waits spread over [0, bound).
	p.Jitter = nil
	for range 100 {
		next, ok := p.Next(2, queued, queued)
		if !ok || next.Before(queued) || !next.Before(queued.Add(time.Minute)) {
			t.Fatalf("jittered wait %s", next.Sub(queued))
		}
	}
}

func TestPayloadKeepsTheEnvelopeAndLeavesOutProfileFacts(t *testing.T) {
	t.Parallel()
	e, err := events.New("/livslang/registration", events.TypeEnrolmentConfirmed, events.SubjectEnrolmentConfirmed, "enr-1", time.Now(),
		events.Enrolment{EnrolmentID: "enr-1", Version: 3, Status: "confirmed", CitizenID: "cit-1",
			Course:  events.CourseFacts{ID: "run-1", InstitutionID: "inst-1", Title: "Dansk 2"},
			Profile: events.ProfileFacts{BirthDate: "1990-05-17", Benefits: "dagpenge", Employment: events.Employment{EmployerCVR: "12345678"}},
			Funding: &events.FundingSummary{Outcome: "approved", Scheme: "svu", CitizenPaysDKK: 0, WeeklyDKK: 3000, Reasons: []string{"You are 35"}}})
	if err != nil {
		t.Fatal(err)
	}
	inst, body, err := Payload(e)
	if err != nil || inst != "inst-1" {
		t.Fatalf("Payload: %q, %v", inst, err)
	}
	for _, private := range []string{"1990-05-17", "dagpenge", "12345678", "3000", "You are 35", "profile"} {
		if strings.Contains(string(body), private) {
			t.Errorf("body carries %q: %s", private, body)
		}
	}
	got, err := events.Parse(body)
	if err != nil || got.ID != e.ID || got.Type != e.Type || got.Subject != "enr-1" {
		t.Fatalf("envelope %+v, %v", got, err)
	}
	var data struct {
		EnrolmentID string `json:"enrolment_id"`
		Version     int64
		Funding     struct{ Scheme string }
		Course      struct{ ID string }
	}
	if err := json.Unmarshal(got.Data, &data); err != nil || data.EnrolmentID != "enr-1" || data.Version != 3 ||
		data.Funding.Scheme != "svu" || data.Course.ID != "run-1" {
		t.Fatalf("data %s", got.Data)
	}
}

// A webhook never connects to a private or reserved address (whatever its URL's name resolves to);
// loopback stays allowed for development.
func TestRefusePrivateTargets(t *testing.T) {
	t.Parallel()
	for address, allowed := range map[string]bool{
		"93.184.216.34:443": true, "127.0.0.1:8080": true, "[::1]:443": true, "[2a00:1450:4001::1]:443": true,
		"10.0.0.5:443": false, "172.16.3.4:443": false, "192.168.1.1:443": false, "169.254.169.254:80": false,
		"100.64.0.1:443": false, "0.0.0.0:443": false, "[fd00::1]:443": false, "[fe80::1]:443": false, "[::ffff:10.0.0.1]:443": false,
	} {
		if err := refusePrivate("tcp", address, nil); (err == nil) != allowed {
			t.Errorf("%s: %v, want allowed %v", address, err, allowed)
		}
	}
}
