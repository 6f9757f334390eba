package service_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/internal/store"
	"livslang.dk/services/registration/service"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type bundle struct {
	env  *testenv.Env
	base string
	pool *pgxpool.Pool
	st   *store.Store
	keys *pii.Keys // the service's master keys and CPR index key
}

func key() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func setup(t *testing.T) bundle {
	return setupWith(t, map[string]string{"LIVSLANG_REGISTRATION_MAX_IN_FLIGHT": "100000",
		"LIVSLANG_REGISTRATION_RATE_PER_CITIZEN": "1000", "LIVSLANG_REGISTRATION_RATE_PER_ADDRESS": "100000",
		"LIVSLANG_RATE_PER_CALLER": "100000"}) // limits_test.go tests the limits; the other tests poll freely
}

func setupWith(t *testing.T, vars map[string]string) bundle {
	t.Helper()
	env := testenv.New(t, "registration")
	sealing, index := "1:"+key(), key()
	vars["LIVSLANG_REGISTRATION_PII_KEYS"], vars["LIVSLANG_CPR_INDEX_KEY"] = sealing, index
	base := env.Start(t, "registration", service.Run, vars)
	pool, err := pgdb.Connect(context.Background(), env.DB["registration"], 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	keys, err := pii.ParseKeys(sealing, index)
	if err != nil {
		t.Fatal(err)
	}
	return bundle{env: env, base: base, pool: pool, st: store.New(pool, keys, time.Now), keys: keys}
}

// course creates a run with the given seats, starting in a month.
func (b bundle) course(t *testing.T, seats int) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	inst := uuid.New()
	if err := b.st.UpsertInstitution(ctx, store.Institution{ID: inst, Name: "Herningsholm Erhvervsskole", ShortName: "Herningsholm", Kind: "erhvervsskole"}); err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	start := time.Now().AddDate(0, 1, 0).Truncate(24 * time.Hour)
	if _, err := b.st.CreateCourse(ctx, store.Course{ID: id, InstitutionID: inst, Code: "AMU 47583", Title: "Gaffeltruckcertifikat",
		TitleEN: "Forklift certificate", Category: "amu", StartsOn: start, EndsOn: start.AddDate(0, 0, 4), HoursPerWeek: 37,
		FeeDKK: 1040, Schemes: []string{"self", "veu"}, SeatsTotal: seats, Location: "Lillelundvej 13, Herning"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// citizen makes a citizen with a profile and returns their token.
func (b bundle) citizen(t *testing.T, n int) string {
	t.Helper()
	cprNumber := fmt.Sprintf("%02d0185%04d", 1+n%28, n%10000)
	tok := b.env.Token(t, auth.Claims{Subject: fmt.Sprintf("citizen-%d-%s", n, uuid.NewString()[:8]), Role: auth.RoleCitizen, CPR: cprNumber})
	r := testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", tok, profile())
	testenv.MustStatus(t, r, http.StatusOK)
	return tok
}

func profile() map[string]any {
	return map[string]any{
		"name": "Mette Nielsen", "email": "mette@example.dk", "phone": "+4520123456", "language": "da",
		"education":  map[string]any{"level": "erhvervsuddannelse", "completed_year": 2008},
		"employment": map[string]any{"status": "employed", "employer_cvr": "12345674", "since": "2022-03-01", "weekly_hours": 37},
		"benefits":   "none",
	}
}

func (b bundle) enrol(t *testing.T, tok string, course uuid.UUID, key string) testenv.Response {
	return testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments", tok,
		map[string]string{"course_id": course.String(), "funding_preference": "veu"}, "Idempotency-Key", key)
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTwoHundredCitizensTwentySeats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 20)
	tokens := make([]string, 200)
	for i := range tokens {
		tokens[i] = b.citizen(t, i)
	}
	// Twenty of them also ask a second time with another key, in the same burst: one of each pair
	// is refused without disturbing the requests written in the same transaction.
	statuses := make([]string, len(tokens)+20)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := b.enrol(t, tokens[i%len(tokens)], course, "k-"+fmt.Sprint(i))
			switch r.Status {
			case http.StatusAccepted:
				var e struct{ Status string }
				r.JSON(t, &e)
				statuses[i] = e.Status
			case http.StatusConflict:
				statuses[i] = "conflict"
			default:
				t.Errorf("enrolment %d: %s", i, r)
			}
		}()
	}
	wg.Wait()
	got := map[string]int{}
	for _, s := range statuses {
		got[s]++
	}
	if got["pending"] != 20 || got["waitlisted"] != 180 || got["conflict"] != 20 {
		t.Fatalf("answers: %v; want 20 pending, 180 waitlisted and 20 conflicts", got)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM enrolments WHERE holds_seat`); n != 20 {
		t.Fatalf("%d enrolments hold seats, want 20", n)
	}
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+course.String(), "", nil)
	var c struct {
		SeatsTotal     int `json:"seats_total"`
		SeatsAvailable int `json:"seats_available"`
	}
	r.JSON(t, &c)
	if c.SeatsTotal != 20 || c.SeatsAvailable != 0 {
		t.Fatalf("course says %d of %d seats available; want 0 of 20", c.SeatsAvailable, c.SeatsTotal)
	}
	// Waiting-list positions are 1..180 in order of request.
	if n := count(t, b.pool, `SELECT count(DISTINCT requested_at) FROM enrolments WHERE status = 'waitlisted'`); n != 180 {
		t.Fatalf("waitlisted requests %d, want 180", n)
	}
	testenv.Eventually(t, 10*time.Second, "200 enrolment events published", func() bool {
		return len(b.env.Events(t, events.StreamRegistration, "livslang.registration.enrolment.*")) == 200
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course, other := b.course(t, 5), b.course(t, 5)
	tok := b.citizen(t, 1)
	first := b.enrol(t, tok, course, "same-key")
	testenv.MustStatus(t, first, http.StatusAccepted)
	again := b.enrol(t, tok, course, "same-key")
	testenv.MustStatus(t, again, http.StatusAccepted)
	if string(first.Body) != string(again.Body) {
		t.Fatalf("a repeated request got another answer:\n%s\n%s", first.Body, again.Body)
	}
	changed := b.enrol(t, tok, other, "same-key")
	testenv.MustStatus(t, changed, http.StatusUnprocessableEntity)
	if n := count(t, b.pool, `SELECT count(*) FROM enrolments`); n != 1 {
		t.Fatalf("%d enrolments, want 1", n)
	}
	missing := testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments", tok, map[string]string{"course_id": course.String(), "funding_preference": "self"})
	testenv.MustStatus(t, missing, http.StatusBadRequest)
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 5)
	tok := b.citizen(t, 1)
	noProfile := b.env.Token(t, auth.Claims{Subject: "no-profile", Role: auth.RoleCitizen, CPR: "0101801234"})
	forged := tok[:len(tok)-4] + "AAAA"
	other, err := auth.NewDevIssuer(b.env.IssuerURL) // same issuer name, another key
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.Issue(auth.Claims{Subject: "x", Role: auth.RoleCitizen, CPR: "0101801234"})
	caseworker := b.env.Token(t, auth.Claims{Subject: "cw", Role: auth.RoleCaseworker, Municipality: "657"})
	valid := fmt.Sprintf(`{"course_id":%q,"funding_preference":"self"}`, course)
	tests := []struct {
		name   string
		token  string
		body   string
		status int
		field  string
	}{
		{"malformed JSON", tok, `{"course_id":`, 400, "body"},
		{"not JSON at all", tok, `hello`, 400, "body"},
		{"unknown field", tok, `{"course_id":"` + course.String() + `","funding_preference":"self","seats":2}`, 400, "seats"},
		{"wrong type", tok, `{"course_id":42,"funding_preference":"self"}`, 400, "course_id"},
		{"bad course id", tok, `{"course_id":"x","funding_preference":"self"}`, 400, "course_id"},
		{"bad preference", tok, `{"course_id":"` + course.String() + `","funding_preference":"lottery"}`, 400, "funding_preference"},
		{"unknown course", tok, `{"course_id":"` + uuid.NewString() + `","funding_preference":"self"}`, 400, "course_id"},
		{"no profile", noProfile, valid, 422, ""},
		{"no token", "", valid, 401, ""},
		{"forged signature", forged, valid, 401, ""},
		{"token from another key", foreign, valid, 401, ""},
		{"wrong role", caseworker, valid, 403, ""},
	}
	for _, tt := range tests {
		r := testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments", tt.token, tt.body, "Idempotency-Key", uuid.NewString())
		if r.Status != tt.status {
			t.Errorf("%s: %s, want %d", tt.name, r, tt.status)
			continue
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", tt.name, ct)
		}
		var p struct {
			Type   string
			Title  string
			Status int
			Errors []struct{ Field, Message string }
		}
		r.JSON(t, &p)
		if p.Status != tt.status || p.Title == "" || p.Type == "" {
			t.Errorf("%s: problem %+v", tt.name, p)
		}
		if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
			t.Errorf("%s: field errors %+v, want %s", tt.name, p.Errors, tt.field)
		}
		if tt.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no WWW-Authenticate", tt.name)
		}
	}
	if n := count(t, b.pool, `SELECT count(*) FROM enrolments`); n != 0 {
		t.Fatalf("bad requests wrote %d enrolments", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM outbox WHERE subject LIKE 'livslang.registration.enrolment.%'`); n != 0 {
		t.Fatalf("bad requests wrote %d events", n)
	}
	bad := testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", tok, `{"name":"","email":"nope","language":"sv","education":{"level":"phd","completed_year":1},"employment":{"status":"employed"},"benefits":"none"}`)
	testenv.MustStatus(t, bad, http.StatusBadRequest)
	if !strings.Contains(string(bad.Body), `"field":"email"`) || !strings.Contains(string(bad.Body), `"field":"education.level"`) {
		t.Fatalf("profile errors do not name the fields: %s", bad.Body)
	}
}

func TestCitizenSeesOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 5)
	mine, theirs := b.citizen(t, 1), b.citizen(t, 2)
	r := b.enrol(t, mine, course, "k")
	testenv.MustStatus(t, r, http.StatusAccepted)
	var e struct{ ID string }
	r.JSON(t, &e)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e.ID, mine, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e.ID, theirs, nil), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e.ID+"/cancel", theirs, nil), http.StatusNotFound)
	var list struct{ Items []any }
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/enrolments", theirs, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another citizen lists %d enrolments", len(list.Items))
	}
	var p struct{ CPR string }
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/profile", mine, nil).JSON(t, &p)
	if !strings.HasSuffix(p.CPR, "-XXXX") {
		t.Fatalf("profile shows CPR %q, want it masked", p.CPR)
	}
	// The CPR number (citizen 1: 0201850001) is sealed at rest: the stored bytes do not contain it.
	if n := count(t, b.pool, `SELECT count(*) FROM citizens WHERE position(convert_to('0201850001', 'UTF8') in cpr_sealed) > 0`); n != 0 {
		t.Fatal("a CPR number is stored in the clear")
	}
}

// A funding decision confirms or rejects; a redelivered decision changes nothing; a rejection frees
// the seat for the first on the waiting list.
func TestFundingDecisionsAndWaitlistPromotion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 1)
	first, second := b.citizen(t, 1), b.citizen(t, 2)
	var e1, e2 struct{ ID, Status string }
	b.enrol(t, first, course, "a").JSON(t, &e1)
	b.enrol(t, second, course, "b").JSON(t, &e2)
	if e1.Status != "pending" || e2.Status != "waitlisted" {
		t.Fatalf("statuses %s, %s; want pending, waitlisted", e1.Status, e2.Status)
	}
	decision := func(enrolment, outcome string, version int64) events.Envelope {
		env, err := events.New("/livslang/funding", events.TypeFundingRejected, events.SubjectFundingRejected, enrolment, time.Now(),
			events.FundingDecided{DecisionID: uuid.NewString(), EnrolmentID: enrolment, EnrolmentVersion: version,
				Summary: events.FundingSummary{Outcome: outcome, Scheme: "veu", Reasons: []string{"You are not employed."}}})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	rejected := decision(e1.ID, "rejected", 1)
	b.env.Publish(t, rejected, rejected.ID)
	status := func(tok, id string) string {
		var e struct{ Status string }
		testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+id, tok, nil).JSON(t, &e)
		return e.Status
	}
	testenv.Eventually(t, 10*time.Second, "first rejected, second offered the seat", func() bool {
		return status(first, e1.ID) == "rejected" && status(second, e2.ID) == "offered"
	})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e2.ID+"/offer/accept", first, nil), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e2.ID+"/offer/accept", second, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e2.ID+"/offer/accept", second, nil), http.StatusConflict)
	b.env.Publish(t, rejected, "again-"+rejected.ID) // redelivered past deduplication
	stale := decision(e2.ID, "rejected", 1)          // made for an older version of the enrolment
	b.env.Publish(t, stale, stale.ID)
	testenv.Eventually(t, 10*time.Second, "stale decision consumed", func() bool {
		return count(t, b.pool, `SELECT count(*) FROM inbox WHERE event_id = $1`, uuid.MustParse(stale.ID)) == 1
	})
	if s := status(second, e2.ID); s != "pending" {
		t.Fatalf("a stale decision changed the enrolment to %s", s)
	}
	var promoted struct{ Version int64 }
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e2.ID, second, nil).JSON(t, &promoted)
	if promoted.Version != 3 {
		t.Fatalf("promoted enrolment has version %d, want 3 (waitlisted, offered, pending)", promoted.Version)
	}
	approved := decision(e2.ID, "approved", promoted.Version)
	b.env.Publish(t, approved, approved.ID)
	testenv.Eventually(t, 10*time.Second, "second confirmed", func() bool { return status(second, e2.ID) == "confirmed" })
	if n := count(t, b.pool, `SELECT count(*) FROM enrolment_history WHERE enrolment_id = $1`, uuid.MustParse(e1.ID)); n != 2 {
		t.Fatalf("first enrolment has %d history entries, want 2 (pending, rejected)", n)
	}
	if n := count(t, b.pool, `SELECT seats_taken FROM course_runs WHERE id = $1`, course); n != 1 {
		t.Fatalf("seats taken %d, want 1", n)
	}
	var full struct {
		History []struct{ Status, Cause string }
		Funding struct{ Outcome, Scheme string }
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e2.ID, second, nil).JSON(t, &full)
	want := []string{"waitlisted/citizen", "offered/system", "pending/citizen", "confirmed/funding"}
	if len(full.History) != len(want) {
		t.Fatalf("history %+v", full.History)
	}
	for i, h := range full.History {
		if h.Status+"/"+h.Cause != want[i] {
			t.Fatalf("history %+v, want %v", full.History, want)
		}
	}
	if full.Funding.Outcome != "approved" || full.Funding.Scheme != "veu" {
		t.Fatalf("funding %+v", full.Funding)
	}
	// Cancelling a confirmed enrolment frees its seat.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e2.ID+"/cancel", second, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e2.ID+"/cancel", second, nil), http.StatusOK)
	if n := count(t, b.pool, `SELECT seats_taken FROM course_runs WHERE id = $1`, course); n != 0 {
		t.Fatalf("seats taken %d after cancelling, want 0", n)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e1.ID+"/cancel", first, nil), http.StatusConflict)
}

func TestCourseCatalogue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 7 {
		b.course(t, 12)
	}
	var page struct {
		Items []map[string]any
		Next  string
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?limit=5", "", nil).JSON(t, &page)
	if len(page.Items) != 5 || page.Next == "" {
		t.Fatalf("first page: %d items, next %q", len(page.Items), page.Next)
	}
	for _, f := range []string{"id", "code", "title", "title_en", "category", "institution", "starts_on", "ends_on",
		"hours_per_week", "fee_dkk", "schemes", "seats_total", "seats_available"} {
		if _, ok := page.Items[0][f]; !ok {
			t.Errorf("course lacks %s", f)
		}
	}
	var rest struct{ Items []map[string]any }
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?limit=5&after="+page.Next, "", nil).JSON(t, &rest)
	if len(rest.Items) != 2 {
		t.Fatalf("second page: %d items, want 2", len(rest.Items))
	}
	var found struct{ Items []any }
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?q=gaffeltruck&category=amu", "", nil).JSON(t, &found)
	if len(found.Items) != 7 {
		t.Fatalf("search found %d, want 7", len(found.Items))
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?q=svejsning", "", nil).JSON(t, &found)
	if len(found.Items) != 0 {
		t.Fatalf("search for another course found %d", len(found.Items))
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?place=herning", "", nil).JSON(t, &found)
	if len(found.Items) != 7 {
		t.Fatalf("place filter found %d, want 7", len(found.Items))
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses?place=ikast", "", nil).JSON(t, &found)
	if len(found.Items) != 0 {
		t.Fatalf("place filter for Ikast found %d", len(found.Items))
	}
	for _, q := range []string{"limit=0", "limit=501", "category=cooking", "starts_after=tomorrow", "after=zzz"} {
		testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/courses?"+q, "", nil), http.StatusBadRequest)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+uuid.NewString(), "", nil), http.StatusNotFound)
}
