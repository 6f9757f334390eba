package web

import (
	"strings"

	"livslang.dk/services/portal/internal/i18n"
)

// systemReasons are the reasons registration writes itself (in English), by prefix, with the
// catalogue key that says them in the user's language; what follows the prefix is kept.
var systemReasons = []struct{ prefix, key string }{
	{"funding approved: ", "reason.funding_approved"},
	{"funding rejected", "reason.funding_rejected"},
	{"a seat became free: accept by ", "reason.offer"},
	{"a seat became free", "reason.seat_free"},
	{"accepted by the institution", "reason.accepted"},
	{"attendance reported", "reason.attendance"},
	{"the course run was cancelled: ", "reason.run_cancelled"},
	{"the institution did not answer within ", "reason.no_answer"},
	{"referred by the municipality: ", "reason.referred"},
	{"referred by the municipality", "reason.referred_short"},
	{"accepted the referral", "reason.referral_accepted"},
	{"the referral was ", "reason.referral_"},
}

// referralEnds are how a referral can end, as registration writes it in "the referral was <status>".
var referralEnds = []string{"declined", "expired", "withdrawn"}

// reasonText says a history reason in the user's language when the system wrote it; a person's own
// words are shown as they were written.
func reasonText(l i18n.Lang, reason string) string {
	for _, r := range systemReasons {
		rest, ok := strings.CutPrefix(reason, r.prefix)
		if !ok {
			continue
		}
		switch r.key {
		case "reason.funding_approved":
			return l.T(r.key, l.T("scheme."+rest))
		case "reason.offer":
			return l.T(r.key, rest)
		case "reason.run_cancelled":
			return l.T(r.key, rest)
		case "reason.no_answer":
			return l.T(r.key, strings.TrimSuffix(rest, " business days"))
		case "reason.referred":
			return l.T(r.key, rest)
		case "reason.referral_":
			status, note, _ := strings.Cut(rest, ": ")
			for _, end := range referralEnds {
				if status == end {
					if note != "" {
						return l.T("reason.referral_"+end) + ": " + referralNote(l, note)
					}
					return l.T("reason.referral_" + end)
				}
			}
			return reason
		}
		if rest == "" {
			return l.T(r.key)
		}
	}
	return reason
}
