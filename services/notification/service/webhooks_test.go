package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/service"
)

// startNotification runs notification with a retry schedule of milliseconds.
func startNotification(t *testing.T, extra map[string]string) (*testenv.Env, string) {
	t.Helper()
	env := testenv.New(t, "notification")
	vars := map[string]string{"LIVSLANG_WEBHOOK_RETRY_SCHEDULE": "20ms,50ms,100ms"}
	for k, v := range extra {
		vars[k] = v
	}
	return env, env.Start(t, "notification", service.Run, vars)
}

func staff(t *testing.T, env *testenv.Env, institution string) string {
	return env.Token(t, auth.Claims{Subject: "staff-" + uuid.NewString(), Role: auth.RoleInstitution, InstitutionID: institution})
}

// enrolmentEvent is an enrolment event of a run of the institution, with the profile facts and
// allowance registration puts in every enrolment event.
func enrolmentEvent(t *testing.T, eventType, subject, institution string) events.Envelope {
	t.Helper()
	id := uuid.NewString()
	e, err := events.New("/livslang/registration", eventType, subject, id, time.Now(), events.Enrolment{
		EnrolmentID: id, Version: 1, Status: "confirmed", CitizenID: "citizen-" + uuid.NewString(),
		Course: events.CourseFacts{ID: uuid.NewString(), Code: "40103", Title: "Gaffeltruckcertifikat", InstitutionID: institution,
			InstitutionName: "Herningsholm Erhvervsskole", StartsOn: "2027-01-04", EndsOn: "2027-01-08"},
		Profile: events.ProfileFacts{BirthDate: "1990-05-17", Benefits: "kontanthjaelp", Language: "da"},
		Funding: &events.FundingSummary{Outcome: "approved", Scheme: "veu", CitizenPaysDKK: 1040, WeeklyDKK: 4865}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func confirmedFor(t *testing.T, institution string) events.Envelope {
	return enrolmentEvent(t, events.TypeEnrolmentConfirmed, events.SubjectEnrolmentConfirmed, institution)
}

type request struct {
	Header http.Header
	Body   []byte
}

// receiver is a webhook endpoint that records what it gets and answers with status(n) to the n-th request.
type receiver struct {
	URL    string
	mu     sync.Mutex
	got    []request
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, request{req.Header.Clone(), body})
		n := len(r.got)
		r.mu.Unlock()
		w.WriteHeader(r.status(n))
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks/livslang"
	return r
}

func always(status int) func(int) int { return func(int) int { return status } }

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *receiver) count() int { return len(r.requests()) }

type endpointJSON struct {
	ID, URL, Secret, Status, CreatedAt string
	EventTypes                         []string `json:"event_types"`
}

func register(t *testing.T, base, token, institution, url string, types ...string) endpointJSON {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, base+"/v1/institutions/"+institution+"/webhooks", token,
		map[string]any{"url": url, "event_types": types})
	testenv.MustStatus(t, r, http.StatusCreated)
	var e endpointJSON
	r.JSON(t, &e)
	return e
}

type deliveryLog struct {
	Items []struct {
		ID        string
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Status    string
		Attempts  []struct {
			At         string
			StatusCode *int  `json:"status_code"`
			LatencyMS  int64 `json:"latency_ms"`
			Error      string
		}
	}
	Next string
}

func deliveries(t *testing.T, base, token, institution, endpoint string) deliveryLog {
	t.Helper()
	r := testenv.Do(t, http.MethodGet, base+"/v1/institutions/"+institution+"/webhooks/"+endpoint+"/deliveries", token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	var l deliveryLog
	r.JSON(t, &l)
	return l
}

// verify checks a request's signature with the Standard Webhooks reference library.
func verify(t *testing.T, secret string, req request) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(req.Body, req.Header)
}

func TestWebhookIsSignedAndDeliveredOncePerEvent(t *testing.T) {
	t.Parallel()
	// The worker looks for due deliveries once an hour by itself: each webhook below goes out because
	// adding its delivery woke the worker.
	env, base := startNotification(t, map[string]string{"LIVSLANG_NOTIFICATION_IDLE_POLL": "1h"})
	inst, other := uuid.NewString(), uuid.NewString()
	token := staff(t, env, inst)
	recv := newReceiver(t, always(http.StatusNoContent))
	ep := register(t, base, token, inst, recv.URL, events.TypeEnrolmentConfirmed, events.TypeEnrolmentCancelled)
	if !strings.HasPrefix(ep.Secret, "whsec_") || ep.Status != "active" || ep.URL != recv.URL || ep.ID == "" {
		t.Fatalf("created endpoint %+v", ep)
	}

	event := confirmedFor(t, inst)
	env.Publish(t, event, event.ID)
	testenv.Eventually(t, 15*time.Second, "the webhook", func() bool { return recv.count() == 1 })
	got := recv.requests()[0]
	if err := verify(t, ep.Secret, got); err != nil {
		t.Fatalf("signature: %v (headers %v)", err, got.Header)
	}
	if got.Header.Get("Content-Type") != "application/json" || got.Header.Get("webhook-id") == "" {
		t.Fatalf("headers %v", got.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	data, _ := body["data"].(map[string]any)
	if body["id"] != event.ID || body["type"] != events.TypeEnrolmentConfirmed || body["specversion"] != "1.0" || data["status"] != "confirmed" {
		t.Fatalf("body %s", got.Body)
	}
	for _, private := range []string{"birth_date", "kontanthjaelp", "weekly_allowance_dkk", `"profile"`} {
		if strings.Contains(string(got.Body), private) {
			t.Fatalf("body carries %s: %s", private, got.Body)
		}
	}

	// The same event again (past JetStream's deduplication), an event type the endpoint did not ask
	// for and another institution's event send nothing; the marker after them is delivered.
	env.Publish(t, event, "again-"+event.ID)
	requested := enrolmentEvent(t, events.TypeEnrolmentRequested, events.SubjectEnrolmentRequested, inst)
	env.Publish(t, requested, requested.ID)
	others := confirmedFor(t, other)
	env.Publish(t, others, others.ID)
	marker := enrolmentEvent(t, events.TypeEnrolmentCancelled, events.SubjectEnrolmentCancelled, inst)
	env.Publish(t, marker, marker.ID)
	testenv.Eventually(t, 15*time.Second, "the marker's webhook", func() bool { return recv.count() >= 2 })
	reqs := recv.requests()
	if len(reqs) != 2 || !strings.Contains(string(reqs[1].Body), marker.ID) {
		t.Fatalf("%d webhooks, the second %s", len(reqs), reqs[len(reqs)-1].Body)
	}
	testenv.Eventually(t, 10*time.Second, "both deliveries logged as succeeded", func() bool {
		l := deliveries(t, base, token, inst, ep.ID)
		return len(l.Items) == 2 && l.Items[0].Status == "succeeded" && l.Items[1].Status == "succeeded"
	})
	l := deliveries(t, base, token, inst, ep.ID)
	if l.Items[1].EventID != event.ID || l.Items[1].ID != got.Header.Get("webhook-id") || len(l.Items[1].Attempts) != 1 ||
		*l.Items[1].Attempts[0].StatusCode != http.StatusNoContent {
		t.Fatalf("delivery log %+v", l)
	}
}

// Outside development (LIVSLANG_WEBHOOK_ALLOW_LOOPBACK unset) an endpoint on this machine is refused
// when it registers, and one registered before is refused when a delivery dials it: nothing reaches
// it, and the delivery log gives a generic reason, never the dial error.
func TestProductionRefusesLoopbackWebhooks(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, "notification")
	vars := map[string]string{"LIVSLANG_WEBHOOK_RETRY_SCHEDULE": "20ms,50ms,100ms"}
	dev, stopDev := env.StartStoppable(t, "notification", service.Run, vars)
	inst := uuid.NewString()
	token := staff(t, env, inst)
	recv := newReceiver(t, always(http.StatusOK))
	ep := register(t, dev, token, inst, recv.URL, "*") // allowed in development
	stopDev()

	prod := env.Start(t, "notification", service.Run, map[string]string{"LIVSLANG_WEBHOOK_RETRY_SCHEDULE": "20ms,50ms,100ms",
		"LIVSLANG_WEBHOOK_ALLOW_LOOPBACK": "false"})
	for _, url := range []string{recv.URL, "https://127.0.0.1:8443/hook", "http://localhost:5432/", "https://[::1]/",
		"https://169.254.169.254/latest", "https://[64:ff9b::a9fe:a9fe]/"} {
		r := testenv.Do(t, http.MethodPost, prod+"/v1/institutions/"+inst+"/webhooks", token,
			map[string]any{"url": url, "event_types": []string{"*"}})
		var p httpapi.Problem
		if r.JSON(t, &p); r.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "url" {
			t.Errorf("register %s: %s, want 400 naming the url", url, r)
		}
	}
	event := confirmedFor(t, inst)
	env.Publish(t, event, event.ID)
	testenv.Eventually(t, 15*time.Second, "the delivery given up after its retries", func() bool {
		l := deliveries(t, prod, token, inst, ep.ID)
		return len(l.Items) == 1 && len(l.Items[0].Attempts) >= 2
	})
	for _, a := range deliveries(t, prod, token, inst, ep.ID).Items[0].Attempts {
		if a.Error != "the endpoint's address is not allowed (loopback, private or reserved)" || a.StatusCode != nil {
			t.Errorf("attempt %+v, want the generic reason", a)
		}
	}
	if n := recv.count(); n != 0 {
		t.Fatalf("the loopback endpoint received %d requests", n)
	}
}

func TestWebhookRetriesWithTheSameID(t *testing.T) {
	t.Parallel()
	env, base := startNotification(t, nil)
	inst := uuid.NewString()
	token := staff(t, env, inst)
	recv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	ep := register(t, base, token, inst, recv.URL, "*")
	event := confirmedFor(t, inst)
	env.Publish(t, event, event.ID)
	testenv.Eventually(t, 15*time.Second, "three attempts", func() bool { return recv.count() == 3 })
	reqs := recv.requests()
	for i, r := range reqs {
		if r.Header.Get("webhook-id") != reqs[0].Header.Get("webhook-id") {
			t.Fatalf("attempt %d has webhook-id %q, the first %q", i+1, r.Header.Get("webhook-id"), reqs[0].Header.Get("webhook-id"))
		}
		if err := verify(t, ep.Secret, r); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	testenv.Eventually(t, 10*time.Second, "the delivery logged as succeeded", func() bool {
		l := deliveries(t, base, token, inst, ep.ID)
		return len(l.Items) == 1 && l.Items[0].Status == "succeeded"
	})
	d := deliveries(t, base, token, inst, ep.ID).Items[0]
	if d.ID != reqs[0].Header.Get("webhook-id") || len(d.Attempts) != 3 {
		t.Fatalf("delivery %+v", d)
	}
	for i, want := range []int{500, 500, 200} {
		a := d.Attempts[i]
		if a.StatusCode == nil || *a.StatusCode != want || a.At == "" || a.LatencyMS < 0 || (want == 500) != (a.Error != "") {
			t.Fatalf("attempt %d: %+v", i+1, a)
		}
	}
	// A succeeded delivery is not sent again: the next request is the marker's.
	marker := confirmedFor(t, inst)
	env.Publish(t, marker, marker.ID)
	testenv.Eventually(t, 15*time.Second, "the marker's webhook", func() bool { return recv.count() >= 4 })
	if reqs := recv.requests(); len(reqs) != 4 || !strings.Contains(string(reqs[3].Body), marker.ID) {
		t.Fatalf("%d requests, the last %s", len(reqs), reqs[len(reqs)-1].Body)
	}
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	t.Parallel()
	env, base := startNotification(t, nil)
	inst := uuid.NewString()
	token := staff(t, env, inst)
	gone, healthy := newReceiver(t, always(http.StatusGone)), newReceiver(t, always(http.StatusOK))
	goneEP := register(t, base, token, inst, gone.URL, "*")
	register(t, base, token, inst, healthy.URL, "*")

	first := confirmedFor(t, inst)
	env.Publish(t, first, first.ID)
	testenv.Eventually(t, 15*time.Second, "the endpoint disabled", func() bool {
		var list struct{ Items []endpointJSON }
		testenv.Do(t, http.MethodGet, base+"/v1/institutions/"+inst+"/webhooks", token, nil).JSON(t, &list)
		return len(list.Items) == 2 && list.Items[0].ID == goneEP.ID && list.Items[0].Status == "disabled"
	})
	l := deliveries(t, base, token, inst, goneEP.ID)
	if len(l.Items) != 1 || l.Items[0].Status != "gave_up" || *l.Items[0].Attempts[0].StatusCode != http.StatusGone {
		t.Fatalf("delivery log %+v", l)
	}

	second := confirmedFor(t, inst)
	env.Publish(t, second, second.ID)
	testenv.Eventually(t, 15*time.Second, "the healthy endpoint gets both", func() bool { return healthy.count() == 2 })
	if gone.count() != 1 || len(deliveries(t, base, token, inst, goneEP.ID).Items) != 1 {
		t.Fatalf("the disabled endpoint got %d requests", gone.count())
	}
	r := testenv.Do(t, http.MethodPost, base+"/v1/institutions/"+inst+"/webhooks/"+goneEP.ID+"/replay", token,
		map[string]string{"from": "2020-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"})
	testenv.MustStatus(t, r, http.StatusConflict)
}

func TestHangingEndpointDoesNotHoldBackAnother(t *testing.T) {
	t.Parallel()
	// Four deliveries at once in all, two per endpoint: more events than slots, so were the hanging
	// endpoint not capped at its own two, it would take every slot.
	env, base := startNotification(t, map[string]string{"LIVSLANG_WEBHOOK_TIMEOUT": "60s",
		"LIVSLANG_WEBHOOK_CONCURRENCY": "4", "LIVSLANG_WEBHOOK_PER_ENDPOINT": "2"})
	inst := uuid.NewString()
	token := staff(t, env, inst)

	var mu sync.Mutex
	inside, release := 0, make(chan struct{}) // requests the hanging endpoint holds
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inside++
		mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs before hang.Close, which waits for its handlers
	healthy := newReceiver(t, always(http.StatusOK))
	register(t, base, token, inst, hang.URL, "*")
	register(t, base, token, inst, healthy.URL, "*")

	const n = 10
	start := time.Now()
	for range n {
		e := confirmedFor(t, inst)
		env.Publish(t, e, e.ID)
	}
	testenv.Eventually(t, 5*time.Second, "the healthy endpoint gets every event", func() bool { return healthy.count() == n })
	took := time.Since(start)
	mu.Lock()
	held := inside
	mu.Unlock()
	t.Logf("healthy endpoint got %d events in %s while the hanging one held %d requests", n, took, held)
	if took > 3*time.Second {
		t.Fatalf("the healthy endpoint waited %s", took)
	}
	if held < 1 || held > 2 {
		t.Fatalf("the hanging endpoint holds %d requests, want 1 or 2 (its own slots only)", held)
	}
}

func TestRotatedSecretSignsTogetherWithTheOldOne(t *testing.T) {
	t.Parallel()
	env, base := startNotification(t, nil)
	inst := uuid.NewString()
	token := staff(t, env, inst)
	recv := newReceiver(t, always(http.StatusOK))
	ep := register(t, base, token, inst, recv.URL, "*")

	r := testenv.Do(t, http.MethodPost, base+"/v1/institutions/"+inst+"/webhooks/"+ep.ID+"/rotate-secret", token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	var rotated struct {
		Secret  string
		Expires string `json:"previous_secret_expires_at"`
	}
	r.JSON(t, &rotated)
	if expires, err := time.Parse(time.RFC3339, rotated.Expires); err != nil || time.Until(expires) < 23*time.Hour {
		t.Fatalf("old secret expires %q", rotated.Expires)
	}
	if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == ep.Secret {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}

	event := confirmedFor(t, inst)
	env.Publish(t, event, event.ID)
	testenv.Eventually(t, 15*time.Second, "the webhook", func() bool { return recv.count() == 1 })
	got := recv.requests()[0]
	sigs := strings.Fields(got.Header.Get("webhook-signature"))
	if len(sigs) != 2 {
		t.Fatalf("webhook-signature %q, want two signatures", got.Header.Get("webhook-signature"))
	}
	// Each signature on its own: the first is the new secret's, the second the old one's.
	for i, secret := range []string{rotated.Secret, ep.Secret} {
		for j, sig := range sigs {
			one := request{Header: got.Header.Clone(), Body: got.Body}
			one.Header.Set("webhook-signature", sig)
			if err := verify(t, secret, one); (err == nil) != (i == j) {
				t.Fatalf("signature %d under secret %d: %v", j, i, err)
			}
		}
	}
}

func TestReplaySendsARangeAgainWithTheOriginalIDs(t *testing.T) {
	t.Parallel()
	env, base := startNotification(t, nil)
	inst := uuid.NewString()
	token := staff(t, env, inst)
	recv := newReceiver(t, always(http.StatusOK))
	ep := register(t, base, token, inst, recv.URL, "*")

	first := confirmedFor(t, inst)
	env.Publish(t, first, first.ID)
	testenv.Eventually(t, 15*time.Second, "the first webhook", func() bool { return recv.count() == 1 })
	from := time.Now()
	for range 2 {
		e := confirmedFor(t, inst)
		env.Publish(t, e, e.ID)
	}
	testenv.Eventually(t, 15*time.Second, "three webhooks", func() bool { return recv.count() == 3 })
	ids := func(reqs []request) []string {
		var out []string
		for _, r := range reqs {
			out = append(out, r.Header.Get("webhook-id"))
		}
		slices.Sort(out)
		return out
	}

	r := testenv.Do(t, http.MethodPost, base+"/v1/institutions/"+inst+"/webhooks/"+ep.ID+"/replay", token,
		map[string]string{"from": from.UTC().Format(time.RFC3339Nano), "to": time.Now().Add(time.Minute).UTC().Format(time.RFC3339)})
	testenv.MustStatus(t, r, http.StatusAccepted)
	var replayed struct{ Replayed int }
	r.JSON(t, &replayed)
	if replayed.Replayed != 2 {
		t.Fatalf("replayed %d, want 2", replayed.Replayed)
	}
	testenv.Eventually(t, 15*time.Second, "two webhooks again", func() bool { return recv.count() == 5 })
	reqs := recv.requests()
	if again, original := ids(reqs[3:]), ids(reqs[1:3]); !slices.Equal(again, original) {
		t.Fatalf("replayed webhook-ids %v, originally %v", again, original)
	}
	for _, req := range reqs[3:] {
		if err := verify(t, ep.Secret, req); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 10*time.Second, "two attempts logged for the replayed deliveries", func() bool {
		l := deliveries(t, base, token, inst, ep.ID)
		return len(l.Items) == 3 && len(l.Items[0].Attempts) == 2 && len(l.Items[1].Attempts) == 2 && len(l.Items[2].Attempts) == 1 &&
			l.Items[0].Status == "succeeded" && l.Items[1].Status == "succeeded"
	})
}

func TestWebhookAccessAndValidation(t *testing.T) {
	t.Parallel()
	env, base := startNotification(t, nil)
	inst, other := uuid.NewString(), uuid.NewString()
	mine, theirs := staff(t, env, inst), staff(t, env, other)
	citizen := env.Token(t, auth.Claims{Subject: "citizen-" + uuid.NewString(), Role: auth.RoleCitizen, CPR: "0101851234"})
	admin := env.Token(t, auth.Claims{Subject: "admin-" + uuid.NewString(), Role: auth.RoleAdmin})
	hooks := base + "/v1/institutions/" + inst + "/webhooks"
	ep := register(t, base, mine, inst, "https://lms.example.dk/livslang", events.TypeEnrolmentConfirmed)
	one := hooks + "/" + ep.ID
	replay := map[string]string{"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}

	for _, c := range []struct {
		name, method, url, token string
		body                     any
		status                   int
	}{
		{"no token", http.MethodGet, hooks, "", nil, http.StatusUnauthorized},
		{"citizen lists", http.MethodGet, hooks, citizen, nil, http.StatusForbidden},
		{"citizen registers", http.MethodPost, hooks, citizen, map[string]any{"url": "https://x.example", "event_types": []string{"*"}}, http.StatusForbidden},
		{"other institution lists", http.MethodGet, hooks, theirs, nil, http.StatusNotFound},
		{"other institution registers", http.MethodPost, hooks, theirs, map[string]any{"url": "https://x.example", "event_types": []string{"*"}}, http.StatusNotFound},
		{"other institution deletes", http.MethodDelete, one, theirs, nil, http.StatusNotFound},
		{"other institution rotates", http.MethodPost, one + "/rotate-secret", theirs, nil, http.StatusNotFound},
		{"other institution reads the log", http.MethodGet, one + "/deliveries", theirs, nil, http.StatusNotFound},
		{"other institution replays", http.MethodPost, one + "/replay", theirs, replay, http.StatusNotFound},
		{"the endpoint under another institution's path", http.MethodGet,
			base + "/v1/institutions/" + other + "/webhooks/" + ep.ID + "/deliveries", theirs, nil, http.StatusNotFound},
		{"admin lists", http.MethodGet, hooks, admin, nil, http.StatusOK},
		{"own log", http.MethodGet, one + "/deliveries", mine, nil, http.StatusOK},
		{"own replay of an empty range", http.MethodPost, one + "/replay", mine, replay, http.StatusAccepted},
	} {
		if r := testenv.Do(t, c.method, c.url, c.token, c.body); r.Status != c.status {
			t.Errorf("%s: %s, want %d", c.name, r, c.status)
		}
	}

	for _, c := range []struct {
		name   string
		url    string
		body   any
		fields []string
	}{
		{"bad url and unknown type", hooks, map[string]any{"url": "not a url", "event_types": []string{events.TypeEnrolmentConfirmed, "livslang.enrolment.bogus.v1"}},
			[]string{"url", "event_types[1]"}},
		{"plain http to another host", hooks, map[string]any{"url": "http://lms.example.dk/hook", "event_types": []string{"*"}}, []string{"url"}},
		{"ftp", hooks, map[string]any{"url": "ftp://lms.example.dk/hook", "event_types": []string{"*"}}, []string{"url"}},
		{"no event types", hooks, map[string]any{"url": "https://lms.example.dk/hook"}, []string{"event_types"}},
		{"a funding event", hooks, map[string]any{"url": "https://lms.example.dk/hook", "event_types": []string{events.TypeFundingApproved}}, []string{"event_types[0]"}},
		{"replay with bad times", one + "/replay", map[string]string{"from": "yesterday", "to": "2026-01-01T00:00:00Z"}, []string{"from"}},
		{"replay backwards", one + "/replay", map[string]string{"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, []string{"to"}},
	} {
		r := testenv.Do(t, http.MethodPost, c.url, mine, c.body)
		var p httpapi.Problem
		r.JSON(t, &p)
		var fields []string
		for _, f := range p.Errors {
			fields = append(fields, f.Field)
		}
		if r.Status != http.StatusBadRequest || !slices.Equal(fields, c.fields) {
			t.Errorf("%s: %s, want 400 with errors for %v", c.name, r, c.fields)
		}
	}
	if r := testenv.Do(t, http.MethodGet, one+"/deliveries?limit=0", mine, nil); r.Status != http.StatusBadRequest {
		t.Errorf("limit=0: %s", r)
	}

	// Loopback http is allowed (for development); the secret is shown once, never in the list.
	register(t, base, mine, inst, "http://localhost:9999/hook", "*")
	r := testenv.Do(t, http.MethodGet, hooks, mine, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	if strings.Contains(string(r.Body), "whsec_") || strings.Count(string(r.Body), `"id"`) != 2 {
		t.Fatalf("list %s", r.Body)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, one, mine, nil), http.StatusNoContent)
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, one, mine, nil), http.StatusNotFound)
	if r := testenv.Do(t, http.MethodGet, hooks, mine, nil); strings.Contains(string(r.Body), ep.ID) {
		t.Fatalf("deleted endpoint listed: %s", r.Body)
	}
}

// Signing secrets are sealed at rest: the database holds neither the secret nor the previous one in
// the clear. A secret stored before sealing, or sealed with a key since rotated, is sealed with the
// current key at the next start, and still signs.
func TestWebhookSecretsAreSealedAtRest(t *testing.T) {
	t.Parallel()
	s := newStack(t, time.Now(), nil, service.Options{})
	inst := uuid.NewString()
	token := staff(t, s.env, inst)
	recv := newReceiver(t, always(http.StatusNoContent))
	ep := register(t, s.base, token, inst, recv.URL, "*")
	var rotated struct{ Secret string }
	r := testenv.Do(t, http.MethodPost, s.base+"/v1/institutions/"+inst+"/webhooks/"+ep.ID+"/rotate-secret", token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &rotated)
	stored := func() (secret, previous string) {
		t.Helper()
		if err := s.pool.QueryRow(context.Background(), `SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1`,
			ep.ID).Scan(&secret, &previous); err != nil {
			t.Fatal(err)
		}
		return secret, previous
	}
	secret, previous := stored()
	for _, v := range []string{secret, previous} {
		if !strings.HasPrefix(v, "sealed:") || strings.Contains(v, strings.TrimPrefix(ep.Secret, "whsec_")) ||
			strings.Contains(v, strings.TrimPrefix(rotated.Secret, "whsec_")) {
			t.Fatalf("stored secret %q", v)
		}
	}
	// As stored before sealing, then a new current key with the old one still listed.
	if _, err := s.pool.Exec(context.Background(), `UPDATE webhook_endpoints SET secret = $2 WHERE id = $1`, ep.ID, rotated.Secret); err != nil {
		t.Fatal(err)
	}
	s.vars["LIVSLANG_NOTIFICATION_PII_KEYS"] = "2:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "," + s.vars["LIVSLANG_NOTIFICATION_PII_KEYS"]
	s.restart(t)
	again, previousAgain := stored()
	if !strings.HasPrefix(again, "sealed:") || again == secret || previousAgain == previous {
		t.Fatalf("not sealed again with the new key: %q %q", again, previousAgain)
	}
	event := confirmedFor(t, inst)
	s.publish(t, event)
	testenv.Eventually(t, 15*time.Second, "the webhook", func() bool { return recv.count() == 1 })
	for _, secret := range []string{rotated.Secret, ep.Secret} {
		if err := verify(t, secret, recv.requests()[0]); err != nil {
			t.Fatalf("signature with %s: %v", secret[:10], err)
		}
	}
}
