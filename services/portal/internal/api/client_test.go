package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

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
