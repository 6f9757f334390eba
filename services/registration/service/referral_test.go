package service_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

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
