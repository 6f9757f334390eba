package service_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/enrolment"
	"livslang.dk/services/registration/internal/store"
)

// racers are citizens with profiles for the store-level race tests, and two stores on one pool of
// their own: two instances of the service, each with its own batcher.
type racers struct {
	ids    []string
	stores [2]*store.Store
	pool   *pgxpool.Pool
}

func (b bundle) racers(t *testing.T, n int) racers {
	t.Helper()
	ctx := context.Background()
	pool, err := pgdb.Connect(ctx, b.env.DB["registration"], 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r := racers{pool: pool, stores: [2]*store.Store{store.New(pool, b.keys, time.Now), store.New(pool, b.keys, time.Now)}}
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("racer-%03d-%s", i, uuid.NewString()[:8])
		number, _ := cprFor(i)
		if _, err := b.st.SaveProfile(ctx, id, "657", number, enrolment.Profile{Name: "Racer", Email: "racer@example.dk", Language: "da",
			Education: "gymnasial", EduYear: 2000, Employment: "employed", EmployerCVR: "12345674", Since: &since, Benefits: "none"}, 0); err != nil {
			t.Fatal(err)
		}
		r.ids = append(r.ids, id)
	}
	return r
}

// enrol asks for a seat on run for citizen i through store (0 or 1) and returns the store's error.
func (r racers) enrol(i, st int, run uuid.UUID) error {
	_, err := r.stores[st].CreateEnrolment(context.Background(), store.NewEnrolment{CitizenID: r.ids[i], CourseID: run,
		FundingPreference: "self", IdempotencyKey: uuid.NewString(), RequestHash: []byte("h")})
	return err
}

// refused reports whether err is one of the answers a caller may get for a request the rules refuse.
func refused(err error) bool {
	return errors.Is(err, httpapi.ErrConflict) || errors.Is(err, httpapi.ErrUnprocessable)
}

// siblings makes n runs of one course (same institution and code), starting a week apart.
func (b bundle) siblings(t *testing.T, n, seats int) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	inst := uuid.New()
	if err := b.st.UpsertInstitution(ctx, store.Institution{ID: inst, Name: "Herningsholm Erhvervsskole", ShortName: "Herningsholm", Kind: "erhvervsskole"}); err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for i := range n {
		id := uuid.New()
		start := time.Now().AddDate(0, 1, 7*i).Truncate(24 * time.Hour)
		if _, err := b.st.CreateCourse(ctx, store.Course{ID: id, InstitutionID: inst, Code: "AMU 40116", Title: "Svejsning",
			TitleEN: "Welding", Category: "amu", StartsOn: start, EndsOn: start.AddDate(0, 0, 4), HoursPerWeek: 37,
			FeeDKK: 1040, Schemes: []string{"self", "veu"}, SeatsTotal: seats, Location: "Lillelundvej 13, Herning"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// A run being cancelled while citizens ask for seats on it, through two instances: whatever the
// interleaving, once the cancellation has committed the run has no live enrolment and no seat taken,
// and every request was either taken before the cancellation (and cancelled by it) or refused.
func TestCancelledRunNeverGainsASeatHolder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.racers(t, 6)
	ctx := context.Background()
	const rounds = 80
	failed := 0
	for round := range rounds {
		run := b.course(t, 3)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(r.ids))
		for i := range r.ids {
			wg.Go(func() {
				<-start
				errs[i] = r.enrol(i, i%2, run)
			})
		}
		var cancelErr error
		wg.Go(func() {
			<-start
			time.Sleep(time.Duration(round%8) * 250 * time.Microsecond) // spread the cancellation over the requests' lifetimes
			_, cancelErr = r.stores[round%2].CancelCourse(ctx, run, "", "too few participants")
		})
		close(start)
		wg.Wait()
		if cancelErr != nil {
			t.Fatalf("round %d: cancel: %v", round, cancelErr)
		}
		for i, err := range errs {
			if err != nil && !refused(err) {
				t.Fatalf("round %d: request %d: %v", round, i, err)
			}
		}
		var live, holders, taken int
		if err := b.pool.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM enrolments WHERE course_id = $1 AND status IN ('pending', 'waitlisted', 'offered', 'confirmed', 'started')),
				(SELECT count(*) FROM enrolments WHERE course_id = $1 AND holds_seat),
				seats_taken FROM course_runs WHERE id = $1`, run).Scan(&live, &holders, &taken); err != nil {
			t.Fatal(err)
		}
		if live != 0 || holders != 0 || taken != 0 {
			failed++
			t.Errorf("round %d: the cancelled run has %d live enrolments, %d seat holders, %d seats taken", round, live, holders, taken)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d rounds left a cancelled run with enrolments", failed, rounds)
	}
}

// A live enrolment on a cancelled run (as one that slipped in before requests locked the run could
// be) is cancelled by cancelling the run again, which keeps the run's reason and version.
func TestCancellingARunAgainEndsWhatIsLiveOnIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.racers(t, 1)
	ctx := context.Background()
	run := b.course(t, 3)
	first, err := b.st.CancelCourse(ctx, run, "", "too few participants")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, holds_seat, funding_preference)
		VALUES ($1, $2, $3, 'pending', true, 'self')`, uuid.New(), r.ids[0], run); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `UPDATE course_runs SET seats_taken = 1 WHERE id = $1`, run); err != nil {
		t.Fatal(err)
	}
	again, err := b.st.CancelCourse(ctx, run, "", "another reason")
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != first.Version || again.CancelReason != "too few participants" || again.SeatsTaken != 0 {
		t.Fatalf("cancelled again: version %d (was %d), reason %q, %d seats taken", again.Version, first.Version, again.CancelReason, again.SeatsTaken)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM enrolments WHERE course_id = $1 AND (status <> 'cancelled' OR holds_seat)`, run); n != 0 {
		t.Fatalf("%d enrolments still live on the run", n)
	}
	if n := count(t, b.pool, `SELECT seats_taken FROM course_runs WHERE id = $1`, run); n != 0 {
		t.Fatalf("%d seats taken on the cancelled run", n)
	}
}

// One seat per course, with each citizen asking for two runs of it at once through two instances,
// many rounds: every citizen ends with one seat, and the other request is refused (409).
func TestOneSeatPerCourseUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const citizens, rounds = 20, 40
	r := b.racers(t, citizens)
	twice := 0
	for round := range rounds {
		runs := b.siblings(t, 2, 1000)
		errs := make([][2]error, citizens)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range citizens {
			for j := range 2 {
				wg.Go(func() {
					<-start
					errs[i][j] = r.enrol(i, (i+j+round)%2, runs[j])
				})
			}
		}
		close(start)
		wg.Wait()
		for i, e := range errs {
			for _, err := range e {
				if err != nil && !errors.Is(err, httpapi.ErrConflict) {
					t.Fatalf("round %d, citizen %d: %v", round, i, err)
				}
			}
		}
		n := count(t, b.pool, `SELECT count(*) FROM (SELECT citizen_id FROM enrolments WHERE course_id = ANY($1) AND holds_seat
			GROUP BY citizen_id HAVING count(*) > 1) twice`, runs)
		twice += n
		if held := count(t, b.pool, `SELECT count(DISTINCT citizen_id) FROM enrolments WHERE course_id = ANY($1) AND holds_seat`, runs); held != citizens {
			t.Fatalf("round %d: %d citizens hold a seat, want all %d", round, held, citizens)
		}
	}
	if twice > 0 {
		t.Fatalf("%d times (of %d citizens in %d rounds) a citizen held a seat on both runs of the course", twice, citizens, rounds)
	}
}

// Promotion from a waiting list keeps the rule: a citizen waiting on a full run who meanwhile got a
// seat on another run of the course is passed over (and keeps their place), and the next in line
// gets the freed seat.
func TestPromotionKeepsOneSeatPerCourse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.racers(t, 3)
	ctx := context.Background()
	runs := b.siblings(t, 2, 1)
	holder, both, next := 0, 1, 2
	for _, step := range []struct{ who, run int }{{holder, 0}, {both, 0}, {next, 0}, {both, 1}} {
		if err := r.enrol(step.who, 0, runs[step.run]); err != nil {
			t.Fatal(err)
		}
	}
	var held uuid.UUID
	if err := b.pool.QueryRow(ctx, `SELECT id FROM enrolments WHERE citizen_id = $1`, r.ids[holder]).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if err := b.st.Cancel(ctx, held, r.ids[holder], enrolment.ByCitizen, ""); err != nil {
		t.Fatal(err)
	}
	status := func(who, run int) (st string, seat bool) {
		t.Helper()
		if err := b.pool.QueryRow(ctx, `SELECT status, holds_seat FROM enrolments WHERE citizen_id = $1 AND course_id = $2`,
			r.ids[who], runs[run]).Scan(&st, &seat); err != nil {
			t.Fatal(err)
		}
		return st, seat
	}
	if st, seat := status(both, 0); st != "waitlisted" || seat {
		t.Fatalf("the citizen with a seat on the other run: %s, holds a seat %v; want waitlisted, passed over", st, seat)
	}
	if st, seat := status(next, 0); st != "offered" || !seat {
		t.Fatalf("the next in line: %s, holds a seat %v; want the freed seat offered", st, seat)
	}
}
