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
