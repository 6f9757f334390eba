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
	h := Shed(1, 1, 50*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// With its queue full, a request is refused at once: it does not wait for a slot (here a minute).
func TestShedRefusesAtOnceWhenTheQueueIsFull(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	h := Shed(1, 1, time.Minute, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	}))
	codes := make(chan int, 2)
	serve := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/enrolments", nil))
		codes <- rec.Code
	}
	go serve()
	<-started  // the first runs
	go serve() // the second waits for its slot
	deadline := time.Now().Add(10 * time.Second)
	for h.(*shedder).waiting() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the second request never queued")
		}
		time.Sleep(time.Millisecond)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/enrolments", nil)) // returns while the first still runs
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("queue full: %d %v", rec.Code, rec.Header())
	}
	close(release)
	if a, b := <-codes, <-codes; a != http.StatusOK || b != http.StatusOK {
		t.Fatalf("the running and the waiting request: %d, %d; want both served", a, b)
	}
}

func TestLimiterPerKey(t *testing.T) {
	t.Parallel()
	l := NewLimiter(0.5, 2)
	for i, want := range []bool{true, true, false} {
		if ok, wait := l.Allow("a"); ok != want || (!ok && (wait <= time.Second || wait > 2*time.Second)) {
			t.Fatalf("request %d: %v, wait %s; want a burst of 2, then a wait of up to 2 s", i+1, ok, wait)
		}
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key has its own bucket")
	}
	rec := httptest.NewRecorder()
	l.Limit(func(*http.Request) string { return "a" }, http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("over the limit: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
