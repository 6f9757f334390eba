package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
)

// The portal's calls for a visitor carry the visitor's address, as the portal found it through its
// own trusted proxies, so an API that trusts the portal limits each visitor alone.
func TestCallsForAVisitorCarryTheVisitorsAddress(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 1)
	registration := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("X-Forwarded-For")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"x"}`))
	}))
	t.Cleanup(registration.Close)
	c := &Client{Registration: registration.URL, HTTP: registration.Client()}
	ingress, _ := httpapi.ParseProxies("10.0.0.0/8")
	page := httpapi.WithClient(ingress, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := c.Course(r.Context(), "x"); err != nil {
			t.Error(err)
		}
	}))
	r := httptest.NewRequest(http.MethodGet, "/courses/x", nil)
	r.RemoteAddr = "10.0.0.9:4000"
	r.Header.Set("X-Forwarded-For", "203.0.113.1, 198.51.100.7")
	page.ServeHTTP(httptest.NewRecorder(), r)
	if got := <-seen; got != "198.51.100.7" {
		t.Fatalf("the API was told X-Forwarded-For %q, want the visitor 198.51.100.7", got)
	}
}

// A problem an API answers reaches the portal with its kind and the API's words for the user; a
// server error reaches it with the generic detail, never the error's text.
func TestProblemsKeepTheirKindAndOnlyTheCallersWords(t *testing.T) {
	t.Parallel()
	var answer error
	registration := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteProblem(w, r, answer)
	}))
	t.Cleanup(registration.Close)
	c := &Client{Registration: registration.URL, HTTP: registration.Client()}
	for _, tc := range []struct {
		answer error
		kind   fault.Kind
		detail string
	}{
		{fmt.Errorf("hold seat: %w", fault.New(fault.Conflict, "the course run has no seats left")), fault.Conflict, "the course run has no seats left"},
		{fmt.Errorf("get course: %w", fault.NotFound), fault.NotFound, "not found"},
		{fault.InvalidField("place", "not a place we know"), fault.Invalid, "invalid request: place: not a place we know"},
		{fmt.Errorf("store: insert: %w", errors.New(`ERROR: column "x" does not exist`)), 0, httpapi.InternalDetail},
	} {
		answer = tc.answer
		_, err := c.Course(context.Background(), "x")
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v: %v is no *Error", tc.answer, err)
		}
		if KindOf(err) != tc.kind || e.Detail != tc.detail || (tc.kind != 0 && !errors.Is(err, tc.kind)) {
			t.Errorf("%v: kind %v, detail %q; want %v, %q", tc.answer, KindOf(err), e.Detail, tc.kind, tc.detail)
		}
		if errors.Is(err, fault.Gone) {
			t.Errorf("%v: is Gone", tc.answer)
		}
	}
}
