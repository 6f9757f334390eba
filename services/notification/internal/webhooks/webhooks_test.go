package webhooks

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"livslang.dk/pkg/events"
	"livslang.dk/services/notification/internal/store"
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
			Profile: events.ProfileFacts{BirthDate: "1990-05-17", Benefits: "dagpenge", Employment: events.Employment{EmployerCVR: "12345674"}},
			Funding: &events.FundingSummary{Outcome: "approved", Scheme: "svu", CitizenPaysDKK: 0, WeeklyDKK: 3000, Reasons: []string{"You are 35"}}})
	if err != nil {
		t.Fatal(err)
	}
	inst, body, err := Payload(e)
	if err != nil || inst != "inst-1" {
		t.Fatalf("Payload: %q, %v", inst, err)
	}
	for _, private := range []string{"1990-05-17", "dagpenge", "12345674", "3000", "You are 35", "profile"} {
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

// A webhook never connects to a private, reserved or NAT64 address (whatever its URL's name resolves
// to), nor to loopback outside development.
func TestTargetsRefusePrivateAddresses(t *testing.T) {
	t.Parallel()
	for address, allowed := range map[string]bool{
		"93.184.216.34:443": true, "[2a00:1450:4001::1]:443": true,
		"127.0.0.1:8080": false, "127.9.9.9:5432": false, "[::1]:443": false, "[::ffff:127.0.0.1]:22": false,
		"10.0.0.5:443": false, "172.16.3.4:443": false, "192.168.1.1:443": false, "169.254.169.254:80": false,
		"100.64.0.1:443": false, "0.0.0.0:443": false, "[fd00::1]:443": false, "[fe80::1]:443": false, "[::ffff:10.0.0.1]:443": false,
		"[64:ff9b::a9fe:a9fe]:80": false, "[64:ff9b::7f00:1]:80": false, "[64:ff9b:1::a00:5]:443": false,
	} {
		if err := (Targets{}).control("tcp", address, nil); (err == nil) != allowed {
			t.Errorf("production: %s: %v, want allowed %v", address, err, allowed)
		}
		wantDev := allowed || strings.HasPrefix(address, "127.") || address == "[::1]:443" || strings.HasPrefix(address, "[::ffff:127.")
		if err := (Targets{AllowLoopback: true}).control("tcp", address, nil); (err == nil) != wantDev {
			t.Errorf("development: %s: %v, want allowed %v", address, err, wantDev)
		}
	}
}

// An endpoint's URL is refused when it registers if it points at this machine (outside development)
// or at an address no delivery may reach.
func TestTargetsCheckURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url         string
		prod, devel bool // accepted
	}{
		{"https://hooks.example.dk/livslang", true, true},
		{"https://93.184.216.34/x", true, true},
		{"http://hooks.example.dk/x", false, false},
		{"http://127.0.0.1:5432/", false, true},
		{"https://127.0.0.1:8443/", false, true},
		{"http://localhost:9000/x", false, true},
		{"http://LocalHost./x", false, true},
		{"http://api.localhost/x", false, true},
		{"http://[::1]:22/", false, true},
		{"https://[::ffff:127.0.0.1]/", false, true},
		{"https://10.1.2.3/", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://[64:ff9b::a9fe:a9fe]/", false, false},
		{"https://[fe80::1%25eth0]/", false, false},
		{"https://user:pw@hooks.example.dk/", false, false},
		{"ftp://hooks.example.dk/", false, false},
		{"", false, false},
	} {
		if got := (Targets{}).CheckURL(c.url) == ""; got != c.prod {
			t.Errorf("production: %q accepted %v, want %v (%s)", c.url, got, c.prod, (Targets{}).CheckURL(c.url))
		}
		if got := (Targets{AllowLoopback: true}).CheckURL(c.url) == ""; got != c.devel {
			t.Errorf("development: %q accepted %v, want %v (%s)", c.url, got, c.devel, (Targets{AllowLoopback: true}).CheckURL(c.url))
		}
	}
}

// Deliveries ignore HTTP_PROXY and HTTPS_PROXY: a proxy would connect for them, past the address check.
func TestDeliveriesIgnoreProxySettings(t *testing.T) {
	t.Parallel()
	w := &Worker{}
	w.defaults()
	if tr, ok := w.Client.Transport.(*http.Transport); !ok || tr.Proxy != nil {
		t.Fatalf("the default client's transport takes a proxy from the environment")
	}
}

// A refused or failed attempt says what kind of failure it was, never the dial error, which would
// tell an institution what listens where in notification's network.
func TestDeliveryLogShowsAGenericReason(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("delivered to loopback") }))
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	for _, c := range []struct {
		targets Targets
		url     string
		want    string
	}{
		{Targets{}, srv.URL + "/hook", "the endpoint's address is not allowed (loopback, private or reserved)"},
		{Targets{AllowLoopback: true}, closedURL, "could not connect to the endpoint"},
		{Targets{}, "http://nothing-here.invalid/", "the endpoint's host name could not be resolved"},
	} {
		w := &Worker{Targets: c.targets, Timeout: 5 * time.Second}
		w.defaults()
		a, cause := w.send(context.Background(), store.Delivery{ID: uuid.New(), URL: c.url, Payload: []byte(`{}`),
			Secrets: []string{NewSecret()}})
		if a.Error != c.want || cause == nil {
			t.Errorf("%s: delivery log says %q (cause %v), want %q", c.url, a.Error, cause, c.want)
		}
		if strings.Contains(a.Error, "127.0.0.1") || strings.Contains(a.Error, "refused") {
			t.Errorf("%s: the delivery log names the address or the port's state: %q", c.url, a.Error)
		}
	}
}
