// Package testenv starts what a service test needs: a fresh database with the services' schemas and
// roles (pgtest), an embedded JetStream server, the development identity provider, and the services
// themselves in-process, each stopped when the test ends.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"livslang.dk/pkg/apiclient"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/natsembed"
	"livslang.dk/pkg/openapicheck"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/stream"
)

// Env is one test's infrastructure.
type Env struct {
	DB        map[string]string // service → database URL
	NATSURL   string
	IssuerURL string
	Issuer    *auth.DevIssuer

	mu    sync.Mutex
	owner testing.TB          // the test New was called for: its connections close when it ends
	js    jetstream.JetStream // the test's own connection (Publish, Events), to jsURL
	jsURL string
	logs  []ServiceLog
	keys  map[string]string // service → its LIVSLANG_<NAME>_PII_KEYS unless the test names them
}

// ServiceLog is the log of a service Start started, every line it wrote so far.
type ServiceLog struct {
	Name string
	log  *logBuffer
}

// Text is the log so far.
func (l ServiceLog) Text() string { return l.log.String() }

// Logs are the logs of every service started in this environment, in the order they started.
func (e *Env) Logs() []ServiceLog {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ServiceLog(nil), e.logs...)
}

// New starts a database with the given services' schemas, NATS and the identity provider.
// The test binary's TestMain must call pgtest.Main.
func New(t testing.TB, services ...string) *Env {
	t.Helper()
	e := &Env{DB: pgtest.NewDatabase(t, services...)}
	ns, err := natsembed.Start("127.0.0.1", -1, t.TempDir(), "testenv-store-key") // encrypted as under make run
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	e.NATSURL, e.owner = ns.ClientURL(), t
	idp := httptest.NewUnstartedServer(nil)
	e.IssuerURL = "http://" + idp.Listener.Addr().String()
	if e.Issuer, err = auth.NewDevIssuer(e.IssuerURL); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	idp.Config.Handler = e.Issuer.Handler()
	idp.Start()
	t.Cleanup(idp.Close)
	return e
}

// Token issues a bearer token for c.
func (e *Env) Token(t testing.TB, c auth.Claims) string {
	t.Helper()
	tok, err := e.Issuer.Issue(c)
	if err != nil {
		t.Fatalf("testenv: issue token: %v", err)
	}
	return tok
}

// SealingKeys are the sealing keys every instance of a service started here gets as
// LIVSLANG_<NAME>_PII_KEYS unless the test passes its own: one fresh key per service and environment.
func (e *Env) SealingKeys(service string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.keys == nil {
		e.keys = map[string]string{}
	}
	if e.keys[service] == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		e.keys[service] = "1:" + base64.StdEncoding.EncodeToString(b)
	}
	return e.keys[service]
}

// RunFunc is a service's Run.
type RunFunc func(ctx context.Context, getenv func(string) string, stdout io.Writer) error

// logBuffer keeps a service's log, shown when the test fails.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs a service in-process on a free port with the environment's settings plus extra, waits
// until it is ready and returns its base URL. The service stops when the test ends.
func (e *Env) Start(t testing.TB, name string, run RunFunc, extra map[string]string) string {
	t.Helper()
	base, _ := e.StartStoppable(t, name, run, extra)
	return base
}

// StartStoppable is Start, and also returns a function that stops the service before the test ends
// (as a crash or a deployment would; its durable consumers wait on the server for it to come back).
// The port is found free and then handed to the service, so another process on the machine can take
// it in between: a service that cannot bind is started again on another port.
func (e *Env) StartStoppable(t testing.TB, name string, run RunFunc, extra map[string]string) (string, func()) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		base, stop, err := e.start(t, name, run, extra)
		if err == nil {
			return base, stop
		}
		if attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		t.Fatal(err)
	}
}

// start runs the service once and waits until it is ready; the error says why it exited or was not
// ready in time.
func (e *Env) start(t testing.TB, name string, run RunFunc, extra map[string]string) (string, func(), error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	up := strings.ToUpper(name)
	vars := map[string]string{
		"LIVSLANG_" + up + "_ADDR":         addr,
		"LIVSLANG_" + up + "_DATABASE_URL": e.DB[name],
		"LIVSLANG_NATS_URL":                e.NATSURL,
		"LIVSLANG_ISSUER_URL":              e.IssuerURL,
		"LIVSLANG_" + up + "_PII_KEYS":     e.SealingKeys(name),
		// Every portal of the environment opens the others' sessions.
		"LIVSLANG_PORTAL_SESSION_KEYS": e.SealingKeys("portal-session"),
		// A test is development: its webhook receivers run on this machine.
		"LIVSLANG_WEBHOOK_ALLOW_LOOPBACK": "true",
	}
	for k, v := range extra {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logBuffer{}
	e.mu.Lock()
	e.logs = append(e.logs, ServiceLog{Name: name, log: logs})
	e.mu.Unlock()
	exited := make(chan struct{})
	var runErr error
	go func() {
		defer close(exited)
		runErr = run(ctx, func(k string) string { return vars[k] }, logs)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-exited:
				if runErr != nil {
					t.Errorf("%s stopped with: %v", name, runErr)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("%s did not stop within 20 s", name)
			}
			if t.Failed() {
				t.Logf("%s log:\n%s", name, logs.String())
			}
		})
	}
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited: // nothing left to stop
			cancel()
			e.mu.Lock()
			e.logs = e.logs[:len(e.logs)-1]
			e.mu.Unlock()
			return "", nil, fmt.Errorf("%s exited while starting: %v\n%s", name, runErr, logs.String())
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Cleanup(stop)
				watch(t, name, base)
				return base, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("%s not ready after 30 s\n%s", name, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Response is an HTTP response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request; body may be nil, a string (sent as is) or a value (sent as JSON). The request and
// its answer are checked against docs/openapi.yaml: a mismatch, or an endpoint the document does not
// have, fails the test (see checkOpenAPI).
func Do(t testing.TB, method, url, token string, body any, header ...string) Response {
	t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := apiclient.NewRequest(context.Background(), method, url, token, payload, header...)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req.WithContext(context.WithValue(req.Context(), checkedByDo{}, true)))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkOpenAPI(t, openapicheck.Exchange{Method: method, URL: url, Header: req.Header, RequestBody: payload,
		Status: resp.StatusCode, ResponseHeader: resp.Header, ResponseBody: raw})
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Eventually polls cond every 20 ms until it holds or the deadline passes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// MustStatus fails the test unless the response has the status.
func MustStatus(t testing.TB, r Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// String formats a response for failure messages.
func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// JetStream connects the test to the NATS server (or the cluster's servers, comma-separated) at url;
// the connection is closed when the test ends.
func JetStream(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return js
}

// jetStream is the test's connection to NATSURL, made when first needed and again when a test points
// NATSURL elsewhere (at a cluster); it stays open until the test that made the Env ends.
func (e *Env) jetStream(t testing.TB) jetstream.JetStream {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.js == nil || e.jsURL != e.NATSURL {
		owner := e.owner
		if owner == nil { // an Env made by hand
			owner = t
		}
		e.js, e.jsURL = JetStream(owner, e.NATSURL), e.NATSURL
	}
	return e.js
}

// Publish puts an event straight onto JetStream (as another service's outbox relay would), with
// msgID as Nats-Msg-Id; a new msgID lets a test redeliver the same event past deduplication.
func (e *Env) Publish(t testing.TB, env events.Envelope, msgID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stream.EnsureStreams(ctx, e.jetStream(t)); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.jetStream(t).Publish(ctx, env.NATSSubject, raw, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatalf("publish %s: %v", env.Type, err)
	}
}

// Events returns the events stored on a stream subject, oldest first.
func (e *Env) Events(t testing.TB, streamName, subject string) []events.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := e.jetStream(t).Stream(ctx, streamName)
	if err != nil {
		return nil
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		msg, err := st.GetMsg(ctx, seq)
		if err != nil || !subjectMatches(subject, msg.Subject) {
			continue
		}
		env, err := events.Parse(msg.Data)
		if err != nil {
			t.Fatalf("stored event on %s: %v", msg.Subject, err)
		}
		env.NATSSubject = msg.Subject
		out = append(out, env)
	}
	return out
}

// subjectMatches reports whether a NATS subject matches a filter with * and > wildcards.
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(f) == len(s)
}
