package enrolment

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
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

func offerUntil(t time.Time) func(*Enrolment) { return func(e *Enrolment) { e.OfferExpiresAt = &t } }
func holdUntil(t time.Time) func(*Enrolment)  { return func(e *Enrolment) { e.HoldExpiresAt = &t } }
func referral(e *Enrolment)                   { e.ReferralID = "r1" }
func referralAccepted(e *Enrolment)           { e.ReferralAccepted = true }
func awaiting(e *Enrolment)                   { e.Decision, e.DecisionDue = DecisionPending, &earlier }
func noSeat(e *Enrolment)                     { e.HoldsSeat = false }

var freed = SeatFreed{CourseID: course}

func moved(from, to Status, cause Cause, reason string) Moved {
	return Moved{From: from, To: to, Cause: cause, Reason: reason}
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
	offerEnds := OfferExpiry(48, now)
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
			Offered, true, 4, []Event{moved(Waitlisted, Offered, BySystem, OfferReason(offerEnds))}, nil},
		{"seat free: taken at once", in(Waitlisted), func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now, HoldUntil: holdTill}) },
			Pending, true, 4, []Event{moved(Waitlisted, Pending, BySystem, ReasonSeatFree)}, nil},
		{"seat free: accepted referral takes it", in(Waitlisted, referral, referralAccepted),
			func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now, OfferHours: 48, HoldUntil: holdTill}) },
			Pending, true, 4, []Event{moved(Waitlisted, Pending, BySystem, ReasonSeatFree)}, nil},
		{"seat free: refused when not waiting", in(Pending), func(e *Enrolment) error { return e.SeatFree(Promotion{Now: now}) },
			Pending, true, 3, nil, ErrNotAllowed},
		{"ballot won", in(Waitlisted), func(e *Enrolment) error { return e.WinBallot(holdTill) },
			Pending, true, 4, []Event{moved(Waitlisted, Pending, BySystem, ReasonBallotWon)}, nil},
		{"ballot won: refused when cancelled", in(Cancelled), func(e *Enrolment) error { return e.WinBallot(holdTill) },
			Cancelled, false, 3, nil, ErrNotAllowed},

		// The citizen cancels: the seat is freed before the move.
		{"cancel pending", in(Pending), func(e *Enrolment) error { return e.Cancel(ByCitizen, "moved town") },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, ByCitizen, "moved town")}, nil},
		{"cancel waitlisted frees nothing", in(Waitlisted), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 4, []Event{moved(Waitlisted, Cancelled, ByCitizen, "")}, nil},
		{"cancel offered", in(Offered), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, ByCitizen, "")}, nil},
		{"cancel confirmed", in(Confirmed, awaiting), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 4, []Event{freed, moved(Confirmed, Cancelled, ByCitizen, "")}, nil},
		{"cancel cancelled changes nothing", in(Cancelled), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Cancelled, false, 3, nil, nil},
		{"cancel started refused", in(Started), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Started, true, 3, nil, ErrNotAllowed},
		{"cancel completed refused", in(Completed), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Completed, false, 3, nil, ErrNotAllowed},
		{"cancel rejected refused", in(Rejected), func(e *Enrolment) error { return e.Cancel(ByCitizen, "") },
			Rejected, false, 3, nil, ErrNotAllowed},
		{"run cancelled: the run gave the seats back", in(Confirmed), func(e *Enrolment) error { return e.CancelWithRun("no teacher") },
			Cancelled, false, 4, []Event{moved(Confirmed, Cancelled, ByInstitution, RunCancelledReason("no teacher"))}, nil},
		{"run cancelled: refused when started", in(Started), func(e *Enrolment) error { return e.CancelWithRun("x") },
			Started, false, 3, nil, ErrNotAllowed},

		// The citizen answers an offer.
		{"accept offer", in(Offered, offerUntil(later)), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Pending, true, 4, []Event{Moved{From: Offered, To: Pending, Cause: ByCitizen, Reason: ReasonAcceptedOffer, AnsweredOffer: &later}}, nil},
		{"decline offer", in(Offered, offerUntil(later)), func(e *Enrolment) error { return e.AnswerOffer(false, now, holdTill) },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, ByCitizen, ReasonDeclinedOffer)}, nil},
		{"answer an expired offer refused", in(Offered, offerUntil(earlier)), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Offered, true, 3, nil, ErrNotAllowed},
		{"answer a referral's seat refused", in(Offered, offerUntil(later), referral), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Offered, true, 3, nil, ErrNotAllowed},
		{"answer without an offer refused", in(Waitlisted), func(e *Enrolment) error { return e.AnswerOffer(true, now, holdTill) },
			Waitlisted, false, 3, nil, ErrNotAllowed},

		// Timers.
		{"offer expires", in(Offered, offerUntil(earlier)), func(e *Enrolment) error { _, err := e.ExpireOffer(now); return err },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, BySystem, ReasonOfferExpired)}, nil},
		{"offer not yet due", in(Offered, offerUntil(later)), func(e *Enrolment) error { _, err := e.ExpireOffer(now); return err },
			Offered, true, 3, nil, nil},
		{"offer answered meanwhile", in(Pending, offerUntil(earlier)), func(e *Enrolment) error { _, err := e.ExpireOffer(now); return err },
			Pending, true, 3, nil, nil},
		{"hold expires", in(Pending, holdUntil(earlier)), func(e *Enrolment) error { _, err := e.ExpireHold(now); return err },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, BySystem, ReasonHoldExpired)}, nil},
		{"hold not yet due", in(Pending, holdUntil(later)), func(e *Enrolment) error { _, err := e.ExpireHold(now); return err },
			Pending, true, 3, nil, nil},
		{"hold decided meanwhile", in(Confirmed, holdUntil(earlier)), func(e *Enrolment) error { _, err := e.ExpireHold(now); return err },
			Confirmed, true, 3, nil, nil},

		// Funding decides.
		{"funding approved", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, approved, later) },
			Confirmed, true, 4, []Event{moved(Pending, Confirmed, ByFunding, "funding approved: veu")}, nil},
		{"funding rejected", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, rejected, later) },
			Rejected, false, 4, []Event{freed, moved(Pending, Rejected, ByFunding, "funding rejected: no budget left")}, nil},
		{"funding rejected without reasons", in(Pending), func(e *Enrolment) error {
			return e.ApplyFunding(3, events.FundingSummary{Outcome: FundingRejected}, later)
		}, Rejected, false, 4, []Event{freed, moved(Pending, Rejected, ByFunding, "funding rejected")}, nil},
		{"funding review required", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, review, later) },
			Pending, true, 3, nil, nil},
		{"funding asks the employer", in(Pending), func(e *Enrolment) error { return e.ApplyFunding(3, employer, later) },
			Pending, true, 3, []Event{EmployerAsked{CVR: "12345674", Name: "Stål A/S"},
				Noted{Cause: ByFunding, Reason: "waiting for the employer (Stål A/S) to answer by 2026-03-20"}}, nil},
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
			Confirmed, true, 4, []Event{Accepted{Cause: ByInstitution, Reason: ReasonAcceptedByInst}}, nil},
		{"institution rejects", in(Confirmed, awaiting), func(e *Enrolment) error { return e.Answer(false, ByInstitution, "full") },
			Rejected, false, 4, []Event{freed, moved(Confirmed, Rejected, ByInstitution, "full")}, nil},
		{"answer twice refused", in(Confirmed), func(e *Enrolment) error { return e.Answer(true, ByInstitution, "") },
			Confirmed, true, 3, nil, ErrNotAllowed},
		{"answer a pending enrolment refused", in(Pending), func(e *Enrolment) error { return e.Answer(true, ByInstitution, "") },
			Pending, true, 3, nil, ErrNotAllowed},
		{"overdue answer accepts by default", in(Confirmed, awaiting), func(e *Enrolment) error { _, err := e.AnswerOverdue(now, true, 5); return err },
			Confirmed, true, 4, []Event{Accepted{Cause: BySystem, Reason: OverdueAnswerReason(5)}}, nil},
		{"overdue answer rejects by policy", in(Confirmed, awaiting), func(e *Enrolment) error { _, err := e.AnswerOverdue(now, false, 5); return err },
			Rejected, false, 4, []Event{freed, moved(Confirmed, Rejected, BySystem, OverdueAnswerReason(5))}, nil},
		{"answered meanwhile", in(Confirmed), func(e *Enrolment) error { _, err := e.AnswerOverdue(now, true, 5); return err },
			Confirmed, true, 3, nil, nil},

		// The course under way.
		{"first attendance starts it", in(Confirmed), func(e *Enrolment) error { return e.ReportAttendance(now, earlier, later) },
			Started, true, 4, []Event{moved(Confirmed, Started, ByInstitution, ReasonAttendance)}, nil},
		{"more attendance", in(Started), func(e *Enrolment) error { return e.ReportAttendance(now, earlier, later) },
			Started, true, 3, nil, nil},
		{"attendance outside the run", in(Confirmed), func(e *Enrolment) error { return e.ReportAttendance(now, later, later) },
			Confirmed, true, 3, nil, httpapi.ErrInvalid},
		{"attendance on a pending enrolment refused", in(Pending), func(e *Enrolment) error { return e.ReportAttendance(now, earlier, later) },
			Pending, true, 3, nil, ErrNotAllowed},
		{"break", in(Started), func(e *Enrolment) error { return e.ReportBreak("ill") },
			Started, true, 3, []Event{Noted{Cause: ByInstitution, Reason: "break: ill"}}, nil},
		{"break refused when waiting", in(Waitlisted), func(e *Enrolment) error { return e.ReportBreak("ill") },
			Waitlisted, false, 3, nil, ErrNotAllowed},
		{"completed", in(Started), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 30, 37) },
			Completed, true, 4, []Event{moved(Started, Completed, ByInstitution, "")}, nil},
		{"completed from confirmed", in(Confirmed), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 0, 37) },
			Completed, true, 4, []Event{moved(Confirmed, Completed, ByInstitution, "")}, nil},
		{"withdrawn", in(Started), func(e *Enrolment) error { return e.ReportOutcome(Withdrawn, "new job", 4, 37) },
			Withdrawn, true, 4, []Event{moved(Started, Withdrawn, ByInstitution, "new job")}, nil},
		{"more hours than the run has", in(Started), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 38, 37) },
			Started, true, 3, nil, httpapi.ErrInvalid},
		{"reported twice refused", in(Completed), func(e *Enrolment) error { return e.ReportOutcome(Withdrawn, "x", 1, 37) },
			Completed, false, 3, nil, ErrNotAllowed},
		{"outcome of a pending enrolment refused", in(Pending), func(e *Enrolment) error { return e.ReportOutcome(Completed, "", 1, 37) },
			Pending, true, 3, nil, ErrNotAllowed},

		// Erasure.
		{"erasure withdraws a started one", in(Started), func(e *Enrolment) error { return e.EndForErasure(6) },
			Withdrawn, true, 4, []Event{moved(Started, Withdrawn, ByCitizen, ReasonErasure)}, nil},
		{"erasure cancels a live one", in(Pending), func(e *Enrolment) error { return e.EndForErasure(0) },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, ByCitizen, ReasonErasure)}, nil},
		{"erasure leaves an ended one", in(Completed), func(e *Enrolment) error { return e.EndForErasure(0) },
			Completed, false, 3, nil, nil},

		// Referrals.
		{"referral accepted takes the offered seat", in(Offered, referral, offerUntil(later)), func(e *Enrolment) error { return e.AcceptReferral(holdTill) },
			Pending, true, 4, []Event{Moved{From: Offered, To: Pending, Cause: ByCitizen, Reason: ReasonAcceptedReferral, AnsweredOffer: &later}}, nil},
		{"referral accepted while waiting", in(Waitlisted, referral), func(e *Enrolment) error { return e.AcceptReferral(holdTill) },
			Waitlisted, false, 3, nil, nil},
		{"referral declined", in(Offered, referral), func(e *Enrolment) error { return e.EndReferral(ReferralDeclined, "declined", "") },
			Cancelled, false, 4, []Event{freed, moved(Offered, Cancelled, ByCitizen, "the referral was declined")}, nil},
		{"referral expired", in(Waitlisted, referral), func(e *Enrolment) error { return e.EndReferral(ReferralExpired, "expired", "") },
			Cancelled, false, 4, []Event{moved(Waitlisted, Cancelled, BySystem, "the referral was expired")}, nil},
		{"referral withdrawn", in(Pending, referral), func(e *Enrolment) error { return e.EndReferral(ReferralWithdrawn, "withdrawn", "moved") },
			Cancelled, false, 4, []Event{freed, moved(Pending, Cancelled, ByCaseworker, "the referral was withdrawn: moved")}, nil},
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
	e := in(Offered, offerUntil(later))
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
		if want := "waiting for the employer (CVR 12345674) to answer by 2026-03-20"; e.Events()[1].(Noted).Reason != want {
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
	w := Request(n, ByCitizen, "")
	if w.Status != Waitlisted || w.HoldsSeat || w.HoldExpiresAt != nil || w.PriorityGroup != GroupLegalRight || w.Version != 1 {
		t.Errorf("waiting request: %+v", w)
	}
	n.Seat = true
	p := Request(n, ByEmployer, EmployerEnrolledReason("Stål A/S"))
	if p.Status != Pending || !p.HoldsSeat || p.HoldExpiresAt == nil ||
		!reflect.DeepEqual(p.Events(), []Event{Created{Cause: ByEmployer, Reason: "enrolled by the employer Stål A/S"}}) {
		t.Errorf("held request: %+v", p)
	}
	r := Refer(n, "r1", later, "six weeks")
	if r.Status != Offered || !r.HoldsSeat || r.OfferExpiresAt == nil || r.PriorityGroup != GroupReferral ||
		!reflect.DeepEqual(r.Events(), []Event{Created{Cause: ByCaseworker, Reason: ReasonReferred, Note: "referred by the municipality: six weeks"}}) {
		t.Errorf("referral with a seat: %+v", r)
	}
	n.Seat = false
	if r := Refer(n, "r1", later, ""); r.Status != Waitlisted || r.HoldsSeat || r.OfferExpiresAt != nil {
		t.Errorf("referral without a seat: %+v", r)
	}
	x := EndedReferral(n, "r1", RunCancelledReason("no teacher"))
	if x.Status != Cancelled || x.HoldsSeat ||
		!reflect.DeepEqual(x.Events(), []Event{Created{Cause: BySystem, Reason: "the course run was cancelled: no teacher"}}) {
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
