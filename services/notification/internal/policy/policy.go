// Package policy holds notification's rules, free of storage and transport: the kinds of message, the
// channels that carry each (the citizen's choice plus what a public authority must use), which messages
// must arrive and where they go when a channel refuses them, quiet hours for SMS, and when reminders
// are due.
package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Channels.
const (
	Email       = "email"
	SMS         = "sms"
	DigitalPost = "digital_post"
)

// Channels a citizen may choose, in the order they are listed.
var Channels = []string{Email, SMS, DigitalPost}

// Kinds of message to citizens.
const (
	EnrolmentReceived       = "enrolment_received"
	EnrolmentWaitlisted     = "enrolment_waitlisted"
	EnrolmentOffered        = "enrolment_offered"
	EnrolmentConfirmed      = "enrolment_confirmed"
	EnrolmentRejected       = "enrolment_rejected"
	EnrolmentCancelled      = "enrolment_cancelled"
	EnrolmentAccepted       = "enrolment_accepted"
	CourseChanged           = "course_changed"
	CourseCancelled         = "course_cancelled"
	ReferralReceived        = "referral_received"
	ReferralWithdrawn       = "referral_withdrawn"
	ReminderCourseStart     = "reminder_course_start"
	ReminderOfferExpires    = "reminder_offer_expires"
	ReminderReferralExpires = "reminder_referral_expires"
	// FundingEmployerRequired: the funding decision waits for the citizen's employer (the company
	// must answer by a date; the seat is held meanwhile).
	FundingEmployerRequired = "funding_employer_required"
)

// Kinds of message to companies (the citizen's employer), by e-mail to the company's contact address
// in the company's language; a company chooses no channels.
const (
	CommitmentRequested = "commitment_requested" // a new request to approve what a funding plan asks of the company
	CommitmentReminder  = "commitment_reminder"  // the request is still unanswered before its deadline
	CommitmentExpired   = "commitment_expired"   // the deadline passed without an answer; the citizen was told
	RefundPaid          = "refund_paid"          // VEU or SVU for an employee's course was paid to the company
	DemandOffer         = "demand_offer"         // a new run matches the company's demand; seats are held for it
)

// CompanyKinds lists every kind of message to companies.
var CompanyKinds = []string{CommitmentRequested, CommitmentReminder, CommitmentExpired, RefundPaid, DemandOffer}

// CompanyRecipient is the recipient id of a company's messages: "company:<cvr>".
func CompanyRecipient(cvr string) string { return "company:" + cvr }

// StaffInvited is the message to an employee a company enrolled who has no profile yet: log in and
// complete it by a deadline. The employee is no citizen of Livslang yet, and their language is not
// known: the message goes by e-mail to the address the company gave, in Danish with English below.
const StaffInvited = "staff_invited"

// InvitationKinds lists every kind of message to employees invited by their company.
var InvitationKinds = []string{StaffInvited}

// InvitationRecipient is the recipient id of an invited employee: "invitation:<invitation_id>".
func InvitationRecipient(invitationID string) string { return "invitation:" + invitationID }

// Kinds lists every kind of message to citizens.
var Kinds = []string{EnrolmentReceived, EnrolmentWaitlisted, EnrolmentOffered, EnrolmentConfirmed, EnrolmentRejected,
	EnrolmentCancelled, EnrolmentAccepted, CourseChanged, CourseCancelled, ReferralReceived, ReferralWithdrawn,
	ReminderCourseStart, ReminderOfferExpires, ReminderReferralExpires}

// FollowingKinds are kinds of message to citizens that a citizen chooses no channels for of their
// own: each goes by the channels chosen for the kind PreferenceKind names, so the preferences (and the
// portal's form of them) list no new kind. A funding decision that waits for the employer goes as
// the citizen chose for a confirmation, the decision it usually ends in.
var FollowingKinds = []string{FundingEmployerRequired}

// PreferenceKind is the kind whose chosen channels a message of kind goes by.
func PreferenceKind(kind string) string {
	if kind == FundingEmployerRequired {
		return EnrolmentConfirmed
	}
	return kind
}

// KnownMessageKind reports whether k is any kind of message: to citizens, following another, to
// companies, or to invited employees.
func KnownMessageKind(k string) bool { return slices.Contains(MessageKinds(), k) }

// MessageKinds lists every kind of message: to citizens, following another, to companies, and to
// invited employees.
func MessageKinds() []string {
	return slices.Concat(Kinds, FollowingKinds, CompanyKinds, InvitationKinds)
}

// KnownKind reports whether k is a kind of message.
func KnownKind(k string) bool { return slices.Contains(Kinds, k) }

// KnownChannel reports whether c is a channel a citizen may choose.
func KnownChannel(c string) bool { return slices.Contains(Channels, c) }

// DecisionKinds are the kinds that are (or can be) decisions from a public authority and so always go
// by Digital Post as well: a rejection is one when funding made it (cause "funding"); a referral and its
// withdrawal are the municipality's.
var DecisionKinds = []string{EnrolmentRejected, ReferralReceived, ReferralWithdrawn}

// IsDecision reports whether a message of kind, caused by cause, is a public authority's decision.
func IsDecision(kind, cause string) bool {
	switch kind {
	case ReferralReceived, ReferralWithdrawn:
		return true
	case EnrolmentRejected:
		return cause == "funding"
	}
	return false
}

// MustArrive reports whether a message must reach the citizen even when a channel refuses it for good:
// then the next channel is tried (see Fallback). Receipts and reminders need not.
func MustArrive(kind string, decision bool) bool {
	if decision {
		return true
	}
	switch kind {
	case EnrolmentOffered, EnrolmentConfirmed, EnrolmentRejected, CourseChanged, CourseCancelled, FundingEmployerRequired:
		return true
	}
	return false
}

// Preferences are a citizen's choices.
type Preferences struct {
	Language string              // "da" or "en"; "" means the profile's language
	Channels map[string][]string // per kind; a kind not named goes by e-mail
}

// For returns the channels the citizen chose for kind (e-mail when they chose none).
func (p Preferences) For(kind string) []string {
	if c := p.Channels[kind]; len(c) > 0 {
		return slices.Clone(c)
	}
	return []string{Email}
}

// Plan returns the channels a message goes by: the citizen's choice, plus Digital Post for a decision.
func Plan(p Preferences, kind string, decision bool) []string {
	out := p.For(PreferenceKind(kind))
	if decision && !slices.Contains(out, DigitalPost) {
		out = append(out, DigitalPost)
	}
	return out
}

// fallbacks is where a message that must arrive goes when a channel refuses it for good: an e-mail
// that bounces goes by Digital Post (every adult in Denmark has a Digital Post mailbox unless exempt);
// an SMS to a number that does not work goes by e-mail, then Digital Post; a Digital Post message the
// provider refuses (e.g. the citizen is exempt) goes by e-mail.
var fallbacks = map[string][]string{
	Email:       {DigitalPost},
	SMS:         {Email, DigitalPost},
	DigitalPost: {Email},
}

// Fallback returns the channel to try after failed refused a message for good, skipping channels in
// used (those the message already went or is going by); false when there is none left.
func Fallback(failed string, used []string) (string, bool) {
	for _, c := range fallbacks[failed] {
		if !slices.Contains(used, c) {
			return c, true
		}
	}
	return "", false
}

// Copenhagen is where quiet hours and reminder times are counted.
var Copenhagen = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// QuietHours is a nightly window, in Copenhagen wall-clock time, in which no SMS is sent.
type QuietHours struct {
	From, To time.Duration // since midnight; From > To means the window spans midnight
}

// DefaultQuietHours is 21:00 to 08:00.
var DefaultQuietHours = QuietHours{From: 21 * time.Hour, To: 8 * time.Hour}

// ParseQuietHours reads "HH:MM-HH:MM"; "" or "off" means none.
func ParseQuietHours(s string) (QuietHours, error) {
	if s == "" || s == "off" {
		return QuietHours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	f, errF := clock(from)
	t, errT := clock(to)
	if !ok || errF != nil || errT != nil || f == t {
		return QuietHours{}, fmt.Errorf("want HH:MM-HH:MM such as 21:00-08:00, or off; got %q", s)
	}
	return QuietHours{From: f, To: t}, nil
}

func clock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, errH := strconv.Atoi(h)
	mm, errM := strconv.Atoi(m)
	if !ok || errH != nil || errM != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// Until reports whether t falls in the quiet hours and, if so, when they end.
func (q QuietHours) Until(t time.Time) (time.Time, bool) {
	if q.From == q.To {
		return time.Time{}, false
	}
	local := t.In(Copenhagen)
	y, m, d := local.Date()
	since := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	at := func(day int, c time.Duration) time.Time {
		return time.Date(y, m, day, int(c/time.Hour), int(c%time.Hour/time.Minute), 0, 0, Copenhagen)
	}
	switch {
	case q.From < q.To && since >= q.From && since < q.To: // e.g. 01:00-06:00
		return at(d, q.To), true
	case q.From > q.To && since >= q.From: // evening part of 21:00-08:00
		return at(d+1, q.To), true
	case q.From > q.To && since < q.To: // morning part
		return at(d, q.To), true
	}
	return time.Time{}, false
}

// Reminder kinds (what a reminder is about; the message kind follows from it).
const (
	CourseStart7d        = "course_start_7d"
	CourseStart1d        = "course_start_1d"
	OfferExpires         = "offer_expires"
	ReferralExpires      = "referral_expires"
	InstitutionAnswerDue = "institution_answer_due"
)

// ReminderMessageKind is the kind of message a reminder sends a citizen ("" for the institution's).
func ReminderMessageKind(reminder string) string {
	switch reminder {
	case CourseStart7d, CourseStart1d:
		return ReminderCourseStart
	case OfferExpires:
		return ReminderOfferExpires
	case ReferralExpires:
		return ReminderReferralExpires
	}
	return ""
}

// Due is when a reminder is sent and after when it is no longer worth sending.
type Due struct {
	Kind    string
	At      time.Time
	Expires time.Time
}

// ReminderHour is the time of day (Copenhagen) of reminders tied to a date rather than a moment.
const ReminderHour = 9

func civilDate(s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}

func morning(d time.Time, days int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+days, ReminderHour, 0, 0, 0, Copenhagen)
}

func midnight(d time.Time, days int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+days, 0, 0, 0, 0, Copenhagen)
}

// keep drops the reminders that were due before the event that schedules them happened (at): a
// citizen confirmed three days before the start gets the one-day reminder only. A reminder that fell
// due while the event waited to be processed is kept and sent at once.
func keep(at time.Time, all ...Due) []Due {
	var out []Due
	for _, d := range all {
		if d.At.After(at) && d.At.Before(d.Expires) {
			out = append(out, d)
		}
	}
	return out
}

// CourseStart are the reminders of a confirmed enrolment on a run starting on startsOn (a civil date):
// at 09:00 seven days and one day before, each worth sending until the course starts.
func CourseStart(startsOn string, at time.Time) []Due {
	d, ok := civilDate(startsOn)
	if !ok {
		return nil
	}
	start := midnight(d, 0)
	return keep(at, Due{CourseStart7d, morning(d, -7), start}, Due{CourseStart1d, morning(d, -1), start})
}

// OfferExpiry is the reminder of an offered seat: 24 hours before the offer lapses.
func OfferExpiry(expires time.Time, at time.Time) []Due {
	return keep(at, Due{OfferExpires, expires.Add(-24 * time.Hour), expires})
}

// ReferralExpiry is the reminder of an open referral the citizen answers by the end of validUntil (a
// civil date): at 09:00 on that last day.
func ReferralExpiry(validUntil string, at time.Time) []Due {
	d, ok := civilDate(validUntil)
	if !ok {
		return nil
	}
	return keep(at, Due{ReferralExpires, morning(d, 0), midnight(d, 1)})
}

// InstitutionAnswer is the reminder to the institution of an enrolment waiting for its answer by
// deadline: at 09:00 on the deadline's day (registration applies its default answer once the deadline
// has passed, so a reminder after it would come too late).
func InstitutionAnswer(deadline time.Time, at time.Time) []Due {
	local := deadline.In(Copenhagen)
	return keep(at, Due{InstitutionAnswerDue, morning(local, 0), deadline})
}
