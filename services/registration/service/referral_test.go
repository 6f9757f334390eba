package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

// An answer to a referral can reach registration before the referral itself (another instance
// handled it, or the referral was redelivered after a crash): it is kept and applied as soon as the
// referral holds its seat. An accepted referral's seat goes on to funding (pending); a withdrawn
// one's is given back. Found by make chaos: an accepted referral whose seat stayed offered.
func TestReferralAnsweredBeforeItArrives(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 5)
	for i, tt := range []struct {
		answer, status string
		want           string
		seats          int
	}{
		{events.TypeReferralAccepted, "accepted", "pending", 1},
		{events.TypeReferralWithdrawn, "withdrawn", "cancelled", 1}, // the first one's seat is still taken
	} {
		citizen := "referred-" + uuid.NewString()[:8]
		tok := b.env.Token(t, auth.Claims{Subject: citizen, Role: auth.RoleCitizen, CPR: []string{"0101851234", "0201851234"}[i]})
		testenv.MustStatus(t, testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", tok, profile()), http.StatusOK)
		ref := events.Referral{ReferralID: uuid.NewString(), Status: tt.status, CitizenID: citizen, Municipality: "657",
			Course: events.CourseFacts{ID: course.String()}, Scheme: "municipality", Reason: "Lagerjob",
			ValidUntil: time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}
		answer, err := events.New("/livslang/funding", tt.answer, events.ReferralSubject(tt.status), ref.ReferralID, time.Now(), ref)
		if err != nil {
			t.Fatal(err)
		}
		b.env.Publish(t, answer, answer.ID)
		testenv.Eventually(t, 10*time.Second, "the early answer handled", func() bool {
			return count(t, b.pool, `SELECT count(*) FROM inbox WHERE event_id = $1`, uuid.MustParse(answer.ID)) == 1
		})
		ref.Status = "open"
		created, err := events.New("/livslang/funding", events.TypeReferralCreated, events.ReferralSubject("created"), ref.ReferralID,
			time.Now(), ref)
		if err != nil {
			t.Fatal(err)
		}
		b.env.Publish(t, created, created.ID)
		var mine struct {
			Items []struct{ Status string }
		}
		testenv.Eventually(t, 10*time.Second, "the referral's seat follows the answer: "+tt.want, func() bool {
			testenv.Do(t, http.MethodGet, b.base+"/v1/me/enrolments", tok, nil).JSON(t, &mine)
			return len(mine.Items) == 1 && mine.Items[0].Status == tt.want
		})
		if n := count(t, b.pool, `SELECT seats_taken FROM course_runs WHERE id = $1`, course); n != tt.seats {
			t.Fatalf("after a %s referral: %d seats taken, want %d", tt.status, n, tt.seats)
		}
	}
}

// A referral registration can hold nothing for (the citizen is enrolled on the run already, or the
// run is cancelled) gets an enrolment that is cancelled at once, announced with the referral's id,
// so funding gives back the money the referral reserved; the enrolment the citizen had is kept, and a
// redelivered referral changes nothing.
func TestReferralThatCannotBeHeldEndsAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	enrolled := b.course(t, 5)
	cancelledRun := b.course(t, 5)
	if _, err := b.st.CancelCourse(context.Background(), cancelledRun, "", "too few participants"); err != nil {
		t.Fatal(err)
	}
	citizen, tok := b.citizenWithID(t, "0101851234")
	testenv.MustStatus(t, b.enrol(t, tok, enrolled, "mine"), http.StatusAccepted)
	for _, c := range []struct {
		run    uuid.UUID
		reason string
	}{
		{enrolled, "already has an enrolment"},
		{cancelledRun, "the course run was cancelled: too few participants"},
	} {
		ref := events.Referral{ReferralID: uuid.NewString(), Status: "open", CitizenID: citizen, Municipality: "657",
			Course: events.CourseFacts{ID: c.run.String()}, Scheme: "municipality", Reason: "Lagerjob",
			ValidUntil: time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}
		created, err := events.New("/livslang/funding", events.TypeReferralCreated, events.ReferralSubject("created"), ref.ReferralID, time.Now(), ref)
		if err != nil {
			t.Fatal(err)
		}
		b.env.Publish(t, created, created.ID)
		ended := func() []events.Enrolment {
			var out []events.Enrolment
			for _, e := range b.env.Events(t, events.StreamRegistration, events.SubjectEnrolmentCancelled) {
				var en events.Enrolment
				if e.Decode(&en) == nil && en.ReferralID == ref.ReferralID {
					out = append(out, en)
				}
			}
			return out
		}
		testenv.Eventually(t, 10*time.Second, "the referral's enrolment cancelled at once", func() bool { return len(ended()) > 0 })
		// Handled again past the inbox (as after a lost inbox row): nothing more.
		if err := pgx.BeginFunc(context.Background(), b.pool, func(tx pgx.Tx) error { return b.st.HoldForReferral(context.Background(), tx, ref) }); err != nil {
			t.Fatal(err)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM enrolments WHERE referral_id = $1`, ref.ReferralID); n != 1 {
			t.Fatalf("%d enrolments for the referral, want 1", n)
		}
		got := ended()
		if len(got) != 1 || got[0].Cause != "system" || !strings.Contains(got[0].Reason, c.reason) || got[0].CitizenID != citizen {
			t.Fatalf("run %s: the referral's enrolment events %+v", c.run, got)
		}
	}
	if n := count(t, b.pool, `SELECT count(*) FROM enrolments WHERE citizen_id = $1 AND course_id = $2 AND status = 'pending'`, citizen, enrolled); n != 1 {
		t.Fatalf("the citizen's own enrolment: %d pending, want 1", n)
	}
	if n := count(t, b.pool, `SELECT seats_taken FROM course_runs WHERE id = $1`, enrolled); n != 1 {
		t.Fatalf("%d seats taken on the run, want 1 (the citizen's own)", n)
	}
}
