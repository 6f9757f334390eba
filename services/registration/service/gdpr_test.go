package service_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/datarequest"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/service"
)

// citizenWithID makes a citizen with a profile and returns their id and token.
func (b bundle) citizenWithID(t *testing.T, cpr string) (string, string) {
	t.Helper()
	id := "citizen-" + uuid.NewString()
	tok := b.env.Token(t, auth.Claims{Subject: id, Role: auth.RoleCitizen, CPR: cpr, Municipality: "657"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", tok, profile()), http.StatusOK)
	return id, tok
}

type requestView struct {
	ID          string
	Status      string
	DownloadURL string `json:"download_url"`
	Services    map[string]struct{ Status string }
}

// An export is answered by the other services through events, in chunks that may come in any order
// and more than once; registration assembles one file with a section per service, for its citizen only,
// and deletes it after its retention.
func TestExportIsAssembledFromTheServicesAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, tok := b.citizenWithID(t, "0101801234")
	_, other := b.citizenWithID(t, "0201801234")
	url := b.base + "/v1/me/data-requests"

	for _, c := range []struct {
		token, key string
		body       any
		status     int
		field      string
	}{
		{tok, "", map[string]string{"kind": "export"}, http.StatusBadRequest, "Idempotency-Key"},
		{tok, "k1", map[string]string{"kind": "everything"}, http.StatusBadRequest, "kind"},
		{tok, "k1", `{"kind": "export", "extra": 1}`, http.StatusBadRequest, ""},
		{"", "k1", map[string]string{"kind": "export"}, http.StatusUnauthorized, ""},
		{b.env.Token(t, auth.Claims{Subject: "staff", Role: auth.RoleInstitution, InstitutionID: uuid.NewString()}), "k1",
			map[string]string{"kind": "export"}, http.StatusForbidden, ""},
	} {
		r := testenv.Do(t, http.MethodPost, url, c.token, c.body, "Idempotency-Key", c.key)
		if r.Status != c.status || r.Header.Get("Content-Type") != "application/problem+json" ||
			(c.field != "" && !strings.Contains(string(r.Body), `"field":"`+c.field+`"`)) {
			t.Errorf("%v: %s", c.body, r)
		}
	}

	r := testenv.Do(t, http.MethodPost, url, tok, map[string]string{"kind": "export"}, "Idempotency-Key", "k1")
	testenv.MustStatus(t, r, http.StatusAccepted)
	var made requestView
	r.JSON(t, &made)
	var view requestView
	testenv.Do(t, http.MethodGet, url+"/"+made.ID, tok, nil).JSON(t, &view)
	if view.Status != "pending" || view.DownloadURL != "" || view.Services["registration"].Status != "completed" ||
		view.Services["funding"].Status != "pending" || view.Services["notification"].Status != "pending" {
		t.Fatalf("a new export: %+v", view)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, url+"/"+made.ID+"/export", tok, nil), http.StatusConflict)

	// What funding and notification would send: funding's section is large, so it comes in chunks.
	var req events.DataRequest
	testenv.Eventually(t, 10*time.Second, "the request on the stream", func() bool {
		list := b.env.Events(t, events.StreamRegistration, events.SubjectDataRequestRequested)
		return len(list) == 1 && list[0].Decode(&req) == nil
	})
	if req.CitizenID != id || req.Kind != "export" || req.ExportKey == "" {
		t.Fatalf("announced %+v", req)
	}
	big := map[string]any{"service": "funding", "decisions": strings.Repeat("beslutning ", 60_000)}
	chunks, err := datarequest.ExportAnswers("/livslang/funding", "funding", time.Now(), req, big)
	if err != nil || len(chunks) < 3 {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
	for _, e := range chunks {
		if strings.Contains(string(e.Data), "beslutning") {
			t.Fatal("a chunk shows the section in the clear")
		}
	}
	slices.Reverse(chunks)
	for _, e := range append(chunks, chunks[0]) { // out of order, and one twice
		b.env.Publish(t, e, uuid.NewString())
	}
	small, err := datarequest.ExportAnswers("/livslang/notification", "notification", time.Now(), req, map[string]any{"service": "notification"})
	if err != nil {
		t.Fatal(err)
	}
	b.env.Publish(t, small[0], small[0].ID)
	testenv.Eventually(t, 20*time.Second, "the export completed", func() bool {
		testenv.Do(t, http.MethodGet, url+"/"+made.ID, tok, nil).JSON(t, &view)
		return view.Status == "completed"
	})
	file := testenv.Do(t, http.MethodGet, view.DownloadURL, tok, nil)
	testenv.MustStatus(t, file, http.StatusOK)
	var got struct {
		Format   string
		Sections struct {
			Registration struct{ Profile struct{ CPR, Name string } }
			Funding      struct{ Decisions string }
			Notification struct{ Service string }
		}
	}
	file.JSON(t, &got)
	if got.Format != "livslang-export/1" || got.Sections.Registration.Profile.CPR != "0101801234" ||
		got.Sections.Funding.Decisions != big["decisions"] || got.Sections.Notification.Service != "notification" {
		t.Fatalf("the file: %.300s", file.Body)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, view.DownloadURL, other, nil), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, url+"/"+made.ID, other, nil), http.StatusNotFound)
	if n := count(t, b.pool, `SELECT count(*) FROM data_request_chunks`); n != 0 {
		t.Fatalf("%d chunks left", n)
	}

	// Seven days later the file is gone.
	job := retention.Job{Steps: b.st.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 8) }).RetentionSteps(),
		Now: func() time.Time { return time.Now().AddDate(0, 0, 8) }}
	if done, err := job.RunOnce(context.Background()); err != nil || done["exports"] != 1 {
		t.Fatalf("retention: %v, %v", done, err)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, view.DownloadURL, tok, nil), http.StatusGone)
	if n := count(t, b.pool, `SELECT count(*) FROM data_request_parts WHERE section IS NOT NULL`); n != 0 {
		t.Fatalf("%d sections kept after the export expired", n)
	}
}

// Cancelled enrolments go after three years; completed ones, the documentation of payouts, five
// years after the end of the year they ended; the clock is injected.
func TestRetentionOfEnrolments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 5)
	var cancelled, completed struct{ ID string }
	tokA, tokB := b.citizen(t, 1), b.citizen(t, 2)
	b.enrol(t, tokA, course, "a").JSON(t, &cancelled)
	b.enrol(t, tokB, course, "b").JSON(t, &completed)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+cancelled.ID+"/cancel", tokA, nil), http.StatusOK)
	if _, err := b.pool.Exec(context.Background(), `UPDATE enrolments SET status = 'completed' WHERE id = $1`, completed.ID); err != nil {
		t.Fatal(err)
	}
	exists := func(id string) bool {
		return count(t, b.pool, `SELECT count(*) FROM enrolments WHERE id = $1`, id) == 1
	}
	now := time.Now()
	run := func(at time.Time) {
		t.Helper()
		job := retention.Job{Steps: b.st.WithClock(func() time.Time { return at }).RetentionSteps(), Now: func() time.Time { return at }}
		if _, err := job.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	run(now.AddDate(2, 11, 0))
	if !exists(cancelled.ID) || !exists(completed.ID) {
		t.Fatal("deleted before three years")
	}
	run(now.AddDate(3, 0, 1))
	if exists(cancelled.ID) || !exists(completed.ID) || count(t, b.pool, `SELECT count(*) FROM enrolment_history WHERE enrolment_id = $1`, cancelled.ID) != 0 {
		t.Fatal("after three years: the cancelled enrolment and its history should be gone, the completed one kept")
	}
	lastDay := time.Date(now.Year()+5, 12, 31, 12, 0, 0, 0, time.UTC)
	run(lastDay)
	if !exists(completed.ID) {
		t.Fatal("the completed enrolment was deleted before the end of its fifth year")
	}
	run(lastDay.AddDate(0, 0, 2))
	if exists(completed.ID) {
		t.Fatal("the completed enrolment outlived its retention")
	}
}

// Master keys rotate: a profile sealed under key 1 is read after key 2 is put first, the start
// rewraps every data key under key 2, and key 1 can then be dropped.
func TestMasterKeyRotation(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, "registration")
	k1, k2, index := key(), key(), key()
	start := func(keys string) (string, func()) {
		return env.StartStoppable(t, "registration", service.Run, map[string]string{
			"LIVSLANG_REGISTRATION_PII_KEYS": keys, "LIVSLANG_CPR_INDEX_KEY": index})
	}
	base, stop := start("1:" + k1)
	tok := env.Token(t, auth.Claims{Subject: "anna", Role: auth.RoleCitizen, CPR: "0101901234"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, base+"/v1/me/profile", tok, profile()), http.StatusOK)
	stop()
	name := func(base string) string {
		var p struct{ Name, CPR string }
		r := testenv.Do(t, http.MethodGet, base+"/v1/me/profile", tok, nil)
		testenv.MustStatus(t, r, http.StatusOK)
		r.JSON(t, &p)
		return p.Name + " " + p.CPR
	}
	base, stop = start("2:" + k2 + ",1:" + k1)
	if got := name(base); got != "Mette Nielsen 010190-XXXX" {
		t.Fatalf("after the rotation: %q", got)
	}
	stop()
	base, _ = start("2:" + k2)
	if got := name(base); got != "Mette Nielsen 010190-XXXX" {
		t.Fatalf("with only the new key: %q", got)
	}
	// The data key itself never changed: only its wrapping did.
	keys, err := pii.ParseSealingKeys("2:" + k2)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped []byte
	pool, err := pgdb.Connect(context.Background(), env.DB["registration"], 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.QueryRow(context.Background(), `SELECT wrapped FROM citizen_keys WHERE citizen_id = 'anna'`).Scan(&wrapped); err != nil ||
		wrapped[0] != 2 {
		t.Fatalf("wrapped by key %d (%v)", wrapped[0], err)
	}
	if _, err := keys.Unwrap(wrapped, "anna"); err != nil {
		t.Fatal(err)
	}
}

// A profile stored before profiles were sealed with data keys (plaintext columns, the CPR number
// sealed with the master key) is sealed with the citizen's data key and its plaintext cleared.
func TestPlaintextProfilesAreSealed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	cprSealed, err := b.keys.Seal([]byte("0101901234"), []byte("legacy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO citizens (id, cpr_index, cpr_sealed, birth_date, name, email, phone, language,
			education_level, education_year, employment_status, employer_cvr, weekly_hours, benefits, municipality)
		VALUES ('legacy', $1, $2, '1990-01-01', 'Anna Jensen', 'anna@example.dk', '', 'da', 'erhvervsuddannelse', 2010,
			'employed', '12345674', 37, 'none', '657')`, b.keys.Index("0101901234"), cprSealed); err != nil {
		t.Fatal(err)
	}
	if n, err := b.st.SealLegacyProfiles(ctx); err != nil || n != 1 {
		t.Fatalf("sealed %d, %v", n, err)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM citizens WHERE name IS NOT NULL OR cpr_sealed IS NOT NULL OR birth_date IS NOT NULL
		OR profile_sealed IS NULL`); n != 0 {
		t.Fatalf("%d profiles keep plaintext", n)
	}
	var p struct{ Name, CPR, Municipality string }
	tok := b.env.Token(t, auth.Claims{Subject: "legacy", Role: auth.RoleCitizen, CPR: "0101901234"})
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/me/profile", tok, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &p)
	if p.Name != "Anna Jensen" || p.CPR != "010190-XXXX" || p.Municipality != "657" {
		t.Fatalf("after sealing: %+v", p)
	}
}

// A retried erasure (the same Idempotency-Key and body) answers as the first time, 202 with the same
// request, although the erasure deleted the citizen's other stored answers; a new key answers 409.
func TestErasureRetryAnswersAsTheFirstTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, tok := b.citizenWithID(t, "0101801234")
	url := b.base + "/v1/me/data-requests"
	course := b.course(t, 5)
	testenv.MustStatus(t, b.enrol(t, tok, course, "enrol-1"), http.StatusAccepted)

	first := testenv.Do(t, http.MethodPost, url, tok, map[string]string{"kind": "erasure"}, "Idempotency-Key", "erase-1")
	testenv.MustStatus(t, first, http.StatusAccepted)
	again := testenv.Do(t, http.MethodPost, url, tok, map[string]string{"kind": "erasure"}, "Idempotency-Key", "erase-1")
	if again.Status != http.StatusAccepted || string(again.Body) != string(first.Body) {
		t.Fatalf("the retry: %s, want the first answer %s", again, first)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, url, tok, map[string]string{"kind": "erasure"}, "Idempotency-Key", "erase-2"),
		http.StatusConflict)
	if n := count(t, b.pool, `SELECT count(*) FROM idempotency_keys WHERE principal = $1 AND key <> 'erase-1'`, id); n != 0 {
		t.Fatalf("%d of the citizen's other stored answers kept after the erasure", n)
	}
	// The cancellation the erasure made says so, whatever order its consumers see it in.
	var cancelled events.Enrolment
	testenv.Eventually(t, 10*time.Second, "the erasure's cancellation published", func() bool {
		for _, e := range b.env.Events(t, events.StreamRegistration, events.SubjectEnrolmentCancelled) {
			var en events.Enrolment
			if e.Decode(&en) == nil && en.CitizenID == id {
				cancelled = en
				return true
			}
		}
		return false
	})
	if !cancelled.Erasure {
		t.Fatalf("the erasure's cancellation %+v does not say it is one", cancelled)
	}
}
