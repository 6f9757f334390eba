package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/migrations"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Den Kommunale Kompetencefond pays at most 30,000 kr. per employee in any 12 months in a row: the
// room comes back for a course more than 12 months after the others, a course cannot squeeze in
// between two that already fill a 12-month period, and a cancellation gives its room back.
func TestRollingCapCountsEveryTwelveMonthPeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Schema(t, "funding", migrations.FS, 4)
	st := &store.Store{Pool: pool}
	reserve := func(startsOn string, amount int64) (uuid.UUID, error) {
		id := uuid.New()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			return st.ReserveCap(ctx, tx, store.Reservation{DecisionID: id, EnrolmentID: id, Scheme: rules.SchemeKompetencefond,
				CitizenID: "mette", Period: rules.PeriodRolling12m, StartsOn: startsOn, LimitDKK: 30_000, AmountDKK: amount})
		})
		return id, err
	}
	used := func(startsOn string) int64 {
		t.Helper()
		n, err := st.RollingUsage(ctx, pool, "mette", rules.SchemeKompetencefond, startsOn)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		startsOn string
		amount   int64
		ok       bool
		why      string
	}{
		{"2027-02-01", 20_000, true, "the first course"},
		{"2027-09-01", 10_000, true, "fills the 12 months from 2027-02-01"},
		{"2027-12-01", 1, false, "2027-02-01..2028-01-31 is full"},
		{"2028-02-01", 20_000, true, "2027-09-01..2028-08-31 holds 10,000 before it"},
		{"2028-03-01", 1, false, "2027-09-01..2028-08-31 is full"},
		{"2029-03-01", 30_000, true, "12 months after the last course, the whole cap again"},
		{"2026-08-01", 10_000, true, "before the first: 2026-08-01..2027-07-31 holds 30,000 with it"},
		{"2026-09-01", 1, false, "2026-08-01..2027-07-31 is full"},
	}
	var ids []uuid.UUID
	for _, s := range steps {
		id, err := reserve(s.startsOn, s.amount)
		if s.ok && err != nil {
			t.Fatalf("%s (%s): %v", s.startsOn, s.why, err)
		}
		if !s.ok && !errors.Is(err, store.ErrNoBudget) {
			t.Fatalf("%s (%s): got %v, want no room", s.startsOn, s.why, err)
		}
		ids = append(ids, id)
	}
	if got := used("2027-12-01"); got != 30_000 {
		t.Fatalf("used around 2027-12-01: %d, want 30,000", got)
	}
	if got := used("2029-12-01"); got != 30_000 {
		t.Fatalf("used around 2029-12-01: %d, want 30,000 (the course of 2029-03-01)", got)
	}
	if got := used("2030-06-01"); got != 0 {
		t.Fatalf("used around 2030-06-01: %d, want 0 (2029-03-01 is more than 12 months before)", got)
	}
	// Cancelling the course of 2027-09-01 gives its 10,000 back to the periods that held it.
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return st.ReleaseReservations(ctx, tx, ids[1]) }); err != nil {
		t.Fatal(err)
	}
	if got := used("2027-12-01"); got != 20_000 {
		t.Fatalf("after the cancellation, used around 2027-12-01: %d, want 20,000", got)
	}
	if _, err := reserve("2027-12-01", 10_000); err != nil {
		t.Fatalf("after the cancellation: %v", err)
	}
}
