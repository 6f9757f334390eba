package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"livslang.dk/pkg/testenv"
)

// client is a cookie-keeping HTTP client that follows redirects, like a browser without JavaScript.
type client struct {
	t    *testing.T
	http *http.Client
	base string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, http: &http.Client{Jar: jar}, base: base}
}

type page struct {
	Status int
	URL    *url.URL
	Header http.Header
	Body   string
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, URL: resp.Request.URL, Header: resp.Header, Body: string(b)}
	if m := missingKey.FindString(p.Body); m != "" {
		c.t.Fatalf("%s %s shows a missing message key %s", req.Method, req.URL, m)
	}
	return p
}

var missingKey = regexp.MustCompile(`\[[a-z_]+\.[a-z0-9_.]+\]`)

func (c *client) get(path string) page {
	c.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = c.base + path
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) page {
	c.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = c.base + path
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

var (
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	csrfInput   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// signIn signs in as the demo user through the identity provider's page.
func (c *client) signIn(key string) page {
	c.t.Helper()
	return c.finishSignIn(c.get("/login"), key)
}

// finishSignIn picks the demo user on the identity provider's page /login led to.
func (c *client) finishSignIn(idp page, key string) page {
	c.t.Helper()
	if idp.Status != http.StatusOK || !strings.Contains(idp.Body, `value="`+key+`"`) {
		c.t.Fatalf("sign-in page %d %s:\n%s", idp.Status, idp.URL, idp.Body)
	}
	form := url.Values{"user": {key}}
	for _, m := range hiddenInput.FindAllStringSubmatch(idp.Body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	idpURL := *idp.URL
	idpURL.RawQuery = ""
	p := c.post(idpURL.String(), form)
	if p.Status != http.StatusOK || !strings.HasPrefix(p.URL.String(), c.base) {
		c.t.Fatalf("after sign-in %d %s:\n%s", p.Status, p.URL, p.Body)
	}
	return p
}

func csrf(t *testing.T, p page) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", p.URL)
	}
	return m[1]
}

func mustContain(t *testing.T, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.Body, w) {
			t.Fatalf("%s (%d) lacks %q:\n%s", p.URL, p.Status, w, p.Body)
		}
	}
}

func TestPortalOverHTTP(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	truck := s.course(t, "gaffeltruck")

	t.Run("public pages and security headers", func(t *testing.T) {
		c := newClient(t, s.base)
		home := c.get("/")
		if home.Status != http.StatusOK {
			t.Fatalf("front page %d", home.Status)
		}
		h := home.Header
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
		} {
			if !strings.Contains(h.Get(k), want) {
				t.Errorf("%s = %q, want %q", k, h.Get(k), want)
			}
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("CSP %q", h.Get("Content-Security-Policy"))
		}
		mustContain(t, home, `<html lang="da">`, "Gå til indholdet", `href="/lang/en?back=%2f"`)
		if strings.Contains(home.Body, "<script>") || strings.Contains(home.Body, "style=") || strings.Contains(home.Body, "<style") {
			t.Errorf("inline script or style on the front page")
		}
		// Search, course page with Danish kroner; then English.
		list := c.get("/courses?q=gaffeltruck")
		mustContain(t, list, "Gaffeltruckcertifikat", "/courses/"+truck.ID, "1.040 kr.")
		detail := c.get("/courses/" + truck.ID)
		mustContain(t, detail, "<h1>Gaffeltruckcertifikat (B)</h1>", "1.040 kr.", "Log ind for at tilmelde dig")
		en := c.get("/lang/en?back=" + url.QueryEscape("/courses/"+truck.ID))
		if en.URL.Path != "/courses/"+truck.ID {
			t.Fatalf("language switch went to %s", en.URL)
		}
		mustContain(t, en, `<html lang="en">`, "DKK 1,040", "Sign in to enrol", `lang="da"`)
		if p := c.get("/lang/en?back=//evil.example/x"); p.URL.Host != strings.TrimPrefix(s.base, "http://") {
			t.Fatalf("open redirect to %s", p.URL)
		}
		if p := c.get("/courses/00000000-0000-0000-0000-000000000000"); p.Status != http.StatusNotFound {
			t.Fatalf("unknown course: %d", p.Status)
		}
		if p := c.get("/courses?starts_after=never"); p.Status != http.StatusOK || !strings.Contains(p.Body, `aria-invalid="true"`) {
			t.Fatalf("bad date filter: %d", p.Status)
		}
		mustContain(t, c.get("/accessibility"), "Accessibility statement for Livslang", "WCAG 2.1")
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if p := c.get(path); p.Status != http.StatusOK {
				t.Errorf("%s: %d", path, p.Status)
			}
		}
	})

	t.Run("signed-in pages need sign-in and the right role", func(t *testing.T) {
		c := newClient(t, s.base)
		c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		p := c.get("/me/enrolments")
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login?back=%2Fme%2Fenrolments" {
			t.Fatalf("anonymous: %d %s", p.Status, p.Header.Get("Location"))
		}
		c.http.CheckRedirect = nil
		c.signIn("caseworker-herning")
		if p := c.get("/me/profile"); p.Status != http.StatusForbidden {
			t.Fatalf("caseworker on a citizen page: %d", p.Status)
		}
		if p := c.get("/institution"); p.Status != http.StatusForbidden {
			t.Fatalf("caseworker on an institution page: %d", p.Status)
		}
	})

	t.Run("session cookie, CSRF and cross-origin posts", func(t *testing.T) {
		c := newClient(t, s.base)
		home := c.signIn("citizen-mette")
		mustContain(t, home, "Mine tilmeldinger", "Du er logget ind.")
		u, _ := url.Parse(s.base)
		var session *http.Cookie
		for _, ck := range c.http.Jar.Cookies(u) {
			if ck.Name == "livslang_session" {
				session = ck
			}
		}
		if session == nil {
			t.Fatal("no session cookie")
		}
		// The jar hides the attributes: read them from a fresh sign-in's Set-Cookie.
		raw := newClient(t, s.base)
		raw.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		login := raw.get("/login")
		sc := login.Header.Get("Set-Cookie")
		if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
			t.Fatalf("session cookie over http: %s", sc)
		}

		profile := c.get("/me/profile")
		token := csrf(t, profile)
		valid := url.Values{"name": {"Mette Nielsen"}, "email": {"mette@example.dk"}, "phone": {"+4520123456"}, "language": {"da"},
			"education_level": {"erhvervsuddannelse"}, "education_completed_year": {"2008"}, "employment_status": {"employed"},
			"employment_employer_cvr": {"12345674"}, "employment_since": {"2021-02-01"}, "employment_weekly_hours": {"37"}, "benefits": {"none"}}
		if p := c.post("/me/profile", valid); p.Status != http.StatusForbidden {
			t.Fatalf("post without CSRF token: %d", p.Status)
		}
		valid.Set("csrf", "wrong")
		if p := c.post("/me/profile", valid); p.Status != http.StatusForbidden {
			t.Fatalf("post with a wrong CSRF token: %d", p.Status)
		}
		valid.Set("csrf", token)
		if p := c.post("/me/profile", valid, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); p.Status != http.StatusForbidden {
			t.Fatalf("cross-origin post: %d", p.Status)
		}

		// Field errors from the API, linked to their fields.
		bad := url.Values{}
		for k, v := range valid {
			bad[k] = v
		}
		bad.Set("email", "not-an-address")
		bad.Set("employment_weekly_hours", "many")
		p := c.post("/me/profile", bad)
		if p.Status != http.StatusBadRequest {
			t.Fatalf("invalid profile: %d", p.Status)
		}
		mustContain(t, p, `id="error-summary"`, `href="#employment_weekly_hours"`, `aria-describedby="employment_weekly_hours-error"`, "Skriv et tal")
		bad.Set("employment_weekly_hours", "37,5")
		p = c.post("/me/profile", bad)
		mustContain(t, p, `href="#email"`, `aria-describedby="email-hint email-error"`, `aria-invalid="true"`, "Skriv en e-mailadresse")
		if p := c.post("/me/profile", valid); p.Status != http.StatusOK || !strings.Contains(p.Body, "Din profil er gemt.") {
			t.Fatalf("valid profile: %d", p.Status)
		}

		// Two tabs on the profile: the second save, made from a form older than the first save, is
		// not lost silently: it says so and keeps what was typed; saving again then goes through.
		version := regexp.MustCompile(`name="version" value="(\d+)"`)
		tabA, tabB := version.FindStringSubmatch(c.get("/me/profile").Body), version.FindStringSubmatch(c.get("/me/profile").Body)
		if tabA == nil || tabB == nil {
			t.Fatal("no version on the profile form")
		}
		a, b := url.Values{}, url.Values{}
		for k, v := range valid {
			a[k], b[k] = v, v
		}
		a.Set("version", tabA[1])
		a.Set("phone", "+4522334455")
		if p := c.post("/me/profile", a); p.Status != http.StatusOK {
			t.Fatalf("the first tab's save: %d", p.Status)
		}
		b.Set("version", tabB[1])
		b.Set("phone", "+4599887766")
		p = c.post("/me/profile", b)
		mustContain(t, p, "Din profil blev gemt et andet sted", "4599887766")
		if p.Status != http.StatusBadRequest {
			t.Fatalf("the second tab's save: %d", p.Status)
		}
		newer := version.FindStringSubmatch(p.Body)
		if newer == nil || newer[1] == tabB[1] {
			t.Fatalf("the form after a conflict has version %v, read %s", newer, tabB[1])
		}
		b.Set("version", newer[1])
		if p := c.post("/me/profile", b); p.Status != http.StatusOK || !strings.Contains(p.Body, "Din profil er gemt.") {
			t.Fatalf("saving again after the conflict: %d", p.Status)
		}

		// Enrolling twice with the form's key enrols once.
		course := c.get("/courses/" + truck.ID)
		mustContain(t, course, "Hvad kan du få i støtte?", "VEU-godtgørelse", "Tilmeld mig")
		key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(course.Body)
		if key == nil {
			t.Fatal("no idempotency key on the enrol form")
		}
		enrol := url.Values{"csrf": {token}, "course_id": {truck.ID}, "funding_preference": {"veu"}, "idempotency_key": {key[1]}}
		first := c.post("/enrolments", enrol)
		second := c.post("/enrolments", enrol)
		if first.URL.Path != "/me/enrolments" || second.URL.Path != "/me/enrolments" {
			t.Fatalf("enrol went to %s and %s: %s", first.URL, second.URL, second.Body)
		}
		if n := len(s.enrolments(t, "citizen-mette")); n != 1 {
			t.Fatalf("%d enrolments after a double submit, want 1", n)
		}
		mustContain(t, first, "Gaffeltruckcertifikat", "Forløb")

		// Sign out ends the session.
		if p := c.post("/logout", url.Values{"csrf": {token}}); !strings.Contains(p.Body, "Du er logget ud.") {
			t.Fatalf("sign out: %d", p.Status)
		}
		c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if p := c.get("/me/enrolments"); p.Status != http.StatusSeeOther {
			t.Fatalf("after sign-out: %d", p.Status)
		}
	})

	t.Run("caseworker eligibility keeps the CPR number out of URLs and pages", func(t *testing.T) {
		c := newClient(t, s.base)
		c.signIn("caseworker-herning")
		p := c.get("/caseworker/eligibility")
		p = c.post("/caseworker/eligibility", url.Values{"csrf": {csrf(t, p)}, "cpr": {"2206791455"}, "course_id": {truck.ID}})
		if p.Status != http.StatusOK || p.URL.Path != "/caseworker/eligibility" || p.URL.RawQuery != "" {
			t.Fatalf("eligibility: %d %s", p.Status, p.URL)
		}
		mustContain(t, p, "Støtte for CPR 220679-XXXX", "VEU-godtgørelse")
		if strings.Contains(p.Body, "2206791455") {
			t.Fatal("the page shows the whole CPR number")
		}
		p = c.post("/caseworker/eligibility", url.Values{"csrf": {csrf(t, p)}, "cpr": {"12"}, "course_id": {truck.ID}})
		mustContain(t, p, `href="#cpr"`, "Skriv et gyldigt CPR-nummer")
	})

	t.Run("institution downloads its CSV files", func(t *testing.T) {
		c := newClient(t, s.base)
		c.signIn("institution-herningsholm")
		for _, name := range []string{"courses.csv", "enrolments.csv"} {
			p := c.get("/institution/" + name)
			if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(p.Header.Get("Content-Disposition"), name) {
				t.Fatalf("%s: %d %v", name, p.Status, p.Header)
			}
		}
		if p := c.get("/institution/secrets.csv"); p.Status != http.StatusNotFound {
			t.Fatalf("other file: %d", p.Status)
		}
	})
	t.Run("a citizen accepts a seat offered from the waiting list", func(t *testing.T) {
		weld := s.course(t, "svejsning")
		if weld.SeatsTotal != 2 {
			t.Skipf("the welding run has %d seats", weld.SeatsTotal)
		}
		lars := s.enrol(t, "citizen-lars", weld.ID, "self")
		s.enrol(t, "citizen-sofie", weld.ID, "self")
		ole := s.enrol(t, "citizen-ole", weld.ID, "self")
		if ole.Status != "waitlisted" {
			t.Fatalf("third request is %s", ole.Status)
		}
		testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+lars.ID+"/cancel", s.token(t, "citizen-lars"), nil), http.StatusOK)
		s.waitEnrolment(t, "citizen-ole", ole.ID, "offered", func(e enrolment) bool { return e.Status == "offered" })
		c := newClient(t, s.base)
		c.signIn("citizen-ole")
		p := c.get("/me/enrolments")
		mustContain(t, p, "Der er en plads til dig.", "/me/enrolments/"+ole.ID+"/offer/accept")
		p = c.post("/me/enrolments/"+ole.ID+"/offer/accept", url.Values{"csrf": {csrf(t, p)}})
		mustContain(t, p, "Du har taget imod pladsen.")
		s.waitEnrolment(t, "citizen-ole", ole.ID, "accepted", func(e enrolment) bool { return e.Status == "pending" || e.Status == "confirmed" })
	})
}
