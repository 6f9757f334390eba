package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/session"
)

// fakeRegistration is registration's company API as its contract says: the catalogue, staff
// enrolments, demands and offers, reachable only for the company the test's token stands for
// (another company is 403), and the demand added up for institutions.
type fakeRegistration struct {
	mu      sync.Mutex
	cvr     string
	courses []api.Course
	staff   []map[string]any
	demands []api.SkillsDemand
	offers  []api.DemandOffer
	totals  string // the answer to GET /v1/demand
	// What the portal sent.
	enrolled     []map[string]any
	keys         []string
	demandBodies []map[string]any
	withdrawn    []string
	answers      []string
	queries      []url.Values
}

func (f *fakeRegistration) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	problem := func(status int, detail string, fields ...api.FieldError) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail, "errors": fields})
	}
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	f.queries = append(f.queries, r.URL.Query())
	if r.URL.Path == "/v1/courses" {
		items := []api.Course{}
		for _, c := range f.courses {
			if strings.Contains(strings.ToLower(c.Title), strings.ToLower(r.URL.Query().Get("q"))) {
				items = append(items, c)
			}
		}
		answer(http.StatusOK, map[string]any{"items": items})
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/courses/"); ok {
		for _, c := range f.courses {
			if c.ID == id {
				answer(http.StatusOK, c)
				return
			}
		}
		problem(http.StatusNotFound, "no such course")
		return
	}
	if r.URL.Path == "/v1/demand" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.totals)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/employers/")
	if !ok {
		problem(http.StatusNotFound, "no such route")
		return
	}
	parts := strings.Split(rest, "/")
	if parts[0] != f.cvr {
		problem(http.StatusForbidden, "you act for another company")
		return
	}
	route := r.Method + " " + strings.Join(parts[1:], "/")
	switch {
	case route == "GET enrolments":
		answer(http.StatusOK, map[string]any{"items": f.staff})
	case route == "POST enrolments":
		var body struct {
			CourseID        string              `json:"course_id"`
			PaysFee         bool                `json:"pays_fee"`
			SalaryContinues bool                `json:"salary_continues"`
			Employees       []api.StaffEmployee `json:"employees"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		f.enrolled = append(f.enrolled, m)
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		if body.CourseID == "k-closed" {
			problem(http.StatusUnprocessableEntity, "the course run has started")
			return
		}
		out := api.StaffAnswer{CourseID: body.CourseID, PaysFee: body.PaysFee, SalaryContinues: body.SalaryContinues,
			Terms:   api.CancellationTerms{LateCancellationDays: 7, LateCancellationFeeDKK: 2500, NoShowFeeDKK: 3500, Note: "terms"},
			Summary: map[string]int{}}
		seen := map[string]bool{}
		for _, e := range body.Employees {
			n, _ := cpr.Parse(e.CPR)
			res := api.StaffResult{CPR: n.Masked(), Name: e.Name, Status: "pending", EnrolmentID: "e-" + e.CPR}
			switch {
			case seen[e.CPR]:
				res.Status, res.EnrolmentID, res.Reason = "failed", "", "this employee is listed twice"
			case e.CPR == "0101901234":
				res.Status, res.EnrolmentID, res.InvitationID, res.ProfileDueAt = "awaiting_profile", "", "i-1", "2026-12-14T10:00:00Z"
			case e.CPR == "2206791455":
				res.Status = "waitlisted"
			}
			seen[e.CPR] = true
			out.Results = append(out.Results, res)
			out.Summary[res.Status]++
		}
		answer(http.StatusAccepted, out)
	case route == "GET demands":
		answer(http.StatusOK, map[string]any{"items": f.demands, "next": ""})
	case route == "POST demands":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.demandBodies = append(f.demandBodies, body)
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		if body["place"] == "Mars" {
			problem(http.StatusBadRequest, "invalid request", api.FieldError{Field: "place", Message: "not a place we know"})
			return
		}
		d := api.SkillsDemand{ID: fmt.Sprintf("d-%d", len(f.demands)+1), CVR: f.cvr, CompanyName: "Herning Stål A/S", Status: "open"}
		raw, _ := json.Marshal(body)
		_ = json.Unmarshal(raw, &d.DemandInput)
		f.demands = append([]api.SkillsDemand{d}, f.demands...)
		answer(http.StatusCreated, d)
	case r.Method == http.MethodDelete && len(parts) == 3 && parts[1] == "demands":
		f.withdrawn = append(f.withdrawn, parts[2])
		for i := range f.demands {
			if f.demands[i].ID == parts[2] {
				f.demands[i].Status = "withdrawn"
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case route == "GET offers":
		answer(http.StatusOK, map[string]any{"items": f.offers, "next": ""})
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "offers":
		f.answers = append(f.answers, parts[2]+" "+parts[3])
		for i := range f.offers {
			o := &f.offers[i]
			if o.ID != parts[2] {
				continue
			}
			if o.Status != "open" {
				problem(http.StatusConflict, "the offer is "+o.Status)
				return
			}
			if parts[3] == "accept" {
				o.Status = "accepted"
			} else {
				o.Status, o.SeatsHeld = "declined", 0
			}
			answer(http.StatusOK, o)
			return
		}
		problem(http.StatusNotFound, "no such offer")
	default:
		problem(http.StatusNotFound, "no such route")
	}
}

func run(id, title, starts, ends string, hours float64, status string) api.Course {
	return api.Course{ID: id, Code: "AMU " + strings.ToUpper(id), Title: title, TitleEN: title + " (en)", Category: "amu",
		Institution: api.Named{ID: "i-hh", Name: "Herningsholm Erhvervsskole"}, StartsOn: starts, EndsOn: ends, HoursPerWeek: hours,
		FeeDKK: 1040, Schemes: []string{"self", "veu", "employer"}, SeatsTotal: 16, SeatsAvailable: 5, Location: "Lillelundvej 13, Herning",
		Status: status}
}

func demoRegistration() *fakeRegistration {
	offer := func(id, status, courseID, title string, seats, held int) api.DemandOffer {
		o := api.DemandOffer{ID: id, DemandID: "d-old", Seats: seats, SeatsHeld: held, Status: status, ExpiresAt: "2026-12-12T10:00:00Z",
			CreatedAt: "2026-12-07T08:00:00Z"}
		o.Course.ID, o.Course.Code, o.Course.Title, o.Course.TitleEN = courseID, "AMU 47583", title, title+" (en)"
		o.Course.Institution = api.Named{ID: "i-hh", Name: "Herningsholm Erhvervsskole"}
		o.Course.StartsOn, o.Course.EndsOn, o.Course.Location, o.Course.FeeDKK = "2027-02-01", "2027-02-05", "Herning", 1040
		return o
	}
	return &fakeRegistration{cvr: "41657006",
		courses: []api.Course{
			run("k-truck", "Gaffeltruckcertifikat (B)", "2027-02-01", "2027-02-05", 37, "published"),
			run("k-weld", "Svejsning, grundkursus", "2027-03-01", "2027-03-12", 37, "published"),
			run("k-truck-old", "Gaffeltruck, det gamle hold", "2026-11-02", "2026-11-06", 37, "published"),
			run("k-truck-cancel", "Gaffeltruck, aflyst hold", "2027-04-05", "2027-04-09", 37, "cancelled"),
		},
		staff: []map[string]any{
			{"id": "e-1", "status": "confirmed", "course_id": "k-truck", "course": map[string]any{"id": "k-truck", "title": "Gaffeltruckcertifikat (B)", "title_en": "Forklift (B)", "starts_on": "2027-02-01"},
				"funding": map[string]any{"outcome": "approved", "scheme": "veu"}, "attended_hours": 18.5,
				"employee": map[string]any{"name": "Mette Nielsen", "cpr": "140388-XXXX"},
				"employer": map[string]any{"cvr": "41657006", "pays_fee": true, "salary_continues": true}, "history": []any{}},
			{"status": "awaiting_profile", "course_id": "k-weld", "course": map[string]any{"id": "k-weld", "title": "Svejsning, grundkursus", "starts_on": "2027-03-01"},
				"funding": map[string]any{"outcome": "not_started", "scheme": "veu"}, "invitation_id": "i-9", "profile_due_at": "2026-12-14T10:00:00Z",
				"employee": map[string]any{"name": "Anna Jensen", "cpr": "0101901234"},
				"employer": map[string]any{"cvr": "41657006", "pays_fee": false, "salary_continues": true}, "history": []any{}},
		},
		demands: []api.SkillsDemand{{ID: "d-old", CVR: "41657006", Status: "offered", DemandInput: api.DemandInput{CourseCode: "AMU 47583",
			Employees: 4, Earliest: "2027-01-01", Latest: "2027-03-31", Place: "Herning", ContactOK: true}}},
		offers: []api.DemandOffer{
			offer("o-open", "open", "k-truck", "Gaffeltruckcertifikat (B)", 4, 4),
			offer("o-done", "accepted", "k-weld", "Svejsning, grundkursus", 2, 1),
		},
		totals: `{"items":[{"course_code":"AMU 47583","category":"amu","skill":"","period":{"from":"2027-01-01","to":"2027-01-31"},"place":"herning","employees":6,"companies":2,"company_names":["Herning Stål A/S"]},
			{"course_code":"","category":"","skill":"Kranfører med certifikat","period":{"from":"2027-02-01","to":"2027-02-28"},"place":"","employees":3,"companies":1,"company_names":[]}],
			"waiting_lists":[{"course_code":"AMU 47583","title":"Gaffeltruckcertifikat (B)","category":"amu","runs":2,"waitlisted":5}]}`,
	}
}

// postMultipart posts a multipart form, with the file (field "file") when content is not nil.
func (b *browser) postMultipart(path string, form url.Values, file []byte) got {
	b.t.Helper()
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
	req, _ := http.NewRequest(http.MethodPost, b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var keyField = func(g got) string {
	i := strings.Index(g.Body, `name="idempotency_key" value="`)
	if i < 0 {
		return ""
	}
	rest := g.Body[i+len(`name="idempotency_key" value="`):]
	return rest[:strings.Index(rest, `"`)]
}

func TestParseStaff(t *testing.T) {
	t.Parallel()
	l := i18n.DA
	mette, lars := "1403881236;Mette Nielsen;mette@example.dk", "2206791455;Lars Sørensen;lars@example.dk"
	for _, c := range []struct {
		name, in string
		want     int    // employees read
		bad      []int  // lines that cannot be read
		fatal    string // a problem with the whole list
	}{
		{"semicolons with a header", "cpr;navn;email\n" + mette + "\n" + lars + "\n", 2, nil, ""},
		{"commas without a header", "1403881236,Mette Nielsen,mette@example.dk\r\n220679-1455,Lars Sørensen,lars@example.dk\r\n", 2, nil, ""},
		{"a byte order mark and CRLF", "\uFEFFCPR-nummer;Navn;E-mail\r\n" + mette + "\r\n", 1, nil, ""},
		{"a header in another order", "email,name,cpr\nmette@example.dk,Mette Nielsen,1403881236\n", 1, nil, ""},
		{"quoted names with the separator", "cpr,name,email\n1403881236,\"Nielsen, Mette\",mette@example.dk\n", 1, nil, ""},
		{"empty lines are skipped", "\n" + mette + "\n\n;;\n" + lars + "\n", 2, nil, ""},
		{"bad rows", "cpr;navn;email\n" + mette + "\n1234;Kim;kim@example.dk\n" + "2206791455;Lars\n0303771239;Ole Hansen;ole at example\n0505921768;;ana@example.com\n", 1, []int{3, 4, 5, 6}, ""},
		{"a broken quote", mette + "\n\"2206791455;Lars;lars@example.dk\n", 1, []int{2}, ""},
		{"a header without the columns", "cpr;telefon;email\n" + mette + "\n", 0, nil, "Overskriften"},
		{"not UTF-8", "1403881236;Mette S\xf8rensen;mette@example.dk\n", 0, nil, "UTF-8"},
		{"more than 200", strings.Repeat(mette+"\n", 201), 0, nil, "Højst 200 medarbejdere ad gangen – der er 201."},
		{"exactly 200", "cpr;navn;email\n" + strings.Repeat(mette+"\n", 200), 200, nil, ""},
		{"nothing", " \n\n", 0, nil, ""},
	} {
		got := parseStaff(l, []byte(c.in))
		var lines []int
		for _, b := range got.Bad {
			lines = append(lines, b.Line)
		}
		if len(got.Employees) != c.want || fmt.Sprint(lines) != fmt.Sprint(c.bad) || (c.fatal == "") != (got.Fatal == "") || !strings.Contains(got.Fatal, c.fatal) {
			t.Errorf("%s: %d employees, bad lines %v, fatal %q; want %d, %v, %q", c.name, len(got.Employees), lines, got.Fatal, c.want, c.bad, c.fatal)
		}
		for _, e := range got.Employees {
			if len(e.CPR) != 10 || strings.Contains(e.CPR, "-") {
				t.Errorf("%s: CPR %q is not sent as its 10 digits", c.name, e.CPR)
			}
		}
	}
	quoted := parseStaff(l, []byte("cpr,name,email\n1403881236,\"Nielsen, Mette\",mette@example.dk\n"))
	if quoted.Employees[0] != (api.StaffEmployee{CPR: "1403881236", Name: "Nielsen, Mette", Email: "mette@example.dk"}) {
		t.Errorf("quoted: %+v", quoted.Employees[0])
	}
	bad := parseStaff(l, []byte("1403881236;Mette;mette@example.dk;extra\n"))
	if len(bad.Bad) != 1 || bad.Bad[0].Problem != "Skal have 3 kolonner (cpr, navn, email), har 4." {
		t.Errorf("a line with four columns: %+v", bad.Bad)
	}
}

// The terms before committing follow the run's planned hours: at most 37 hours 1.500/2.500 kr.
func TestStandardTerms(t *testing.T) {
	t.Parallel()
	short := standardTerms(run("a", "", "2027-02-01", "2027-02-05", 37, ""))
	long := standardTerms(run("b", "", "2027-03-01", "2027-03-12", 37, ""))
	if short.LateCancellationFeeDKK != 1500 || short.NoShowFeeDKK != 2500 || long.LateCancellationFeeDKK != 2500 || long.NoShowFeeDKK != 3500 || short.LateCancellationDays != 7 {
		t.Errorf("terms: %+v and %+v", short, long)
	}
}

// The form: a run from the search or a course page, the terms before committing, rows, lines and a
// file; errors linked to their fields without showing a CPR number again; then one result per
// employee.
func TestEnrolStaffFormAndResults(t *testing.T) {
	t.Parallel()
	reg := demoRegistration()
	_, b := portalWith(t, demoFunding(), reg, herningStaal(), "")

	search := b.get("/employer/enrol?q=gaffeltruck")
	if search.Status != http.StatusOK {
		t.Fatalf("search: %d\n%s", search.Status, search.Body)
	}
	search.contains(t, `href="/employer/enrol" aria-current="page"`, `href="/employer/enrol?course_id=k-truck"`, "Gaffeltruckcertifikat (B)")
	search.lacks(t, "k-truck-old", "k-truck-cancel")
	// The course page links an employer to the form.
	b.get("/courses/k-truck").contains(t, `href="/employer/enrol?course_id=k-truck"`, "Tilmeld medarbejdere")
	b.get("/courses/k-truck-old").lacks(t, `href="/employer/enrol?course_id=k-truck-old"`)

	p := b.get("/employer/enrol?course_id=k-truck")
	p.contains(t, `enctype="multipart/form-data"`, `<input type="file" id="file" name="file"`, `id="cpr_0"`, `id="email_2"`, `id="more"`,
		"Afbestillingsvilkår", "mindre end 7 dage før start, betaler I 1.500 kr. pr. medarbejder", "Udeblivelse koster 2.500 kr. pr. medarbejder", "ellers 3.500 kr.",
		`<legend>Betaler virksomheden deltagergebyret?</legend>`, `id="accept_terms"`, `name="course_id" value="k-truck"`)
	b.get("/employer/enrol?course_id=k-weld").contains(t, "betaler I 2.500 kr. pr. medarbejder", "Udeblivelse koster 3.500 kr.")
	old := b.get("/employer/enrol?course_id=k-truck-old")
	old.contains(t, "Holdet tager ikke imod tilmeldinger")
	old.lacks(t, `action="/employer/enrol"`)
	b.get("/employer/enrol?course_id=nope").contains(t, "Vi kan ikke finde holdet")
	token, key := p.csrf(t), keyField(p)
	if key == "" {
		t.Fatal("no idempotency key on the form")
	}

	empty := b.postMultipart("/employer/enrol", url.Values{"csrf": {token}, "idempotency_key": {key}, "course_id": {"k-truck"}}, nil)
	if empty.Status != http.StatusBadRequest {
		t.Fatalf("an empty form: %d", empty.Status)
	}
	empty.contains(t, `id="error-summary"`, `href="#pays_fee"`, `href="#salary_continues"`, `href="#cpr_0"`, `href="#accept_terms"`,
		"Skriv mindst én medarbejder.", `name="idempotency_key" value="`+key+`"`)

	half := b.postMultipart("/employer/enrol", url.Values{"csrf": {token}, "idempotency_key": {key}, "course_id": {"k-truck"},
		"pays_fee": {"yes"}, "salary_continues": {"yes"}, "accept_terms": {"yes"},
		"cpr_0": {"1403881236"}, "name_0": {"Mette Nielsen"}, "email_0": {"mette"}, "cpr_1": {"14038812"}, "name_1": {"Kim"}, "email_1": {"kim@example.dk"}}, nil)
	half.contains(t, `href="#email_0"`, "Medarbejder 1, E-mail: Skriv en e-mailadresse", `href="#cpr_1"`, "Medarbejder 2, CPR-nummer",
		`value="Mette Nielsen"`, "viser vi ikke CPR-numrene igen", `aria-invalid="true"`)
	half.lacks(t, "1403881236", "14038812")
	if len(reg.enrolled) != 0 {
		t.Fatal("a form with errors reached registration")
	}

	csvFile := []byte("\uFEFFcpr;navn;email\r\n0101901234;Anna Jensen;anna@example.dk\r\n1403881236;Mette Nielsen;mette@example.dk\r\n")
	ok := b.postMultipart("/employer/enrol", url.Values{"csrf": {token}, "idempotency_key": {key}, "course_id": {"k-truck"},
		"pays_fee": {"yes"}, "salary_continues": {"no"}, "accept_terms": {"yes"},
		"cpr_0": {"140388-1236"}, "name_0": {"Mette Nielsen"}, "email_0": {"mette@example.dk"},
		"cpr_2": {"2206791455"}, "name_2": {"Lars Sørensen"}, "email_2": {"lars@example.dk"},
		"more": {"0303771239;Ole Hansen;ole@example.dk\n"}}, csvFile)
	if ok.Status != http.StatusOK {
		t.Fatalf("enrol: %d\n%s", ok.Status, ok.Body)
	}
	if len(reg.enrolled) != 1 || reg.keys[0] != key {
		t.Fatalf("registration got %d requests with keys %v, want one with %q", len(reg.enrolled), reg.keys, key)
	}
	sent := reg.enrolled[0]
	emps := sent["employees"].([]any)
	if sent["course_id"] != "k-truck" || sent["pays_fee"] != true || sent["salary_continues"] != false || len(emps) != 5 {
		t.Fatalf("registration got %v", sent)
	}
	if first := emps[0].(map[string]any); first["cpr"] != "1403881236" || first["name"] != "Mette Nielsen" || first["email"] != "mette@example.dk" {
		t.Fatalf("the first employee: %v", first)
	}
	ok.contains(t, "Resultat af tilmeldingen", "Vi har behandlet 5 medarbejdere til Gaffeltruckcertifikat (B).", "140388-XXXX", "220679-XXXX", "010190-XXXX",
		"Har fået plads", "På venteliste", "Inviteret", "Ikke tilmeldt", "Medarbejderen står der to gange.", "pladsen holdes til 14. december 2026",
		"betaler I 2.500 kr. pr. medarbejder", "Udeblivelse koster 3.500 kr.", "Nej, medarbejderne har fri uden løn", `href="/employer/enrolments?course_id=k-truck"`)
	ok.lacks(t, "1403881236", "2206791455", "0101901234", "0303771239")

	// The same form again: the same key (registration answers the stored results).
	again := b.postMultipart("/employer/enrol", url.Values{"csrf": {token}, "idempotency_key": {key}, "course_id": {"k-truck"},
		"pays_fee": {"yes"}, "salary_continues": {"no"}, "accept_terms": {"yes"}, "more": {"1403881236;Mette Nielsen;mette@example.dk"}}, nil)
	if again.Status != http.StatusOK || reg.keys[1] != key {
		t.Fatalf("again: %d, keys %v", again.Status, reg.keys)
	}

	// A run that closed meanwhile: registration's reason, and a new key for the next try.
	reg.mu.Lock()
	reg.courses = append(reg.courses, run("k-closed", "Lukket hold", "2027-05-03", "2027-05-07", 37, "published"))
	reg.mu.Unlock()
	closed := b.postMultipart("/employer/enrol", url.Values{"csrf": {token}, "idempotency_key": {"key-closed"}, "course_id": {"k-closed"},
		"pays_fee": {"no"}, "salary_continues": {"yes"}, "accept_terms": {"yes"}, "more": {"1403881236;Mette Nielsen;mette@example.dk"}}, nil)
	if closed.Status != http.StatusBadRequest {
		t.Fatalf("a closed run: %d", closed.Status)
	}
	closed.contains(t, "Det lykkedes ikke: the course run has started")
	if k := keyField(closed); k == "key-closed" || k == "" {
		t.Fatalf("the key after a refusal: %q", k)
	}
	if p := b.postMultipart("/employer/enrol", url.Values{"course_id": {"k-truck"}}, nil); p.Status != http.StatusForbidden {
		t.Fatalf("without a CSRF token: %d", p.Status)
	}

	en := b.get("/lang/en?back=/employer/enrol?course_id=k-truck")
	en.contains(t, `<html lang="en">`, "Gaffeltruckcertifikat (B) (en)", "If you cancel less than 7 days before the start, you pay DKK 1,500 per employee.", "Does the company pay the participant fee?")
}

// A file or pasted lines that cannot be read are refused as a whole, naming the lines; nothing is sent.
func TestEnrolStaffRefusesBadLists(t *testing.T) {
	t.Parallel()
	reg := demoRegistration()
	_, b := portalWith(t, demoFunding(), reg, herningStaal(), "")
	p := b.get("/employer/enrol?course_id=k-truck")
	base := url.Values{"csrf": {p.csrf(t)}, "idempotency_key": {keyField(p)}, "course_id": {"k-truck"}, "pays_fee": {"yes"},
		"salary_continues": {"yes"}, "accept_terms": {"yes"}}

	bad := b.postMultipart("/employer/enrol", base, []byte("cpr;navn;email\n1403881236;Mette Nielsen;mette@example.dk\n12;Kim;kim@example.dk\n2206791455;Lars\n"))
	if bad.Status != http.StatusBadRequest {
		t.Fatalf("bad lines: %d", bad.Status)
	}
	bad.contains(t, `href="#file"`, "Disse linjer kan ikke læses: 3, 4. Intet er sendt", "Linjer i filen, der ikke kan læses",
		"Skriv et gyldigt CPR-nummer", "Skal have 3 kolonner (cpr, navn, email), har 2.")
	bad.lacks(t, "1403881236")

	many := b.postMultipart("/employer/enrol", base, []byte(strings.Repeat("1403881236,Mette Nielsen,mette@example.dk\n", 201)))
	many.contains(t, "Højst 200 medarbejdere ad gangen – der er 201.")
	latin1 := b.postMultipart("/employer/enrol", base, []byte("1403881236;S\xf8ren;soren@example.dk\n"))
	latin1.contains(t, "Filen er ikke UTF-8")
	lines := url.Values{}
	for k, v := range base {
		lines[k] = v
	}
	lines.Set("more", "1403881236 Mette mette@example.dk")
	pasted := b.postMultipart("/employer/enrol", lines, nil)
	pasted.contains(t, `href="#more"`, "Linjer i feltet Flere medarbejdere, der ikke kan læses")
	pasted.lacks(t, "1403881236")
	// 150 in the file and 60 pasted are too many together.
	lines.Set("more", strings.Repeat("2206791455;Lars Sørensen;lars@example.dk\n", 60))
	both := b.postMultipart("/employer/enrol", lines, []byte(strings.Repeat("1403881236;Mette Nielsen;mette@example.dk\n", 150)))
	both.contains(t, "Højst 200 medarbejdere ad gangen – der er 210.")
	if len(reg.enrolled) != 0 {
		t.Fatalf("registration got %d requests", len(reg.enrolled))
	}
}

// The staff list: status, funding, attendance and the company's commitment, with filters.
func TestStaffEnrolmentsList(t *testing.T) {
	t.Parallel()
	reg := demoRegistration()
	_, b := portalWith(t, demoFunding(), reg, herningStaal(), "")
	p := b.get("/employer/enrolments")
	if p.Status != http.StatusOK {
		t.Fatalf("list: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, `href="/employer/enrolments" aria-current="page"`, "Mette Nielsen", "140388-XXXX", "010190-XXXX", "Bekræftet",
		"Venter på medarbejderens profil", "senest 14. december 2026", "18,5", "VEU-godtgørelse", "Godkendt", "I betaler gebyret",
		"I betaler ikke gebyret", "Lønnen fortsætter", `href="/courses/k-truck"`)
	p.lacks(t, "0101901234")
	filtered := b.get("/employer/enrolments?status=awaiting_profile&course_id=k-weld&from=2027-01-01&to=2027-06-30")
	q := reg.queries[len(reg.queries)-1]
	if q.Get("status") != "awaiting_profile" || q.Get("course_id") != "k-weld" || q.Get("from") != "2027-01-01" || q.Get("to") != "2027-06-30" {
		t.Fatalf("registration was asked %v", q)
	}
	filtered.contains(t, `<option value="awaiting_profile" selected>`, "Viser kun holdet:", "Svejsning, grundkursus", "Vis alle tilmeldinger",
		`name="course_id" value="k-weld"`)
	bad := b.get("/employer/enrolments?status=everything&from=tomorrow&to=2027-01-01")
	bad.contains(t, `href="#status"`, `href="#from"`, "Skriv en dato som ÅÅÅÅ-MM-DD.", "Vælg en af de viste statusser.")
	if q := reg.queries[len(reg.queries)-1]; q.Get("status") != "" || q.Get("from") != "" {
		t.Fatalf("a wrong filter was sent: %v", q)
	}
	b.get("/employer/enrolments?from=2027-02-01&to=2027-01-01").contains(t, "Slutdatoen må ikke ligge før startdatoen.")
	b.get("/lang/en?back=/employer/enrolments").contains(t, "Forklift (B)", "Waiting for the employee&#39;s profile", "18.5")
}

// Refunds: the list with its totals, and the spreadsheet through the portal as a download.
func TestRefundsPageAndCSV(t *testing.T) {
	t.Parallel()
	fund := demoFunding()
	fund.refunds = `{"items":[{"id":"r-1","enrolment_id":"e-1","decision_id":"d-1","employee":{"name":"Mette Nielsen","cpr":"140388-XXXX"},
	"course":{"id":"k-truck","title":"Gaffeltruckcertifikat (B)","title_en":"Forklift (B)","institution_name":"Herningsholm Erhvervsskole","starts_on":"2027-02-01","ends_on":"2027-02-05"},
	"scheme":"veu","expected_dkk":4120,"paid_dkk":2060,"attended_hours":18.5,"planned_hours":37,"status":"paid","paid_at":"2027-02-20T09:00:00Z"},
	{"id":"r-2","enrolment_id":"e-2","decision_id":"d-2","employee":{"name":"Lars Sørensen","cpr":"220679-XXXX"},
	"course":{"id":"k-weld","title":"Svejsning","starts_on":"2027-03-01","ends_on":"2027-03-12"},
	"scheme":"svu","expected_dkk":9000,"paid_dkk":0,"attended_hours":0,"planned_hours":74,"status":"expected"}],
	"totals":{"expected_dkk":13120,"due_dkk":0,"paid_dkk":2060}}`
	_, b := portalWith(t, fund, demoRegistration(), herningStaal(), "")
	p := b.get("/employer/refunds")
	if p.Status != http.StatusOK {
		t.Fatalf("refunds: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, `href="/employer/refunds" aria-current="page"`, "Mette Nielsen", "140388-XXXX", "4.120 kr.", "2.060 kr.", "13.120 kr.",
		"18,5 af 37", "Udbetalt", "Forventet", "20. februar 2027", "SVU (Statens Voksenuddannelsesstøtte)", `href="/employer/refunds.csv"`)
	p.lacks(t, "Bearer", `"t"`)
	filtered := b.get("/employer/refunds?status=paid&from=2027-01-01")
	filtered.contains(t, `href="/employer/refunds.csv?from=2027-01-01&amp;status=paid"`, `<option value="paid" selected>`)
	if q := fund.refundQueries[len(fund.refundQueries)-1]; q.Get("status") != "paid" || q.Get("from") != "2027-01-01" {
		t.Fatalf("funding was asked %v", q)
	}
	b.get("/employer/refunds?status=lost").contains(t, `href="#status"`, "Vælg en af de viste statusser.")

	req, _ := http.NewRequest(http.MethodGet, b.base+"/employer/refunds.csv?status=paid", nil)
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="refusioner-41657006.csv"` || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("csv: %d %v", resp.StatusCode, resp.Header)
	}
	if !bytes.HasPrefix(body, []byte("\uFEFFid;enrolment_id")) || !strings.Contains(string(body), "Mette Nielsen;140388-XXXX") {
		t.Fatalf("csv body: %q", body)
	}
	if fund.csvAuth != "Bearer t" || fund.refundQueries[len(fund.refundQueries)-1].Get("status") != "paid" {
		t.Fatalf("funding's CSV was asked with %q and %v", fund.csvAuth, fund.refundQueries[len(fund.refundQueries)-1])
	}
	b.get("/lang/en?back=/employer/refunds").contains(t, "Forklift (B)", "DKK 4,120", "18.5 of 37")
}

// Demand: the form's errors linked to its fields, the demand sent with the form's key, the list
// with a withdrawal.
func TestEmployerDemandForm(t *testing.T) {
	t.Parallel()
	reg := demoRegistration()
	_, b := portalWith(t, demoFunding(), reg, herningStaal(), "")
	p := b.get("/employer/demand")
	if p.Status != http.StatusOK {
		t.Fatalf("demand: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, `href="/employer/demand" aria-current="page"`, `id="demand-course_code"`, `id="demand-contact_ok-yes"`, "AMU 47583", "Tilbud givet",
		`action="/employer/demand/d-old/withdraw"`)
	token := p.csrf(t)
	bad := b.post("/employer/demand", url.Values{"csrf": {token}, "idempotency_key": {"dk-1"}, "employees": {"0"}, "earliest": {"2026-12-01"},
		"latest": {"2026-11-30"}})
	if bad.Status != http.StatusBadRequest {
		t.Fatalf("bad demand: %d", bad.Status)
	}
	bad.contains(t, `href="#demand-course_code"`, "Skriv en kursuskode, vælg en type eller beskriv kompetencen.", `href="#demand-employees"`,
		"Skriv et helt tal fra 1 til 500.", `href="#demand-earliest"`, "Datoen må ikke ligge før i dag.",
		`href="#demand-latest"`, "Senest start må ikke ligge før tidligst start.", `href="#demand-contact_ok"`, `name="idempotency_key" value="dk-1"`)
	b.post("/employer/demand", url.Values{"csrf": {token}, "idempotency_key": {"dk-1"}, "category": {"knitting"}, "employees": {"2"}, "earliest": {"2027-01-01"},
		"latest": {"2030-01-01"}, "contact_ok": {"no"}}).contains(t, "Højst tre år frem.", `href="#demand-category"`, "Vælg en type fra listen.")
	if len(reg.demandBodies) != 0 {
		t.Fatal("a demand with errors reached registration")
	}
	// Registration's own field errors are shown on the field.
	mars := b.post("/employer/demand", url.Values{"csrf": {token}, "idempotency_key": {"dk-2"}, "skill": {"Kran"}, "employees": {"2"},
		"earliest": {"2027-01-01"}, "latest": {"2027-02-01"}, "contact_ok": {"no"}, "place": {"Mars"}})
	mars.contains(t, `href="#demand-place"`, "Højst 100 tegn.")
	if k := keyField(mars); k == "dk-2" {
		t.Fatal("the key was kept after registration refused the demand")
	}

	ok := b.post("/employer/demand", url.Values{"csrf": {token}, "idempotency_key": {"dk-3"}, "course_code": {"AMU 12345"}, "category": {"amu"},
		"employees": {"4"}, "earliest": {"2027-01-04"}, "latest": {"2027-03-31"}, "place": {"Herning"}, "contact_ok": {"yes"}})
	if ok.Status != http.StatusOK || ok.URL.Path != "/employer/demand" {
		t.Fatalf("demand: %d %s", ok.Status, ok.URL)
	}
	ok.contains(t, "Jeres behov er meldt ind.", "AMU 12345", "4. januar 2027", "31. marts 2027", "Åben")
	sent := reg.demandBodies[len(reg.demandBodies)-1]
	if sent["course_code"] != "AMU 12345" || sent["category"] != "amu" || sent["employees"] != float64(4) || sent["earliest"] != "2027-01-04" ||
		sent["latest"] != "2027-03-31" || sent["place"] != "Herning" || sent["contact_ok"] != true || reg.keys[len(reg.keys)-1] != "dk-3" {
		t.Fatalf("registration got %v with key %q", sent, reg.keys[len(reg.keys)-1])
	}
	if _, has := sent["skill"]; has {
		t.Fatalf("an empty skill was sent: %v", sent)
	}
	w := b.post("/employer/demand/d-2/withdraw", url.Values{"csrf": {token}})
	if len(reg.withdrawn) != 1 || reg.withdrawn[0] != "d-2" {
		t.Fatalf("withdrawn %v", reg.withdrawn)
	}
	w.contains(t, "Behovet er trukket tilbage.", "Trukket tilbage")
	b.get("/lang/en?back=/employer/demand").contains(t, "Tell us of a need", "May the institutions see the company&#39;s name?", "Offers of seats")
}

// Offers from demand: the seats held and until when; accepting links to the enrol form for the
// run; a closed offer shows registration's reason; the same answer twice is not an error.
func TestDemandOffersAcceptAndDecline(t *testing.T) {
	t.Parallel()
	reg := demoRegistration()
	reg.offers = append(reg.offers, reg.offers[0])
	reg.offers[2].ID = "o-other"
	_, b := portalWith(t, demoFunding(), reg, herningStaal(), "")
	p := b.get("/employer/demand")
	p.contains(t, "Tilbud om pladser", "Venter på svar", "Taget imod", "Pladser holdt til jer", "12. december 2026 kl. 11.00",
		`action="/employer/offers/o-open/accept"`, `action="/employer/offers/o-open/decline"`, `href="/employer/enrol?course_id=k-weld"`)
	p.lacks(t, `action="/employer/offers/o-done/accept"`)
	if i, j := strings.Index(p.Body, `id="offer-o-open"`), strings.Index(p.Body, `id="offer-o-done"`); i > j {
		t.Error("the open offer is not first")
	}
	// The overview says an offer waits.
	b.get("/employer").contains(t, "I har 2 tilbud om pladser, som venter på svar.", `href="/employer/enrolments"`, `href="/employer/refunds"`, `href="/employer/demand"`)
	token := p.csrf(t)
	ok := b.post("/employer/offers/o-open/accept", url.Values{"csrf": {token}, "idempotency_key": {"ok-1"}})
	if ok.URL.Path != "/employer/demand" || reg.answers[0] != "o-open accept" {
		t.Fatalf("accept: %s, registration got %v", ok.URL, reg.answers)
	}
	ok.contains(t, "I har taget imod pladserne på Gaffeltruckcertifikat (B). Tilmeld nu medarbejderne.", `href="/employer/enrol?course_id=k-truck"`)
	twice := b.post("/employer/offers/o-open/accept", url.Values{"csrf": {token}, "idempotency_key": {"ok-1"}})
	if twice.Status != http.StatusOK || !strings.Contains(twice.Body, "I har taget imod pladserne") {
		t.Fatalf("accepting twice: %d", twice.Status)
	}
	closed := b.post("/employer/offers/o-open/decline", url.Values{"csrf": {token}, "idempotency_key": {"ok-2"}})
	if closed.Status != http.StatusConflict {
		t.Fatalf("declining an accepted offer: %d", closed.Status)
	}
	closed.contains(t, `id="error-summary"`, "Tilbuddet er ikke åbent længere: the offer is accepted")
	declined := b.post("/employer/offers/o-other/decline", url.Values{"csrf": {token}, "idempotency_key": {"ok-3"}})
	declined.contains(t, "I har sagt nej tak til pladserne på Gaffeltruckcertifikat (B).", "Sagt nej")
	if p := b.post("/employer/offers/o-other/maybe", url.Values{"csrf": {token}}); p.Status != http.StatusNotFound {
		t.Fatalf("an unknown answer: %d", p.Status)
	}
	if p := b.post("/employer/offers/o-nope/accept", url.Values{"csrf": {token}}); p.Status != http.StatusNotFound {
		t.Fatalf("an unknown offer: %d", p.Status)
	}
}

// An employer user reaches only its own company on every new page: registration's and funding's
// 403 for another company is the portal's too.
func TestEmployerStaffPagesOfAnotherCompany(t *testing.T) {
	t.Parallel()
	other := &session.User{Subject: "e-ml", Role: auth.RoleEmployer, Name: "Midtjysk Logistik ApS", CVR: "43657003", Token: "t"}
	fund := demoFunding()
	fund.refunds = `{"items":[],"totals":{"expected_dkk":0,"due_dkk":0,"paid_dkk":0}}`
	_, b := portalWith(t, fund, demoRegistration(), other, "")
	for _, path := range []string{"/employer/enrolments", "/employer/refunds", "/employer/refunds.csv", "/employer/demand"} {
		if p := b.get(path); p.Status != http.StatusForbidden || strings.Contains(p.Body, "Mette") {
			t.Fatalf("%s for another company: %d", path, p.Status)
		}
	}
	p := b.get("/employer/enrol?course_id=k-truck") // the catalogue is public; enrolling is not
	token := p.csrf(t)
	post := b.postMultipart("/employer/enrol", url.Values{"csrf": {token}, "idempotency_key": {"x"}, "course_id": {"k-truck"}, "pays_fee": {"yes"},
		"salary_continues": {"yes"}, "accept_terms": {"yes"}, "more": {"1403881236;Mette Nielsen;mette@example.dk"}}, nil)
	if post.Status != http.StatusForbidden {
		t.Fatalf("enrolling for another company: %d", post.Status)
	}
	for _, path := range []string{"/employer/offers/o-open/accept", "/employer/demand/d-old/withdraw"} {
		if p := b.post(path, url.Values{"csrf": {token}}); p.Status != http.StatusForbidden {
			t.Fatalf("%s for another company: %d", path, p.Status)
		}
	}
	if p := b.post("/employer/demand", url.Values{"csrf": {token}, "idempotency_key": {"y"}, "skill": {"Kran"}, "employees": {"2"},
		"earliest": {"2027-01-01"}, "latest": {"2027-02-01"}, "contact_ok": {"no"}}); p.Status != http.StatusForbidden {
		t.Fatalf("a demand for another company: %d", p.Status)
	}
}

// Institutions see the companies' demand added up, with the names of the companies that agreed,
// and their own waiting lists.
func TestInstitutionSeesCompanyDemand(t *testing.T) {
	t.Parallel()
	reg := demoRegistration()
	staff := &session.User{Subject: "inst-hh", Role: auth.RoleInstitution, InstitutionID: "i-hh", Token: "t"}
	_, b := portalWith(t, http.NotFoundHandler(), reg, staff, "")
	p := b.get("/institution/demand/companies")
	if p.Status != http.StatusOK {
		t.Fatalf("company demand: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, `href="/institution/demand/companies" aria-current="page"`, "AMU 47583", "AMU-kursus", "herning", "Herning Stål A/S",
		"Kranfører med certifikat", "Hvor som helst", "Ikke oplyst", "9 medarbejdere i alt.", "Gaffeltruckcertifikat (B)", "1. januar 2027")
	b.get("/institution/demand/companies?course_code=AMU+47583&category=amu&from=2027-01-01&to=2027-06-30")
	if q := reg.queries[len(reg.queries)-1]; q.Get("course_code") != "AMU 47583" || q.Get("category") != "amu" || q.Get("from") != "2027-01-01" || q.Get("to") != "2027-06-30" {
		t.Fatalf("registration was asked %v", q)
	}
	b.get("/institution/demand/companies?category=knitting&from=x").contains(t, `href="#category"`, `href="#from"`)
	b.get("/lang/en?back=/institution/demand/companies").contains(t, "Demand from companies", "Anywhere", "Not shared")
}
