package service_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"livslang.dk/pkg/testenv"
)

type nextStepsView struct {
	Items []struct {
		Course struct {
			ID, Code, Title string
		}
		Reasons []struct {
			Code, After, Subject, Competence string
			Explanation                      struct{ DA, EN string }
		}
	}
}

func (v nextStepsView) codes() []string {
	var out []string
	for _, it := range v.Items {
		out = append(out, it.Course.Code)
	}
	return out
}

func (v nextStepsView) reasons(code string) []string {
	var out []string
	for _, it := range v.Items {
		if it.Course.Code == code {
			for _, r := range it.Reasons {
				out = append(out, r.Code)
			}
		}
	}
	return out
}

// Next steps follow the learning record: FVU leads to AVU (the same subject first), an AMU course to
// the courses in its competence description and to academy modules; nothing already taken, enrolled
// on or unrelated; every suggestion explained in Danish and English. A course page shows the same
// for its course, to anyone.
func TestNextStepsFollowTheLearningRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	publish := func(code, title, category string, competences ...string) uuid.UUID {
		body := runBody(code, 10)
		body["title"], body["category"], body["schemes"] = title, category, []string{"self"}
		if len(competences) > 0 {
			body["competences"] = competences
		}
		r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body)
		testenv.MustStatus(t, r, http.StatusCreated)
		var run struct {
			ID          string
			Competences []string
		}
		r.JSON(t, &run)
		if !slices.Equal(run.Competences, competences) && len(competences) > 0 {
			t.Fatalf("competences as published: %s", r)
		}
		return uuid.MustParse(run.ID)
	}
	fvu := publish("FVU-M T1", "FVU-matematik, trin 1", "fvu")
	publish("AVU DA-D", "Dansk, niveau D (AVU)", "avu")
	avuMath := publish("AVU MA-E", "Matematik, niveau E (AVU)", "avu")
	truck := publish("AMU 47583", "Gaffeltruckcertifikat (B)", "amu", "2629", "2714")
	publish("AMU 47316", "Lagerstyring og logistik", "amu", "2629")
	publish("AMU 48221", "Hygiejne for fødevarevirksomheder", "amu", "2711")
	publish("AK LEDP", "Ledelse i praksis", "akademi")
	publish("FOF 2701", "Spansk for begyndere", "aftenskole")

	mette := b.citizen(t, 1)
	steps := func(tok string) nextStepsView {
		var v nextStepsView
		r := testenv.Do(t, http.MethodGet, b.base+"/v1/me/next-steps", tok, nil)
		testenv.MustStatus(t, r, http.StatusOK)
		r.JSON(t, &v)
		return v
	}
	if got := steps(mette); len(got.Items) != 0 {
		t.Fatalf("an empty record suggests %v", got.codes())
	}
	b.complete(t, mette, staff, fvu, map[string]any{"outcome": "completed", "attended_hours": 20})
	got := steps(mette)
	if !slices.Equal(got.codes(), []string{"AVU MA-E", "AVU DA-D"}) ||
		!slices.Equal(got.reasons("AVU MA-E"), []string{"next_level", "same_subject"}) {
		t.Fatalf("after FVU-matematik: %+v", got)
	}
	r := got.Items[0].Reasons[0]
	if r.After != "FVU-matematik, trin 1" || r.Explanation.DA == "" || r.Explanation.EN == "" || r.Explanation.DA == r.Explanation.EN {
		t.Fatalf("the reason is not explained: %+v", r)
	}

	// An enrolment takes its course out of the suggestions; an AMU completion adds its competence
	// description's courses, then academy modules.
	testenv.MustStatus(t, b.enrol(t, mette, avuMath, uuid.NewString()), http.StatusAccepted)
	b.complete(t, mette, staff, truck, map[string]any{"outcome": "completed", "attended_hours": 37})
	got = steps(mette)
	if !slices.Equal(got.codes(), []string{"AMU 47316", "AVU DA-D", "AK LEDP"}) ||
		!slices.Equal(got.reasons("AMU 47316"), []string{"same_competence"}) || !slices.Equal(got.reasons("AK LEDP"), []string{"academy_after_amu"}) {
		t.Fatalf("after the truck course, enrolled on AVU MA-E: %+v", got)
	}

	// The course page, for anyone.
	var page nextStepsView
	r2 := testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+truck.String()+"/next-steps", "", nil)
	testenv.MustStatus(t, r2, http.StatusOK)
	r2.JSON(t, &page)
	if !slices.Equal(page.codes(), []string{"AMU 47316", "AK LEDP"}) {
		t.Fatalf("the truck course's next steps: %+v", page)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+uuid.NewString()+"/next-steps", "", nil), http.StatusNotFound)
}
