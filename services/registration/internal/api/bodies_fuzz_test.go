package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/registration/internal/enrolment"
)

// decode reads body as the handlers do; any error must be a 400 (or 415) problem, never anything else.
func decode(t *testing.T, body string, v any) bool {
	t.Helper()
	err := httpapi.DecodeJSON(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), v)
	if err != nil && !errors.Is(err, httpapi.ErrInvalid) {
		t.Fatalf("decoding %q: %v, want ErrInvalid", body, err)
	}
	return err == nil
}

// invalidOnly fails unless err is nil or a validation error naming at least one field.
func invalidOnly(t *testing.T, body string, err error) {
	t.Helper()
	var v *httpapi.ValidationError
	if err != nil && (!errors.As(err, &v) || len(v.Fields) == 0) {
		t.Fatalf("validating %q: %v, want field errors", body, err)
	}
}

// FuzzEnrolmentBody: any body of POST /v1/enrolments is a run and a known funding preference, or
// refused field by field.
func FuzzEnrolmentBody(f *testing.F) {
	for _, s := range []string{`{"course_id":"` + uuid.NewString() + `","funding_preference":"veu"}`, `{"course_id":"x"}`,
		`{"course_id":1}`, `{"funding_preference":"self","extra":true}`, `{}`, `[]`, `{"course_id":"` + uuid.NewString() + `"} {}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req enrolmentRequest
		if !decode(t, body, &req) {
			return
		}
		_, err := req.course()
		invalidOnly(t, body, err)
		if err == nil && !slices.Contains(enrolment.Preferences, req.FundingPreference) {
			t.Fatalf("accepted %q", body)
		}
	})
}

// FuzzProfileBody: any body of PUT /v1/me/profile is a valid profile or refused field by field.
func FuzzProfileBody(f *testing.F) {
	f.Add(`{"name":"Mette Nielsen","email":"mette@example.dk","phone":"+4520123456","language":"da",
		"education":{"level":"erhvervsuddannelse","completed_year":2008},
		"employment":{"status":"employed","employer_cvr":"12345674","since":"2022-03-01","weekly_hours":37},"benefits":"none"}`)
	f.Add(`{"name":"","email":"x","employment":{"since":"yesterday","weekly_hours":-1}}`)
	f.Add(`{"name":"A","cpr":"1403881236"}`)
	f.Add(`{"education":{"completed_year":"2008"}}`)
	today := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		var req profileRequest
		if !decode(t, body, &req) {
			return
		}
		p, err := req.profile(today)
		invalidOnly(t, body, err)
		if err == nil && (p.Name == "" || p.WeeklyHours < 0) {
			t.Fatalf("accepted %q as %+v", body, p)
		}
	})
}

// FuzzCourseBody: any body of POST /v1/institutions/{id}/courses (and so of a PATCH after merging)
// is a valid run of the institution or refused field by field.
func FuzzCourseBody(f *testing.F) {
	f.Add(`{"code":"AK-LED-1","title":"Ledelse i praksis","category":"akademi","schemes":["self"],"starts_on":"2027-03-01",
		"ends_on":"2027-05-01","hours_per_week":8,"fee_dkk":9800,"seats_total":20,"min_participants":1}`)
	f.Add(`{"code":"X","title":"Y","category":"amu","starts_on":"2027-03-01","ends_on":"2027-03-05","hours_per_week":37,
		"fee_dkk":0,"seats_total":5,"opens_at":"2027-01-10T09:00:00+01:00","ballot_minutes":30,"priority_groups":["referral"]}`)
	f.Add(`{"seats_total":1e9,"fee_dkk":-5,"offer_hours":-1}`)
	inst := uuid.New()
	f.Fuzz(func(t *testing.T, body string) {
		var in courseInput
		if !decode(t, body, &in) {
			return
		}
		c, err := in.course(inst)
		invalidOnly(t, body, err)
		if err == nil && (c.Code == "" || c.InstitutionID != inst || c.SeatsTotal < 1 || c.EndsOn.Before(c.StartsOn) ||
			c.FeeDKK < 0 || c.MinParticipants > c.SeatsTotal || (c.BallotMinutes > 0 && c.OpensAt == nil)) {
			t.Fatalf("accepted an invalid run %+v from %q", c, body)
		}
	})
}
