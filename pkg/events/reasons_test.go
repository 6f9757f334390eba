package events

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sample gives every parameter of code a value, as registration would.
func sample(code Reason) map[string]string {
	values := map[string]string{ParamUntil: "2027-01-04 12:00", ParamScheme: "veu", ParamReason: "the course is too short",
		ParamReasonDA: "kurset er for kort", ParamCompany: "Vestas A/S", ParamDueOn: "2027-01-04", ParamStartedOn: "2027-02-01",
		ParamDays: "5", ParamNote: "for få tilmeldte"}
	out := map[string]string{}
	for _, p := range code.Params() {
		out[p] = values[p]
	}
	if code == ReasonReferralExpired { // one of its tails at a time
		delete(out, ParamStartedOn)
		delete(out, ParamNote)
	}
	return out
}

func TestReasonsRoundTrip(t *testing.T) {
	seen := map[Reason]bool{}
	for _, code := range Reasons() {
		if seen[code] || !code.Known() {
			t.Fatalf("%q listed twice or unknown", code)
		}
		seen[code] = true
		params := sample(code)
		text := code.English(params)
		got, gotParams := ReasonFromText(text)
		delete(params, ParamReasonDA) // not in the English sentence
		if len(params) == 0 {
			params = nil
		}
		if got != code || !maps.Equal(gotParams, params) {
			t.Errorf("ReasonFromText(%q) = %q %v, want %q %v", text, got, gotParams, code, params)
		}
	}
}

// TestReasonFromText reads the sentences registration wrote before it set codes.
func TestReasonFromText(t *testing.T) {
	for _, c := range []struct {
		text   string
		code   Reason
		params map[string]string
	}{
		{"a seat became free", ReasonSeatFree, nil},
		{"a seat became free: accept by 2027-01-04 23:59", ReasonSeatOffered, map[string]string{ParamUntil: "2027-01-04 23:59"}},
		{"won a seat in the ballot", ReasonBallotWon, nil},
		{"accepted the offer", ReasonOfferAccepted, nil},
		{"declined the offer", ReasonOfferDeclined, nil},
		{"the offer expired without an answer", ReasonOfferExpired, nil},
		{"the funding step did not finish in time; the seat went to the next in line", ReasonHoldExpired, nil},
		{"funding approved: svu", ReasonFundingApproved, map[string]string{ParamScheme: "svu"}},
		{"funding rejected", ReasonFundingRejected, nil},
		{"funding rejected: no budget: left", ReasonFundingRejected, map[string]string{ParamReason: "no budget: left"}},
		{"waiting for the employer (CVR 12345678) to answer by 2027-01-04", ReasonEmployerAwaited,
			map[string]string{ParamCompany: "CVR 12345678", ParamDueOn: "2027-01-04"}},
		{"enrolled by the employer Vestas A/S", ReasonEmployerEnrolled, map[string]string{ParamCompany: "Vestas A/S"}},
		{"accepted by the institution", ReasonInstitutionAccepted, nil},
		{"the institution did not answer within 5 business days", ReasonNoAnswer, map[string]string{ParamDays: "5"}},
		{"attendance reported", ReasonAttendance, nil},
		{"break: sick", ReasonBreak, map[string]string{ParamNote: "sick"}},
		{"the course run was cancelled: for få", ReasonRunCancelled, map[string]string{ParamNote: "for få"}},
		{"the course run was cancelled: ", ReasonRunCancelled, map[string]string{ParamNote: ""}},
		{"referred by the municipality", ReasonReferred, nil},
		{"referred by the municipality: job", ReasonReferred, map[string]string{ParamNote: "job"}},
		{"accepted the referral", ReasonReferralAccepted, nil},
		{"the referral was declined", ReasonReferralDeclined, nil},
		{"the referral was declined: sick", ReasonReferralDeclined, map[string]string{ParamNote: "sick"}},
		{"the referral was expired: the citizen did not answer by 2027-01-04", ReasonReferralExpired,
			map[string]string{ParamDueOn: "2027-01-04"}},
		{"the referral was expired: the course run started on 2027-01-04 before a seat came free for the referral",
			ReasonReferralExpired, map[string]string{ParamStartedOn: "2027-01-04"}},
		{"the referral was withdrawn: flyttet", ReasonReferralWithdrawn, map[string]string{ParamNote: "flyttet"}},
		{"the citizen already has an enrolment on this course run", ReasonAlreadyEnrolled, nil},
		{"the citizen's data was erased at their request", ReasonDataErased, nil},
		{"ny vagtplan", "", nil},
		{"a seat became free tomorrow", "", nil},
		{"", "", nil},
	} {
		code, params := ReasonFromText(c.text)
		if code != c.code || !maps.Equal(params, c.params) {
			t.Errorf("ReasonFromText(%q) = %q %v, want %q %v", c.text, code, params, c.code, c.params)
		}
		if code != "" && code.English(params) != c.text {
			t.Errorf("%q.English(%v) = %q, want %q", code, params, code.English(params), c.text)
		}
	}
}

func TestEnrolmentReason(t *testing.T) {
	var e Enrolment
	e.SetReason(ReasonNoAnswer, map[string]string{ParamDays: "5"})
	if e.Reason != "the institution did not answer within 5 business days" || e.ReasonCode != "no_answer" {
		t.Fatalf("SetReason: %+v", e)
	}
	if code, params := e.ReasonOf(); code != ReasonNoAnswer || params[ParamDays] != "5" {
		t.Fatalf("ReasonOf = %q %v", code, params)
	}
	old := Enrolment{Reason: "accepted the offer"}
	if code, _ := old.ReasonOf(); code != ReasonOfferAccepted {
		t.Fatalf("ReasonOf of an old event = %q", code)
	}
}

// TestReasonsDocumented checks that every enrolment event's JSON Schema lists exactly the codes.
func TestReasonsDocumented(t *testing.T) {
	files, err := filepath.Glob("../../docs/events/livslang.enrolment.*.schema.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no enrolment schemas: %v", err)
	}
	var want []string
	for _, r := range Reasons() {
		want = append(want, string(r))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var schema struct {
			Properties struct {
				ReasonCode struct {
					Enum []string `json:"enum"`
				} `json:"reason_code"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(b, &schema); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := schema.Properties.ReasonCode.Enum; !slices.Equal(got, want) {
			t.Errorf("%s: reason_code enum %v, want %v (events.Reasons)", filepath.Base(f), got, want)
		}
	}
}
