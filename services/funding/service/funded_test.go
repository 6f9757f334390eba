package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/testenv"
)

// latestFunded is the newest list of funded courses funding published for the citizen.
func latestFunded(t *testing.T, f fundingEnv, citizen string) (events.FundedCourses, bool) {
	var best events.FundedCourses
	found := false
	for _, e := range f.env.Events(t, events.StreamFunding, events.SubjectFundedCourses) {
		var list events.FundedCourses
		if err := e.Decode(&list); err != nil {
			t.Fatal(err)
		}
		if list.CitizenID == citizen && list.Version > best.Version {
			best, found = list, true
		}
	}
	return best, found
}

func fundedIDs(l events.FundedCourses) []string {
	var out []string
	for _, c := range l.Courses {
		out = append(out, c.CourseID)
	}
	return out
}

// Funding publishes, per citizen, the open runs a scheme other than paying yourself funds, as the
// eligibility rules answer them: when the profile arrives, when a run is published, and when a run
// is cancelled. Each list has a higher version than the one before.
func TestFundedCoursesFollowProfilesAndRuns(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	publish := func(c events.CourseFacts, version int64) {
		e, _ := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, c.ID, time.Now(),
			events.CourseUpdated{Course: c, Version: version})
		f.env.Publish(t, e, e.ID)
	}
	funded := akademi(uuid.NewString(), 9500)
	selfPay := akademi(uuid.NewString(), 9500)
	selfPay.Schemes = []string{"self"}
	publish(funded, 1)
	publish(selfPay, 1)
	profile, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, "mette", time.Now(),
		events.ProfileUpdated{CitizenID: "mette", Version: 1, Name: "Mette", Email: "m@example.dk", Facts: facts("erhvervsuddannelse")})
	f.env.Publish(t, profile, profile.ID)

	var first events.FundedCourses
	testenv.Eventually(t, 10*time.Second, "Mette's funded courses", func() bool {
		var ok bool
		first, ok = latestFunded(t, f, "mette")
		return ok && slices.Contains(fundedIDs(first), funded.ID)
	})
	if slices.Contains(fundedIDs(first), selfPay.ID) || len(first.Courses[0].Schemes) == 0 || slices.Contains(first.Courses[0].Schemes, "self") {
		t.Fatalf("the list: %+v", first)
	}

	// A new run the citizen can get funded is added to their list; a cancelled one leaves it.
	later := akademi(uuid.NewString(), 9500)
	publish(later, 1)
	testenv.Eventually(t, 10*time.Second, "the new run in the list", func() bool {
		l, _ := latestFunded(t, f, "mette")
		return slices.Contains(fundedIDs(l), later.ID) && l.Version > first.Version
	})
	funded.Status = "cancelled"
	publish(funded, 2)
	testenv.Eventually(t, 10*time.Second, "the cancelled run out of the list", func() bool {
		l, _ := latestFunded(t, f, "mette")
		return !slices.Contains(fundedIDs(l), funded.ID) && slices.Contains(fundedIDs(l), later.ID)
	})

	// A decision under a cap marks the list stale; the timer evaluates it once, outside the decision.
	now := f.decisionsAt(t, 0)
	if err := pgdb.Tx(context.Background(), now.DB, func(tx pgx.Tx) error {
		return now.Store.MarkFundedStale(context.Background(), tx, "mette")
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{1, 0} { // the mark is cleared by the first pass
		if n, err := now.RefreshStaleFunded(context.Background()); err != nil || n != want {
			t.Fatalf("the stale pass evaluated %d citizens, want %d: %v", n, want, err)
		}
	}

	// The daily pass, three months on (92 days): the run has started, so it leaves the list; the day's pass runs once.
	d := f.decisionsAt(t, 92)
	if n, err := d.RefreshFundedDaily(context.Background()); err != nil || n != 1 {
		t.Fatalf("the daily pass evaluated %d citizens: %v", n, err)
	}
	if n, err := d.RefreshFundedDaily(context.Background()); err != nil || n != 0 {
		t.Fatalf("the day's second pass evaluated %d citizens: %v", n, err)
	}
	testenv.Eventually(t, 10*time.Second, "the started run out of the list", func() bool {
		l, _ := latestFunded(t, f, "mette")
		return len(l.Courses) == 0
	})
}
