package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestShedAnswers429WhenFull(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{})
	h := Shed(1, 50*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	}))
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
		close(done)
	}()
	<-started
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/enrolments", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" ||
		rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("full: %d %v", rec.Code, rec.Header())
	}
	close(release)
	<-done
}

func TestLimiterPerKey(t *testing.T) {
	t.Parallel()
	l := NewLimiter(1, 2)
	if !l.Allow("a") || !l.Allow("a") || l.Allow("a") {
		t.Fatal("a burst of 2, then refused")
	}
	if !l.Allow("b") {
		t.Fatal("another key has its own bucket")
	}
}
