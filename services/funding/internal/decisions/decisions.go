// Package decisions is what funding does: it decides each enrolment request, holds budget for the
// approved ones, lets caseworkers decide reviews, evaluates open decisions again when a profile
// changes, and releases or pays out what decisions hold when enrolments end.
package decisions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/datarequest"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/poll"
	"livslang.dk/pkg/stream"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// Service decides funding.
type Service struct {
	DB    *pgxpool.Pool
	Store *store.Store
	Rates rules.Rates
	Now   func() time.Time
	// Deadlines are the business days a company has to answer what a plan asks of it.
	Deadlines Deadlines

	timers poll.Waker // RunTimers refreshes the stale funded courses at once when woken
}

// querier reads in a transaction or from the pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// usage collects the citizen's use of capped schemes for the course's periods.
func (s *Service) usage(ctx context.Context, q querier, citizenID, startsOn string) (rules.Usage, error) {
	var u rules.Usage
	var err error
	year := startsOn
	if len(year) >= 4 {
		year = year[:4]
	}
	if u.OmstillingsfondenUsedDKK, err = s.Store.Usage(ctx, q, citizenID, rules.SchemeOmstillingsfonden, year); err != nil {
		return u, err
	}
	if u.KompetencefondUsedDKK, err = s.Store.RollingUsage(ctx, q, citizenID, rules.SchemeKompetencefond, startsOn); err != nil {
		return u, err
	}
	if u.SVUWeeksUsed, err = s.Store.SVUWeeksUsed(ctx, q, citizenID); err != nil {
		return u, err
	}
	return u, nil
}

// lockCitizen serializes the decisions of one citizen, so lifetime and yearly caps computed from
// their earlier decisions are never exceeded by two decisions at once.
func lockCitizen(ctx context.Context, tx pgx.Tx, citizenID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('funding-citizen:' || $1))`, citizenID); err != nil {
		return fmt.Errorf("lock citizen: %w", err)
	}
	return nil
}

// recordSVU keeps the SVU weeks an approved plan with SVU uses (from the svu.weeks_left rule's facts).
func (s *Service) recordSVU(ctx context.Context, tx pgx.Tx, r decide.Record) error {
	if r.Outcome != rules.DecisionApproved || r.Plan.AllowanceScheme != rules.SchemeSVU {
		return nil
	}
	var rulesOfSVU []decide.Rule
	if r.Scheme == rules.SchemeSVU {
		rulesOfSVU = r.Rules
	} else {
		// SVU came into the plan as the allowance next to the preferred scheme: evaluate it again.
		f, err := decide.Facts(r.Request)
		if err != nil {
			return err
		}
		rulesOfSVU = decide.Answer(rules.Evaluate(rules.SchemeSVU, f, s.Rates)).Rules
	}
	for _, rule := range rulesOfSVU {
		if rule.ID != "svu.weeks_left" {
			continue
		}
		level, _ := rule.Facts["usage_key"].(string)
		weeksPaid, _ := toFloat(rule.Facts["weeks_paid"])
		hours, _ := toFloat(rule.Facts["hours_paid_per_week"])
		if level == "" || weeksPaid <= 0 {
			return nil
		}
		return s.Store.RecordSVU(ctx, tx, r, level, weeksPaid*hours/37)
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// hold reserves what an approved decision's plan draws on, all or nothing (a savepoint). When a pool
// or cap has no room, the decision becomes a rejection that says so.
func (s *Service) hold(ctx context.Context, tx pgx.Tx, r *decide.Record) error {
	if r.Outcome != rules.DecisionApproved || (len(r.Plan.Budgets) == 0 && len(r.Plan.Caps) == 0) {
		return nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err = func() error {
		for _, b := range r.Plan.Budgets {
			if b.Owner == "" {
				nameEN, nameDA := rules.SchemeNames(b.Scheme)
				return &store.NoRoom{EN: "no budget is known for " + nameEN, DA: "der kendes intet budget for " + nameDA}
			}
			if err := s.Store.ReservePool(ctx, sp, store.Reservation{DecisionID: r.ID, EnrolmentID: r.EnrolmentID,
				Scheme: b.Scheme, Owner: b.Owner, Year: b.Year, AmountDKK: b.AmountDKK}); err != nil {
				return err
			}
		}
		for _, c := range r.Plan.Caps {
			if err := s.Store.ReserveCap(ctx, sp, store.Reservation{DecisionID: r.ID, EnrolmentID: r.EnrolmentID,
				Scheme: c.Scheme, CitizenID: r.CitizenID, Period: c.Period, StartsOn: c.StartsOn, LimitDKK: c.LimitDKK, AmountDKK: c.AmountDKK}); err != nil {
				return err
			}
		}
		return nil
	}()
	if room := (*store.NoRoom)(nil); errors.As(err, &room) {
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return fmt.Errorf("rollback savepoint: %w", rbErr)
		}
		r.NoBudget(r.Scheme, room.EN, room.DA)
		return nil
	}
	if err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	return sp.Commit(ctx)
}

// Routes are how funding's consumer of registration's events applies each type, once, in the
// transaction that records it in the inbox (stream.Handle). A profile that changed wakes the timers
// when its transaction has committed, so they evaluate what the citizen can get funded.
func (s *Service) Routes() []stream.Route {
	profile := stream.Handle(s.OnProfile, events.TypeProfileUpdated)
	profile.Applied = func(events.Envelope, events.ProfileUpdated) { s.timers.Wake() }
	enrolment := stream.Handle(s.OnEnrolment, events.EnrolmentTypes...)
	enrolment.Skip = skipsFunding
	return []stream.Route{
		profile,
		stream.Handle(s.OnCourse, events.TypeCourseUpdated),
		stream.Handle(s.OnDataRequest, events.TypeDataRequestRequested),
		stream.Handle(s.OnRequested, events.TypeEnrolmentRequested),
		enrolment, // the other enrolment events
	}
}

// OnRequested decides an enrolment request once; a redelivered event changes nothing, and neither
// does a request that arrives after its enrolment's cancellation (events from other instances or
// redeliveries can overtake it): nothing is reserved for an enrolment that is over.
func (s *Service) OnRequested(ctx context.Context, tx pgx.Tx, _ events.Envelope, en events.Enrolment) error {
	id, err := uuid.Parse(en.EnrolmentID)
	if err != nil {
		return fmt.Errorf("%w: enrolment_id", events.ErrMalformed)
	}
	if err := lockCitizen(ctx, tx, en.CitizenID); err != nil {
		return err
	}
	// A request that arrives after the citizen's erasure (registration cancelled it) is not decided.
	if erased, err := s.erased(ctx, tx, en.CitizenID); err != nil || erased {
		return err
	}
	if ended, err := s.Store.Ended(ctx, tx, id); err != nil || ended {
		return err
	}
	if en.ReferralID != "" {
		return s.approveReferred(ctx, tx, en)
	}
	u, err := s.usage(ctx, tx, en.CitizenID, en.Course.StartsOn)
	if err != nil {
		return err
	}
	rec, err := decide.Enrolment(en, s.Rates, s.Now(), u)
	if err != nil {
		return err
	}
	if err := s.hold(ctx, tx, &rec); err != nil {
		return err
	}
	if err := s.recordSVU(ctx, tx, rec); err != nil {
		return err
	}
	if err := s.askEmployer(ctx, tx, &rec); err != nil {
		return err
	}
	// A second request for an enrolment that has a decision changes nothing; the savepoint's
	// reservations roll back with the transaction.
	inserted, err := s.Store.Insert(ctx, tx, rec)
	if err == nil && !inserted {
		return stream.ErrRollback
	}
	if err != nil || !usesCap(rec) {
		return err
	}
	return s.Store.MarkFundedStale(ctx, tx, en.CitizenID) // what is left under the cap changed
}

// OnEnrolment applies an enrolment event other than a request, once: a cancelled or rejected
// enrolment releases what its decision holds; a completed or withdrawn one is paid out pro rata by
// attended hours. Every change to an enrolment a referral led to is kept on the referral.
func (s *Service) OnEnrolment(ctx context.Context, tx pgx.Tx, e events.Envelope, en events.Enrolment) error {
	id, err := uuid.Parse(en.EnrolmentID)
	if err != nil {
		return fmt.Errorf("%w: enrolment_id", events.ErrMalformed)
	}
	// Under the citizen's lock, like every decision: a request being decided meanwhile either
	// commits first (and is released here) or sees that the enrolment is over.
	if err := lockCitizen(ctx, tx, en.CitizenID); err != nil {
		return err
	}
	if affectsFunding(e.Type) {
		if err := s.Store.EndEnrolment(ctx, tx, id, en.Status, en.Version); err != nil {
			return err
		}
		if err := s.withdrawCommitment(ctx, tx, id, "the enrolment was "+en.Status); err != nil {
			return err
		}
	}
	switch e.Type {
	case events.TypeEnrolmentCancelled, events.TypeEnrolmentRejected:
		if err := s.Store.Release(ctx, tx, id); err != nil {
			return err
		}
		if err := s.Store.CancelRefunds(ctx, tx, id, "the enrolment was "+en.Status); err != nil {
			return err
		}
	case events.TypeEnrolmentCompleted, events.TypeEnrolmentWithdrawn:
		share := 0.0
		if en.PlannedHours > 0 {
			share = en.AttendedHours / en.PlannedHours
		}
		if err := s.Store.PayReservations(ctx, tx, id, share); err != nil {
			return err
		}
		// The employer's refund for the same share of the hours, paid out by PayRefunds.
		if err := s.Store.RefundsDue(ctx, tx, id, en.AttendedHours, en.PlannedHours, s.Now().UTC()); err != nil {
			return err
		}
	}
	if affectsFunding(e.Type) {
		if err := s.staleIfCapped(ctx, tx, id, en.CitizenID); err != nil {
			return err
		}
	}
	if en.ReferralID == "" {
		return nil
	}
	refID, err := uuid.Parse(en.ReferralID)
	if err != nil {
		return fmt.Errorf("%w: referral_id", events.ErrMalformed)
	}
	if affectsFunding(e.Type) {
		// A referral's money moves to its enrolment when funding sees the request; if the
		// enrolment ended first (the events overtook each other, or registration could hold
		// nothing for the referral and ended it at once), it goes back now, whether the
		// referral is still open (it can no longer be accepted) or accepted already.
		r, err := s.Store.LockReferral(ctx, tx, refID)
		if err != nil && !errors.Is(err, pgdb.ErrNotFound) {
			return err
		}
		if err == nil && (r.Status == "accepted" || r.Status == "open") {
			if err := s.Store.ReleaseReservations(ctx, tx, refID); err != nil {
				return err
			}
		}
	}
	status := en.Status
	if e.Type == events.TypeEnrolmentAccepted {
		status = "accepted_by_institution"
	}
	return s.Store.TrackEnrolment(ctx, tx, refID, id, status, en.Cause)
}

// affectsFunding reports whether an enrolment event of type t changes what its decision holds.
func affectsFunding(t string) bool {
	switch t {
	case events.TypeEnrolmentCancelled, events.TypeEnrolmentRejected, events.TypeEnrolmentCompleted, events.TypeEnrolmentWithdrawn:
		return true
	}
	return false
}

// skipsFunding reports an enrolment event that changes nothing here, so nothing is recorded either
// (most are confirmations). One with a malformed enrolment id goes on to OnEnrolment, which parks it.
func skipsFunding(e events.Envelope, en events.Enrolment) bool {
	_, err := uuid.Parse(en.EnrolmentID)
	return err == nil && !affectsFunding(e.Type) && en.ReferralID == ""
}

// OnProfile keeps funding's copy of the citizen and evaluates their open decisions again. What they
// can get funded is evaluated by the timers, woken at once (RefreshStaleFunded): evaluating every
// open run is the costly part, and in its own transaction it never holds up the decisions behind
// the profile in the stream.
func (s *Service) OnProfile(ctx context.Context, tx pgx.Tx, _ events.Envelope, p events.ProfileUpdated) error {
	newer, err := s.Store.SaveCitizen(ctx, tx, p)
	if err != nil || !newer {
		return err
	}
	if err := lockCitizen(ctx, tx, p.CitizenID); err != nil {
		return err
	}
	open, err := s.Store.OpenForCitizen(ctx, tx, p.CitizenID)
	if err != nil {
		return err
	}
	for _, old := range open {
		req := old.Request
		req.Profile = p.Facts
		u, err := s.usage(ctx, tx, old.CitizenID, req.Course.StartsOn)
		if err != nil {
			return err
		}
		rec, err := decide.Enrolment(req, s.Rates, s.Now(), u)
		if err != nil {
			return err
		}
		rec.ID, rec.Review = old.ID, old.Review
		if rec.Outcome == old.Outcome && rec.Plan.EmployerCVR == old.Plan.EmployerCVR {
			continue
		}
		if old.Outcome == rules.DecisionEmployerRequired {
			if err := s.withdrawCommitment(ctx, tx, old.EnrolmentID, "the citizen's profile changed"); err != nil {
				return err
			}
		}
		if err := s.askEmployer(ctx, tx, &rec); err != nil {
			return err
		}
		if rec.Outcome != rules.DecisionReviewRequired {
			rec.Review = &decide.Review{Status: "decided", Reason: "evaluated again after the profile changed"}
		}
		if err := s.hold(ctx, tx, &rec); err != nil {
			return err
		}
		if err := s.recordSVU(ctx, tx, rec); err != nil {
			return err
		}
		if err := s.Store.Update(ctx, tx, rec, "profile_changed", "the citizen's profile changed"); err != nil {
			return err
		}
	}
	return s.Store.MarkFundedStale(ctx, tx, p.CitizenID)
}

// OnCourse keeps funding's copy of a course run and what each citizen can get funded on it.
func (s *Service) OnCourse(ctx context.Context, tx pgx.Tx, _ events.Envelope, c events.CourseUpdated) error {
	newer, first, err := s.Store.SaveCourse(ctx, tx, c)
	if err != nil || !newer || (first && !fundable(c.Course, s.Now())) {
		return err // a new run nobody can get funded changes no one's list
	}
	return s.refreshCourse(ctx, tx, c.Course)
}

// Review is a caseworker's decision on an open review.
type Review struct {
	DecisionID   uuid.UUID
	Approve      bool
	Reason       string
	Caseworker   string
	Municipality string // "" for an administrator
}

// DecideReview applies a caseworker's decision: an approval reserves the plan's budgets (a pool
// without room is a conflict the caseworker sees), and the outcome flows to registration.
func (s *Service) DecideReview(ctx context.Context, rv Review) (decide.Record, error) {
	var rec decide.Record
	err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
		var err error
		if rec, err = s.Store.Lock(ctx, tx, rv.DecisionID); err != nil {
			return err
		}
		if err := lockCitizen(ctx, tx, rec.CitizenID); err != nil {
			return err
		}
		if rv.Municipality != "" && rec.Municipality != rv.Municipality {
			return pgdb.ErrNotFound
		}
		if rec.Review == nil || rec.Review.Status != "open" || rec.Status != "active" {
			return fault.New(fault.Conflict, "this decision is not waiting for a review")
		}
		now := s.Now().UTC()
		rec.Review = &decide.Review{Status: "decided", ReviewedBy: rv.Caseworker, Reason: rv.Reason, ReviewedAt: &now}
		rec.DecidedAt = now
		if !rv.Approve {
			rec.Outcome = rules.DecisionRejected
			rec.Amounts = decide.Amounts{CitizenPaysDKK: rec.Request.Course.FeeDKK}
			rec.Rules = append(rec.Rules, caseworkerRule(rec.Scheme, false, rv.Reason))
			return s.Store.Update(ctx, tx, rec, "caseworker", rv.Reason)
		}
		rec.Outcome = rules.DecisionApproved
		rec.Rules = append(rec.Rules, caseworkerRule(rec.Scheme, true, rv.Reason))
		if err := s.hold(ctx, tx, &rec); err != nil {
			return err
		}
		if rec.Outcome != rules.DecisionApproved {
			return fault.New(fault.Conflict, "the budget has no room for this approval")
		}
		if err := s.recordSVU(ctx, tx, rec); err != nil {
			return err
		}
		if err := s.Store.Update(ctx, tx, rec, "caseworker", rv.Reason); err != nil || !usesCap(rec) {
			return err
		}
		return s.Store.MarkFundedStale(ctx, tx, rec.CitizenID)
	})
	return rec, err
}

func caseworkerRule(scheme string, approved bool, reason string) decide.Rule {
	outcome, en, da := rules.OutcomeMet, "A caseworker approved the application", "En sagsbehandler godkendte ansøgningen"
	if !approved {
		outcome, en, da = rules.OutcomeNotMet, "A caseworker rejected the application", "En sagsbehandler afviste ansøgningen"
	}
	return decide.Rule{ID: scheme + ".caseworker_review", Scheme: scheme, Outcome: string(outcome),
		Reference:   "Kommunens afgørelse (lov om en aktiv beskæftigelsesindsats); begrundelse gives efter forvaltningsloven § 22",
		Explanation: en + ": " + reason, ExplanationDA: da + ": " + reason, Facts: map[string]any{"reason": reason}}
}

// Eligibility evaluates every scheme the course run lists for the citizen, today. It writes nothing.
func (s *Service) Eligibility(ctx context.Context, c store.Citizen, course events.CourseFacts) ([]decide.SchemeAnswer, rules.Date, error) {
	u, err := s.usage(ctx, s.DB, c.ID, course.StartsOn)
	if err != nil {
		return nil, rules.Date{}, err
	}
	out, err := s.answers(c, course, u)
	return out, rules.DateOf(s.Now()), err
}

// answers evaluates every scheme the run lists for the citizen today, with their use u of capped schemes.
func (s *Service) answers(c store.Citizen, course events.CourseFacts, u rules.Usage) ([]decide.SchemeAnswer, error) {
	req := events.Enrolment{EnrolmentID: uuid.Nil.String(), CitizenID: c.ID, Course: course, Profile: c.Facts}
	f, err := decide.Facts(req)
	if err != nil {
		return nil, err
	}
	f.Today, f.Usage = rules.DateOf(s.Now()), u
	var out []decide.SchemeAnswer
	for _, scheme := range course.Schemes {
		out = append(out, decide.Answer(rules.Evaluate(scheme, f, s.Rates)))
	}
	return out, nil
}

// OnDataRequest answers a citizen's data request once: an export with funding's section, sealed to the
// request's key, or an erasure with what was deleted and what is kept and why. Open referrals are
// withdrawn first, so their money goes back to the budgets.
func (s *Service) OnDataRequest(ctx context.Context, tx pgx.Tx, _ events.Envelope, req events.DataRequest) error {
	if err := datarequest.Check(req); err != nil {
		return err
	}
	if err := lockCitizen(ctx, tx, req.CitizenID); err != nil {
		return err
	}
	if req.Kind == events.DataExport {
		section, err := s.Store.ExportSection(ctx, tx, req.CitizenID)
		if err != nil {
			return err
		}
		answers, err := datarequest.ExportAnswers(store.Source, service, s.Now(), req, section)
		if err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, answers...)
	}
	if err := s.withdrawForErasure(ctx, tx, req.CitizenID); err != nil {
		return err
	}
	report, err := s.Store.Erase(ctx, tx, req.CitizenID)
	if err != nil {
		return err
	}
	answer, err := datarequest.ErasureAnswer(store.Source, service, s.Now(), req, report)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, answer)
}

// service is funding's name as a participant in data requests.
const service = "funding"

// withdrawForErasure withdraws the citizen's referrals that have not led to a course under way and
// gives back what they hold.
func (s *Service) withdrawForErasure(ctx context.Context, tx pgx.Tx, citizenID string) error {
	list, err := s.Store.Referrals(ctx, store.ReferralFilter{CitizenID: citizenID})
	if err != nil {
		return err
	}
	for _, listed := range list {
		r, err := s.Store.LockReferral(ctx, tx, listed.ID)
		if err != nil {
			return err
		}
		if r.Status != "open" && (r.Status != "accepted" || r.EnrolmentStatus == "confirmed" || r.EnrolmentStatus == "started" ||
			r.EnrolmentStatus == "completed") {
			continue
		}
		if err := s.Store.ReleaseReservations(ctx, tx, r.ID); err != nil {
			return err
		}
		if err := s.Store.SetReferralStatus(ctx, tx, &r, "withdrawn", store.Actor{Role: "system"},
			"the citizen's data was erased at their request"); err != nil {
			return err
		}
	}
	return nil
}

// erased reports whether the citizen's data was erased: nothing new is decided or kept for them.
func (s *Service) erased(ctx context.Context, tx pgx.Tx, citizenID string) (bool, error) {
	return s.Store.Ring.Erased(ctx, tx, citizenID)
}
