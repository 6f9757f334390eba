package e2e

import (
	"net/http"
	"testing"
	"time"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/testenv"
)

type pool struct {
	Scheme       string
	Owner        string
	Year         int
	PaidDKK      int64 `json:"paid_dkk"`
	ReservedDKK  int64 `json:"reserved_dkk"`
	RemainingDKK int64 `json:"remaining_dkk"`
}

func (s system) pools(t *testing.T, token string) []pool {
	var out struct{ Items []pool }
	r := testenv.Do(t, http.MethodGet, s.fund+"/v1/budgets", token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &out)
	return out.Items
}

func reserved(pools []pool, scheme, owner string) int64 {
	var sum int64
	for _, p := range pools {
		if p.Scheme == scheme && p.Owner == owner {
			sum += p.ReservedDKK
		}
	}
	return sum
}

func paid(pools []pool, scheme, owner string) int64 {
	var sum int64
	for _, p := range pools {
		if p.Scheme == scheme && p.Owner == owner {
			sum += p.PaidDKK
		}
	}
	return sum
}

// Omstillingsfonden pays 10,000 kr. of a 10,500 kr. academy module from the institution's drawing
// right; cancelling returns the money to the pool.
func TestFundingFromAPoolAndBackOnCancellation(t *testing.T) {
	t.Parallel()
	s := start(t)
	admin := s.env.Token(t, auth.Claims{Subject: "admin", Role: auth.RoleAdmin})
	mette := s.citizen(t, "1403881236", "Mette Nielsen", "mette@example.dk", "da")
	course, _ := s.course(t, "økonomistyring")
	const eamv = "6d2b941b-dc5b-4545-af87-43b7efb95fae"
	before := reserved(s.pools(t, admin), "omstillingsfonden", eamv)

	e := s.enrol(t, mette, course, "omstillingsfonden")
	e = s.waitStatus(t, mette, e.ID, "confirmed")
	var d struct {
		Outcome string
		Plan    struct {
			FeeScheme      string `json:"fee_scheme"`
			FeeCoveredDKK  int64  `json:"fee_covered_dkk"`
			CitizenPaysDKK int64  `json:"citizen_pays_dkk"`
		}
	}
	testenv.Do(t, http.MethodGet, s.fund+"/v1/decisions/"+e.ID, mette.token, nil).JSON(t, &d)
	if d.Outcome != "approved" || d.Plan.FeeCoveredDKK != 10_000 || d.Plan.CitizenPaysDKK != 500 {
		t.Fatalf("decision %+v", d)
	}
	if got := reserved(s.pools(t, admin), "omstillingsfonden", eamv) - before; got != 10_000 {
		t.Fatalf("reserved %d kr., want 10,000", got)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+e.ID+"/cancel", mette.token, nil), http.StatusOK)
	testenv.Eventually(t, 20*time.Second, "the money back in the pool", func() bool {
		return reserved(s.pools(t, admin), "omstillingsfonden", eamv) == before
	})

	// Completion with half the hours attended pays half the reservation; the rest returns to the pool.
	james := s.citizen(t, "0205841457", "James Miller", "james@example.com", "en")
	j := s.enrol(t, james, course, "omstillingsfonden")
	s.waitStatus(t, james, j.ID, "confirmed")
	var run struct {
		HoursPerWeek float64 `json:"hours_per_week"`
		StartsOn     string  `json:"starts_on"`
		EndsOn       string  `json:"ends_on"`
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/courses/"+course, "", nil).JSON(t, &run)
	starts, _ := time.Parse(time.DateOnly, run.StartsOn)
	ends, _ := time.Parse(time.DateOnly, run.EndsOn)
	planned := run.HoursPerWeek * float64((int(ends.Sub(starts).Hours()/24)+1+6)/7)
	otherSchool := s.env.Token(t, auth.Claims{Subject: "via-staff", Role: auth.RoleInstitution, InstitutionID: "528fbc46-282c-4a56-8273-fc0a507d013b"})
	staff := s.env.Token(t, auth.Claims{Subject: "eamv-staff", Role: auth.RoleInstitution, InstitutionID: eamv})
	outcome := map[string]any{"outcome": "completed", "attended_hours": planned / 2}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+j.ID+"/outcome", otherSchool, outcome), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+j.ID+"/outcome", staff, outcome), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+j.ID+"/outcome", staff, outcome), http.StatusConflict)
	testenv.Eventually(t, 20*time.Second, "half paid, the rest released", func() bool {
		pools := s.pools(t, admin)
		return paid(pools, "omstillingsfonden", eamv) == 5_000 && reserved(pools, "omstillingsfonden", eamv) == before
	})
	checkEvents(t, s)
}

// A municipal place needs a caseworker: the enrolment waits as pending until the caseworker of the
// citizen's municipality approves it, and is then confirmed.
func TestCaseworkerReviewConfirmsTheEnrolment(t *testing.T) {
	t.Parallel()
	s := start(t)
	lars := s.citizen(t, "0205841457", "Lars Sørensen", "lars@example.dk", "da")
	course, _ := s.course(t, "lagerstyring")
	e := s.enrol(t, lars, course, "municipality")
	caseworker := s.env.Token(t, auth.Claims{Subject: "cw-herning", Role: auth.RoleCaseworker, Municipality: "657"})
	var queue struct {
		Items []struct {
			ID          string
			EnrolmentID string `json:"enrolment_id"`
		}
	}
	testenv.Eventually(t, 20*time.Second, "the review in Herning's queue", func() bool {
		testenv.Do(t, http.MethodGet, s.fund+"/v1/reviews", caseworker, nil).JSON(t, &queue)
		return len(queue.Items) == 1
	})
	if queue.Items[0].EnrolmentID != e.ID {
		t.Fatalf("queue %+v", queue.Items)
	}
	testenv.Eventually(t, 20*time.Second, "the enrolment shows the review", func() bool {
		got := s.get(t, lars, e.ID)
		return got.Status == "pending" && got.Funding.Outcome == "review_required"
	})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.fund+"/v1/reviews/"+queue.Items[0].ID+"/decide", caseworker,
		map[string]string{"outcome": "approved", "reason": "Lager og logistik er på kommunens liste over mangelområder"}), http.StatusOK)
	got := s.waitStatus(t, lars, e.ID, "confirmed")
	if got.Funding.Scheme != "municipality" || got.Funding.Outcome != "approved" {
		t.Fatalf("after review: %+v", got.Funding)
	}
}
