package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/session"
)

// reasonSample gives every parameter a value, as registration would.
var reasonSample = map[string]string{events.ParamUntil: "2027-01-04 12:00", events.ParamScheme: "veu",
	events.ParamReason: "the course is too short", events.ParamReasonDA: "kurset er for kort", events.ParamCompany: "Vestas A/S",
	events.ParamDueOn: "2027-01-04", events.ParamStartedOn: "2027-02-01", events.ParamDays: "5", events.ParamNote: "for få"}

// TestEveryReasonHasACatalogueText fails when a code in pkg/events has no key in reasonKeys, or its
// key (or a tail's) has no text in Danish or English; every code is said the same from its code as
// from its English sentence (a history row without a code).
func TestEveryReasonHasACatalogueText(t *testing.T) {
	t.Parallel()
	for _, code := range events.Reasons() {
		k, ok := reasonKeys[code]
		if !ok {
			t.Errorf("reason %q has no catalogue key in reasonKeys", code)
			continue
		}
		keys := []string{k.key}
		for _, tail := range k.tails {
			if tail.key != "" {
				keys = append(keys, tail.key)
			}
			if !strings.Contains(strings.Join(code.Params(), " "), tail.param) {
				t.Errorf("reason %q: a tail for parameter %q it does not have", code, tail.param)
			}
		}
		for _, key := range keys {
			for _, l := range i18n.Langs {
				if !l.Has(key) {
					t.Errorf("reason %q: %s has no %q", code, l, key)
				}
			}
		}
		params := map[string]string{}
		for _, p := range code.Params() {
			params[p] = reasonSample[p]
		}
		if code == events.ReasonReferralExpired { // one tail at a time, as registration writes it
			delete(params, events.ParamStartedOn)
			delete(params, events.ParamNote)
		}
		english := code.English(params)
		for _, l := range i18n.Langs {
			got := codedReasonText(l, string(code), params, english)
			if got == "" || strings.Contains(got, "[") || strings.Contains(got, "%!") {
				t.Errorf("reason %q in %s: %q", code, l, got)
			}
			if l == i18n.DA && got == english {
				t.Errorf("reason %q reaches Danish users in English: %q", code, got)
			}
			if code != events.ReasonFundingRejected { // its sentence has funding's reason in English only
				if old := reasonText(l, english); old != got {
					t.Errorf("reason %q in %s: %q from the code, %q from the sentence", code, l, got, old)
				}
			}
		}
	}
	for code := range reasonKeys {
		if !code.Known() {
			t.Errorf("reasonKeys has %q, which pkg/events does not know", code)
		}
	}
}

// The reasons that reached Danish users in English before codes: the portal's table did not know them.
func TestReasonsOnceInEnglishAreDanish(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"won a seat in the ballot":            "du fik en plads ved lodtrækningen",
		"accepted the offer":                  "du tog imod pladsen",
		"declined the offer":                  "du sagde nej til pladsen",
		"the offer expired without an answer": "du svarede ikke på tilbuddet om en plads i tide",
		"the funding step did not finish in time; the seat went to the next in line": "støtten blev ikke afklaret i tide, så pladsen gik videre til den næste",
		"waiting for the employer (Vestas A/S) to answer by 2027-01-04":              "venter på, at arbejdsgiveren (Vestas A/S) svarer senest 4. januar 2027",
		"the citizen already has an enrolment on this course run":                    "du var allerede tilmeldt holdet",
		"funding rejected: the course is too short":                                  "støtten blev afslået: the course is too short",
	} {
		if got := reasonText(i18n.DA, in); got != want {
			t.Errorf("%q = %q, want %q", in, got, want)
		}
	}
	coded := codedReasonText(i18n.DA, string(events.ReasonFundingRejected),
		map[string]string{events.ParamReason: "too short", events.ParamReasonDA: "for kort"}, "funding rejected: too short")
	if coded != "støtten blev afslået: for kort" {
		t.Errorf("funding's reason in Danish: %q", coded)
	}
}

// The portal tells a referral refused for the budget by the field funding names, not by its words.
func TestBudgetRefusalIsToldByCode(t *testing.T) {
	t.Parallel()
	s := &Server{}
	budget := &api.Error{Status: http.StatusUnprocessableEntity, Detail: "whatever funding says",
		Errors: []api.FieldError{{Field: budgetRefusal, Message: "no room"}}}
	if field, msg := s.refusal(context.Background(), i18n.EN, "", "", "", "municipality", budget); field != "funding" ||
		msg != i18n.EN.T("err.referral_budget", i18n.EN.T("scheme.municipality")) {
		t.Errorf("budget refusal: %s %q", field, msg)
	}
	worded := &api.Error{Status: http.StatusUnprocessableEntity, Detail: "the budget for municipality has no room for this referral"}
	if field, _ := s.refusal(context.Background(), i18n.EN, "", "", "", "municipality", worded); field != "cpr" {
		t.Errorf("a detail that mentions the budget is not the code: %s", field)
	}
}

// A history row is said from the reason_code and reason_params registration gives, else from its
// sentence; a person's words stay as written.
func TestHistoryRowsAreSaidFromTheirCode(t *testing.T) {
	t.Parallel()
	enrolment := `{"id":"e-1","status":"cancelled","course_id":"k-1","course":{"id":"k-1","title":"Gaffeltruckcertifikat (B)",
	"institution":{"id":"i","name":"Herningsholm Erhvervsskole"},"starts_on":"2027-02-01","ends_on":"2027-02-05","fee_dkk":1040},
	"funding_preference":"self","requested_at":"2026-12-07T09:00:00Z","history":[
	{"status":"pending","at":"2026-12-07T09:00:00Z","cause":"system","reason":"won a seat in the ballot","reason_code":"ballot_won"},
	{"status":"rejected","at":"2026-12-07T10:00:00Z","cause":"funding","reason":"funding rejected: too short",
	 "reason_code":"funding_rejected","reason_params":{"reason":"too short","reason_da":"for kort"}},
	{"status":"waitlisted","at":"2026-12-07T11:00:00Z","cause":"system","reason":"the offer expired without an answer"},
	{"status":"cancelled","at":"2026-12-07T12:00:00Z","cause":"citizen","reason":"ny vagtplan"}]}`
	registration := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/me/enrolments" {
			_, _ = io.WriteString(w, `{"items":[`+enrolment+`]}`)
			return
		}
		http.NotFound(w, r)
	})
	mette := &session.User{Subject: "c-mette", Role: auth.RoleCitizen, Name: "Mette Nielsen", Token: "t"}
	_, b := portalWith(t, http.NotFoundHandler(), registration, mette, "")
	p := b.get("/me/enrolments")
	if p.Status != http.StatusOK {
		t.Fatalf("enrolments: %d\n%s", p.Status, p.Body)
	}
	p.contains(t, "du fik en plads ved lodtrækningen", "støtten blev afslået: for kort",
		"du svarede ikke på tilbuddet om en plads i tide", "ny vagtplan")
	p.lacks(t, "won a seat", "too short", "expired without")
}
