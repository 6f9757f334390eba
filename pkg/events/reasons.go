package events

import (
	"slices"
	"strings"
)

// Reason is the code of a reason an enrolment changed, as registration gives it in an event
// (Enrolment.ReasonCode, with its parameters in Enrolment.ReasonParams) and in an enrolment's history.
// The code is the contract between services: the text a person reads is written from the code and its
// parameters at the edge (notification, the portal), in the reader's language. Enrolment.Reason keeps
// today's English sentence (Reason.English) for consumers that do not read codes yet.
//
// A change made with a person's own words (a citizen's reason for cancelling, an institution's for
// rejecting, a caseworker's note) has no code: ReasonCode is empty and Reason holds the words, shown
// as they were written. A consumer that finds no code calls ReasonFromText, which recognises the
// sentences registration wrote before it set codes (events already stored); what it does not
// recognise is a person's words.
type Reason string

// The reasons registration gives. The parameters each takes are listed with it; a parameter marked
// optional may be left out (and is then left out of the English sentence too).
const (
	// ReasonSeatFree: a seat became free for a request on the waiting list, which goes through
	// funding at once. "a seat became free"
	ReasonSeatFree Reason = "seat_free"
	// ReasonSeatOffered: a seat became free and is offered to the first on the waiting list.
	// Param ParamUntil: the end of the offer, "YYYY-MM-DD HH:MM" in Copenhagen time (the event's
	// offer_expires_at is the same moment). "a seat became free: accept by <until>"
	ReasonSeatOffered Reason = "seat_offered"
	// ReasonBallotWon: the request won a seat in the run's ballot. "won a seat in the ballot"
	ReasonBallotWon Reason = "ballot_won"
	// ReasonOfferAccepted: the citizen accepted an offered seat. "accepted the offer"
	ReasonOfferAccepted Reason = "offer_accepted"
	// ReasonOfferDeclined: the citizen declined an offered seat. "declined the offer"
	ReasonOfferDeclined Reason = "offer_declined"
	// ReasonOfferExpired: the citizen did not answer an offer in time. "the offer expired without an answer"
	ReasonOfferExpired Reason = "offer_expired"
	// ReasonHoldExpired: funding did not decide before the seat's hold expired; the seat went on.
	// "the funding step did not finish in time; the seat went to the next in line"
	ReasonHoldExpired Reason = "hold_expired"
	// ReasonFundingApproved: funding approved the enrolment. Param ParamScheme: the scheme's code
	// (e.g. "veu"). "funding approved: <scheme>"
	ReasonFundingApproved Reason = "funding_approved"
	// ReasonFundingRejected: funding rejected the enrolment. Params (optional) ParamReason: funding's
	// first reason in English (FundingSummary.Reasons[0]); ParamReasonDA: the same in Danish
	// (FundingSummary.ReasonsDA[0]). "funding rejected[: <reason>]"
	ReasonFundingRejected Reason = "funding_rejected"
	// ReasonEmployerAwaited: funding's decision waits for the citizen's employer. Params
	// ParamCompany: the company's name, else "CVR <cvr>"; ParamDueOn: the day it answers by
	// (YYYY-MM-DD). "waiting for the employer (<company>) to answer by <due_on>"
	ReasonEmployerAwaited Reason = "employer_awaited"
	// ReasonEmployerEnrolled: a company enrolled its employee. Param ParamCompany: the company's
	// name. "enrolled by the employer <company>"
	ReasonEmployerEnrolled Reason = "employer_enrolled"
	// ReasonInstitutionAccepted: the institution accepted the enrolment without words of its own.
	// "accepted by the institution"
	ReasonInstitutionAccepted Reason = "institution_accepted"
	// ReasonNoAnswer: the institution did not answer before its deadline, and the default answer
	// was applied. Param ParamDays: the deadline in Danish business days (e.g. "5").
	// "the institution did not answer within <days> business days"
	ReasonNoAnswer Reason = "no_answer"
	// ReasonAttendance: the institution reported attendance, which started the enrolment.
	// "attendance reported"
	ReasonAttendance Reason = "attendance_reported"
	// ReasonBreak: the institution reported that the citizen pauses. Param ParamNote: the
	// institution's words. "break: <note>"
	ReasonBreak Reason = "break"
	// ReasonRunCancelled: the institution cancelled the course run. Param ParamNote: the
	// institution's words (may be empty). "the course run was cancelled: <note>"
	ReasonRunCancelled Reason = "run_cancelled"
	// ReasonReferred: a caseworker's referral holds the enrolment. Param (optional) ParamNote: the
	// caseworker's reason. "referred by the municipality[: <note>]"
	ReasonReferred Reason = "referred"
	// ReasonReferralAccepted: the citizen accepted the referral. "accepted the referral"
	ReasonReferralAccepted Reason = "referral_accepted"
	// ReasonReferralDeclined: the citizen declined the referral. Param (optional) ParamNote: the
	// citizen's words. "the referral was declined[: <note>]"
	ReasonReferralDeclined Reason = "referral_declined"
	// ReasonReferralExpired: the referral expired. Params (optional, one of): ParamDueOn: the citizen
	// did not answer by this day (YYYY-MM-DD); ParamStartedOn: the run started on this day before a
	// seat came free; ParamNote: another note. "the referral was expired[: the citizen did not
	// answer by <due_on> | : the course run started on <started_on> before a seat came free for the
	// referral | : <note>]"
	ReasonReferralExpired Reason = "referral_expired"
	// ReasonReferralWithdrawn: the caseworker withdrew the referral. Param (optional) ParamNote: the
	// caseworker's words. "the referral was withdrawn[: <note>]"
	ReasonReferralWithdrawn Reason = "referral_withdrawn"
	// ReasonAlreadyEnrolled: a referral could hold no seat, because the citizen already has an
	// enrolment on the run. "the citizen already has an enrolment on this course run"
	ReasonAlreadyEnrolled Reason = "already_enrolled"
	// ReasonDataErased: the enrolment ended for the erasure of the citizen's data.
	// "the citizen's data was erased at their request"
	ReasonDataErased Reason = "data_erased"
)

// The parameters of reasons (Enrolment.ReasonParams keys).
const (
	ParamUntil     = "until"      // "YYYY-MM-DD HH:MM", Copenhagen time
	ParamScheme    = "scheme"     // a scheme code
	ParamReason    = "reason"     // funding's reason in English
	ParamReasonDA  = "reason_da"  // funding's reason in Danish
	ParamCompany   = "company"    // a company's name
	ParamDueOn     = "due_on"     // YYYY-MM-DD
	ParamStartedOn = "started_on" // YYYY-MM-DD
	ParamDays      = "days"       // a whole number of business days
	ParamNote      = "note"       // a person's words
)

// reasonSpec is a reason's English sentence: fixed text with {param} placeholders, and, for reasons
// with an optional tail, the tails tried in order (the first whose parameters are all set is used).
type reasonSpec struct {
	code     Reason
	text     string   // English, with {param}
	required []string // parameters the sentence needs
	tails    []string // optional tails, e.g. ": {note}"
	extra    []string // parameters the English sentence leaves out
}

// reasonSpecs is every reason, in the order ReasonFromText tries them (longer prefixes first where
// one sentence starts another).
var reasonSpecs = []reasonSpec{
	{code: ReasonSeatOffered, text: "a seat became free: accept by {until}", required: []string{ParamUntil}},
	{code: ReasonSeatFree, text: "a seat became free"},
	{code: ReasonBallotWon, text: "won a seat in the ballot"},
	{code: ReasonOfferAccepted, text: "accepted the offer"},
	{code: ReasonOfferDeclined, text: "declined the offer"},
	{code: ReasonOfferExpired, text: "the offer expired without an answer"},
	{code: ReasonHoldExpired, text: "the funding step did not finish in time; the seat went to the next in line"},
	{code: ReasonFundingApproved, text: "funding approved: {scheme}", required: []string{ParamScheme}},
	{code: ReasonFundingRejected, text: "funding rejected", tails: []string{": {reason}"}, extra: []string{ParamReasonDA}},
	{code: ReasonEmployerAwaited, text: "waiting for the employer ({company}) to answer by {due_on}",
		required: []string{ParamCompany, ParamDueOn}},
	{code: ReasonEmployerEnrolled, text: "enrolled by the employer {company}", required: []string{ParamCompany}},
	{code: ReasonInstitutionAccepted, text: "accepted by the institution"},
	{code: ReasonNoAnswer, text: "the institution did not answer within {days} business days", required: []string{ParamDays}},
	{code: ReasonAttendance, text: "attendance reported"},
	{code: ReasonBreak, text: "break: {note}", required: []string{ParamNote}},
	{code: ReasonRunCancelled, text: "the course run was cancelled: {note}", required: []string{ParamNote}},
	{code: ReasonReferred, text: "referred by the municipality", tails: []string{": {note}"}},
	{code: ReasonReferralAccepted, text: "accepted the referral"},
	{code: ReasonReferralDeclined, text: "the referral was declined", tails: []string{": {note}"}},
	{code: ReasonReferralExpired, text: "the referral was expired", tails: []string{
		": the citizen did not answer by {due_on}",
		": the course run started on {started_on} before a seat came free for the referral",
		": {note}"}},
	{code: ReasonReferralWithdrawn, text: "the referral was withdrawn", tails: []string{": {note}"}},
	{code: ReasonAlreadyEnrolled, text: "the citizen already has an enrolment on this course run"},
	{code: ReasonDataErased, text: "the citizen's data was erased at their request"},
}

// Reasons is every reason code registration gives; a renderer's test checks it has a text for each
// in every language.
func Reasons() []Reason {
	out := make([]Reason, len(reasonSpecs))
	for i, s := range reasonSpecs {
		out[i] = s.code
	}
	return out
}

func (r Reason) spec() (reasonSpec, bool) {
	i := slices.IndexFunc(reasonSpecs, func(s reasonSpec) bool { return s.code == r })
	if i < 0 {
		return reasonSpec{}, false
	}
	return reasonSpecs[i], true
}

// Known reports whether r is a code this version knows.
func (r Reason) Known() bool {
	_, ok := r.spec()
	return ok
}

// Params lists the parameters r takes, required and optional, e.g. [note] for ReasonRunCancelled.
func (r Reason) Params() []string {
	s, _ := r.spec()
	var out []string
	for _, p := range append([]string{s.text}, s.tails...) {
		for _, name := range placeholders(p) {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return append(out, s.extra...)
}

// English is r's sentence in English with params, as registration has always written it in
// Enrolment.Reason and the history (ReasonFromText reads it back). An unknown code is returned as it is.
func (r Reason) English(params map[string]string) string {
	s, ok := r.spec()
	if !ok {
		return string(r)
	}
	out := fill(s.text, params)
	for _, tail := range s.tails {
		if names := placeholders(tail); allSet(names, params) {
			out += fill(tail, params)
			break
		}
	}
	return out
}

// ReasonFromText recognises a sentence registration writes (Reason.English) and returns its code
// and parameters; for anything else, a person's own words, it returns "" and nil. Events stored
// before registration set codes, and history rows without one, are rendered through it.
func ReasonFromText(text string) (Reason, map[string]string) {
	for _, s := range reasonSpecs {
		head, rest, ok := match(s.text, text)
		if !ok {
			continue
		}
		if rest == "" {
			if len(head) == 0 {
				head = nil
			}
			return s.code, head
		}
		for _, tail := range s.tails {
			params, left, ok := match(tail, rest)
			if ok && left == "" {
				for k, v := range params {
					head[k] = v
				}
				return s.code, head
			}
		}
	}
	return "", nil
}

// match matches text against pattern ("fixed {param} fixed …"), from the start: each placeholder
// takes what lies up to the pattern's next fixed text, or, as the pattern's last, nothing of what
// follows: the rest of the text is returned for the caller (a tail) unless the placeholder ends the
// pattern, where it takes it all.
func match(pattern, text string) (map[string]string, string, bool) {
	params := map[string]string{}
	for pattern != "" {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			rest, ok := strings.CutPrefix(text, pattern)
			return params, rest, ok
		}
		var ok bool
		if text, ok = strings.CutPrefix(text, pattern[:open]); !ok {
			return nil, "", false
		}
		end := strings.IndexByte(pattern[open:], '}') + open
		name := pattern[open+1 : end]
		pattern = pattern[end+1:]
		next := pattern
		if i := strings.IndexByte(next, '{'); i >= 0 {
			next = next[:i]
		}
		if next == "" {
			params[name], text = text, ""
			continue
		}
		i := strings.LastIndex(text, next)
		if i < 0 {
			return nil, "", false
		}
		params[name], text = text[:i], text[i:]
	}
	return params, text, true
}

func placeholders(pattern string) []string {
	var out []string
	for {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			return out
		}
		end := strings.IndexByte(pattern[open:], '}') + open
		out = append(out, pattern[open+1:end])
		pattern = pattern[end+1:]
	}
}

func fill(pattern string, params map[string]string) string {
	for _, name := range placeholders(pattern) {
		pattern = strings.Replace(pattern, "{"+name+"}", params[name], 1)
	}
	return pattern
}

func allSet(names []string, params map[string]string) bool {
	for _, n := range names {
		if params[n] == "" {
			return false
		}
	}
	return true
}

// SetReason sets e's reason: its code, its parameters and its English sentence (Reason).
func (e *Enrolment) SetReason(code Reason, params map[string]string) {
	e.ReasonCode, e.ReasonParams, e.Reason = string(code), params, code.English(params)
	if len(params) == 0 {
		e.ReasonParams = nil
	}
}

// ReasonOf returns e's reason code and parameters: the code it carries, else what ReasonFromText
// recognises in its Reason ("" for a person's own words).
func (e Enrolment) ReasonOf() (Reason, map[string]string) {
	if e.ReasonCode != "" {
		return Reason(e.ReasonCode), e.ReasonParams
	}
	return ReasonFromText(e.Reason)
}

// Outcomes of a funding decision (FundingSummary.Outcome), and the event type each is published as.
const (
	OutcomeApproved         = "approved"
	OutcomeRejected         = "rejected"
	OutcomeReviewRequired   = "review_required"   // a caseworker decides
	OutcomeEmployerRequired = "employer_required" // waits for the citizen's employer (FundingSummary.Employer)
)

// Outcomes lists the funding outcomes.
func Outcomes() []string {
	return []string{OutcomeApproved, OutcomeRejected, OutcomeReviewRequired, OutcomeEmployerRequired}
}

// The statuses of a company's commitment (Commitment.Status); an answered one is approved, declined
// or expired.
const (
	CommitmentPending   = "pending"
	CommitmentApproved  = "approved"
	CommitmentDeclined  = "declined"
	CommitmentExpired   = "expired"
	CommitmentWithdrawn = "withdrawn"
)

// String returns the code.
func (r Reason) String() string { return string(r) }
