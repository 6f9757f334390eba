package service_test

import (
	"fmt"
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

// Behind a trusted proxy (the ingress, or the portal calling for a visitor) anonymous callers are
// limited one by one, by the address the proxy forwards for: one visitor over the limit holds back
// no other. A caller that is not a trusted proxy cannot pick its bucket with a forged header.
func TestAnonymousCallersBehindATrustedProxyAreLimitedOneByOne(t *testing.T) {
	t.Parallel()
	b := setupWith(t, map[string]string{"LIVSLANG_RATE_PER_CALLER": "1", "LIVSLANG_TRUSTED_PROXIES": "127.0.0.1,::1"})
	untrusted := setupWith(t, map[string]string{"LIVSLANG_RATE_PER_CALLER": "1"})
	catalogue := func(base, visitor string) int {
		return testenv.Do(t, http.MethodGet, base+"/v1/courses", "", nil, "X-Forwarded-For", visitor).Status
	}
	// refused sends 20 requests at once, the i-th forwarded for visitor(i), and reports whether any was refused.
	refused := func(base string, visitor func(i int) string) bool {
		for i := range 20 {
			if catalogue(base, visitor(i)) == http.StatusTooManyRequests {
				return true
			}
		}
		return false
	}
	one := func(int) string { return "198.51.100.7" }
	if !refused(b.base, one) {
		t.Fatal("20 catalogue requests from one visitor at once, none refused")
	}
	if got := catalogue(b.base, "198.51.100.8"); got != http.StatusOK {
		t.Fatalf("another visitor behind the same proxy: %d, want 200", got)
	}
	// What a client writes itself, left of what the proxy appends, picks no bucket.
	if !refused(b.base, func(i int) string { return fmt.Sprintf("203.0.113.%d, 198.51.100.9", i+1) }) {
		t.Fatal("a client got a fresh bucket for each address it wrote left of the proxy's")
	}
	// Nor does a forged header from a caller that is not a trusted proxy.
	if !refused(untrusted.base, func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }) {
		t.Fatal("a forged X-Forwarded-For picked a fresh bucket from an untrusted caller")
	}
}
