package service_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

// A referral nobody answers expires after its last day: the money goes back and everyone is told.
func TestReferralExpiresAndReleasesTheMoney(t *testing.T) {
	t.Parallel()
	f, course, cw := referralSetup(t, "lars")
	var ref struct {
		ID, Status string
		Client     struct{ Name, CPR string }
	}
	testenv.Eventually(t, 10*time.Second, "referral created", func() bool {
		r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, map[string]string{"cpr": "0205841457", "course_id": course.ID,
			"funding": "municipality", "reason": "Lagerjob", "valid_until": time.Now().AddDate(0, 0, 3).Format(time.DateOnly)})
		if r.Status != http.StatusCreated {
			return false
		}
		r.JSON(t, &ref)
		return true
	})
	if ref.Client.Name != "lars" || ref.Client.CPR != "020584-XXXX" {
		t.Fatalf("the caseworker sees the client as %+v, want lars, 020584-XXXX", ref.Client)
	}
	var list struct {
		Items []struct{ Client struct{ Name, CPR string } }
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/referrals", cw, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Client.Name != "lars" || strings.Contains(fmt.Sprint(list), "0205841457") {
		t.Fatalf("the caseworker's list: %+v", list)
	}
	if p := f.budgets(t, f.admin); p[0].ReservedDKK != 860 {
		t.Fatalf("reserved %d", p[0].ReservedDKK)
	}
	if n, err := f.decisionsAt(t, 10).ExpireReferrals(context.Background()); err != nil || n != 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	var got struct {
		Status  string
		History []struct {
			Event     string
			ActorRole string `json:"actor_role"`
		}
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/referrals/"+ref.ID, cw, nil).JSON(t, &got)
	if got.Status != "expired" || got.History[len(got.History)-1].ActorRole != "system" {
		t.Fatalf("after the last day: %+v", got)
	}
	if p := f.budgets(t, f.admin); p[0].ReservedDKK != 0 {
		t.Fatalf("still reserved %d", p[0].ReservedDKK)
	}
	testenv.Eventually(t, 10*time.Second, "expiry announced", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.ReferralSubject("expired"))) == 1
	})
	lars := f.env.Token(t, auth.Claims{Subject: "lars", Role: auth.RoleCitizen, CPR: "0205841457"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/"+ref.ID+"/accept", lars, nil), http.StatusConflict)
}

// A referral whose held seat the citizen has cancelled cannot be accepted: accepted, it would keep its
// money with no enrolment ever to release it. A retried referral (same Idempotency-Key) is made once.
func TestReferralWhoseSeatWasCancelledCannotBeAccepted(t *testing.T) {
	t.Parallel()
	f, course, cw := referralSetup(t, "mona")
	body := map[string]string{"cpr": "0205841457", "course_id": course.ID, "funding": "municipality", "reason": "Lagerjob",
		"valid_until": time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}
	var ref struct{ ID string }
	testenv.Eventually(t, 10*time.Second, "referral created", func() bool {
		r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, body, "Idempotency-Key", "refer-mona")
		if r.Status != http.StatusCreated {
			return false
		}
		r.JSON(t, &ref)
		return true
	})
	var again struct{ ID string }
	r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, body, "Idempotency-Key", "refer-mona")
	testenv.MustStatus(t, r, http.StatusCreated)
	if r.JSON(t, &again); again.ID != ref.ID || f.budgets(t, f.admin)[0].ReservedDKK != 860 {
		t.Fatalf("the repeat answered %s (first %s), reserved %d", again.ID, ref.ID, f.budgets(t, f.admin)[0].ReservedDKK)
	}
	// registration held a seat for it, and the citizen cancelled that enrolment.
	held := uuid.NewString()
	c := cancelled(t, held, "mona", 2, course, ref.ID)
	f.env.Publish(t, c, c.ID)
	testenv.Eventually(t, 10*time.Second, "funding sees the cancellation", func() bool {
		var got struct {
			EnrolmentStatus string `json:"enrolment_status"`
		}
		testenv.Do(t, http.MethodGet, f.base+"/v1/referrals/"+ref.ID, cw, nil).JSON(t, &got)
		return got.EnrolmentStatus == "cancelled"
	})
	mona := f.env.Token(t, auth.Claims{Subject: "mona", Role: auth.RoleCitizen, CPR: "0205841457"})
	r = testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/"+ref.ID+"/accept", mona, nil)
	if testenv.MustStatus(t, r, http.StatusConflict); !strings.Contains(r.String(), "was cancelled") {
		t.Fatalf("accept: %s", r)
	}
}

// referralSetup starts funding with an AMU run a month ahead, Herning's municipal pool of 10,000 kr.
// for its year, and the citizen (CPR 0205841457) known from registration's events; it returns the
// run and a caseworker's token.
func referralSetup(t *testing.T, citizen string) (fundingEnv, events.CourseFacts, string) {
	t.Helper()
	f, _ := startFunding(t, 1)
	start := time.Now().AddDate(0, 1, 0)
	course := events.CourseFacts{ID: uuid.NewString(), Code: "AMU 47316", Title: "Lagerstyring", Category: "amu",
		InstitutionID: uuid.NewString(), StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 0, 4).Format(time.DateOnly),
		HoursPerWeek: 37, FeeDKK: 860, Schemes: []string{"self", "municipality"}}
	f.pool(t, "municipality", "657", start.Year(), 10_000)
	courseEvent, _ := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, course.ID, time.Now(),
		events.CourseUpdated{Course: course, Version: 1})
	profile, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, citizen, time.Now(),
		events.ProfileUpdated{CitizenID: citizen, CPRIndex: f.cprIndex("0205841457"), Version: 1, Name: citizen, Email: citizen + "@example.dk",
			Facts: facts("grundskole")})
	f.env.Publish(t, courseEvent, courseEvent.ID)
	f.env.Publish(t, profile, profile.ID)
	return f, course, f.env.Token(t, auth.Claims{Subject: "cw", Role: auth.RoleCaseworker, Municipality: "657"})
}

// Every reservation a referral makes ends. A retried bulk referral (no Idempotency-Key per client)
// is refused for a citizen who already has a live referral to the run (409), so the money is reserved
// once; and when the referral's enrolment ends without becoming a course (registration could hold
// nothing for it: the run was cancelled, or the citizen was enrolled already), the money goes back at
// once, whether the referral was open or already accepted, and it can no longer be accepted.
func TestReferralReservationEndsWithItsEnrolment(t *testing.T) {
	t.Parallel()
	f, course, cw := referralSetup(t, "nora")
	bulk := map[string]any{"cprs": []string{"0205841457"}, "course_id": course.ID, "funding": "municipality", "reason": "Lagerjob",
		"valid_until": time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}
	var first struct {
		Created int
		Results []struct {
			Status   int
			Detail   string
			Referral struct{ ID string }
		}
	}
	testenv.Eventually(t, 10*time.Second, "referral created", func() bool {
		r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/bulk", cw, bulk)
		r.JSON(t, &first)
		return r.Status == http.StatusOK && first.Created == 1
	})
	ref := first.Results[0].Referral.ID
	var retry = first
	r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/bulk", cw, bulk)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &retry)
	if retry.Created != 0 || retry.Results[0].Status != http.StatusConflict || !strings.Contains(retry.Results[0].Detail, ref) {
		t.Fatalf("the retried bulk referral: %s", r)
	}
	single := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, map[string]string{"cpr": "0205841457", "course_id": course.ID,
		"funding": "municipality", "reason": "Lagerjob", "valid_until": time.Now().AddDate(0, 0, 3).Format(time.DateOnly)})
	if single.Status != http.StatusConflict || single.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a second referral to the run: %s", single)
	}
	if p := f.budgets(t, f.admin); p[0].ReservedDKK != 860 {
		t.Fatalf("reserved %d, want 860 (once)", p[0].ReservedDKK)
	}

	// registration could hold nothing for the referral and says so: an enrolment that ends at once.
	c := cancelled(t, uuid.NewString(), "nora", 1, course, ref)
	f.env.Publish(t, c, c.ID)
	testenv.Eventually(t, 10*time.Second, "the open referral's money back", func() bool {
		return f.budgets(t, f.admin)[0].ReservedDKK == 0
	})
	nora := f.env.Token(t, auth.Claims{Subject: "nora", Role: auth.RoleCitizen, CPR: "0205841457"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/"+ref+"/accept", nora, nil), http.StatusConflict)

	// The referral no longer lives, so the citizen can be referred to the run again; this time the
	// citizen accepts before the end arrives, and the money goes back all the same.
	var again struct{ ID string }
	r = testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, map[string]string{"cpr": "0205841457", "course_id": course.ID,
		"funding": "municipality", "reason": "Lagerjob", "valid_until": time.Now().AddDate(0, 0, 3).Format(time.DateOnly)})
	testenv.MustStatus(t, r, http.StatusCreated)
	r.JSON(t, &again)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/"+again.ID+"/accept", nora, nil), http.StatusOK)
	if p := f.budgets(t, f.admin); p[0].ReservedDKK != 860 {
		t.Fatalf("reserved %d for the accepted referral, want 860", p[0].ReservedDKK)
	}
	c = cancelled(t, uuid.NewString(), "nora", 1, course, again.ID)
	f.env.Publish(t, c, c.ID)
	testenv.Eventually(t, 10*time.Second, "the accepted referral's money back", func() bool {
		return f.budgets(t, f.admin)[0].ReservedDKK == 0
	})
}

// An accepted referral that waited for a seat that never came free ends when its run starts: the
// money goes back and the expiry is announced (registration then cancels the waiting enrolment).
func TestAcceptedReferralWithoutASeatEndsWhenTheRunStarts(t *testing.T) {
	t.Parallel()
	f, course, cw := referralSetup(t, "olga")
	var ref struct{ ID string }
	testenv.Eventually(t, 10*time.Second, "referral created", func() bool {
		r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, map[string]string{"cpr": "0205841457", "course_id": course.ID,
			"funding": "municipality", "reason": "Lagerjob", "valid_until": time.Now().AddDate(0, 0, 3).Format(time.DateOnly)})
		r.JSON(t, &ref)
		return r.Status == http.StatusCreated
	})
	olga := f.env.Token(t, auth.Claims{Subject: "olga", Role: auth.RoleCitizen, CPR: "0205841457"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/"+ref.ID+"/accept", olga, nil), http.StatusOK)
	if n, err := f.decisionsAt(t, 10).ExpireReferrals(context.Background()); err != nil || n != 0 {
		t.Fatalf("before the run starts: expired %d, %v", n, err)
	}
	if n, err := f.decisionsAt(t, 40).ExpireReferrals(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the run started: expired %d, %v", n, err)
	}
	if p := f.budgets(t, f.admin); p[0].ReservedDKK != 0 {
		t.Fatalf("still reserved %d", p[0].ReservedDKK)
	}
	testenv.Eventually(t, 10*time.Second, "expiry announced", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.ReferralSubject("expired"))) == 1
	})
}
