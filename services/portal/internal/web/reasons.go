package web

import (
	"livslang.dk/pkg/events"
	"livslang.dk/services/portal/internal/i18n"
)

// reasonKey is how a reason code is said: the catalogue key, the parameters its verbs take in
// order, and optional tails: the first whose parameter is set is added after ": " (said by its own
// key with the parameter, or as the parameter itself when the key is "").
type reasonKey struct {
	key   string
	args  []string
	tails []reasonTail
}

type reasonTail struct{ param, key string }

// reasonKeys are registration's reasons (events.Reason) with the catalogue key that says each in the
// user's language: the one table the portal says them from. TestEveryReasonHasACatalogueText fails
// when a code has none in Danish or English.
var reasonKeys = map[events.Reason]reasonKey{
	events.ReasonSeatFree:            {key: "reason.seat_free"},
	events.ReasonSeatOffered:         {key: "reason.offer", args: []string{events.ParamUntil}},
	events.ReasonBallotWon:           {key: "reason.ballot_won"},
	events.ReasonOfferAccepted:       {key: "reason.offer_accepted"},
	events.ReasonOfferDeclined:       {key: "reason.offer_declined"},
	events.ReasonOfferExpired:        {key: "reason.offer_expired"},
	events.ReasonHoldExpired:         {key: "reason.hold_expired"},
	events.ReasonFundingApproved:     {key: "reason.funding_approved", args: []string{events.ParamScheme}},
	events.ReasonFundingRejected:     {key: "reason.funding_rejected", tails: []reasonTail{{param: events.ParamReason}}},
	events.ReasonEmployerAwaited:     {key: "reason.employer_awaited", args: []string{events.ParamCompany, events.ParamDueOn}},
	events.ReasonEmployerEnrolled:    {key: "reason.employer_enrolled", args: []string{events.ParamCompany}},
	events.ReasonInstitutionAccepted: {key: "reason.accepted"},
	events.ReasonNoAnswer:            {key: "reason.no_answer", args: []string{events.ParamDays}},
	events.ReasonAttendance:          {key: "reason.attendance"},
	events.ReasonBreak:               {key: "reason.break", args: []string{events.ParamNote}},
	events.ReasonRunCancelled:        {key: "reason.run_cancelled", args: []string{events.ParamNote}},
	events.ReasonReferred:            {key: "reason.referred_short", tails: []reasonTail{{param: events.ParamNote}}},
	events.ReasonReferralAccepted:    {key: "reason.referral_accepted"},
	events.ReasonReferralDeclined:    {key: "reason.referral_declined", tails: []reasonTail{{param: events.ParamNote}}},
	events.ReasonReferralExpired: {key: "reason.referral_expired", tails: []reasonTail{
		{param: events.ParamDueOn, key: "reason.referral_not_answered"},
		{param: events.ParamStartedOn, key: "reason.referral_run_started"},
		{param: events.ParamNote}}},
	events.ReasonReferralWithdrawn: {key: "reason.referral_withdrawn", tails: []reasonTail{{param: events.ParamNote}}},
	events.ReasonAlreadyEnrolled:   {key: "reason.already_enrolled"},
	events.ReasonDataErased:        {key: "reason.data_erased"},
}

// referralEnds are how a referral can end, as registration writes it in "the referral was <status>".
var referralEnds = []string{"declined", "expired", "withdrawn"}

// reasonText says a history reason in the user's language when the system wrote it (recognised by
// events.ReasonFromText, for rows without a code); a person's own words are shown as they were written.
func reasonText(l i18n.Lang, reason string) string {
	return codedReasonText(l, "", nil, reason)
}

// codedReasonText says a history reason: from its code and parameters when registration gave one,
// else from the code of its sentence, else (a person's own words) as written.
func codedReasonText(l i18n.Lang, code string, params map[string]string, reason string) string {
	r, p := events.Reason(code), params
	if code == "" {
		r, p = events.ReasonFromText(reason)
	}
	k, ok := reasonKeys[r]
	if !ok {
		return reason
	}
	args := make([]any, 0, len(k.args))
	for _, name := range k.args {
		args = append(args, reasonParam(l, name, p))
	}
	text := l.T(k.key, args...)
	for _, tail := range k.tails {
		if p[tail.param] == "" {
			continue
		}
		v := reasonParam(l, tail.param, p)
		if tail.key != "" {
			v = l.T(tail.key, v)
		}
		return text + ": " + v
	}
	return text
}

// reasonParam says a reason's parameter in l: a scheme by its name, a day as the language writes it,
// funding's reason in Danish when it gave one, a note the system wrote in l.
func reasonParam(l i18n.Lang, name string, params map[string]string) string {
	v := params[name]
	switch name {
	case events.ParamScheme:
		return l.T("scheme." + v)
	case events.ParamDueOn, events.ParamStartedOn:
		return l.Date(v)
	case events.ParamReason:
		if da := params[events.ParamReasonDA]; l == i18n.DA && da != "" {
			return da
		}
	case events.ParamNote:
		return referralNote(l, v)
	}
	return v
}
