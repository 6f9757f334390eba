package templates

import (
	"strings"
	"testing"

	"livslang.dk/pkg/events"
)

// reasonSample gives every parameter a value, as registration would.
var reasonSample = map[string]string{events.ParamUntil: "2027-01-04 12:00", events.ParamScheme: "veu",
	events.ParamReason: "the course is too short", events.ParamReasonDA: "kurset er for kort", events.ParamCompany: "Vestas A/S",
	events.ParamDueOn: "2027-01-04", events.ParamStartedOn: "2027-02-01", events.ParamDays: "5", events.ParamNote: "for få"}

// TestEveryReasonHasATextInBothLanguages fails when a code in pkg/events has no text in Danish or
// English (with every parameter and with none), or a text names a parameter the code does not have.
func TestEveryReasonHasATextInBothLanguages(t *testing.T) {
	t.Parallel()
	for _, code := range events.Reasons() {
		texts := reasonTexts[code]
		if len(texts) == 0 {
			t.Errorf("reason %q has no text in reasonTexts", code)
			continue
		}
		params := map[string]string{}
		for _, p := range code.Params() {
			params[p] = reasonSample[p]
		}
		for _, lang := range Languages {
			got, ok := ExplainCode(code, params, lang)
			if !ok || got == "" || strings.ContainsAny(got, "{}") {
				t.Errorf("reason %q in %s: %q", code, lang, got)
			}
			if lang == "da" && got == code.English(params) {
				t.Errorf("reason %q in Danish is its English sentence %q", code, got)
			}
		}
		for _, tx := range texts {
			if tx.da == "" || tx.en == "" {
				t.Errorf("reason %q has a text without Danish or English: %+v", code, tx)
			}
			if tx.when != "" && !strings.Contains(strings.Join(code.Params(), " "), tx.when) {
				t.Errorf("reason %q: a text for parameter %q it does not have", code, tx.when)
			}
		}
	}
	for code := range reasonTexts {
		if !code.Known() {
			t.Errorf("reasonTexts has %q, which pkg/events does not know", code)
		}
	}
}

// TestReasonsAsRegistrationWrites reads a reason the same from its code as from its sentence (events
// from before codes), and keeps a person's own words.
func TestReasonsAsRegistrationWrites(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code       events.Reason
		params     map[string]string
		lang, want string
	}{
		{events.ReasonSeatFree, nil, "da", "der blev en plads ledig"},
		{events.ReasonRunCancelled, map[string]string{events.ParamNote: "for få"}, "en", "the course was cancelled: for få"},
		{events.ReasonReferralExpired, map[string]string{events.ParamDueOn: "2027-01-04"}, "da", "du svarede ikke på henvisningen i tide"},
		{events.ReasonFundingRejected, map[string]string{events.ParamReason: "too short", events.ParamReasonDA: "for kort"}, "da",
			"støtten blev afslået: for kort"},
		{events.ReasonFundingApproved, map[string]string{events.ParamScheme: "veu"}, "da", "støtten er godkendt: VEU-godtgørelse"},
		{events.ReasonAlreadyEnrolled, nil, "da", "du er allerede tilmeldt dette hold"},
	} {
		coded := events.Enrolment{}
		coded.SetReason(c.code, c.params)
		old := events.Enrolment{Reason: coded.Reason}
		if got := explain(coded, c.lang); got != c.want {
			t.Errorf("%s %v in %s = %q, want %q", c.code, c.params, c.lang, got, c.want)
		}
		if c.code != events.ReasonFundingRejected { // the sentence has funding's reason in English only
			if got := explain(old, c.lang); got != c.want {
				t.Errorf("%q in %s = %q, want %q", old.Reason, c.lang, got, c.want)
			}
		}
	}
	if got := explain(events.Enrolment{Reason: "ny vagtplan"}, "en"); got != "ny vagtplan" {
		t.Errorf("a person's words: %q", got)
	}
}
