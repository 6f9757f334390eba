package enrolment

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
)

var (
	now      = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	holdTill = now.Add(168 * time.Hour)
	course   = uuid.MustParse("00000000-0000-0000-0000-0000000000c1")
	later    = now.Add(time.Hour)
	earlier  = now.Add(-time.Hour)
)

// in is an enrolment in status s at version 3, holding a seat when that state does.
func in(s Status, opts ...func(*Enrolment)) Enrolment {
	e := Enrolment{ID: uuid.MustParse("00000000-0000-0000-0000-0000000000e1"), CitizenID: "c1", CourseID: course, Status: s,
		HoldsSeat: HoldsSeat(s), Version: 3, PriorityGroup: GroupSelf, FundingPreference: "veu"}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func offering(t time.Time) func(*Enrolment)  { return func(e *Enrolment) { e.OfferExpiresAt = &t } }
func holdUntil(t time.Time) func(*Enrolment) { return func(e *Enrolment) { e.HoldExpiresAt = &t } }
func referral(e *Enrolment)                  { e.ReferralID = "r1" }
func referralAccepted(e *Enrolment)          { e.ReferralAccepted = true }
func awaiting(e *Enrolment)                  { e.Decision, e.DecisionDue = DecisionPending, &earlier }
func noSeat(e *Enrolment)                    { e.HoldsSeat = false }

var freed = SeatFreed{CourseID: course}

func moved(from, to Status, cause Cause, why Why) Moved {
	return Moved{From: from, To: to, Cause: cause, Why: why}
}

func words(text string) Why { return Why{Text: text} }

// coded is a reason with its code, its exact English sentence (the wire format) and its parameters.
func coded(code events.Reason, text string, params ...string) Why {
	w := Why{Code: code, Text: text}
	for i := 0; i+1 < len(params); i += 2 {
		if w.Params == nil {
			w.Params = map[string]string{}
		}
		w.Params[params[i]] = params[i+1]
	}
	return w
}

// TestCommands runs every command from the states it is given in, allowed and refused: the state,
// version, seat and the domain events it leaves (a refused command changes nothing).
func TestCommands(t *testing.T) {
	t.Parallel()
	approved := events.FundingSummary{Outcome: FundingApproved, Scheme: "veu"}
	rejected := events.FundingSummary{Outcome: FundingRejected, Reasons: []string{"no budget left"}}
	review := events.FundingSummary{Outcome: FundingReviewRequired}
	employer := events.FundingSummary{Outcome: FundingEmployerRequired, Employer: &events.EmployerPart{CVR: "12345674", Name: "Stål A/S",
		DueOn: "2026-03-20"}}
	noAnswer := coded(events.ReasonNoAnswer, "the institution did not answer within 5 business days", events.ParamDays, "5")
	erased := coded(events.ReasonDataErased, "the citizen's data was erased at their request")
	tests := []struct {
		name    string
		from    Enrolment
		cmd     func(*Enrolment) error
		status  Status
		seat    bool
		version int64
		events  []Event
		err     error
	}{
		// A freed seat: offered, or taken at once when the run offers none or the referral was accepted.
		{"seat free: offered", in(Waitlisted), func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now, OfferHours: 48, HoldUntil: holdTill}) },
			Offered, true, 4, []Event{moved(Waitlisted, Offered, BySystem, coded(events.ReasonSeatOffered, "a seat became free: accept by 2026-03-04 23:59", events.ParamUntil, "2026-03-04 23:59"))}, nil},
		{"seat free: taken at once", in(Waitlisted), func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now, HoldUntil: holdTill}) },
			Pending, true, 4, []Event{moved(Waitlisted, Pending, BySystem, coded(events.ReasonSeatFree, "a seat became free"))}, nil},
		{"seat free: accepted referral takes it", in(Waitlisted, referral, referralAccepted),
			func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now, OfferHours: 48, HoldUntil: holdTill}) },
			Pending, true, 4, []Event{moved(Waitlisted, Pending, BySystem, coded(events.ReasonSeatFree, "a seat became free"))}, nil},
		{"seat free: refused when not waiting", in(Pending), func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now}) },
			Pending, true, 3, nil, ErrNotAllowed},
		{"ballot won", in(Waitlisted), func(e *Enrolment) error { return e.WinBallot(holdTill) },
			Pending, true, 4, []Event{moved(Waitlisted, Pending, BySystem, coded(events.ReasonBallotWon, "won a seat in the ballot"))}, nil},
		{"ballot won: refused when cancelled", in(Cancelled), func(e *Enrolment) error { return e.WinBallot(holdTill) },
			Cancelled, false, 3, nil, ErrNotAllowed},

		// The citizen cancels: the seat is freed before the move.
		{"cancel pending", in(Pending), func(e *Enrolment) error { return e.Cancel(ByCitizen, "moved town") },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, ByCitizen, words("moved town"))}, nil},
		{"cancel waitlisted frees nothing", in(Waitlisted), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 4, []Event{moved(Waitlisted, Cancelled, ByCitizen, words(""))}, nil},
		{"cancel offered", in(Offered), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, ByCitizen, words(""))}, nil},
		{"cancel confirmed", in(Confirmed, awaiting), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 4, []Event{freed, moved(Confirmed, Cancelled, ByCitizen, words(""))}, nil},
		{"cancel cancelled changes nothing", in(Cancelled), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 3, nil, nil},
		{"cancel started refused", in(Started), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Started, true, 3, nil, ErrNotAllowed},
		{"cancel completed refused", in(Completed), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Completed, false, 3, nil, ErrNotAllowed},
		{"cancel rejected refused", in(Rejected), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Rejected, false, 3, nil, ErrNotAllowed},
		{"run cancelled: the run gave the seats back", in(Confirmed), func(e *Enrolment) error { return e.CancelWithRun("no teacher") },
			Cancelled, false, 4, []Event{moved(Confirmed, Cancelled, ByInstitution, coded(events.ReasonRunCancelled, "the course run was cancelled: no teacher", events.ParamNote, "no teacher"))}, nil},
		{"run cancelled: refused when started", in(Started), func(e *Enrolment) error { return e.CancelWithRun("x") },
			Started, false, 3, nil, ErrNotAllowed},

		// The citizen answers an offer.
		{"accept offer", in(Offered, offering(later)), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Pending, true, 4, []Event{Moved{From: Offered, To: Pending, Cause: ByCitizen, Why: coded(events.ReasonOfferAccepted, "accepted the offer"), AnsweredOffer: &later}}, nil},
		{"decline offer", in(Offered, offering(later)), func(e *Enrolment) error { return e.AnswerOffer(false, now, holdTill) },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, ByCitizen, coded(events.ReasonOfferDeclined, "declined the offer"))}, nil},
		{"answer an expired offer refused", in(Offered, offering(earlier)), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Offered, true, 3, nil, ErrNotAllowed},
		{"answer a referral's seat refused", in(Offered, offering(later), referral), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Offered, true, 3, nil, ErrNotAllowed},
		{"answer without an offer refused", in(Waitlisted), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Waitlisted, false, 3, nil, ErrNotAllowed},

		// Timers.
		{"offer expires", in(Offered, offering(earlier)), func(e *Enrolment) error { _, err := e.ExpireOffer(now); return err },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, BySystem, coded(events.ReasonOfferExpired, "the offer expired without an answer"))}, nil},
		{"offer not yet due", in(Offered, offering(later)), func(e *Enrolment) error { _, err := e.ExpireOffer(now); return err },
			Offered, true, 3, nil, nil},
		{"offer answered meanwhile", in(Pending, offering(earlier)), func(e *Enrolment) error { _, err := e.ExpireOffer(now); return err },
			Pending, true, 3, nil, nil},
		{"hold expires", in(Pending, holdUntil(earlier)), func(e *Enrolment) error { _, err := e.ExpireHold(now); return err },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, BySystem, coded(events.ReasonHoldExpired, "the funding step did not finish in time; the seat went to the next in line"))}, nil},
		{"hold not yet due", in(Pending, holdUntil(later)), func(e *Enrolment) error { _, err := e.ExpireHold(now); return err },
			Pending, true, 3, nil, nil},
		{"hold decided meanwhile", in(Confirmed, holdUntil(earlier)), func(e *Enrolment) error { _, err := e.ExpireHold(now); return err },
			Confirmed, true, 3, nil, nil},

		// Funding decides.
		{"funding approved", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, approved, later) },
			Confirmed, true, 4, []Event{moved(Pending, Confirmed, ByFunding, coded(events.ReasonFundingApproved, "funding approved: veu", events.ParamScheme, "veu"))}, nil},
		{"funding rejected", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, rejected, later) },
			Rejected, false, 4, []Event{freed, moved(Pending, Rejected, ByFunding, coded(events.ReasonFundingRejected, "funding rejected: no budget left", events.ParamReason, "no budget left"))}, nil},
		{"funding rejected without reasons", in(Pending), func(e *Enrolment) error {
			return e.ApplyFunding(3, events.FundingSummary{Outcome: FundingRejected}, later)
		}, Rejected, false, 4, []Event{freed, moved(Pending, Rejected, ByFunding, coded(events.ReasonFundingRejected, "funding rejected"))}, nil},
		{"funding review required", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, review, later) },
			Pending, true, 3, nil, nil},
		{"funding asks the employer", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, employer, later) },
			Pending, true, 3, []Event{EmployerAsked{CVR: "12345674", Name: "Stål A/S"},
				Noted{Cause: ByFunding, Why: coded(events.ReasonEmployerAwaited, "waiting for the employer (Stål A/S) to answer by 2026-03-20",
					events.ParamCompany, "Stål A/S", events.ParamDueOn, "2026-03-20")}}, nil},
		{"funding for an older version changes nothing", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(2, approved, later) },
			Pending, true, 3, nil, nil},
		{"funding for a cancelled enrolment changes nothing", in(Cancelled), func(e *Enrolment) error { return e.ApplyFunding(3, approved, later) },
			Cancelled, false, 3, nil, nil},
		{"funding outcome unknown", in(Pending), func(e *Enrolment) error {
			return e.ApplyFunding(3, events.FundingSummary{Outcome: "maybe"}, later)
		}, Pending, true, 3, nil, ErrMalformed},
		{"employer required without the employer", in(Pending), func(e *Enrolment) error {
			return e.ApplyFunding(3, events.FundingSummary{Outcome: FundingEmployerRequired}, later)
		}, Pending, true, 3, nil, ErrMalformed},
		{"employer required with a bad date", in(Pending), func(e *Enrolment) error {
			return e.ApplyFunding(3, events.FundingSummary{Outcome: FundingEmployerRequired, Employer: &events.EmployerPart{CVR: "1", DueOn: "soon"}}, later)
		}, Pending, true, 3, nil, ErrMalformed},

		// The institution answers a confirmed enrolment.
		{"institution accepts", in(Confirmed, awaiting), func(e *Enrolment) error { return e.Answer(true, ByInstitution, "") },
			Confirmed, true, 4, []Event{Accepted{Cause: ByInstitution, Why: coded(events.ReasonInstitutionAccepted, "accepted by the institution")}}, nil},
		{"institution rejects", in(Confirmed, awaiting), func(e *Enrolment) error { return e.Answer(false, ByInstitution, "full") },
			Rejected, false, 4, []Event{freed, moved(Confirmed, Rejected, ByInstitution, words("full"))}, nil},
		{"answer twice refused", in(Confirmed), func(e *Enrolment) error { return e.Answer(true, ByInstitution, "") },
			Confirmed, true, 3, nil, ErrNotAllowed},
		{"answer a pending enrolment refused", in(Pending), func(e *Enrolment) error { return e.Answer(true, ByInstitution, "") },
			Pending, true, 3, nil, ErrNotAllowed},
		{"overdue answer accepts by default", in(Confirmed, awaiting), func(e *Enrolment) error { _, err := e.AnswerOverdue(now, true, 5); return err },
			Confirmed, true, 4, []Event{Accepted{Cause: BySystem, Why: noAnswer}}, nil},
		{"overdue answer rejects by policy", in(Confirmed, awaiting), func(e *Enrolment) error { _, err := e.AnswerOverdue(now, false, 5); return err },
			Rejected, false, 4, []Event{freed, moved(Confirmed, Rejected, BySystem, noAnswer)}, nil},
		{"answered meanwhile", in(Confirmed), func(e *Enrolment) error { _, err := e.AnswerOverdue(now, true, 5); return err },
			Confirmed, true, 3, nil, nil},

		// The course under way.
		{"first attendance starts it", in(Confirmed), func(e *Enrolment) error { return e.ReportAttendance(now, earlier, later) },
			Started, true, 4, []Event{moved(Confirmed, Started, ByInstitution, coded(events.ReasonAttendance, "attendance reported"))}, nil},
		{"more attendance", in(Started), func(e *Enrolment) error { return e.ReportAttendance(now, earlier, later) },
			Started, true, 3, nil, nil},
		{"attendance outside the run", in(Confirmed), func(e *Enrolment) error { return e.ReportAttendance(now, later, later) },
			Confirmed, true, 3, nil, fault.Invalid},
		{"attendance on a pending enrolment refused", in(Pending), func(e *Enrolment) error { return e.ReportAttendance(now, earlier, later) },
			Pending, true, 3, nil, ErrNotAllowed},
		{"break", in(Started), func(e *Enrolment) error { return e.ReportBreak("ill") },
			Started, true, 3, []Event{Noted{Cause: ByInstitution, Why: coded(events.ReasonBreak, "break: ill", events.ParamNote, "ill")}}, nil},
		{"break refused when waiting", in(Waitlisted), func(e *Enrolment) error { return e.ReportBreak("ill") },
			Waitlisted, false, 3, nil, ErrNotAllowed},
		{"completed", in(Started), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 30, 37) },
			Completed, true, 4, []Event{moved(Started, Completed, ByInstitution, words(""))}, nil},
		{"completed from confirmed", in(Confirmed), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 0, 37) },
			Completed, true, 4, []Event{moved(Confirmed, Completed, ByInstitution, words(""))}, nil},
		{"withdrawn", in(Started), func(e *Enrolment) error { return e.ReportOutcome(Withdrawn, "new job", 4, 37) },
			Withdrawn, true, 4, []Event{moved(Started, Withdrawn, ByInstitution, words("new job"))}, nil},
		{"more hours than the run has", in(Started), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 38, 37) },
			Started, true, 3, nil, fault.Invalid},
		{"reported twice refused", in(Completed), func(e *Enrolment) error { return e.ReportOutcome(Withdrawn, "x", 1, 37) },
			Completed, false, 3, nil, ErrNotAllowed},
		{"outcome of a pending enrolment refused", in(Pending), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 1, 37) },
			Pending, true, 3, nil, ErrNotAllowed},

		// Erasure.
		{"erasure withdraws a started one", in(Started), func(e *Enrolment) error { return e.EndForErasure(6) },
			Withdrawn, true, 4, []Event{moved(Started, Withdrawn, ByCitizen, erased)}, nil},
		{"erasure cancels a live one", in(Pending), func(e *Enrolment) error { return e.EndForErasure(0) },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, ByCitizen, erased)}, nil},
		{"erasure leaves an ended one", in(Completed), func(e *Enrolment) error { return e.EndForErasure(0) },
			Completed, false, 3, nil, nil},

		// Referrals.
		{"referral accepted takes the offered seat", in(Offered, referral, offering(later)), func(e *Enrolment) error { return e.AcceptReferral(holdTill) },
			Pending, true, 4, []Event{Moved{From: Offered, To: Pending, Cause: ByCitizen, Why: coded(events.ReasonReferralAccepted, "accepted the referral"), AnsweredOffer: &later}}, nil},
		{"referral accepted while waiting", in(Waitlisted, referral), func(e *Enrolment) error { return e.AcceptReferral(holdTill) },
			Waitlisted, false, 3, nil, nil},
		{"referral declined", in(Offered, referral), func(e *Enrolment) error { return e.EndReferral(ReferralDeclined, "declined", "") },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, ByCitizen, coded(events.ReasonReferralDeclined, "the referral was declined"))}, nil},
		{"referral expired", in(Waitlisted, referral), func(e *Enrolment) error { return e.EndReferral(ReferralExpired, "expired", "") },
			Cancelled, false, 4, []Event{moved(Waitlisted, Cancelled, BySystem, coded(events.ReasonReferralExpired, "the referral was expired"))}, nil},
		{"referral withdrawn", in(Pending, referral), func(e *Enrolment) error { return e.EndReferral(ReferralWithdrawn, "withdrawn", "moved") },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, ByCaseworker, coded(events.ReasonReferralWithdrawn, "the referral was withdrawn: moved", events.ParamNote, "moved"))}, nil},
		{"referral ended after the start changes nothing", in(Started, referral), func(e *Enrolment) error { return e.EndReferral(ReferralWithdrawn, "withdrawn", "") },
			Started, true, 3, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := tt.from
			err := tt.cmd(&e)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil { // the store rolls a refused command back; it must not have emitted anything
				if len(e.Events()) > 0 {
					t.Errorf("a refused command emitted %v", e.Events())
				}
				return
			}
			if e.Status != tt.status || e.HoldsSeat != tt.seat || e.Version != tt.version {
				t.Errorf("status %s seat %v version %d, want %s %v %d", e.Status, e.HoldsSeat, e.Version, tt.status, tt.seat, tt.version)
			}
			if !reflect.DeepEqual(e.Events(), tt.events) {
				t.Errorf("events\n%#v\nwant\n%#v", e.Events(), tt.events)
			}
		})
	}
}

// TestTakeSeatState: a seat taken for funding is held until the hold deadline and its offer is gone.
func TestTakeSeatState(t *testing.T) {
	t.Parallel()
	e := in(Offered, offering(later))
	if err := e.AnswerOffer(true, now, holdTill); err != nil {
		t.Fatal(err)
	}
	if e.OfferExpiresAt != nil || e.HoldExpiresAt == nil || !e.HoldExpiresAt.Equal(holdTill) {
		t.Errorf("offer %v hold %v", e.OfferExpiresAt, e.HoldExpiresAt)
	}
	w := in(Waitlisted)
	if err := w.SeatFree(Promotion{Now: now, OfferHours: 48, HoldUntil: holdTill}); err != nil {
		t.Fatal(err)
	}
	if w.OfferExpiresAt == nil || !w.OfferExpiresAt.Equal(OfferExpiry(48, now)) || w.HoldExpiresAt != nil {
		t.Errorf("offer %v hold %v", w.OfferExpiresAt, w.HoldExpiresAt)
	}
}

// TestDecision: approval asks the institution to answer by the deadline; leaving "confirmed" ends
// the wait; an answer is recorded.
func TestDecision(t *testing.T) {
	t.Parallel()
	e := in(Pending)
	if err := e.ApplyFunding(3, events.FundingSummary{Outcome: FundingApproved}, later); err != nil {
		t.Fatal(err)
	}
	if e.Decision != DecisionPending || e.DecisionDue == nil || !e.DecisionDue.Equal(later) || e.Funding == nil {
		t.Fatalf("decision %q due %v funding %v", e.Decision, e.DecisionDue, e.Funding)
	}
	c := e
	if err := c.Cancel(ByCitizen, ""); err != nil || c.Decision != DecisionNone {
		t.Errorf("cancelled: decision %q, %v", c.Decision, err)
	}
	a := e
	if err := a.Answer(true, ByInstitution, ""); err != nil || a.Decision != DecisionAccepted {
		t.Errorf("accepted: decision %q, %v", a.Decision, err)
	}
	r := e
	if err := r.Answer(false, ByInstitution, "no"); err != nil || r.Decision != DecisionRejected {
		t.Errorf("rejected: decision %q, %v", r.Decision, err)
	}
}

// TestEmployerHold: waiting for the employer keeps a held seat until two days after its due date,
// never shorter than it was.
func TestEmployerHold(t *testing.T) {
	t.Parallel()
	part := &events.EmployerPart{CVR: "12345674", DueOn: "2026-03-20"}
	due := time.Date(2026, 3, 22, 0, 0, 0, 0, Copenhagen)
	for _, tt := range []struct {
		name string
		from Enrolment
		want *time.Time
	}{
		{"extended", in(Pending, holdUntil(now)), &due},
		{"never shortened", in(Pending, holdUntil(due.AddDate(0, 1, 0))), ptr(due.AddDate(0, 1, 0))},
		{"no seat, no hold", in(Pending, noSeat), nil},
	} {
		e := tt.from
		if err := e.ApplyFunding(3, events.FundingSummary{Outcome: FundingEmployerRequired, Employer: part}, later); err != nil {
			t.Fatal(err)
		}
		if !sameTime(e.HoldExpiresAt, tt.want) {
			t.Errorf("%s: hold %v, want %v", tt.name, e.HoldExpiresAt, tt.want)
		}
		if want := "waiting for the employer (CVR 12345674) to answer by 2026-03-20"; e.Events()[1].(Noted).Why.Text != want {
			t.Errorf("%s: noted %q", tt.name, e.Events()[1])
		}
	}
}

func ptr[T any](v T) *T { return &v }

func sameTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }

// TestNew: the constructors' first states and events.
func TestNew(t *testing.T) {
	t.Parallel()
	n := NewRequest{ID: uuid.New(), CitizenID: "c1", CourseID: course, FundingPreference: "jobrettet_uddannelse", At: now, HoldUntil: holdTill}
	w := Request(n)
	if w.Status != Waitlisted || w.HoldsSeat || w.HoldExpiresAt != nil || w.PriorityGroup != GroupLegalRight || w.Version != 1 {
		t.Errorf("waiting request: %+v", w)
	}
	n.Seat = true
	p := RequestFor(n, "Stål A/S")
	if p.Status != Pending || !p.HoldsSeat || p.HoldExpiresAt == nil ||
		!reflect.DeepEqual(p.Events(), []Event{Created{Cause: ByEmployer,
			Why: coded(events.ReasonEmployerEnrolled, "enrolled by the employer Stål A/S", events.ParamCompany, "Stål A/S")}}) {
		t.Errorf("held request: %+v", p)
	}
	r := Refer(n, "r1", later, "six weeks")
	if r.Status != Offered || !r.HoldsSeat || r.OfferExpiresAt == nil || r.PriorityGroup != GroupReferral ||
		!reflect.DeepEqual(r.Events(), []Event{Created{Cause: ByCaseworker, Why: coded(events.ReasonReferred, "referred by the municipality"),
			Recorded: ptr(coded(events.ReasonReferred, "referred by the municipality: six weeks", events.ParamNote, "six weeks"))}}) {
		t.Errorf("referral with a seat: %+v", r)
	}
	n.Seat = false
	if r := Refer(n, "r1", later, ""); r.Status != Waitlisted || r.HoldsSeat || r.OfferExpiresAt != nil {
		t.Errorf("referral without a seat: %+v", r)
	}
	x := EndedReferral(n, "r1", RunCancelled("no teacher"))
	if x.Status != Cancelled || x.HoldsSeat ||
		!reflect.DeepEqual(x.Events(), []Event{Created{Cause: BySystem,
			Why: coded(events.ReasonRunCancelled, "the course run was cancelled: no teacher", events.ParamNote, "no teacher")}}) {
		t.Errorf("ended referral: %+v", x)
	}
}

// TestOfferExpiry: an offer lasts whole Danish business days, to the end of the last one.
func TestOfferExpiry(t *testing.T) {
	t.Parallel()
	friday := time.Date(2026, 3, 6, 15, 0, 0, 0, Copenhagen)
	if got := OfferExpiry(24, friday); got.Weekday() != time.Monday {
		t.Errorf("an offer made on a Friday for a day lapses on %s", got.Weekday())
	}
	if OfferExpiry(0, friday) != OfferExpiry(24, friday) {
		t.Error("an offer lasts at least a business day")
	}
}

// TestReasonTexts: every coded reason's sentence is the code's English (what consumers that read
// codes render), and a run cancelled without words reads as it always has.
func TestReasonTexts(t *testing.T) {
	t.Parallel()
	if got := RunCancelled("").Text; got != "the course run was cancelled: " {
		t.Errorf("run cancelled without words: %q", got)
	}
	e := in(Waitlisted)
	_ = e.SeatFree(Promotion{Now: now, OfferHours: 48, HoldUntil: holdTill})
	why := e.Events()[0].(Moved).Why
	if code, params := events.ReasonFromText(why.Text); code != why.Code || !reflect.DeepEqual(params, why.Params) {
		t.Errorf("%q reads back as %s %v, want %s %v", why.Text, code, params, why.Code, why.Params)
	}
	if words := Words("moved town"); words.Code != "" {
		t.Errorf("a person's words have the code %s", words.Code)
	}
}
