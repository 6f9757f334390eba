package service_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/internal/enrolment"
)

// A burst far beyond capacity: every request is answered (a seat, a place in line, or 429 with
// Retry-After), no run is oversold, and seats go in the order requests were taken.
func TestRushNeverOversellsAndAnswersEveryone(t *testing.T) {
	t.Parallel()
	b := setupWith(t, map[string]string{"LIVSLANG_REGISTRATION_MAX_IN_FLIGHT": "12",
		"LIVSLANG_REGISTRATION_RATE_PER_CITIZEN": "1000", "LIVSLANG_REGISTRATION_RATE_PER_ADDRESS": "100000"})
	runs := []uuid.UUID{b.course(t, 50)}
	const n = 2000
	tokens := make([]string, n)
	ctx := context.Background()
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range tokens {
		sub := fmt.Sprintf("rush-%04d", i)
		number, _ := cprFor(i)
		if _, err := b.st.SaveProfile(ctx, sub, "657", number, enrolment.Profile{Name: "Rush", Email: "rush@example.dk", Language: "da",
			Education: "gymnasial", EduYear: 2000, Employment: "employed", EmployerCVR: "12345674", Since: &since, Benefits: "none"}, 0); err != nil {
			t.Fatal(err)
		}
		tokens[i] = b.env.Token(t, auth.Claims{Subject: sub, Role: auth.RoleCitizen, CPR: number.Digits()})
	}
	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments", tok,
				map[string]string{"course_id": runs[0].String(), "funding_preference": "self"}, "Idempotency-Key", "rush")
			answers[i] = answer{r.Status, r.Header.Get("Retry-After"), string(r.Body)}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	counts := map[int]int{}
	for _, a := range answers {
		counts[a.status]++
		switch a.status {
		case http.StatusAccepted:
		case http.StatusTooManyRequests:
			if a.retryAfter == "" {
				t.Fatal("a 429 without Retry-After")
			}
		default:
			t.Fatalf("answer %d: %s", a.status, a.body)
		}
	}
	t.Logf("%d requests in %s: %v", n, took, counts)
	if counts[http.StatusAccepted] == 0 {
		t.Fatal("no request got in")
	}
	seats := min(50, counts[http.StatusAccepted]) // a loaded machine may shed more than it seats
	for _, run := range runs {
		var taken, pending, waiting int
		if err := b.pool.QueryRow(ctx, `SELECT seats_taken,
				(SELECT count(*) FROM enrolments WHERE course_id = $1 AND status = 'pending'),
				(SELECT count(*) FROM enrolments WHERE course_id = $1 AND status = 'waitlisted')
			FROM course_runs WHERE id = $1`, run).Scan(&taken, &pending, &waiting); err != nil {
			t.Fatal(err)
		}
		if taken != seats || pending != seats || waiting != counts[http.StatusAccepted]-seats {
			t.Fatalf("run: %d seats taken, %d pending, %d waiting; want %d seats (of 50) and the rest waiting", taken, pending, waiting, seats)
		}
		var inOrder bool
		if err := b.pool.QueryRow(ctx, `SELECT coalesce(max(requested_at) FILTER (WHERE status = 'pending') <
				min(requested_at) FILTER (WHERE status = 'waitlisted'), true) FROM enrolments WHERE course_id = $1`, run).Scan(&inOrder); err != nil {
			t.Fatal(err)
		}
		if !inOrder {
			t.Fatal("a later request got a seat before an earlier one")
		}
	}
}

// cprFor makes a distinct, well-formed CPR number for test citizen i.
func cprFor(i int) (cpr.Number, error) {
	return cpr.Parse(fmt.Sprintf("%02d%02d%02d%04d", 1+i%28, 1+(i/28)%12, 60+i/336, i))
}
