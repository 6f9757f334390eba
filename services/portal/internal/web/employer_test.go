package web

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/oidc"
	"livslang.dk/services/portal/internal/session"
)

// fakeFunding is funding's employer API as its contract says: a company's contact and commitments,
// reachable only for the company the test's token stands for (another company is 403), answered
// once (409 after).
type fakeFunding struct {
	mu          sync.Mutex
	cvr         string
	company     *api.Company
	commitments []api.Commitment
	// What the portal sent.
	approvals []map[string]any
	declines  []map[string]any
	keys      []string
	puts      []api.Company
	// refunds is the answer to GET …/refunds (JSON).
	refunds       string
	refundQueries []url.Values
	csvAuth       string
}

func (f *fakeFunding) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	problem := func(status int, detail string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
	}
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/employers/")
	if !ok {
		problem(http.StatusNotFound, "no such route")
		return
	}
	parts := strings.Split(rest, "/")
	if parts[0] != f.cvr {
		problem(http.StatusForbidden, "another company's data")
		return
	}
	find := func(id string) *api.Commitment {
		for i := range f.commitments {
			if f.commitments[i].ID == id {
				return &f.commitments[i]
			}
		}
		return nil
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		if f.company == nil {
			problem(http.StatusNotFound, "the company has no contact yet")
			return
		}
		answer(f.company)
	case len(parts) == 1 && r.Method == http.MethodPut:
		var body struct{ Name, Email, Language string }
		d := json.NewDecoder(r.Body)
		d.DisallowUnknownFields() // as funding does: the path names the company
		if err := d.Decode(&body); err != nil {
			problem(http.StatusBadRequest, "unknown field")
			return
		}
		co := api.Company{CVR: f.cvr, Name: body.Name, Email: body.Email, Language: body.Language}
		f.puts = append(f.puts, co)
		f.company = &co
		answer(co)
	case len(parts) == 2 && parts[1] == "refunds" && r.Method == http.MethodGet:
		f.refundQueries = append(f.refundQueries, r.URL.Query())
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.refunds)
	case len(parts) == 2 && parts[1] == "refunds.csv" && r.Method == http.MethodGet:
		f.refundQueries = append(f.refundQueries, r.URL.Query())
		f.csvAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="refusioner-`+f.cvr+`.csv"`)
		_, _ = io.WriteString(w, "\uFEFFid;enrolment_id;decision_id;employee_name;employee_cpr\r\nr-1;e-1;d-1;Mette Nielsen;140388-XXXX\r\n")
	case len(parts) == 2 && parts[1] == "commitments" && r.Method == http.MethodGet:
		items := []api.Commitment{}
		for _, c := range f.commitments {
			if st := r.URL.Query().Get("status"); st == "" || st == c.Status {
				items = append(items, c)
			}
		}
		answer(map[string]any{"items": items})
	case len(parts) == 3 && r.Method == http.MethodGet:
		if c := find(parts[2]); c != nil {
			answer(c)
			return
		}
		problem(http.StatusNotFound, "no such commitment")
	case len(parts) == 4 && r.Method == http.MethodPost:
		c := find(parts[2])
		if c == nil {
			problem(http.StatusNotFound, "no such commitment")
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		if c.Status != "pending" {
			problem(http.StatusConflict, "the commitment was already answered")
			return
		}
		now := time.Now().UTC().Format(time.RFC3339)
		switch parts[3] {
		case "approve":
			f.approvals = append(f.approvals, body)
			pays, salary := body["pays_fee"] == true, body["salary_continues"] == true
			c.Status, c.Answer = "approved", &api.CommitmentAnswer{PaysFee: &pays, SalaryContinues: &salary, AnsweredAt: now}
		case "decline":
			f.declines = append(f.declines, body)
			c.Status, c.Answer = "declined", &api.CommitmentAnswer{Reason: body["reason"].(string), AnsweredAt: now}
		}
		answer(c)
	default:
		problem(http.StatusNotFound, "no such route")
	}
}

func commitment(id, status, name, cprNumber, title string, asks []string, due string) api.Commitment {
	c := api.Commitment{ID: id, DecisionID: "d-" + id, EnrolmentID: "e-" + id, Asks: asks, FeeDKK: 1040, RefundEstimateDKK: 4120,
		Status: status, DueOn: due, CreatedAt: "2026-12-01T09:00:00Z"}
	c.Citizen.Name, c.Citizen.CPR = name, cprNumber
	c.Course.ID, c.Course.Title, c.Course.TitleEN, c.Course.InstitutionName, c.Course.StartsOn = "course-"+id, title, title+" (en)", "Herningsholm Erhvervsskole", "2027-02-01"
	return c
}

// browser is a cookie-keeping client of a portal under test.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

type got struct {
	Status int
	URL    *url.URL
	Body   string
}

func (b *browser) do(req *http.Request) got {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := regexp.MustCompile(`\[[a-z_]+\.[a-z0-9_.]+\]`).FindString(string(body)); m != "" {
		b.t.Fatalf("%s %s shows a missing message key %s", req.Method, req.URL, m)
	}
	return got{Status: resp.StatusCode, URL: resp.Request.URL, Body: string(body)}
}

func (b *browser) get(path string) got {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) got {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (g got) contains(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(g.Body, w) {
			t.Fatalf("%s (%d) lacks %q:\n%s", g.URL, g.Status, w, g.Body)
		}
	}
}

func (g got) lacks(t *testing.T, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(g.Body, w) {
			t.Fatalf("%s (%d) shows %q", g.URL, g.Status, w)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (g got) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(g.Body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", g.URL)
	}
	return m[1]
}

// portalWith starts the portal in front of the given funding and registration handlers, with a
// browser signed in as user (nil: anonymous).
func portalWith(t *testing.T, funding, registration http.Handler, user *session.User, lang string) (*Server, *browser) {
	t.Helper()
	fund := httptest.NewServer(funding)
	t.Cleanup(fund.Close)
	reg := httptest.NewServer(registration)
	t.Cleanup(reg.Close)
	sealer, err := session.NewSealer("1:"+base64.StdEncoding.EncodeToString(make([]byte, 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Log: zap.NewNop(), Sessions: sealer, API: &api.Client{Registration: reg.URL, Funding: fund.URL, Notification: reg.URL, HTTP: fund.Client()},
		Now: func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }}
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	srv := httptest.NewServer(s.Middleware(mux))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	if user != nil {
		sess := sealer.New(time.Hour)
		sess.User = user
		v, err := sealer.Seal(sess)
		if err != nil {
			t.Fatal(err)
		}
		jar.SetCookies(u, []*http.Cookie{{Name: s.sessionCookie(), Value: v, Path: "/"}})
	}
	if lang != "" {
		jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
	}
	return s, &browser{t: t, base: srv.URL, http: &http.Client{Jar: jar}}
}

func herningStaal() *session.User {
	return &session.User{Subject: "e-hs", Role: auth.RoleEmployer, Name: "Herning Stål A/S", CVR: "41657006", Token: "t"}
}

func demoFunding() *fakeFunding {
	return &fakeFunding{cvr: "41657006", commitments: []api.Commitment{
		commitment("c-answered", "approved", "Lars Sørensen", "220679-XXXX", "Svejsning", []string{"salary_continues"}, "2026-12-01"),
		commitment("c-mette", "pending", "Mette Nielsen", "140388-XXXX", "Gaffeltruckcertifikat (B)", []string{"pays_fee", "salary_continues"}, "2026-12-15"),
		commitment("c-jonas", "pending", "Jonas Kristensen", "0908034127", "Ordblindeundervisning", []string{"salary_continues", "leave_agreement"}, "2026-12-08"),
	}}
}

// The list shows the pending first (soonest due first), each with the employee's name and masked
// CPR number, the course, what is asked and the amounts, and answer forms only for what is asked.
func TestEmployerCommitmentsList(t *testing.T) {
	t.Parallel()
	fund := demoFunding()
	_, b := portalWith(t, fund, http.NotFoundHandler(), herningStaal(), "")
	p := b.get("/employer/commitments")
	if p.Status != http.StatusOK {
		t.Fatalf("commitments: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, `<html lang="da">`, `href="/employer/commitments" aria-current="page"`, "Mette Nielsen", "140388-XXXX", "090803-XXXX",
		"Gaffeltruckcertifikat (B)", "Herningsholm Erhvervsskole", "1. februar 2027", "1.040 kr.", "4.120 kr.", "15. december 2026",
		"at virksomheden betaler deltagergebyret", "om lønnen fortsætter under kurset", "orlovsaftale", "Snart", "Venter på svar", "Godkendt")
	p.lacks(t, "0908034127", "[")
	jonas, mette, lars := strings.Index(p.Body, "Jonas Kristensen"), strings.Index(p.Body, "Mette Nielsen"), strings.Index(p.Body, "Lars Sørensen")
	if !(jonas < mette && mette < lars) {
		t.Fatalf("order: Jonas %d, Mette %d, Lars %d: want the pending first, soonest due first", jonas, mette, lars)
	}
	// Mette is asked to pay the fee and about the salary; Jonas only about the salary (and the leave).
	p.contains(t, `id="approve-c-mette-pays_fee"`, `id="approve-c-mette-salary_continues-yes"`, `id="approve-c-jonas-salary_continues"`,
		`<legend>Betaler virksomheden deltagergebyret?</legend>`, `id="decline-c-jonas-reason"`, `for="decline-c-mette-reason"`)
	p.lacks(t, `id="approve-c-jonas-pays_fee"`, `action="/employer/commitments/c-answered/approve"`)
	if n := strings.Count(p.Body, `name="idempotency_key"`); n != 4 {
		t.Fatalf("%d idempotency keys, want one per answer form (4)", n)
	}

	approved := b.get("/employer/commitments?status=approved")
	approved.contains(t, "Lars Sørensen", `<option value="approved" selected>`, "Vis alle anmodninger")
	approved.lacks(t, "Mette Nielsen")
	bad := b.get("/employer/commitments?status=everything")
	bad.contains(t, `id="status-error"`, `aria-invalid="true"`, "Vælg en af de viste statusser.", "Mette Nielsen")

	en := b.get("/lang/en?back=/employer/commitments")
	en.contains(t, `<html lang="en">`, "Gaffeltruckcertifikat (B) (en)", "DKK 1,040", "15 December 2026", "Does the company pay the participant fee?")
}

// Approving needs an answer to each question asked; the answer goes to funding with the form's
// idempotency key, and the list shows a confirmation. A second answer shows funding's reason.
func TestEmployerApprovesAndDeclines(t *testing.T) {
	t.Parallel()
	fund := demoFunding()
	_, b := portalWith(t, fund, http.NotFoundHandler(), herningStaal(), "")
	p := b.get("/employer/commitments")
	token := p.csrf(t)

	missing := b.post("/employer/commitments/c-mette/approve", url.Values{"csrf": {token}, "idempotency_key": {"key-1"}})
	if missing.Status != http.StatusBadRequest {
		t.Fatalf("approve without answers: %d", missing.Status)
	}
	missing.contains(t, `id="error-summary"`, `href="#approve-c-mette-pays_fee"`, `href="#approve-c-mette-salary_continues"`,
		"Vælg, om virksomheden betaler deltagergebyret.", `aria-describedby="approve-c-mette-pays_fee-hint approve-c-mette-pays_fee-error"`,
		`name="idempotency_key" value="key-1"`)
	if len(fund.approvals) != 0 {
		t.Fatal("an incomplete approval reached funding")
	}

	ok := b.post("/employer/commitments/c-mette/approve", url.Values{"csrf": {token}, "idempotency_key": {"key-1"},
		"pays_fee": {"yes"}, "salary_continues": {"no"}})
	if ok.Status != http.StatusOK || ok.URL.Path != "/employer/commitments" {
		t.Fatalf("approve: %d %s\n%s", ok.Status, ok.URL, ok.Body)
	}
	ok.contains(t, "I har godkendt anmodningen for Mette Nielsen.", "Ja, vi betaler gebyret", "Nej, medarbejderen har fri uden løn")
	if len(fund.approvals) != 1 || fund.approvals[0]["pays_fee"] != true || fund.approvals[0]["salary_continues"] != false || fund.keys[0] != "key-1" {
		t.Fatalf("funding got %v with keys %v", fund.approvals, fund.keys)
	}

	again := b.post("/employer/commitments/c-mette/approve", url.Values{"csrf": {token}, "idempotency_key": {"key-2"},
		"pays_fee": {"yes"}, "salary_continues": {"yes"}})
	if again.Status != http.StatusConflict {
		t.Fatalf("answering twice: %d", again.Status)
	}
	again.contains(t, `id="error-summary"`, "Anmodningen er allerede besvaret eller udløbet: the commitment was already answered")

	// Only what is asked is sent: Jonas's company is not asked to pay.
	jonas := b.post("/employer/commitments/c-jonas/approve", url.Values{"csrf": {token}, "idempotency_key": {"key-3"},
		"pays_fee": {"yes"}, "salary_continues": {"yes"}, "filter": {"pending"}})
	if jonas.URL.RawQuery != "status=pending" || fund.approvals[1]["pays_fee"] != false || fund.approvals[1]["salary_continues"] != true {
		t.Fatalf("approve with a filter went to %s, funding got %v", jonas.URL, fund.approvals[1])
	}

	// Declining needs a reason.
	fund.mu.Lock()
	fund.commitments = append(fund.commitments, commitment("c-ana", "pending", "Ana Costa", "010190-XXXX", "Dansk", []string{"pays_fee"}, "2026-12-20"))
	fund.mu.Unlock()
	noReason := b.post("/employer/commitments/c-ana/decline", url.Values{"csrf": {token}, "idempotency_key": {"key-4"}})
	if noReason.Status != http.StatusBadRequest {
		t.Fatalf("decline without a reason: %d", noReason.Status)
	}
	noReason.contains(t, `href="#decline-c-ana-reason"`, "Skriv, hvorfor I afviser.", `aria-invalid="true"`)
	declined := b.post("/employer/commitments/c-ana/decline", url.Values{"csrf": {token}, "idempotency_key": {"key-4"}, "reason": {"Travlt i december"}})
	declined.contains(t, "I har afvist anmodningen for Ana Costa.", "Travlt i december", "Afvist")
	if len(fund.declines) != 1 || fund.declines[0]["reason"] != "Travlt i december" || fund.keys[len(fund.keys)-1] != "key-4" {
		t.Fatalf("funding got %v, keys %v", fund.declines, fund.keys)
	}
	if p := b.post("/employer/commitments/c-ana/decline", url.Values{"reason": {"x"}}); p.Status != http.StatusForbidden {
		t.Fatalf("decline without a CSRF token: %d", p.Status)
	}
}

// The overview counts what waits for an answer and keeps the company's contact.
func TestEmployerOverviewAndContact(t *testing.T) {
	t.Parallel()
	fund := demoFunding()
	_, b := portalWith(t, fund, http.NotFoundHandler(), herningStaal(), "")
	p := b.get("/employer")
	if p.Status != http.StatusOK {
		t.Fatalf("overview: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, `href="/employer" aria-current="page"`, "41657006", "2 anmodninger venter på jeres svar.", "Jonas Kristensen",
		"har ikke gemt kontaktoplysninger endnu", `value="Herning Stål A/S"`, `<legend>Sprog i e-mails</legend>`, `id="language-da" name="language" value="da" checked`)
	token := p.csrf(t)
	bad := b.post("/employer/contact", url.Values{"csrf": {token}, "name": {""}, "email": {"hr at staal"}, "language": {"de"}})
	if bad.Status != http.StatusBadRequest {
		t.Fatalf("bad contact: %d", bad.Status)
	}
	bad.contains(t, `href="#name"`, `href="#email"`, `href="#language"`, "Skriv virksomhedens navn", `value="hr at staal"`)
	if len(fund.puts) != 0 {
		t.Fatal("an invalid contact reached funding")
	}
	ok := b.post("/employer/contact", url.Values{"csrf": {token}, "name": {"Herning Stål A/S"}, "email": {"hr@herningstaal.dk"}, "language": {"en"}})
	if ok.URL.Path != "/employer" || len(fund.puts) != 1 || fund.puts[0] != (api.Company{CVR: "41657006", Name: "Herning Stål A/S", Email: "hr@herningstaal.dk", Language: "en"}) {
		t.Fatalf("save: %s, funding got %v", ok.URL, fund.puts)
	}
	ok.contains(t, "Virksomhedens kontaktoplysninger er gemt.", `value="hr@herningstaal.dk"`, `id="language-en" name="language" value="en" checked`)
}

// An employer user reaches only its own company; funding's 403 for another is the portal's too.
func TestEmployerOfAnotherCompanyIsRefused(t *testing.T) {
	t.Parallel()
	other := &session.User{Subject: "e-ml", Role: auth.RoleEmployer, Name: "Midtjysk Logistik ApS", CVR: "43657003", Token: "t"}
	_, b := portalWith(t, demoFunding(), http.NotFoundHandler(), other, "")
	for _, path := range []string{"/employer", "/employer/commitments"} {
		if p := b.get(path); p.Status != http.StatusForbidden || strings.Contains(p.Body, "Mette") {
			t.Fatalf("%s for another company: %d", path, p.Status)
		}
	}
	noCVR := &session.User{Subject: "e-x", Role: auth.RoleEmployer, Token: "t"}
	_, b = portalWith(t, demoFunding(), http.NotFoundHandler(), noCVR, "")
	if p := b.get("/employer/commitments"); p.Status != http.StatusForbidden {
		t.Fatalf("an employer session without a CVR: %d", p.Status)
	}
}

// A citizen's enrolment that waits for the employer says so: the company, the due date and what
// it was asked.
func TestCitizenSeesTheEmployerWait(t *testing.T) {
	t.Parallel()
	enrolment := `{"id":"e-1","status":"pending","course_id":"k-1","course":{"id":"k-1","title":"Gaffeltruckcertifikat (B)","title_en":"Forklift licence (B)",
	"institution":{"id":"i","name":"Herningsholm Erhvervsskole"},"starts_on":"2027-02-01","ends_on":"2027-02-05","fee_dkk":1040},
	"funding_preference":"veu","funding":{"outcome":"employer_required","scheme":"veu",
	"employer":{"commitment_id":"c-mette","cvr":"41657006","name":"Herning Stål A/S","asks":["salary_continues","pays_fee"],"due_on":"2026-12-15"}},
	"requested_at":"2026-12-07T09:00:00Z","history":[{"status":"pending","at":"2026-12-07T09:00:00Z","cause":"citizen"}]}`
	unnamed := strings.NewReplacer(`"id":"e-1"`, `"id":"e-2"`, `"name":"Herning Stål A/S",`, ``, `"due_on":"2026-12-15"`, `"due_on":""`).Replace(enrolment)
	registration := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/me/enrolments" {
			_, _ = io.WriteString(w, `{"items":[`+enrolment+`,`+unnamed+`]}`)
			return
		}
		http.NotFound(w, r)
	})
	mette := &session.User{Subject: "c-mette", Role: auth.RoleCitizen, Name: "Mette Nielsen", Token: "t"}
	_, b := portalWith(t, http.NotFoundHandler(), registration, mette, "")
	p := b.get("/me/enrolments")
	if p.Status != http.StatusOK {
		t.Fatalf("enrolments: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, "Afventer din arbejdsgiver: Herning Stål A/S skal svare senest 15. december 2026.", "Vi har spurgt Herning Stål A/S:",
		"at virksomheden betaler deltagergebyret", "om lønnen fortsætter under kurset", `<time datetime="2026-12-15">15. december 2026</time>`,
		"Afventer din arbejdsgiver: virksomheden med CVR 41657006 skal svare")
	p.lacks(t, "orlovsaftale")
	if fee, salary := strings.Index(p.Body, "at virksomheden betaler"), strings.Index(p.Body, "om lønnen fortsætter"); fee > salary {
		t.Error("the asks are not in the pages' order")
	}
	_, b = portalWith(t, http.NotFoundHandler(), registration, mette, "en")
	b.get("/me/enrolments").contains(t, "Waiting for your employer: Herning Stål A/S must answer by 15 December 2026.", "We have asked Herning Stål A/S:",
		"whether the salary continues during the course")
}

// Signing in as an employer keeps the company's CVR number from the access token in the session:
// the ID token names only the person. The company's saved contact names it and its language.
func TestEmployerSignInCarriesTheCVR(t *testing.T) {
	t.Parallel()
	idp := httptest.NewUnstartedServer(nil)
	iss, err := auth.NewDevIssuer("http://" + idp.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	iss.SetUsers([]auth.DemoUser{{Key: "employer-herning-staal", Label: "HR, Herning Stål A/S",
		TokenRequest: auth.TokenRequest{Role: auth.RoleEmployer, Sub: "e-hs", CVR: "41657006", Name: "Herning Stål A/S"}}})
	idp.Config.Handler = iss.Handler()
	idp.Start()
	t.Cleanup(idp.Close)
	fund := demoFunding()
	fund.company = &api.Company{CVR: "41657006", Name: "Herning Stål A/S (HR)", Email: "hr@herningstaal.dk", Language: "en"}
	s, b := portalWith(t, fund, http.NotFoundHandler(), nil, "")
	s.OIDC = &oidc.Client{Issuer: iss.URL, ClientID: "portal", RedirectURL: b.base + "/auth/callback", HTTP: idp.Client()}
	s.Verifier = auth.NewVerifier(iss.URL)
	s.Now = time.Now

	page := b.get("/login")
	form := url.Values{"user": {"employer-herning-staal"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`).FindAllStringSubmatch(page.Body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	req, _ := http.NewRequest(http.MethodPost, iss.URL+"/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	home := b.do(req)
	if home.URL.Path != "/employer" {
		t.Fatalf("an employer starts at %s (%d):\n%s", home.URL, home.Status, home.Body)
	}
	home.contains(t, `<html lang="en">`, "You are signed in.", "Herning Stål A/S (HR)", "41657006", `href="/employer/commitments"`)
	u, _ := url.Parse(b.base)
	var user *session.User
	for _, c := range b.http.Jar.Cookies(u) {
		if sess, ok := s.Sessions.Open(c.Value); ok {
			user = sess.User
		}
	}
	if user == nil || user.Role != auth.RoleEmployer || user.CVR != "41657006" {
		t.Fatalf("session user %+v, want the employer with CVR 41657006", user)
	}
}
