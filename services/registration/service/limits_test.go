package service_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"livslang.dk/pkg/testenv"
)

// A citizen over a limit gets 429 with Retry-After, as problem+json, and another citizen is not held
// back: the enrolment limit per citizen (1 a second, bursts of 5 here) and the limit on any caller
// (5 a second, bursts of 10 here).
func TestOverLimitCitizenGets429WithRetryAfter(t *testing.T) {
	t.Parallel()
	b := setupWith(t, map[string]string{"LIVSLANG_REGISTRATION_RATE_PER_CITIZEN": "1", "LIVSLANG_RATE_PER_CALLER": "5"})
	course := b.course(t, 100)
	over := func(name string, send func(i int) testenv.Response) {
		t.Helper()
		for i := range 20 {
			r := send(i)
			if r.Status != http.StatusTooManyRequests {
				continue
			}
			wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || wait < 1 || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: a 429 with Retry-After %q, %s", name, r.Header.Get("Retry-After"), r.Header.Get("Content-Type"))
			}
			if i < 5 {
				t.Fatalf("%s: refused after %d requests, within the burst", name, i)
			}
			return
		}
		t.Fatalf("%s: 20 requests at once, none refused", name)
	}
	mette, jonas := b.citizen(t, 1), b.citizen(t, 2)
	over("enrolments", func(i int) testenv.Response { return b.enrol(t, mette, course, uuid.NewString()) })
	testenv.MustStatus(t, b.enrol(t, jonas, course, uuid.NewString()), http.StatusAccepted)
	over("any request", func(int) testenv.Response { return testenv.Do(t, http.MethodGet, b.base+"/v1/me/profile", jonas, nil) })
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/me/profile", b.citizen(t, 3), nil), http.StatusOK)
}
