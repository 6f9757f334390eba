package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	portal "livslang.dk/services/portal/service"
)

// balancer sends each request to the next portal in turn, as a round-robin load balancer would: one
// browser's consecutive requests never reach the same instance twice in a row.
type balancer struct {
	mu       sync.Mutex
	backends []*url.URL
	next     int
	served   map[string]int // requests per backend
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	to := b.backends[b.next%len(b.backends)]
	b.next++
	b.served[to.Host]++
	b.mu.Unlock()
	httputil.NewSingleHostReverseProxy(to).ServeHTTP(w, r)
}

func (b *balancer) set(bases ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = nil
	for _, base := range bases {
		u, _ := url.Parse(base)
		b.backends = append(b.backends, u)
	}
}

// TestSessionsWorkOnEveryPortalInstanceAndSurviveARestart: two portals behind a round-robin
// balancer, so the sign-in's callback always lands on the other instance than the one that started
// it; then both are replaced by fresh ones and the user is still signed in. Anonymous sign-ins leave
// nothing behind in a portal: one started by a portal that then stopped completes on a new one.
func TestSessionsWorkOnEveryPortalInstanceAndSurviveARestart(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	lb := &balancer{served: map[string]int{}}
	front := httptest.NewServer(lb)
	t.Cleanup(front.Close)
	extra := map[string]string{
		"LIVSLANG_REGISTRATION_URL": s.reg, "LIVSLANG_FUNDING_URL": s.fund, "LIVSLANG_NOTIFICATION_URL": s.notification,
		"LIVSLANG_PORTAL_URL": front.URL,
	}
	a, stopA := s.env.StartStoppable(t, "portal", portal.Run, extra)
	b, stopB := s.env.StartStoppable(t, "portal", portal.Run, extra)
	lb.set(a, b)

	c := newClient(t, front.URL)
	p := c.signIn("citizen-mette") // /login on one instance, /auth/callback on the other
	if p.URL.Path != "/me/enrolments" {
		t.Fatalf("signed in at %s, want /me/enrolments:\n%s", p.URL, p.Body)
	}
	mustContain(t, p, "Du er logget ind.", "Mette Nielsen")
	frontURL, _ := url.Parse(front.URL)
	for _, ck := range c.http.Jar.Cookies(frontURL) {
		if ck.Name == "livslang_session" {
			t.Logf("a signed-in session's cookie: %d bytes", len(ck.Value))
			if len(ck.Value) > 3000 {
				t.Errorf("a signed-in session's cookie takes %d of a cookie's 4096 bytes", len(ck.Value))
			}
		}
	}
	lb.mu.Lock()
	servedA, servedB := lb.served[strings.TrimPrefix(a, "http://")], lb.served[strings.TrimPrefix(b, "http://")]
	lb.mu.Unlock()
	if servedA == 0 || servedB == 0 {
		t.Fatalf("the balancer sent %d requests to one portal and %d to the other", servedA, servedB)
	}
	// Every page and every form works whichever instance answers; the flash is shown once.
	for range 3 {
		p = c.get("/me/profile")
		if p.URL.Path != "/me/profile" || p.Status != http.StatusOK {
			t.Fatalf("profile: %d at %s", p.Status, p.URL)
		}
		if strings.Contains(p.Body, "Du er logget ind.") {
			t.Fatal("the signed-in message is shown twice")
		}
	}
	form := url.Values{"csrf": {csrf(t, p)}, "name": {"Mette Nielsen"}, "email": {"mette@example.dk"}, "phone": {"+4520123456"},
		"language": {"da"}, "education_level": {"erhvervsuddannelse"}, "education_completed_year": {"2008"},
		"employment_status": {"employed"}, "employment_employer_cvr": {"12345674"}, "employment_since": {"2021-02-01"},
		"employment_weekly_hours": {"37"}, "benefits": {"none"}}
	p = c.post("/me/profile", form)
	mustContain(t, p, "Din profil er gemt.")

	// A sign-in begun on a portal that then stops: its callback reaches one started afterwards.
	started := newClient(t, front.URL)
	idp := started.get("/login")
	if idp.Status != http.StatusOK || strings.HasPrefix(idp.URL.String(), front.URL) {
		t.Fatalf("/login: %d at %s", idp.Status, idp.URL)
	}

	// Both instances are replaced (a deployment): the sessions carry on.
	stopA()
	stopB()
	fresh := s.env.Start(t, "portal", portal.Run, extra)
	lb.set(fresh)
	p = c.get("/me/enrolments")
	if p.URL.Path != "/me/enrolments" || p.Status != http.StatusOK {
		t.Fatalf("after the portals were replaced: %d at %s:\n%s", p.Status, p.URL, p.Body)
	}
	mustContain(t, p, "Mette Nielsen")
	if p = started.finishSignIn(idp, "citizen-lars"); p.URL.Path != "/me/enrolments" {
		t.Fatalf("a sign-in begun before the restart ended at %s:\n%s", p.URL, p.Body)
	}
	mustContain(t, p, "Lars Sørensen")

	// Signing out clears the cookie on whichever instance answers.
	p = c.post("/logout", url.Values{"csrf": {csrf(t, c.get("/me/profile"))}})
	mustContain(t, p, "Du er logget ud.")
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if p := c.get("/me/enrolments"); p.Status != http.StatusSeeOther {
		t.Fatalf("after signing out: %d", p.Status)
	}
}
