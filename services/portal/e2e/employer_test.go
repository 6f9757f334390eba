package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/testenv"
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

// postMultipart posts a multipart form, with a CSV file in the field "file" when file is not nil.
func (c *client) postMultipart(path string, form url.Values, file []byte) page {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "medarbejdere.csv")
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var idempotencyField = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

func formKey(t *testing.T, p page) string {
	t.Helper()
	m := idempotencyField.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no idempotency key on %s", p.URL)
	}
	return m[1]
}

// The company's own pages over HTTP against the real services: it finds a run, enrols two employees
// with the form and one with a CSV file, sees them in its list; it tells of a demand, an institution
// publishes a matching run through the portal, the company is offered seats and accepts; the
// refunds page and its spreadsheet; another company sees none of it.
func TestEmployerStaffDemandAndRefundsOverHTTP(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	run := s.course(t, "erhvervschauffør")
	hr := newClient(t, s.base)
	hr.signIn("employer-herning-staal")

	// Enrol staff: the run from the search, then the form.
	search := hr.get("/employer/enrol?q=" + url.QueryEscape("erhvervschauffør"))
	mustContain(t, search, `href="/employer/enrol?course_id=`+run.ID+`"`)
	mustContain(t, hr.get("/courses/"+run.ID), `href="/employer/enrol?course_id=`+run.ID+`"`)
	form := hr.get("/employer/enrol?course_id=" + run.ID)
	mustContain(t, form, "Afbestillingsvilkår", "1.500 kr.", `enctype="multipart/form-data"`)
	token := csrf(t, form)
	base := url.Values{"csrf": {token}, "course_id": {run.ID}, "pays_fee": {"yes"}, "salary_continues": {"yes"}, "accept_terms": {"yes"}}
	rows := url.Values{"idempotency_key": {formKey(t, form)},
		"cpr_0": {user("citizen-mette").CPR}, "name_0": {"Mette Nielsen"}, "email_0": {"mette@example.dk"},
		"cpr_1": {user("citizen-lars").CPR}, "name_1": {"Lars Sørensen"}, "email_1": {"lars@example.dk"}}
	for k, v := range base {
		rows[k] = v
	}
	done := hr.postMultipart("/employer/enrol", rows, nil)
	if done.Status != http.StatusOK {
		t.Fatalf("enrol with the form: %d\n%s", done.Status, done.Body)
	}
	mustContain(t, done, "Resultat af tilmeldingen", "Mette Nielsen", "140388-XXXX", "Lars Sørensen", "220679-XXXX", "Har fået plads",
		"Afbestiller I mindre end 7 dage før start")
	noCPR(t, done, user("citizen-mette").CPR, user("citizen-lars").CPR)
	again := hr.postMultipart("/employer/enrol", rows, nil) // the same key: the stored results, no second enrolment
	mustContain(t, again, "Har fået plads")

	form = hr.get("/employer/enrol?course_id=" + run.ID)
	file := url.Values{"idempotency_key": {formKey(t, form)}}
	for k, v := range base {
		file[k] = v
	}
	csvFile := []byte("\uFEFFcpr;navn;email\r\n" + user("citizen-sofie").CPR + ";Sofie Berg;sofie@example.dk\r\n")
	bad := hr.postMultipart("/employer/enrol", file, []byte("cpr;navn;email\n12;Kim;kim\n"))
	mustContain(t, bad, `href="#file"`, "Disse linjer kan ikke læses: 2.")
	viaCSV := hr.postMultipart("/employer/enrol", file, csvFile)
	mustContain(t, viaCSV, "Sofie Berg", "150585-XXXX")
	noCPR(t, viaCSV, user("citizen-sofie").CPR)

	list := hr.get("/employer/enrolments")
	mustContain(t, list, "Mette Nielsen", "Lars Sørensen", "Sofie Berg", "140388-XXXX", "Erhvervschauffør")
	noCPR(t, list, user("citizen-mette").CPR, user("citizen-sofie").CPR)
	if n := strings.Count(list.Body, "Mette Nielsen"); n != 1 {
		t.Fatalf("Mette is listed %d times, want once (the same form twice enrols once)", n)
	}
	mustContain(t, hr.get("/employer/enrolments?course_id="+run.ID+"&status=pending"), "Viser kun holdet:")

	// Demand → a matching run published by the institution → an offer → accepted.
	code := "E2E-DEMAND-" + randomKey()[:6]
	code = strings.NewReplacer("+", "x", "/", "y", "=", "z").Replace(code)
	starts := time.Now().AddDate(0, 2, 0)
	demandPage := hr.get("/employer/demand")
	created := hr.post("/employer/demand", url.Values{"csrf": {token}, "idempotency_key": {formKey(t, demandPage)}, "course_code": {code},
		"employees": {"3"}, "earliest": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}, "latest": {time.Now().AddDate(0, 3, 0).Format(time.DateOnly)},
		"place": {"Herning"}, "contact_ok": {"yes"}})
	mustContain(t, created, "Jeres behov er meldt ind.", code, "Åben")

	inst := newClient(t, s.base)
	inst.signIn("institution-herningsholm")
	mustContain(t, inst.get("/institution/demand"), `href="/institution/demand/companies"`)
	totals := inst.get("/institution/demand/companies?course_code=" + url.QueryEscape(code))
	mustContain(t, totals, code, "Herning Stål A/S", "herning")
	newRun := inst.get("/institution/runs/new")
	published := inst.post("/institution/runs", url.Values{"csrf": {csrf(t, newRun)}, "code": {code}, "title": {"Kranfører efter behov"},
		"title_en": {"Crane operator on demand"}, "category": {"amu"}, "schemes": {"self", "veu", "employer"},
		"starts_on": {starts.Format(time.DateOnly)}, "ends_on": {starts.AddDate(0, 0, 4).Format(time.DateOnly)}, "hours_per_week": {"37"},
		"location": {"Lillelundvej 13, Herning"}, "seats_total": {"12"}, "fee_dkk": {"1040"}})
	if !strings.HasPrefix(published.URL.Path, "/institution/runs/") {
		t.Fatalf("publish: %d %s\n%s", published.Status, published.URL, published.Body)
	}
	runID := strings.TrimPrefix(published.URL.Path, "/institution/runs/")

	var offers page
	testenv.Eventually(t, 20*time.Second, "the offer from demand", func() bool {
		offers = hr.get("/employer/demand")
		return strings.Contains(offers.Body, `action="/employer/offers/`)
	})
	mustContain(t, offers, "Kranfører efter behov", "Pladser holdt til jer", "Svar senest", "Tilbud givet")
	m := regexp.MustCompile(`action="/employer/offers/([0-9a-f-]{36})/accept"`).FindStringSubmatch(offers.Body)
	if m == nil {
		t.Fatalf("no accept form:\n%s", offers.Body)
	}
	accepted := hr.post("/employer/offers/"+m[1]+"/accept", url.Values{"csrf": {token}, "idempotency_key": {formKey(t, offers)}})
	mustContain(t, accepted, "I har taget imod pladserne på Kranfører efter behov.", `href="/employer/enrol?course_id=`+runID+`"`, "Taget imod", "Opfyldt")
	mustContain(t, hr.get("/employer/enrol?course_id="+runID), "Kranfører efter behov", `name="course_id" value="`+runID+`"`)

	// Refunds: the page and the spreadsheet through the portal.
	refunds := hr.get("/employer/refunds")
	if refunds.Status != http.StatusOK {
		t.Fatalf("refunds: %d\n%s", refunds.Status, refunds.Body)
	}
	mustContain(t, refunds, "Refusioner", "Forventet", `href="/employer/refunds.csv"`)
	sheet := hr.get("/employer/refunds.csv")
	if sheet.Status != http.StatusOK || sheet.Header.Get("Content-Disposition") != `attachment; filename="refusioner-41657006.csv"` ||
		!strings.HasPrefix(sheet.Body, "\uFEFFid;enrolment_id;") {
		t.Fatalf("refunds.csv: %d %v %q", sheet.Status, sheet.Header, sheet.Body[:min(len(sheet.Body), 80)])
	}

	// Another company: none of it.
	rival := newClient(t, s.base)
	rival.signIn("employer-midtjysk-logistik")
	for _, path := range []string{"/employer/enrolments", "/employer/demand", "/employer/refunds"} {
		if p := rival.get(path); p.Status != http.StatusOK || strings.Contains(p.Body, "Mette Nielsen") || strings.Contains(p.Body, code) {
			t.Fatalf("another company's %s: %d", path, p.Status)
		}
	}
	if p := rival.post("/employer/offers/"+m[1]+"/decline", url.Values{"csrf": {csrf(t, rival.get("/employer/demand"))}}); p.Status != http.StatusNotFound && p.Status != http.StatusForbidden {
		t.Fatalf("another company declines the offer: %d", p.Status)
	}
	citizen := newClient(t, s.base)
	citizen.signIn("citizen-mette")
	if g := citizen.get("/employer/enrol"); g.Status != http.StatusForbidden {
		t.Fatalf("a citizen on enrol staff: %d", g.Status)
	}
}
