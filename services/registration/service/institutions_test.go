package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/internal/store"
)

// institution makes an institution and a staff token for it.
func (b bundle) institution(t *testing.T) (uuid.UUID, string) {
	t.Helper()
	id := uuid.New()
	if err := b.st.UpsertInstitution(context.Background(), store.Institution{ID: id, Name: "Erhvervsakademi MidtVest", ShortName: "EAMV", Kind: "erhvervsakademi"}); err != nil {
		t.Fatal(err)
	}
	return id, b.env.Token(t, auth.Claims{Subject: "staff-" + id.String()[:8], Role: auth.RoleInstitution, InstitutionID: id.String()})
}

func runBody(code string, seats int) map[string]any {
	start := time.Now().AddDate(0, 2, 0)
	return map[string]any{"code": code, "title": "Ledelse i praksis", "title_en": "Leadership in practice", "category": "akademi",
		"schemes": []string{"self", "omstillingsfonden"}, "location": "Lillelundvej 21, Herning",
		"starts_on": start.Format(time.DateOnly), "ends_on": start.AddDate(0, 2, 0).Format(time.DateOnly),
		"hours_per_week": 8, "fee_dkk": 9800, "seats_total": seats, "min_participants": 1}
}

func TestInstitutionPublishesChangesAndCancelsRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	other, otherStaff := b.institution(t)
	_ = other
	citizen := b.citizen(t, 1)

	r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, runBody("AK-LED-1", 1))
	testenv.MustStatus(t, r, http.StatusCreated)
	var run struct {
		ID             string
		Status         string
		SeatsAvailable int `json:"seats_available"`
		Institution    struct{ ID string }
	}
	r.JSON(t, &run)
	if run.Status != "published" || run.Institution.ID != inst.String() || run.SeatsAvailable != 1 {
		t.Fatalf("run %+v", run)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", otherStaff, runBody("X", 5)), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", citizen, runBody("X", 5)), http.StatusForbidden)
	bad := runBody("", 0)
	bad["category"], bad["ends_on"] = "cooking", "2020-01-01"
	r = testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, bad)
	testenv.MustStatus(t, r, http.StatusBadRequest)
	for _, f := range []string{"code", "category", "ends_on", "seats_total"} {
		if !strings.Contains(string(r.Body), `"field":"`+f+`"`) {
			t.Errorf("no error for %s: %s", f, r.Body)
		}
	}

	// Two citizens: one takes the only seat, one waits. Growing the run serves the waiting list.
	first, second := b.citizen(t, 2), b.citizen(t, 3)
	var e1, e2 struct{ ID, Status string }
	b.enrol(t, first, uuid.MustParse(run.ID), "a").JSON(t, &e1)
	b.enrol(t, second, uuid.MustParse(run.ID), "b").JSON(t, &e2)
	if e2.Status != "waitlisted" {
		t.Fatalf("second is %s", e2.Status)
	}
	patch := func(body map[string]any) testenv.Response {
		return testenv.Do(t, http.MethodPatch, b.base+"/v1/courses/"+run.ID, staff, body)
	}
	testenv.MustStatus(t, patch(map[string]any{"seats_total": 0}), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPatch, b.base+"/v1/courses/"+run.ID, otherStaff, map[string]any{"seats_total": 9}), http.StatusNotFound)
	r = patch(map[string]any{"seats_total": 3, "title_en": "Leadership in practice (module 1)"})
	testenv.MustStatus(t, r, http.StatusOK)
	var patched struct {
		ID         string
		TitleEN    string `json:"title_en"`
		SeatsTotal int    `json:"seats_total"`
	}
	r.JSON(t, &patched)
	if patched.ID != run.ID || patched.SeatsTotal != 3 || patched.TitleEN != "Leadership in practice (module 1)" {
		t.Fatalf("the patch answered %+v", patched)
	}
	var status struct{ Status string }
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e2.ID, second, nil).JSON(t, &status)
	if status.Status != "offered" {
		t.Fatalf("after the run grew, the waiting citizen is %s, want offered", status.Status)
	}

	// Cancelling the run cancels its enrolments with the reason, and it takes no more.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/courses/"+run.ID+"/cancel", staff, `{}`), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/courses/"+run.ID+"/cancel", staff,
		map[string]string{"reason": "for få tilmeldte"}), http.StatusOK)
	var cancelled struct {
		Status  string
		History []struct{ Status, Cause, Reason string }
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e1.ID, first, nil).JSON(t, &cancelled)
	last := cancelled.History[len(cancelled.History)-1]
	if cancelled.Status != "cancelled" || last.Cause != "institution" || !strings.Contains(last.Reason, "for få tilmeldte") {
		t.Fatalf("enrolment on a cancelled run: %+v", cancelled)
	}
	testenv.MustStatus(t, b.enrol(t, b.citizen(t, 4), uuid.MustParse(run.ID), "c"), http.StatusUnprocessableEntity)
	var page struct{ Items []struct{ ID string } }
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?limit=500", "", nil).JSON(t, &page)
	for _, c := range page.Items {
		if c.ID == run.ID {
			t.Fatal("a cancelled run is listed")
		}
	}
	cancelledEvents := b.env.Events(t, events.StreamRegistration, events.SubjectEnrolmentCancelled)
	testenv.Eventually(t, 10*time.Second, "two cancellations published", func() bool {
		cancelledEvents = b.env.Events(t, events.StreamRegistration, events.SubjectEnrolmentCancelled)
		return len(cancelledEvents) == 2
	})
}

func TestCSVImportIsAllOrNothingAndExports(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	url := b.base + "/v1/institutions/" + inst.String() + "/courses/import"
	start := time.Now().AddDate(0, 1, 0)
	d := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }
	good := "code;title;title_en;category;starts_on;ends_on;hours_per_week;fee_dkk;seats_total;schemes;skills;certificate_months;competences;ects\n" +
		fmt.Sprintf("AMU 47583;Gaffeltruck;Forklift;amu;%s;%s;37;1040;16;self|veu;Gaffeltruck|Lager;60;2629|2714;\n", d(0), d(4)) +
		fmt.Sprintf("AMU 40125;Arbejdsmiljø;Work environment;amu;%s;%s;37;640;14;self;;;;2,5\n", d(7), d(9))
	bad := good +
		fmt.Sprintf("AMU 1;;No title;amu;%s;%s;37;640;14;self\n", d(7), d(9)) +
		fmt.Sprintf("AMU 2;Svejsning;Welding;amu;%s;%s;37;abc;14;lottery\n", d(7), d(9)) +
		fmt.Sprintf("AMU 47583;Gaffeltruck igen;Again;amu;%s;%s;37;1040;16;self\n", d(0), d(4))
	r := testenv.Do(t, http.MethodPost, url, staff, bad, "Content-Type", "text/csv")
	testenv.MustStatus(t, r, http.StatusUnprocessableEntity)
	var report struct {
		Rejected []struct {
			Line   int
			Errors []struct{ Field string }
		}
	}
	r.JSON(t, &report)
	if len(report.Rejected) != 3 || report.Rejected[0].Line != 4 || report.Rejected[1].Line != 5 || report.Rejected[2].Line != 6 {
		t.Fatalf("report %+v", report)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM course_runs WHERE institution_id = $1`, inst); n != 0 {
		t.Fatalf("a rejected import stored %d runs", n)
	}
	r = testenv.Do(t, http.MethodPost, url, staff, good, "Content-Type", "text/csv")
	testenv.MustStatus(t, r, http.StatusOK)
	var result struct{ Imported, Created, Updated int }
	r.JSON(t, &result)
	if result.Imported != 2 || result.Created != 2 {
		t.Fatalf("import %+v", result)
	}
	r = testenv.Do(t, http.MethodPost, url, staff, strings.ReplaceAll(good, ";16;", ";20;"), "Content-Type", "text/csv")
	r.JSON(t, &result)
	if result.Created != 0 || result.Updated != 2 {
		t.Fatalf("re-import %+v, want both updated", result)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url, staff, good), http.StatusUnsupportedMediaType)
	export := testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/courses.csv", staff, nil)
	testenv.MustStatus(t, export, http.StatusOK)
	lines := strings.Split(strings.TrimSpace(string(export.Body)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "AMU 47583") || !strings.Contains(lines[1], ",20,") ||
		!strings.HasSuffix(lines[0], ",status,seats_taken,ects,skills,certificate_months,competences") ||
		!strings.HasSuffix(lines[1], ",,Gaffeltruck|Lager,60,2629|2714") || !strings.HasSuffix(lines[2], ",2.5,,0,") {
		t.Fatalf("export:\n%s", export.Body)
	}
	other, otherStaff := b.institution(t)
	_ = other
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/courses.csv", otherStaff, nil), http.StatusNotFound)
}

// An import holds at most 1,000 runs and says so; growing a run by import serves its waiting list as
// PATCH does; a cancelled run is not changed by an import or a publish, and the import names its line.
func TestCSVImportIsBoundedServesWaitingListsAndKeepsCancelledRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	url := b.base + "/v1/institutions/" + inst.String() + "/courses/import"
	start := time.Now().AddDate(0, 1, 0)
	d := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }
	const header = "code;title;category;starts_on;ends_on;hours_per_week;fee_dkk;seats_total;schemes\n"
	many := func(n int) string {
		var sb strings.Builder
		sb.WriteString(header)
		for i := range n {
			fmt.Fprintf(&sb, "AMU %d;Gaffeltruck;amu;%s;%s;37;1040;16;self\n", 10000+i, d(i%200), d(i%200+4))
		}
		return sb.String()
	}
	var problem struct {
		Detail string
		Errors []struct{ Field, Message string }
	}
	r := testenv.Do(t, http.MethodPost, url, staff, many(1001), "Content-Type", "text/csv")
	testenv.MustStatus(t, r, http.StatusBadRequest)
	r.JSON(t, &problem)
	if len(problem.Errors) != 1 || !strings.Contains(problem.Errors[0].Message, "at most 1000 runs per import, and this file has 1001") {
		t.Fatalf("an import of 1,001 runs: %s", r)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM course_runs WHERE institution_id = $1`, inst); n != 0 {
		t.Fatalf("a refused import stored %d runs", n)
	}
	began := time.Now()
	r = testenv.Do(t, http.MethodPost, url, staff, many(1000), "Content-Type", "text/csv")
	testenv.MustStatus(t, r, http.StatusOK)
	t.Logf("1,000 runs imported in %v", time.Since(began).Round(time.Millisecond))

	// One seat, taken; the second citizen waits. An import that grows the run gives her the seat.
	one := header + fmt.Sprintf("LED 1;Ledelse;akademi;%s;%s;8;9800;1;self\n", d(30), d(60)) +
		fmt.Sprintf("LED 2;Ledelse 2;akademi;%s;%s;8;9800;5;self\n", d(30), d(60))
	r = testenv.Do(t, http.MethodPost, url, staff, one, "Content-Type", "text/csv")
	testenv.MustStatus(t, r, http.StatusOK)
	var result struct {
		Items []struct{ ID, Code string }
	}
	r.JSON(t, &result)
	run := uuid.MustParse(result.Items[0].ID)
	first, second := b.citizen(t, 21), b.citizen(t, 22)
	var e1, e2 struct{ ID, Status string }
	b.enrol(t, first, run, "i1").JSON(t, &e1)
	b.enrol(t, second, run, "i2").JSON(t, &e2)
	if e2.Status != "waitlisted" {
		t.Fatalf("the second citizen is %s, want waitlisted", e2.Status)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url, staff, strings.Replace(one, ";9800;1;", ";9800;2;", 1), "Content-Type", "text/csv"), http.StatusOK)
	var status struct{ Status string }
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e2.ID, second, nil).JSON(t, &status)
	if status.Status != "offered" {
		t.Fatalf("after an import grew the run, the waiting citizen is %s, want offered", status.Status)
	}

	// Cancelled, the run stays as it was: the import is refused naming its line, and so is a publish.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/courses/"+run.String()+"/cancel", staff,
		map[string]string{"reason": "underviseren er syg"}), http.StatusOK)
	changed := strings.Replace(strings.Replace(one, ";9800;1;", ";9800;9;", 1), ";9800;5;", ";9800;7;", 1)
	r = testenv.Do(t, http.MethodPost, url, staff, changed, "Content-Type", "text/csv")
	testenv.MustStatus(t, r, http.StatusUnprocessableEntity)
	var report struct {
		Rejected []struct {
			Line   int
			Code   string
			Errors []struct{ Field, Message string }
		}
	}
	r.JSON(t, &report)
	if len(report.Rejected) != 1 || report.Rejected[0].Line != 2 || report.Rejected[0].Code != "LED 1" ||
		!strings.Contains(report.Rejected[0].Errors[0].Message, "cancelled") {
		t.Fatalf("an import changing a cancelled run: %s", r)
	}
	var seats struct {
		Status     string
		SeatsTotal int `json:"seats_total"`
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+run.String(), "", nil).JSON(t, &seats)
	if seats.Status != "cancelled" || seats.SeatsTotal != 2 {
		t.Fatalf("the cancelled run after the refused import: %+v", seats)
	}
	if n := count(t, b.pool, `SELECT seats_total FROM course_runs WHERE institution_id = $1 AND code = 'LED 2'`, inst); n != 5 {
		t.Fatalf("the refused import changed the other run to %d seats", n)
	}
	body := runBody("LED 1", 9)
	body["starts_on"], body["ends_on"] = d(30), d(60)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body), http.StatusConflict)
}

// The feed pages every change, in order, with no gaps or duplicates, while enrolments change at once.
func TestFeedUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	var runs []uuid.UUID
	for i := range 3 {
		r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, runBody(fmt.Sprint("AK-", i), 4))
		var c struct{ ID string }
		r.JSON(t, &c)
		runs = append(runs, uuid.MustParse(c.ID))
	}
	tokens := make([]string, 30)
	for i := range tokens {
		tokens[i] = b.citizen(t, 100+i)
	}
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.enrol(t, tok, runs[i%3], "k")
		}()
	}
	var seqs []int
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	cursor := ""
	read := func() int {
		r := testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/feed?limit=7&after="+cursor, staff, nil)
		testenv.MustStatus(t, r, http.StatusOK)
		var page struct {
			Items []struct {
				Sequence string
				Type     string
				Data     struct {
					Version int64
				}
			}
			Next string
		}
		r.JSON(t, &page)
		if strings.Contains(string(r.Body), `"benefits"`) || strings.Contains(string(r.Body), `"birth_date"`) {
			t.Fatalf("the feed gives the institution the citizen's profile facts: %s", r.Body)
		}
		for _, it := range page.Items {
			n, _ := strconv.Atoi(it.Sequence)
			seqs = append(seqs, n)
			if it.Data.Version == 0 {
				t.Fatalf("feed record without the enrolment's version: %+v", it)
			}
		}
		cursor = page.Next
		return len(page.Items)
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			read()
		}
	}
	for read() > 0 {
	}
	if len(seqs) != 30 {
		t.Fatalf("read %d changes, want 30", len(seqs))
	}
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("sequence %v has a gap or duplicate at %d", seqs, i)
		}
	}
	_, otherStaff := b.institution(t)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/feed", otherStaff, nil), http.StatusNotFound)
	// Long poll: an empty page waits for the next change.
	start := time.Now()
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/feed?wait=1&after="+cursor, staff, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	if time.Since(start) < 900*time.Millisecond {
		t.Fatalf("long poll returned after %s with nothing new", time.Since(start))
	}
}

// Long polls of a feed wake when the feed grows (soon, not at their timeout), and one caller may have
// only four waiting at once: the fifth is 429 with Retry-After, while another caller still waits.
func TestFeedLongPollsWakeOnAChangeAndAreBoundedPerCaller(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	feed := b.base + "/v1/institutions/" + inst.String() + "/feed"
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, runBody("LP-1", 10))
	testenv.MustStatus(t, r, http.StatusCreated)
	var run struct{ ID string }
	r.JSON(t, &run)

	type answer struct {
		r    testenv.Response
		took time.Duration
	}
	answers := make(chan answer, 5)
	poll := func(token string) {
		start := time.Now()
		r := testenv.Do(t, http.MethodGet, feed+"?wait=20", token, nil)
		answers <- answer{r, time.Since(start)}
	}
	for range 4 {
		go poll(staff)
	}
	colleague := b.env.Token(t, auth.Claims{Subject: "staff-colleague-" + uuid.NewString()[:8], Role: auth.RoleInstitution, InstitutionID: inst.String()})
	go poll(colleague)
	testenv.Eventually(t, 10*time.Second, "five polls waiting", func() bool {
		return pollsWaiting(t, b) == 5
	})
	fifth := testenv.Do(t, http.MethodGet, feed+"?wait=20", staff, nil)
	testenv.MustStatus(t, fifth, http.StatusTooManyRequests)
	if fifth.Header.Get("Retry-After") == "" || !strings.Contains(string(fifth.Body), "at most 4") {
		t.Fatalf("the fifth poll of one caller: %s (Retry-After %q)", fifth, fifth.Header.Get("Retry-After"))
	}

	start := time.Now()
	b.enrol(t, b.citizen(t, 31), uuid.MustParse(run.ID), "lp")
	for range 5 {
		a := <-answers
		testenv.MustStatus(t, a.r, http.StatusOK)
		var page struct{ Items []json.RawMessage }
		a.r.JSON(t, &page)
		if len(page.Items) == 0 || a.took > 10*time.Second {
			t.Fatalf("a poll answered %d records after %v", len(page.Items), a.took)
		}
	}
	t.Logf("five polls answered %v after the enrolment", time.Since(start).Round(time.Millisecond))
}

// pollsWaiting reads livslang_feed_polls_waiting from the instance's /metrics.
func pollsWaiting(t *testing.T, b bundle) int {
	r := testenv.Do(t, http.MethodGet, b.base+"/metrics", "", nil)
	for line := range strings.Lines(string(r.Body)) {
		if v, ok := strings.CutPrefix(line, "livslang_feed_polls_waiting "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// approve confirms an enrolment as funding would.
func (b bundle) approve(t *testing.T, tok, id string) {
	t.Helper()
	var e struct{ Version int64 }
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+id, tok, nil).JSON(t, &e)
	env, err := events.New("/livslang/funding", events.TypeFundingApproved, events.SubjectFundingApproved, id, time.Now(),
		events.FundingDecided{DecisionID: uuid.NewString(), EnrolmentID: id, EnrolmentVersion: e.Version,
			Summary: events.FundingSummary{Outcome: "approved", Scheme: "self", CitizenPaysDKK: 9800}})
	if err != nil {
		t.Fatal(err)
	}
	b.env.Publish(t, env, env.ID)
	testenv.Eventually(t, 10*time.Second, "confirmed", func() bool {
		var s struct{ Status string }
		testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+id, tok, nil).JSON(t, &s)
		return s.Status == "confirmed"
	})
}

func TestInstitutionAnswersAttendanceAndDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	_, otherStaff := b.institution(t)
	var run struct {
		ID       string
		StartsOn string `json:"starts_on"`
	}
	testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, runBody("AK-1", 3)).JSON(t, &run)
	courseID := uuid.MustParse(run.ID)
	toks := []string{b.citizen(t, 1), b.citizen(t, 2), b.citizen(t, 3), b.citizen(t, 4)}
	ids := make([]string, 4)
	for i, tok := range toks {
		var e struct{ ID string }
		b.enrol(t, tok, courseID, "k").JSON(t, &e)
		ids[i] = e.ID
	}
	for i := range 3 {
		b.approve(t, toks[i], ids[i])
	}
	url := func(id, action string) string { return b.base + "/v1/enrolments/" + id + "/" + action }

	// Accept: stays confirmed, the acceptance is in the history; only once.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "accept"), otherStaff, nil), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "accept"), staff, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "accept"), staff, nil), http.StatusConflict)
	// Reject: needs a reason; frees the seat for the waiting citizen.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[1], "reject"), staff, `{}`), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[1], "reject"), staff, map[string]string{"reason": "mangler adgangskrav"}), http.StatusOK)
	var e struct {
		Status  string
		History []struct{ Status, Cause, Reason string }
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+ids[1], toks[1], nil).JSON(t, &e)
	if e.Status != "rejected" || e.History[len(e.History)-1].Cause != "institution" {
		t.Fatalf("rejected by the institution: %+v", e)
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+ids[3], toks[3], nil).JSON(t, &e)
	if e.Status != "offered" {
		t.Fatalf("the waiting citizen is %s after the rejection, want offered the seat", e.Status)
	}

	// No answer within five business days: the default (accept) happens, by the system.
	late := b.st.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 20) })
	late.Answer = store.AnswerPolicy{Days: 5, Default: "accept"}
	n, err := late.ApplyOverdueAnswers(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("overdue answers applied: %d, %v; want 1 (the third enrolment)", n, err)
	}
	early := b.st.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 2) })
	if n, _ := early.ApplyOverdueAnswers(context.Background()); n != 0 {
		t.Fatalf("answered %d before any deadline", n)
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+ids[2], toks[2], nil).JSON(t, &e)
	last := e.History[len(e.History)-1]
	if e.Status != "confirmed" || last.Cause != "system" || !strings.Contains(last.Reason, "5 business days") {
		t.Fatalf("after the deadline: %+v", e)
	}
	testenv.Eventually(t, 10*time.Second, "two acceptances published", func() bool {
		return len(b.env.Events(t, events.StreamRegistration, events.SubjectEnrolmentAccepted)) == 2
	})

	// Attendance starts the enrolment; a second report for a day corrects the first; the outcome
	// defaults to the hours reported.
	starts, _ := time.Parse(time.DateOnly, run.StartsOn)
	day := func(n int) string { return starts.AddDate(0, 0, n).Format(time.DateOnly) }
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "attendance"), staff, map[string]any{"date": day(-1), "hours": 4}), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "attendance"), staff, map[string]any{"date": day(0), "hours": 4}), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "attendance"), staff, map[string]any{"date": day(1), "hours": 4}), http.StatusOK)
	r := testenv.Do(t, http.MethodPost, url(ids[0], "attendance"), staff, map[string]any{"date": day(1), "hours": 3})
	testenv.MustStatus(t, r, http.StatusOK)
	var att struct {
		Status        string
		AttendedHours float64 `json:"attended_hours"`
	}
	r.JSON(t, &att)
	if att.Status != "started" {
		t.Fatalf("after attendance: %+v", att)
	}
	r = testenv.Do(t, http.MethodPost, url(ids[0], "outcome"), staff, map[string]any{"outcome": "break", "reason": "sygdom"})
	testenv.MustStatus(t, r, http.StatusOK)
	var onBreak struct {
		Status  string
		History []struct{ Status, Reason string }
	}
	r.JSON(t, &onBreak)
	if onBreak.Status != "started" || onBreak.History[len(onBreak.History)-1].Reason != "break: sygdom" {
		t.Fatalf("after a break: %+v", onBreak)
	}
	r = testenv.Do(t, http.MethodPost, url(ids[0], "outcome"), staff, map[string]any{"outcome": "completed"})
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &att)
	if att.Status != "completed" || att.AttendedHours != 7 {
		t.Fatalf("completed with %+v, want 7 attended hours (4 + the corrected 3)", att)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url(ids[0], "attendance"), staff, map[string]any{"date": day(2), "hours": 4}), http.StatusConflict)
}

func TestDemandAcrossRunsOfACourse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	mk := func(code string, seats, min int, offset int) uuid.UUID {
		body := runBody(code, seats)
		start := time.Now().AddDate(0, 2, offset)
		body["starts_on"], body["ends_on"], body["min_participants"] = start.Format(time.DateOnly), start.AddDate(0, 1, 0).Format(time.DateOnly), min
		var c struct{ ID string }
		testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body).JSON(t, &c)
		return uuid.MustParse(c.ID)
	}
	a, bb := mk("AK-DEM", 1, 1, 0), mk("AK-DEM", 8, 4, 14)
	for i := range 3 {
		b.enrol(t, b.citizen(t, 30+i), a, "k") // 1 seat taken, 2 waiting
	}
	b.enrol(t, b.citizen(t, 40), bb, "k")
	var d struct {
		Items []struct {
			CourseID        string `json:"course_id"`
			SeatsTaken      int    `json:"seats_taken"`
			Waitlisted      int
			BelowMinimum    bool `json:"below_minimum"`
			DemandForCourse int  `json:"demand_for_course"`
		}
	}
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/demand", staff, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &d)
	// The first run is full with two waiting; the second is under its minimum of four: together there
	// is demand for four, enough to run one of them.
	if len(d.Items) != 2 || d.Items[0].SeatsTaken != 1 || d.Items[0].Waitlisted != 2 || d.Items[0].BelowMinimum ||
		!d.Items[1].BelowMinimum || d.Items[0].DemandForCourse != 4 || d.Items[1].DemandForCourse != 4 {
		t.Fatalf("demand %+v", d.Items)
	}
}
