package service_test

import (
	"net/http"
	"strings"
	"testing"

	"livslang.dk/pkg/testenv"
)

// A request is answered with the enrolment the API renders (Location names it), and a repeat with
// the same Idempotency-Key gets the same answer from the enrolment the key keeps; an answer stored
// before the key kept enrolments (a rendered body) is replayed as it was.
func TestReplaysAnswerAsTheFirstTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 5)
	tok := b.citizen(t, 1)
	first := b.enrol(t, tok, course, "k1")
	testenv.MustStatus(t, first, http.StatusAccepted)
	var e struct{ ID string }
	first.JSON(t, &e)
	if got := first.Header.Get("Location"); got != "/v1/enrolments/"+e.ID || e.ID == "" {
		t.Fatalf("Location %q for %s", got, e.ID)
	}
	again := b.enrol(t, tok, course, "k1")
	testenv.MustStatus(t, again, http.StatusAccepted)
	if again.Header.Get("Location") != first.Header.Get("Location") || string(again.Body) != string(first.Body) {
		t.Fatalf("replay %q %s, want %q %s", again.Header.Get("Location"), again.Body, first.Header.Get("Location"), first.Body)
	}

	old := `{"id":"` + e.ID + `","status":"pending","history":[]}`
	if _, err := b.pool.Exec(t.Context(), `UPDATE idempotency_keys SET body = $1 WHERE key = 'k1'`, []byte(old)); err != nil {
		t.Fatal(err)
	}
	legacy := b.enrol(t, tok, course, "k1")
	testenv.MustStatus(t, legacy, http.StatusAccepted)
	if strings.TrimSpace(string(legacy.Body)) != old || legacy.Header.Get("Location") != "/v1/enrolments/"+e.ID {
		t.Fatalf("an old stored answer replayed as %q %s", legacy.Header.Get("Location"), legacy.Body)
	}
}

// A company's demand and a citizen's data request are answered again as the first time, Location
// included, from what their keys keep; an answer an older version stored is replayed as it was.
func TestDemandAndDataRequestReplayAsTheFirstTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	company := b.employer(t, "12345674", "Herning Stål A/S")
	demands := b.base + "/v1/employers/12345674/demands"
	body := map[string]any{"course_code": "47583", "employees": 3, "earliest": day(20), "latest": day(90), "contact_ok": true}
	_, citizen := b.citizenWithID(t, "0101801234")
	requests := b.base + "/v1/me/data-requests"
	for _, c := range []struct {
		url, token, location string
		body                 any
		status               int
		was, stored          string // the older version's stored answer: the first with was replaced by stored
	}{
		{demands, company, "/v1/employers/12345674/demands/", body, http.StatusCreated, `"employees":3`, `"employees":4`},
		{requests, citizen, "/v1/me/data-requests/", map[string]string{"kind": "export"}, http.StatusAccepted, `"export"`, `"erasure"`},
	} {
		k := "replay-" + c.location
		first := testenv.Do(t, http.MethodPost, c.url, c.token, c.body, "Idempotency-Key", k)
		testenv.MustStatus(t, first, c.status)
		var made struct{ ID string }
		first.JSON(t, &made)
		if first.Header.Get("Location") != c.location+made.ID || made.ID == "" {
			t.Fatalf("Location %q for %s", first.Header.Get("Location"), first.Body)
		}
		again := testenv.Do(t, http.MethodPost, c.url, c.token, c.body, "Idempotency-Key", k)
		if again.Status != c.status || string(again.Body) != string(first.Body) || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("the repeat: %s %q, want %s %q", again, again.Header.Get("Location"), first, first.Header.Get("Location"))
		}
		old := strings.Replace(strings.TrimSpace(string(first.Body)), c.was, c.stored, 1)
		if !strings.Contains(old, c.stored) {
			t.Fatalf("no %s in %s", c.was, first.Body)
		}
		if _, err := b.pool.Exec(t.Context(), `UPDATE idempotency_keys SET body = $1 WHERE key = $2`, []byte(old), k); err != nil {
			t.Fatal(err)
		}
		legacy := testenv.Do(t, http.MethodPost, c.url, c.token, c.body, "Idempotency-Key", k)
		if legacy.Status != c.status || strings.TrimSpace(string(legacy.Body)) != old || legacy.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("an old stored answer replayed as %s %q", legacy, legacy.Header.Get("Location"))
		}
	}
}
