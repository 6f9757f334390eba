package service_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

// funded_for_me=true keeps the runs funding found the citizen can get funded, with the schemes, from
// the newest list funding published (an older one arriving late changes nothing). It is a citizen's
// own question: without a token 401, another role 403, without a profile 422, before funding has
// answered 503 with Retry-After.
func TestFundedForMeFiltersTheSearch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	publish := func(code, title string) string {
		body := runBody(code, 10)
		body["title"] = title
		r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body)
		testenv.MustStatus(t, r, http.StatusCreated)
		var run struct{ ID string }
		r.JSON(t, &run)
		return run.ID
	}
	lead, econ, innov := publish("AK LEDP", "Ledelse i praksis"), publish("AK OEKS", "Økonomistyring"), publish("AK INNO", "Innovation i praksis")
	sub := "citizen-" + uuid.NewString()
	mette := b.env.Token(t, auth.Claims{Subject: sub, Role: auth.RoleCitizen, CPR: "1403881236"})
	search := func(tok, query string) testenv.Response {
		return testenv.Do(t, http.MethodGet, b.base+"/v1/courses?funded_for_me=true"+query, tok, nil)
	}
	testenv.MustStatus(t, search("", ""), http.StatusUnauthorized)
	testenv.MustStatus(t, search(staff, ""), http.StatusForbidden)
	testenv.MustStatus(t, search(mette, ""), http.StatusUnprocessableEntity)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/courses?funded_for_me=yes", mette, nil), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, b.base+"/v1/me/profile", mette, profile()), http.StatusOK)
	if r := search(mette, ""); r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("before funding answered: %s", r)
	}

	list := func(version int64, courses ...events.FundedCourse) {
		e, err := events.New("/livslang/funding", events.TypeFundedCourses, events.SubjectFundedCourses, sub, time.Now(),
			events.FundedCourses{CitizenID: sub, Version: version, Courses: courses})
		if err != nil {
			t.Fatal(err)
		}
		b.env.Publish(t, e, e.ID)
	}
	type page struct {
		Items []struct {
			ID       string
			FundedBy []string `json:"funded_by"`
		}
	}
	ids := func(p page) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	list(2, events.FundedCourse{CourseID: lead, Schemes: []string{"omstillingsfonden"}}, events.FundedCourse{CourseID: econ, Schemes: []string{"svu"}})
	var got page
	testenv.Eventually(t, 10*time.Second, "the search filtered by Mette's funded courses", func() bool {
		r := search(mette, "")
		if r.Status != http.StatusOK {
			return false
		}
		got = page{}
		r.JSON(t, &got)
		return len(got.Items) == 2 && r.Header.Get("Cache-Control") == "private, no-store"
	})
	want := []string{lead, econ}
	slices.Sort(want)
	if !slices.Equal(ids(got), want) || slices.Contains(ids(got), innov) {
		t.Fatalf("funded for Mette: %+v", got)
	}
	for _, it := range got.Items {
		if it.ID == lead && !slices.Equal(it.FundedBy, []string{"omstillingsfonden"}) {
			t.Fatalf("funded_by: %+v", it)
		}
	}
	// With a search: both filters hold.
	var q page
	search(mette, "&q=ledelse").JSON(t, &q)
	if !slices.Equal(ids(q), []string{lead}) {
		t.Fatalf("q=ledelse, funded for Mette: %+v", q)
	}
	// Without the filter nothing changes, and the list is not shown.
	var all page
	testenv.Do(t, http.MethodGet, b.base+"/v1/courses", mette, nil).JSON(t, &all)
	if len(all.Items) != 3 || all.Items[0].FundedBy != nil {
		t.Fatalf("the whole catalogue: %+v", all)
	}

	// An older list arriving late changes nothing; a newer one replaces the list.
	list(1, events.FundedCourse{CourseID: innov, Schemes: []string{"svu"}})
	list(3, events.FundedCourse{CourseID: innov, Schemes: []string{"svu"}})
	testenv.Eventually(t, 10*time.Second, "the newest list", func() bool {
		var p page
		search(mette, "").JSON(t, &p)
		return slices.Equal(ids(p), []string{innov})
	})
}
