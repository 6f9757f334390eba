package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var commitmentForm = regexp.MustCompile(`action="/employer/commitments/([0-9a-f-]{36})/approve"`)

// The employer's side over HTTP against the real services: an employee's VEU enrolment waits for
// the company, the citizen is told so, the company keeps its contact, sees the request (name and
// masked CPR number only) and approves it; another company never sees it.
func TestEmployerOverHTTP(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	truck := s.course(t, "gaffeltruck")
	s.employee(t, "citizen-mads", "41657006")
	e := s.waitEmployer(t, "citizen-mads", truck.ID)

	// The citizen: waiting for the employer, who, by when and what was asked.
	citizen := newClient(t, s.base)
	citizen.signIn("citizen-mads")
	mine := citizen.get("/me/enrolments")
	mustContain(t, mine, "Afventer din arbejdsgiver", "enrolment-"+e.ID, "Svarfrist:")

	// The company: its contact, then the request.
	hr := newClient(t, s.base)
	home := hr.signIn("employer-herning-staal")
	if home.URL.Path != "/employer" {
		t.Fatalf("an employer starts at %s", home.URL)
	}
	mustContain(t, home, "Virksomhedens side", "41657006", "Virksomhedens kontaktoplysninger", `href="/employer/commitments"`)
	token := csrf(t, home)
	bad := hr.post("/employer/contact", url.Values{"csrf": {token}, "name": {"Herning Stål A/S"}, "email": {"nope"}, "language": {"da"}})
	mustContain(t, bad, `href="#email"`, "Skriv en e-mailadresse")
	saved := hr.post("/employer/contact", url.Values{"csrf": {token}, "name": {"Herning Stål A/S"}, "email": {"hr@herningstaal.dk"}, "language": {"da"}})
	mustContain(t, saved, "Virksomhedens kontaktoplysninger er gemt.", `value="hr@herningstaal.dk"`)

	list := hr.get("/employer/commitments?status=pending")
	mustContain(t, list, "Mads Holm", "120790-XXXX", "Gaffeltruckcertifikat", "Svarfrist", "Venter på svar")
	noCPR(t, list, user("citizen-mads").CPR)
	m := commitmentForm.FindStringSubmatch(list.Body)
	if m == nil {
		t.Fatalf("no approve form:\n%s", list.Body)
	}
	id := m[1]
	// Without answers to what is asked: the errors, nothing sent.
	missing := hr.post("/employer/commitments/"+id+"/approve", url.Values{"csrf": {token}, "idempotency_key": {randomKey()}})
	if missing.Status != http.StatusBadRequest {
		t.Fatalf("approve without answers: %d", missing.Status)
	}
	mustContain(t, missing, `id="error-summary"`)
	answers := url.Values{"csrf": {token}, "idempotency_key": {randomKey()}, "filter": {"pending"}}
	for _, ask := range []string{"pays_fee", "salary_continues"} {
		if strings.Contains(list.Body, `id="approve-`+id+`-`+ask+`"`) {
			answers.Set(ask, "yes")
		}
	}
	done := hr.post("/employer/commitments/"+id+"/approve", answers)
	mustContain(t, done, "I har godkendt anmodningen for Mads Holm.")
	again := hr.post("/employer/commitments/"+id+"/approve", answers) // the same key: answered once
	if again.Status != http.StatusOK {
		t.Fatalf("the same approval again: %d\n%s", again.Status, again.Body)
	}
	other := url.Values{}
	for k, v := range answers {
		other[k] = v
	}
	other.Set("idempotency_key", randomKey())
	other.Set("salary_continues", "no")
	if p := hr.post("/employer/commitments/"+id+"/approve", other); p.Status != http.StatusConflict || !strings.Contains(p.Body, "allerede besvaret") {
		t.Fatalf("another answer to an answered request: %d", p.Status)
	}
	mustContain(t, hr.get("/employer/commitments?status=approved"), "Mads Holm", "Godkendt")

	// The funding goes on without waiting.
	s.waitEnrolment(t, "citizen-mads", e.ID, "decided after the approval", func(e enrolment) bool { return e.Funding.Outcome != "employer_required" })
	if p := citizen.get("/me/enrolments"); strings.Contains(p.Body, "Afventer din arbejdsgiver") {
		t.Fatal("the enrolment still waits for the employer")
	}

	// Another company: none of it.
	rival := newClient(t, s.base)
	rival.signIn("employer-midtjysk-logistik")
	p := rival.get("/employer/commitments")
	if p.Status != http.StatusOK || strings.Contains(p.Body, "Mads Holm") {
		t.Fatalf("another company's list: %d", p.Status)
	}
	if p := rival.post("/employer/commitments/"+id+"/decline", url.Values{"csrf": {csrf(t, p)}, "reason": {"nej"}}); p.Status != http.StatusNotFound && p.Status != http.StatusForbidden {
		t.Fatalf("another company declines: %d", p.Status)
	}
	// Not for citizens.
	if p := citizen.get("/employer"); p.Status != http.StatusForbidden {
		t.Fatalf("a citizen on the employer pages: %d", p.Status)
	}
}
