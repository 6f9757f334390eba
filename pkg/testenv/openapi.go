package testenv

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"livslang.dk/pkg/openapicheck"
)

// The OpenAPI document every exchange Do makes is checked against (docs/openapi.yaml at the root of
// the repository, found from the test's directory), loaded and compiled once per test binary.
var openAPI = sync.OnceValues(func() (*openapicheck.Document, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	path, err := openapicheck.FindModuleFile(wd, "docs/openapi.yaml")
	if err != nil {
		return nil, err
	}
	return openapicheck.Load(path)
})

// undocumentedAnswers are the statuses with which a service answers a route it does not have: a test
// that sends a request to a path or method the document lacks must get one of them (it is probing
// the service's answer to an unknown route), or the endpoint is undocumented.
var undocumentedAnswers = []int{http.StatusNotFound, http.StatusMethodNotAllowed}

// reported keeps each test's mismatches already reported, so a loop of a thousand requests reports
// its mismatch once.
var reported sync.Map // test name + message → struct{}

// checkOpenAPI fails the test when the exchange does not match the document.
func checkOpenAPI(t testing.TB, x openapicheck.Exchange) {
	t.Helper()
	doc, err := openAPI()
	if err != nil {
		t.Errorf("testenv: OpenAPI document: %v", err)
		return
	}
	err = doc.Check(x)
	if err == nil {
		return
	}
	if errors.Is(err, openapicheck.ErrUndocumented) && slices.Contains(undocumentedAnswers, x.Status) {
		return
	}
	msg := err.Error()
	key, _, _ := strings.Cut(msg, "\nbody:")
	if _, seen := reported.LoadOrStore(t.Name()+"\x00"+key, struct{}{}); seen {
		return
	}
	t.Errorf("docs/openapi.yaml: %s", msg)
}

// documentedServices are the services whose APIs docs/openapi.yaml describes (the portal serves pages).
var documentedServices = []string{"registration", "funding", "notification"}

// watched are the hosts (host:port) of the documented services Start runs in this test binary, each
// with the test that started it: CheckClients reports a client's mismatches with them to that test.
var watched sync.Map // host → *watcher

// watcher reports to its test until the test ends (a late call must not touch a finished test).
type watcher struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *watcher) check(x openapicheck.Exchange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		checkOpenAPI(w.t, x)
	}
}

// watch has the service's exchanges with clients other than Do checked for the test, until it ends.
func watch(t testing.TB, name, base string) {
	if !slices.Contains(documentedServices, name) {
		return
	}
	u, err := url.Parse(base)
	if err != nil {
		return
	}
	w := &watcher{t: t}
	watched.Store(u.Host, w)
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
		watched.CompareAndDelete(u.Host, w)
	})
}

// CheckClients checks against docs/openapi.yaml every exchange a client using http.DefaultTransport
// has with a service Start ran (the portal's calls to the APIs, when the portal runs in-process), and
// reports a mismatch to the test that started the service. Call it from TestMain.
func CheckClients() { http.DefaultTransport = checkingTransport{next: http.DefaultTransport} }

// checkedByDo marks a request Do sends: Do checks it itself.
type checkedByDo struct{}

type checkingTransport struct{ next http.RoundTripper }

func (c checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	v, ok := watched.Load(req.URL.Host)
	if !ok || req.Context().Value(checkedByDo{}) != nil {
		return c.next.RoundTrip(req)
	}
	var payload []byte
	if req.Body != nil {
		var err error
		if payload, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(payload))
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	v.(*watcher).check(openapicheck.Exchange{Method: req.Method, URL: req.URL.String(), Header: req.Header,
		RequestBody: payload, Status: resp.StatusCode, ResponseHeader: resp.Header, ResponseBody: raw})
	return resp, nil
}
