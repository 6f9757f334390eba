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

// A referral the scheme's budget has no room for is refused (422) with the field error "budget", the
// code the portal tells this refusal by (not the detail's words), alone and in a bulk referral.
func TestReferralRefusedForTheBudgetSaysSoByCode(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	start := time.Now().AddDate(0, 1, 0)
	course := events.CourseFacts{ID: uuid.NewString(), Code: "AMU 47316", Title: "Lagerstyring", Category: "amu",
		InstitutionID: uuid.NewString(), StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 0, 4).Format(time.DateOnly),
		HoursPerWeek: 37, FeeDKK: 860, Schemes: []string{"self", "municipality"}}
	f.pool(t, "municipality", "657", start.Year(), 500)
	courseEvent, _ := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, course.ID, time.Now(),
		events.CourseUpdated{Course: course, Version: 1})
	profile, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, "ida", time.Now(),
		events.ProfileUpdated{CitizenID: "ida", CPRIndex: f.cprIndex("0205841457"), Version: 1, Name: "ida", Email: "ida@example.dk",
			Facts: facts("grundskole")})
	f.env.Publish(t, courseEvent, courseEvent.ID)
	f.env.Publish(t, profile, profile.ID)
	cw := f.env.Token(t, auth.Claims{Subject: "cw", Role: auth.RoleCaseworker, Municipality: "657"})
	until := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)

	budget := func(errs []struct{ Field string }) bool {
		return len(errs) == 1 && errs[0].Field == "budget"
	}
	var problem struct {
		Detail string
		Errors []struct{ Field string }
	}
	testenv.Eventually(t, 10*time.Second, "referral refused for the budget", func() bool {
		r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals", cw, map[string]string{"cpr": "0205841457", "course_id": course.ID,
			"funding": "municipality", "reason": "Lagerjob", "valid_until": until})
		r.JSON(t, &problem)
		return r.Status == http.StatusUnprocessableEntity && budget(problem.Errors)
	})
	if problem.Detail != "the budget for municipality has no room for this referral" {
		t.Errorf("detail %q", problem.Detail)
	}
	var bulk struct {
		Results []struct {
			Status int
			Errors []struct{ Field string }
		}
	}
	r := testenv.Do(t, http.MethodPost, f.base+"/v1/referrals/bulk", cw, map[string]any{"cprs": []string{"0205841457"},
		"course_id": course.ID, "funding": "municipality", "reason": "Lagerjob", "valid_until": until})
	r.JSON(t, &bulk)
	if r.Status != http.StatusOK || len(bulk.Results) != 1 || bulk.Results[0].Status != http.StatusUnprocessableEntity ||
		!budget(bulk.Results[0].Errors) {
		t.Fatalf("bulk: %d %+v", r.Status, bulk)
	}
}
