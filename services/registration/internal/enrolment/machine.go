package enrolment

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
)

// Copenhagen is where course dates are civil dates and deadlines are shown.
var Copenhagen = businessday.Copenhagen

// Errors a command returns; the API turns them into problem responses in one place (internal/api),
// a consumer parks what is malformed.
var (
	// ErrNotAllowed is a command the enrolment's state does not allow; the error is a *Refusal
	// saying why.
	ErrNotAllowed = errors.New("not allowed")
	// ErrMalformed is a decision or answer from another service that cannot be applied as it is.
	ErrMalformed = events.ErrMalformed
)

// Refusal is a command the enrolment refused (ErrNotAllowed), with why, written for the caller.
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return "not allowed: " + r.Message }

// Is makes errors.Is(r, ErrNotAllowed) true.
func (r *Refusal) Is(target error) bool { return target == ErrNotAllowed }

func notAllowed(format string, args ...any) error {
	return &Refusal{Message: fmt.Sprintf(format, args...)}
}

// Institution answers.
const (
	DecisionNone     = ""
	DecisionPending  = "pending"
	DecisionAccepted = "accepted"
	DecisionRejected = "rejected"
)

// Enrolment is a citizen's request for a seat on a course run, as its state machine sees it: the
// commands below change it and record what the change means (Events) for the store to persist in
// the same transaction. It knows nothing of the database or HTTP.
type Enrolment struct {
	ID                uuid.UUID
	CitizenID         string
	CourseID          uuid.UUID
	Status            Status
	HoldsSeat         bool
	FundingPreference string
	Funding           *events.FundingSummary
	RequestedAt       time.Time
	Version           int64
	PriorityGroup     string
	OfferExpiresAt    *time.Time
	// HoldExpiresAt is when a seat held for funding goes to the next in line if funding has not finished.
	HoldExpiresAt    *time.Time `json:",omitempty"`
	ReferralID       string     // the caseworker's referral this enrolment comes from, if any
	ReferralAccepted bool       `json:",omitempty"` // the citizen accepted the referral
	AttendedHours    float64    // reported with the outcome
	// Decision is the institution's answer to a confirmed enrolment (Decision*), due by DecisionDue.
	Decision    string     `json:",omitempty"`
	DecisionDue *time.Time `json:",omitempty"`

	events []Event
}

// Events are what the commands applied so far mean, in order; the store persists them.
func (e *Enrolment) Events() []Event { return e.events }

// ClearEvents forgets the events (once the store has persisted them).
func (e *Enrolment) ClearEvents() { e.events = nil }

func (e *Enrolment) emit(ev Event) { e.events = append(e.events, ev) }

// Event is a domain event: something a command did that the store must persist or react to.
type Event interface{ event() }

// Why is why an enrolment changed: a reason registration gives (Code, with its Params; see
// events.Reason), whose English sentence Text is, or a person's own words (Text, no Code).
type Why struct {
	Code   events.Reason
	Params map[string]string
	Text   string
}

// because is the reason code with its parameters (name, value pairs; empty values are left out).
func because(code events.Reason, params ...string) Why {
	var m map[string]string
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[params[i]] = params[i+1]
		}
	}
	return Why{Code: code, Params: m, Text: code.English(m)}
}

// Words is a person's own words as the reason.
func Words(text string) Why { return Why{Text: text} }

// recognised is a sentence registration writes, with the code it is read as ("" for other words).
func recognised(text string) Why {
	code, params := events.ReasonFromText(text)
	return Why{Code: code, Params: params, Text: text}
}

// Created is a new enrolment, in its first state: a history row and the state's event.
type Created struct {
	Cause Cause
	Why   Why // in the event
	// Recorded is the history's reason when it says more than the event (the referral's own words).
	Recorded *Why
}

// Moved is a change of state: the row, a history row, the learning record and the state's event.
type Moved struct {
	From, To Status
	Cause    Cause
	Why      Why
	// AnsweredOffer is the offer's deadline a move out of "offered" answered; the event still names it.
	AnsweredOffer *time.Time
}

// Noted is a history row without a change of state (a break, whom the enrolment waits for).
type Noted struct {
	Cause Cause
	Why   Why
}

// Accepted is the institution's acceptance of a confirmed enrolment: a history row and enrolment.accepted.
type Accepted struct {
	Cause Cause
	Why   Why
}

// SeatFreed is a seat the enrolment no longer holds: the run gets it back and the next in line is
// served. It comes before the move that freed it, as the store must apply it first.
type SeatFreed struct{ CourseID uuid.UUID }

// EmployerAsked is the company funding asked to take part: the enrolment waits for it.
type EmployerAsked struct{ CVR, Name string }

func (Created) event()       {}
func (Moved) event()         {}
func (Noted) event()         {}
func (Accepted) event()      {}
func (SeatFreed) event()     {}
func (EmployerAsked) event() {}

// move changes the state: version, the institution's pending answer, and the Moved event.
func (e *Enrolment) move(to Status, cause Cause, why Why) error {
	if !CanMove(e.Status, to) {
		return notAllowed("an enrolment that is %s cannot become %s", e.Status, to)
	}
	m := Moved{From: e.Status, To: to, Cause: cause, Why: why}
	e.Status = to
	e.Version++
	if e.Decision == DecisionPending && to != Confirmed { // an institution no longer answers it
		e.Decision = DecisionNone
	}
	e.emit(m)
	return nil
}

// release gives the seat back (SeatFreed), if the enrolment holds one.
func (e *Enrolment) release() {
	if e.HoldsSeat {
		e.HoldsSeat = false
		e.emit(SeatFreed{CourseID: e.CourseID})
	}
}

// offerUntil is an offer's end as its reason gives it.
func offerUntil(t time.Time) string { return t.In(Copenhagen).Format("2006-01-02 15:04") }

// RunCancelled is the reason of an enrolment ended because its run was cancelled, for why.
func RunCancelled(why string) Why { return because(events.ReasonRunCancelled, events.ParamNote, why) }

// AlreadyEnrolled is the reason of a referral that held nothing: the citizen has an enrolment on the run.
func AlreadyEnrolled() Why { return because(events.ReasonAlreadyEnrolled) }

// NewRequest is what a new enrolment starts from.
type NewRequest struct {
	ID                uuid.UUID
	CitizenID         string
	CourseID          uuid.UUID
	FundingPreference string
	PriorityGroup     string // "" is GroupFor(FundingPreference)
	At                time.Time
	// Seat says a seat was held for it; HoldUntil is then when it goes if funding has not finished.
	Seat      bool
	HoldUntil time.Time
}

// Request is a citizen's request for a seat: pending with the seat when one was held, else waiting.
func Request(n NewRequest) Enrolment { return request(n, ByCitizen, Why{}) }

// RequestFor is a company's request for a seat for its employee (see Request).
func RequestFor(n NewRequest, company string) Enrolment {
	return request(n, ByEmployer, because(events.ReasonEmployerEnrolled, events.ParamCompany, company))
}

func request(n NewRequest, cause Cause, why Why) Enrolment {
	e := Enrolment{ID: n.ID, CitizenID: n.CitizenID, CourseID: n.CourseID, Status: Waitlisted, FundingPreference: n.FundingPreference,
		RequestedAt: n.At, Version: 1, PriorityGroup: n.PriorityGroup}
	if e.PriorityGroup == "" {
		e.PriorityGroup = GroupFor(n.FundingPreference)
	}
	if n.Seat {
		until := n.HoldUntil
		e.Status, e.HoldsSeat, e.HoldExpiresAt = Pending, true, &until
	}
	e.emit(Created{Cause: cause, Why: why})
	return e
}

// Refer is a caseworker's referral: with a held seat it is offered to the citizen until offerUntil,
// else it waits in the referral group. note is the caseworker's reason, kept in the history.
func Refer(n NewRequest, referralID string, offerUntil time.Time, note string) Enrolment {
	e := Enrolment{ID: n.ID, CitizenID: n.CitizenID, CourseID: n.CourseID, Status: Waitlisted, FundingPreference: n.FundingPreference,
		RequestedAt: n.At, Version: 1, PriorityGroup: GroupReferral, ReferralID: referralID}
	if n.Seat {
		e.Status, e.HoldsSeat, e.OfferExpiresAt = Offered, true, &offerUntil
	}
	recorded := Why{Code: events.ReasonReferred, Text: "referred by the municipality: " + note} // as it always read
	if note != "" {
		recorded.Params = map[string]string{events.ParamNote: note}
	}
	e.emit(Created{Cause: ByCaseworker, Why: because(events.ReasonReferred), Recorded: &recorded})
	return e
}

// EndedReferral is a referral that could hold nothing: an enrolment cancelled at once by the
// system, with the reason, so that funding gives back what the referral reserved.
func EndedReferral(n NewRequest, referralID string, why Why) Enrolment {
	e := Enrolment{ID: n.ID, CitizenID: n.CitizenID, CourseID: n.CourseID, Status: Cancelled, FundingPreference: n.FundingPreference,
		RequestedAt: n.At, Version: 1, PriorityGroup: GroupReferral, ReferralID: referralID}
	e.emit(Created{Cause: BySystem, Why: why})
	return e
}

// takeSeat moves an enrolment given a seat to pending (funding under way) until holdUntil.
func (e *Enrolment) takeSeat(cause Cause, why Why, holdUntil time.Time) error {
	answered := e.OfferExpiresAt
	wasHeld := e.HoldsSeat
	e.HoldsSeat, e.HoldExpiresAt, e.OfferExpiresAt = true, &holdUntil, nil
	if err := e.move(Pending, cause, why); err != nil {
		e.HoldsSeat = wasHeld
		return err
	}
	if m, ok := e.events[len(e.events)-1].(Moved); ok && answered != nil {
		m.AnsweredOffer = answered
		e.events[len(e.events)-1] = m
	}
	return nil
}

// Promotion is how a freed seat goes to the first in line.
type Promotion struct {
	Now        time.Time
	OfferHours int       // 0: the next in line takes the seat at once
	HoldUntil  time.Time // when the seat goes on if funding has not finished
}

// OfferExpiry is when an offer made at now lapses: offerHours counted in whole Danish business
// days, to the end of the last one, so a night, a weekend or a holiday never eats an offer.
func OfferExpiry(offerHours int, now time.Time) time.Time {
	days := (offerHours + 23) / 24
	return businessday.Denmark().Deadline(now, max(days, 1))
}

// SeatFree gives a waiting enrolment the seat held for it: an accepted referral, or a run that
// offers no seats, takes it at once and goes on to funding; otherwise it is offered, until the
// offer's business-day deadline.
func (e *Enrolment) SeatFree(p Promotion) error {
	if e.Status != Waitlisted {
		return notAllowed("only a waiting enrolment can be given a seat (it is %s)", e.Status)
	}
	if p.OfferHours == 0 || e.ReferralAccepted {
		return e.takeSeat(BySystem, because(events.ReasonSeatFree), p.HoldUntil)
	}
	expires := OfferExpiry(p.OfferHours, p.Now)
	e.HoldsSeat, e.OfferExpiresAt = true, &expires
	return e.move(Offered, BySystem, because(events.ReasonSeatOffered, events.ParamUntil, offerUntil(expires)))
}

// WinBallot gives a ballot's winner its seat: it goes on to funding without an offer.
func (e *Enrolment) WinBallot(holdUntil time.Time) error {
	return e.takeSeat(BySystem, because(events.ReasonBallotWon), holdUntil)
}

// Cancel ends the enrolment for cause (with its words), freeing its seat. Cancelling a cancelled
// enrolment changes nothing.
func (e *Enrolment) Cancel(cause Cause, reason string) error {
	if e.Status == Cancelled {
		return nil
	}
	if !CanMove(e.Status, Cancelled) {
		return notAllowed("an enrolment that is %s cannot be cancelled", e.Status)
	}
	e.release()
	return e.move(Cancelled, cause, Words(reason))
}

// CancelWithRun ends a live enrolment because its run was cancelled: the run gave back all its
// seats, so no seat is freed.
func (e *Enrolment) CancelWithRun(why string) error {
	e.HoldsSeat = false
	return e.move(Cancelled, ByInstitution, RunCancelled(why))
}

// AnswerOffer is the citizen's answer to an offered seat at now: accepting goes on to funding (the
// seat held until holdUntil); declining leaves the list and the seat goes to the next.
func (e *Enrolment) AnswerOffer(accept bool, now, holdUntil time.Time) error {
	if e.Status != Offered {
		return notAllowed("there is no open offer on this enrolment (it is %s)", e.Status)
	}
	if e.ReferralID != "" {
		return notAllowed("this seat is held for a referral: answer the referral (POST /v1/referrals/%s/accept or /decline)", e.ReferralID)
	}
	if e.OfferExpiresAt != nil && now.After(*e.OfferExpiresAt) {
		return notAllowed("the offer expired at %s", e.OfferExpiresAt.In(Copenhagen).Format("2006-01-02 15:04"))
	}
	if accept {
		return e.takeSeat(ByCitizen, because(events.ReasonOfferAccepted), holdUntil)
	}
	e.release()
	return e.move(Cancelled, ByCitizen, because(events.ReasonOfferDeclined))
}

// ExpireOffer ends an offer nobody answered before now; it reports whether it did.
func (e *Enrolment) ExpireOffer(now time.Time) (bool, error) {
	if e.Status != Offered || e.OfferExpiresAt == nil || !e.OfferExpiresAt.Before(now) {
		return false, nil // answered meanwhile
	}
	e.release()
	return true, e.move(Cancelled, BySystem, because(events.ReasonOfferExpired))
}

// ExpireHold releases a seat whose funding step did not finish before now; it reports whether it did.
func (e *Enrolment) ExpireHold(now time.Time) (bool, error) {
	if e.Status != Pending || e.HoldExpiresAt == nil || !e.HoldExpiresAt.Before(now) {
		return false, nil
	}
	e.release()
	return true, e.move(Cancelled, BySystem, because(events.ReasonHoldExpired))
}

// Decision outcomes from funding.
const (
	FundingApproved         = "approved"
	FundingRejected         = "rejected"
	FundingReviewRequired   = "review_required"
	FundingEmployerRequired = "employer_required"
)

// ApplyFunding applies funding's decision for version of the enrolment: approved confirms it and
// asks the institution to answer by answerBy; rejected rejects it and frees the seat; review
// required keeps it pending; employer required keeps the seat until two days after the company's
// due date. A decision for an enrolment that has moved on changes nothing.
func (e *Enrolment) ApplyFunding(version int64, summary events.FundingSummary, answerBy time.Time) error {
	if e.Status != Pending || version != e.Version {
		return nil
	}
	switch summary.Outcome {
	case FundingApproved, FundingRejected, FundingReviewRequired:
	case FundingEmployerRequired:
		if summary.Employer == nil {
			return fmt.Errorf("%w: employer_required without the employer's part", ErrMalformed)
		}
		if _, err := time.ParseInLocation(time.DateOnly, summary.Employer.DueOn, Copenhagen); err != nil {
			return fmt.Errorf("%w: employer.due_on", ErrMalformed)
		}
	default:
		return fmt.Errorf("%w: funding outcome %q", ErrMalformed, summary.Outcome)
	}
	e.Funding = &summary
	switch summary.Outcome {
	case FundingApproved:
		if err := e.move(Confirmed, ByFunding, because(events.ReasonFundingApproved, events.ParamScheme, summary.Scheme)); err != nil {
			return err
		}
		e.Decision, e.DecisionDue = DecisionPending, &answerBy
		return nil
	case FundingRejected:
		e.release()
		var first, firstDA string
		if len(summary.Reasons) > 0 {
			first = summary.Reasons[0]
		}
		if len(summary.ReasonsDA) > 0 {
			firstDA = summary.ReasonsDA[0]
		}
		return e.move(Rejected, ByFunding, because(events.ReasonFundingRejected, events.ParamReason, first, events.ParamReasonDA, firstDA))
	case FundingEmployerRequired:
		part := summary.Employer
		due, _ := time.ParseInLocation(time.DateOnly, part.DueOn, Copenhagen)
		if until := due.AddDate(0, 0, 2); e.HoldsSeat && (e.HoldExpiresAt == nil || until.After(*e.HoldExpiresAt)) {
			e.HoldExpiresAt = &until
		}
		company := part.Name
		if company == "" {
			company = "CVR " + part.CVR
		}
		e.emit(EmployerAsked{CVR: part.CVR, Name: part.Name})
		e.emit(Noted{Cause: ByFunding, Why: because(events.ReasonEmployerAwaited, events.ParamCompany, company, events.ParamDueOn, part.DueOn)})
	}
	return nil // review required: the funding is kept, the enrolment stays pending
}

// Answer is the institution's answer to a confirmed enrolment, with its words: acceptance keeps it
// confirmed and tells everyone; rejection rejects it with the reason and frees the seat.
func (e *Enrolment) Answer(accept bool, cause Cause, reason string) error {
	why := Words(reason)
	if accept && reason == "" {
		why = because(events.ReasonInstitutionAccepted)
	}
	return e.answer(accept, cause, why)
}

func (e *Enrolment) answer(accept bool, cause Cause, why Why) error {
	if e.Status != Confirmed || e.Decision != DecisionPending {
		return notAllowed("only a confirmed enrolment waiting for the institution's answer can be answered (it is %s)", e.Status)
	}
	if accept {
		e.Decision = DecisionAccepted
		e.Version++
		e.emit(Accepted{Cause: cause, Why: why})
		return nil
	}
	e.Decision = DecisionRejected
	e.release()
	return e.move(Rejected, cause, why)
}

// AnswerOverdue applies the default answer (accept or not) when the institution did not answer
// within days business days, by now; it reports whether the answer was still due.
func (e *Enrolment) AnswerOverdue(now time.Time, accept bool, days int) (bool, error) {
	if e.Status != Confirmed || e.Decision != DecisionPending || e.DecisionDue == nil || !e.DecisionDue.Before(now) {
		return false, nil // someone answered meanwhile
	}
	return true, e.answer(accept, BySystem, because(events.ReasonNoAnswer, events.ParamDays, strconv.Itoa(days)))
}

// ReportAttendance checks an attendance report for day on a run from startsOn to endsOn; the first
// report starts a confirmed enrolment.
func (e *Enrolment) ReportAttendance(day, startsOn, endsOn time.Time) error {
	if e.Status != Confirmed && e.Status != Started {
		return notAllowed("attendance is reported for confirmed or started enrolments (this one is %s)", e.Status)
	}
	if day.Before(startsOn) || day.After(endsOn) {
		return &fault.ValidationError{Fields: []fault.FieldError{{Field: "date",
			Message: fmt.Sprintf("must be within the run (%s to %s)", startsOn.Format(time.DateOnly), endsOn.Format(time.DateOnly))}}}
	}
	if e.Status == Confirmed {
		return e.move(Started, ByInstitution, because(events.ReasonAttendance))
	}
	return nil
}

// ReportBreak notes that the citizen pauses a confirmed or started enrolment, with the reason.
func (e *Enrolment) ReportBreak(reason string) error {
	if e.Status != Started && e.Status != Confirmed {
		return notAllowed("a break is reported for a confirmed or started enrolment (this one is %s)", e.Status)
	}
	e.emit(Noted{Cause: ByInstitution, Why: because(events.ReasonBreak, events.ParamNote, reason)})
	return nil
}

// ReportOutcome is the institution's report that the enrolment ended (Completed or Withdrawn) with
// attended hours, at most plannedHours. The seat stays taken: the run is under way or over.
func (e *Enrolment) ReportOutcome(to Status, reason string, attended, plannedHours float64) error {
	if !CanMove(e.Status, to) {
		return notAllowed("an enrolment that is %s cannot become %s", e.Status, to)
	}
	if attended > plannedHours {
		return &fault.ValidationError{Fields: []fault.FieldError{{Field: "attended_hours",
			Message: fmt.Sprintf("more than the %.1f hours the run has", plannedHours)}}}
	}
	e.AttendedHours = attended
	return e.move(to, ByInstitution, Words(reason))
}

// EndForErasure ends the enrolment of a citizen whose data is erased: a started one is withdrawn
// with the hours attended, a live one cancelled (its seat freed); an ended one stays as it is.
func (e *Enrolment) EndForErasure(attended float64) error {
	switch {
	case e.Status == Started:
		e.AttendedHours = attended
		return e.move(Withdrawn, ByCitizen, because(events.ReasonDataErased))
	case CanMove(e.Status, Cancelled):
		e.release()
		return e.move(Cancelled, ByCitizen, because(events.ReasonDataErased))
	}
	return nil
}

// AcceptReferral is the citizen's acceptance of the referral: an offered seat goes on to funding
// (held until holdUntil); a waiting one will take the next free seat without an offer.
func (e *Enrolment) AcceptReferral(holdUntil time.Time) error {
	e.ReferralAccepted = true
	if e.Status == Offered {
		return e.takeSeat(ByCitizen, because(events.ReasonReferralAccepted), holdUntil)
	}
	return nil
}

// ReferralEnd is how a referral ended.
type ReferralEnd string

// How referrals end.
const (
	ReferralDeclined  ReferralEnd = "declined"
	ReferralExpired   ReferralEnd = "expired"
	ReferralWithdrawn ReferralEnd = "withdrawn"
)

// EndReferral ends the referral's enrolment (its seat goes to the next in line); status and note
// are the referral's own words. An enrolment that can no longer be cancelled stays as it is.
func (e *Enrolment) EndReferral(end ReferralEnd, status, note string) error {
	if !CanMove(e.Status, Cancelled) {
		return nil
	}
	cause := map[ReferralEnd]Cause{ReferralDeclined: ByCitizen, ReferralExpired: BySystem, ReferralWithdrawn: ByCaseworker}[end]
	reason := "the referral was " + status
	if note != "" {
		reason += ": " + note
	}
	e.release()
	return e.move(Cancelled, cause, recognised(reason))
}
