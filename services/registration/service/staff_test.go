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

type staffAnswer struct {
	Terms struct {
		LateCancellationFeeDKK int64 `json:"late_cancellation_fee_dkk"`
		NoShowFeeDKK           int64 `json:"no_show_fee_dkk"`
	}
	Summary map[string]int
	Results []struct {
		CPR, Name, Status, Reason string
		EnrolmentID               string `json:"enrolment_id"`
		InvitationID              string `json:"invitation_id"`
	}
}

// A company enrols its staff in bulk: a seat each with its commitment given, bad rows fail alone, an
// employee without a profile is invited and enrolled when they complete it; another company sees nothing.
func TestEmployerEnrolsStaff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 3)
	company := b.env.Token(t, auth.Claims{Subject: "hr", Role: auth.RoleEmployer, CVR: "12345674", Name: "Herning Stål A/S"})
	other := b.env.Token(t, auth.Claims{Subject: "hr-2", Role: auth.RoleEmployer, CVR: "41657006", Name: "Midtjysk Logistik ApS"})
	// Mette has a profile (CPR 0201851234 as b.citizen(t, 1) makes it); Ole has none.
	mette := b.citizen(t, 1)
	const oleCPR = "1505901237"
	body := map[string]any{"course_id": course.String(), "pays_fee": true, "salary_continues": true, "employees": []map[string]string{
		{"cpr": "0201850001", "name": "Mette Nielsen", "email": "mette@example.dk"},
		{"cpr": oleCPR, "name": "Ole Jensen", "email": "ole@example.dk"},
		{"cpr": "3213991234", "name": "Forkert CPR", "email": "x@example.dk"},
		{"cpr": "0201850001", "name": "Mette igen", "email": "mette@example.dk"},
	}}
	path := b.base + "/v1/employers/12345674/enrolments"
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path, other, body), http.StatusForbidden)
	r := testenv.Do(t, http.MethodPost, path, company, body, "Idempotency-Key", "staff-1")
	testenv.MustStatus(t, r, http.StatusAccepted)
	var got staffAnswer
	r.JSON(t, &got)
	if len(got.Results) != 4 || got.Results[0].Status != "pending" || got.Results[0].CPR != "020185-XXXX" ||
		got.Results[1].Status != "awaiting_profile" || got.Results[2].Status != "failed" || got.Results[3].Status != "failed" ||
		!strings.Contains(got.Results[3].Reason, "twice") || got.Terms.LateCancellationFeeDKK != 1500 {
		t.Fatalf("results %s", r.Body)
	}
	if strings.Contains(string(r.Body), "0201850001") || strings.Contains(string(r.Body), oleCPR) {
		t.Fatalf("a full CPR number in the answer: %s", r.Body)
	}
	again := testenv.Do(t, http.MethodPost, path, company, body, "Idempotency-Key", "staff-1")
	if again.Status != http.StatusAccepted || string(again.Body) != string(r.Body) {
		t.Fatalf("a retry answered %d %s", again.Status, again.Body)
	}
	// The enrolment event carries the company's commitment; the invitation holds a seat.
	testenv.Eventually(t, 10*time.Second, "the enrolment requested", func() bool {
		for _, e := range b.env.Events(t, events.StreamRegistration, events.SubjectEnrolmentRequested) {
			var en events.Enrolment
			if e.Decode(&en) == nil && en.EnrolmentID == got.Results[0].EnrolmentID {
				return en.Employer != nil && en.Employer.CVR == "12345674" && en.Employer.PaysFee && en.FundingPreference == "veu" &&
					en.Cause == "employer"
			}
		}
		return false
	})
	var run struct {
		SeatsAvailable int `json:"seats_available"`
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+course.String(), "", nil).JSON(t, &run)
	if run.SeatsAvailable != 1 {
		t.Fatalf("%d seats left, want 1 (Mette's and Ole's held)", run.SeatsAvailable)
	}
	// Mette sees it as hers and can cancel it; her other courses are not the company's business.
	var mine struct{ Items []struct{ ID string } }
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/enrolments", mette, nil).JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != got.Results[0].EnrolmentID {
		t.Fatalf("Mette's enrolments %+v", mine)
	}
	own := b.course(t, 5)
	testenv.MustStatus(t, b.enrol(t, mette, own, uuid.NewString()), http.StatusAccepted)
	type listed struct {
		Items []struct {
			ID, Status   string
			InvitationID string `json:"invitation_id"`
			Employee     struct{ Name, CPR string }
		}
	}
	var list listed
	testenv.Do(t, http.MethodGet, path, company, nil).JSON(t, &list)
	if len(list.Items) != 2 || list.Items[0].Employee.CPR == "" || strings.Contains(fmt.Sprint(list), own.String()) {
		t.Fatalf("the company's list %+v", list)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, path, other, nil), http.StatusForbidden)

	// Ole completes his profile: the held seat becomes his enrolment.
	ole := b.env.Token(t, auth.Claims{Subject: "ole-" + uuid.NewString()[:8], Role: auth.RoleCitizen, CPR: oleCPR})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", ole, profile()), http.StatusOK)
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/enrolments", ole, nil).JSON(t, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("Ole's enrolments after his profile: %+v", mine)
	}
	testenv.Do(t, http.MethodGet, path+"?status=awaiting_profile", company, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("still awaiting a profile: %+v", list)
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+course.String(), "", nil).JSON(t, &run)
	if run.SeatsAvailable != 1 {
		t.Fatalf("%d seats left after Ole's profile, want 1", run.SeatsAvailable)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path, company, map[string]any{"course_id": course.String()}), http.StatusBadRequest)
}

// An invited employee who does not complete their profile in time loses the held seat.
func TestStaffInvitationExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 1)
	company := b.env.Token(t, auth.Claims{Subject: "hr", Role: auth.RoleEmployer, CVR: "12345674", Name: "Herning Stål A/S"})
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/employers/12345674/enrolments", company, map[string]any{"course_id": course.String(),
		"pays_fee": false, "salary_continues": true, "employees": []map[string]string{{"cpr": "1505901237", "name": "Ole Jensen", "email": "ole@example.dk"}}})
	testenv.MustStatus(t, r, http.StatusAccepted)
	testenv.Eventually(t, 10*time.Second, "the employee asked to complete the profile", func() bool {
		return len(b.env.Events(t, events.StreamRegistration, "livslang.registration.staff.invited")) == 1
	})
	later := b.st.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 8) })
	if n, err := later.ExpireInvitations(context.Background()); err != nil || n != 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	var run struct {
		SeatsAvailable int `json:"seats_available"`
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+course.String(), "", nil).JSON(t, &run)
	if run.SeatsAvailable != 1 {
		t.Fatalf("%d seats after the invitation expired", run.SeatsAvailable)
	}
}

// Demand → run → offer → the company's staff take the seats its offer holds, not free ones.
func TestStaffTakeTheSeatsTheirOfferHolds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	company := b.employer(t, "12345674", "Herning Stål A/S")
	b.postDemand(t, company, "12345674", map[string]any{"course_code": "AMU 47583", "employees": 2, "earliest": day(20),
		"latest": day(60), "place": "Herning", "contact_ok": true})
	run, free := b.publish(t, inst, staff, amuRun("AMU 47583", 5, 30, "Lillelundvej 13, Herning"))
	if free != 3 || len(b.offersOf(t, company, "12345674")) != 1 {
		t.Fatalf("%d seats free after the offer, offers %+v", free, b.offersOf(t, company, "12345674"))
	}
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/employers/12345674/enrolments", company, map[string]any{"course_id": run,
		"pays_fee": false, "salary_continues": true, "employees": []map[string]string{
			{"cpr": "1505901237", "name": "Ole Jensen", "email": "ole@example.dk"},
			{"cpr": "1606901238", "name": "Lise Jensen", "email": "lise@example.dk"}}})
	testenv.MustStatus(t, r, http.StatusAccepted)
	var got staffAnswer
	r.JSON(t, &got)
	if got.Summary["awaiting_profile"] != 2 {
		t.Fatalf("results %s", r.Body)
	}
	if left, offers := b.seatsAvailable(t, run), b.offersOf(t, company, "12345674"); left != 3 || offers[0].SeatsHeld != 0 {
		t.Fatalf("%d seats free after the staff took the offer's seats (want 3), offers %+v", left, offers)
	}
}
