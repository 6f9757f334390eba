package templates

import (
	"strings"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/services/notification/internal/policy"
)

// reasonText is how a reason is written for the citizen in Danish and English. "{param}" is replaced
// by the reason's parameter, written for the language (see reasonParam). when names a parameter the
// text is for: the first of a code's texts whose when is set (or empty) is used.
type reasonText struct {
	when   string
	da, en string
}

// reasonTexts are registration's reasons (events.Reason), written for the citizen: the one table
// notification writes them from. TestEveryReasonHasATextInBothLanguages fails when a code has none.
var reasonTexts = map[events.Reason][]reasonText{
	events.ReasonSeatFree: {{da: "der blev en plads ledig", en: "a place became free"}},
	events.ReasonSeatOffered: {{when: events.ParamUntil, da: "der blev en plads ledig; svar senest {until}",
		en: "a place became free; answer by {until}"}},
	events.ReasonBallotWon:     {{da: "du fik en plads ved lodtrækningen", en: "you won a place in the draw"}},
	events.ReasonOfferAccepted: {{da: "du tog imod pladsen", en: "you accepted the place"}},
	events.ReasonOfferDeclined: {{da: "du sagde nej tak til pladsen", en: "you declined the place"}},
	events.ReasonOfferExpired: {{da: "du svarede ikke på tilbuddet om en plads i tide",
		en: "you did not answer the offer of a place in time"}},
	events.ReasonHoldExpired: {{da: "betalingen blev ikke afklaret i tide, så pladsen gik videre til den næste",
		en: "the payment was not settled in time, so the place went to the next person"}},
	events.ReasonFundingApproved: {{da: "støtten er godkendt: {scheme}", en: "funding was approved: {scheme}"}},
	events.ReasonFundingRejected: {
		{when: events.ParamReason, da: "støtten blev afslået: {reason}", en: "funding was rejected: {reason}"},
		{da: "støtten blev afslået", en: "funding was rejected"}},
	events.ReasonEmployerAwaited: {{da: "vi venter på, at din arbejdsgiver ({company}) svarer senest {due_on}",
		en: "we are waiting for your employer ({company}) to answer by {due_on}"}},
	events.ReasonEmployerEnrolled: {{da: "din arbejdsgiver {company} tilmeldte dig", en: "your employer {company} enrolled you"}},
	events.ReasonInstitutionAccepted: {{da: "uddannelsesstedet godkendte tilmeldingen",
		en: "the education provider accepted the enrolment"}},
	events.ReasonNoAnswer: {{da: "uddannelsesstedet svarede ikke inden for {days} hverdage",
		en: "the education provider did not answer within {days} working days"}},
	events.ReasonAttendance:   {{da: "uddannelsesstedet har registreret fremmøde", en: "the education provider recorded attendance"}},
	events.ReasonBreak:        {{da: "pause: {note}", en: "break: {note}"}},
	events.ReasonRunCancelled: {{da: "holdet blev aflyst: {note}", en: "the course was cancelled: {note}"}},
	events.ReasonReferred: {
		{when: events.ParamNote, da: "kommunen henviste dig: {note}", en: "the municipality referred you: {note}"},
		{da: "kommunen henviste dig", en: "the municipality referred you"}},
	events.ReasonReferralAccepted: {{da: "du tog imod henvisningen", en: "you accepted the referral"}},
	events.ReasonReferralDeclined: {
		{when: events.ParamNote, da: "du sagde nej tak til henvisningen: {note}", en: "you declined the referral: {note}"},
		{da: "du sagde nej tak til henvisningen", en: "you declined the referral"}},
	events.ReasonReferralExpired: {
		{when: events.ParamStartedOn, da: "holdet startede {started_on}, før der blev en plads ledig til dig",
			en: "the course started on {started_on} before a place became free for you"},
		{when: events.ParamNote, da: "du svarede ikke på henvisningen i tide: {note}",
			en: "you did not answer the referral in time: {note}"},
		{da: "du svarede ikke på henvisningen i tide", en: "you did not answer the referral in time"}},
	events.ReasonReferralWithdrawn: {
		{when: events.ParamNote, da: "kommunen trak henvisningen tilbage: {note}", en: "the municipality withdrew the referral: {note}"},
		{da: "kommunen trak henvisningen tilbage", en: "the municipality withdrew the referral"}},
	events.ReasonAlreadyEnrolled: {{da: "du er allerede tilmeldt dette hold", en: "you are already enrolled on this course"}},
	events.ReasonDataErased:      {{da: "dine data blev slettet, som du bad om", en: "your data was erased at your request"}},
}

// ExplainCode writes the reason code with params in lang; ok is false for a code this version does
// not know.
func ExplainCode(code events.Reason, params map[string]string, lang string) (string, bool) {
	for _, t := range reasonTexts[code] {
		if t.when != "" && params[t.when] == "" {
			continue
		}
		text := t.da
		if lang == "en" {
			text = t.en
		}
		for _, name := range code.Params() {
			text = strings.ReplaceAll(text, "{"+name+"}", reasonParam(name, params, lang))
		}
		return text, true
	}
	return "", false
}

// reasonParam writes a reason's parameter for lang: a scheme by its name, a day and a moment as the
// language writes them, funding's reason in Danish when it gave one.
func reasonParam(name string, params map[string]string, lang string) string {
	v := params[name]
	switch name {
	case events.ParamScheme:
		return scheme(v, lang)
	case events.ParamDueOn, events.ParamStartedOn:
		return Date(v, lang)
	case events.ParamUntil:
		if t, err := time.ParseInLocation("2006-01-02 15:04", v, policy.Copenhagen); err == nil {
			return Moment(t, lang)
		}
	case events.ParamReason:
		if da := params[events.ParamReasonDA]; lang == "da" && da != "" {
			return da
		}
	}
	return v
}

// Explain writes a reason registration gave, as a sentence (an event without a code), in lang: its
// own reasons are written for the citizen; anything else (what a citizen, a caseworker or an
// institution typed) is kept as written.
func Explain(reason, lang string) string {
	return explain(events.Enrolment{Reason: reason}, lang)
}

// explain writes e's reason in lang: from its code, else from what events.ReasonFromText recognises
// in its sentence, else (a person's own words) as written.
func explain(e events.Enrolment, lang string) string {
	code, params := e.ReasonOf()
	if text, ok := ExplainCode(code, params, lang); ok {
		return text
	}
	return e.Reason
}
