package decisions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// ReferralSchemes are the schemes a municipality refers with.
var ReferralSchemes = []string{rules.SchemeJobrettetUddannelse, rules.SchemeRegionalPulje, rules.SchemeMunicipality}

// NewReferral is what a caseworker asks for.
type NewReferral struct {
	Citizen      store.Citizen
	CPRMasked    string // the client's CPR number as the caseworker gave it, masked
	Course       events.CourseFacts
	Scheme       string
	Reason       string
	ValidUntil   rules.Date
	Caseworker   string
	Municipality string
	// IdempotencyKey, when set, makes a repeat of the request (same caseworker, key and RequestHash)
	// answer the referral the first one made instead of making another.
	IdempotencyKey string
	RequestHash    []byte
}

// BudgetRefusal is the field a refused referral's problem names (errors[].field) when the scheme's
// budget has no room for it: the code the portal tells this refusal by.
const BudgetRefusal = "budget"

// CreateReferral checks the funding at once and reserves it: a referral whose funding is not
// possible is refused with the reasons; otherwise it is stored, open, and announced (registration
// holds a seat, notification tells the citizen). A repeat with the same idempotency key returns the
// referral the first request made, as it is now.
func (s *Service) CreateReferral(ctx context.Context, n NewReferral) (store.Referral, error) {
	v := &fault.ValidationError{}
	if n.Course.Status == "cancelled" {
		v.Add("course_id", "the course run is cancelled")
	}
	if !slices.Contains(ReferralSchemes, n.Scheme) {
		v.Add("funding", "a referral is funded by jobrettet_uddannelse, regional_pulje or municipality")
	}
	if !slices.Contains(n.Course.Schemes, n.Scheme) {
		v.Add("funding", "the course run does not list %s", n.Scheme)
	}
	today := rules.DateOf(s.Now())
	start, _ := rules.ParseDate(n.Course.StartsOn)
	if n.ValidUntil.Before(today) || !n.ValidUntil.Before(start) {
		v.Add("valid_until", "must be from today to the day before the run starts (%s)", n.Course.StartsOn)
	}
	if err := v.Err(); err != nil {
		return store.Referral{}, err
	}
	ref := store.Referral{ID: uuid.New(), Status: "open", CourseID: uuid.MustParse(n.Course.ID), Funding: n.Scheme,
		ValidUntil: n.ValidUntil.String(), Reason: n.Reason, Municipality: n.Municipality, CaseworkerID: n.Caseworker,
		CitizenID: n.Citizen.ID, Course: n.Course, CreatedAt: s.Now().UTC(), Client: &store.Client{Name: n.Citizen.Name, CPR: n.CPRMasked}}
	err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
		if n.IdempotencyKey != "" {
			stored, err := idempotency.Claim(ctx, tx, n.Caseworker, n.IdempotencyKey, n.RequestHash)
			if err != nil {
				return err
			}
			if stored != nil { // a repeat: the referral the first request made
				return json.Unmarshal(stored.Body, &ref.ID)
			}
		}
		if err := lockCitizen(ctx, tx, n.Citizen.ID); err != nil {
			return err
		}
		// One live referral per citizen and run: a second (a retried bulk referral, which has no
		// Idempotency-Key per client) would reserve the money twice for one seat.
		if live, ok, err := s.Store.LiveReferral(ctx, tx, n.Citizen.ID, ref.CourseID); err != nil {
			return err
		} else if ok {
			return fault.Newf(fault.Conflict, "the citizen already has a live referral to this course run (referral %s); withdraw it first to refer again",
				live)
		}
		req := events.Enrolment{EnrolmentID: ref.ID.String(), CitizenID: n.Citizen.ID, Course: n.Course, Profile: n.Citizen.Facts,
			FundingPreference: n.Scheme}
		f, err := decide.Facts(req)
		if err != nil {
			return err
		}
		f.Today = today
		if f.Usage, err = s.usage(ctx, tx, n.Citizen.ID, n.Course.StartsOn); err != nil {
			return err
		}
		res := rules.Evaluate(n.Scheme, f, s.Rates)
		ref.Evaluation = decide.Answer(res)
		if res.Outcome == rules.SchemeNotEligible {
			refused := &fault.ValidationError{}
			for _, r := range res.Rules {
				if r.Outcome == rules.OutcomeNotMet {
					refused.Add("funding", "%s", r.Explanation)
				}
			}
			return fault.Wrap(fault.Unprocessable, "the funding is not possible for this citizen and run", refused)
		}
		holder := decide.Record{ID: ref.ID, EnrolmentID: ref.ID, CitizenID: n.Citizen.ID, Outcome: rules.DecisionApproved,
			Scheme: n.Scheme, Request: req}
		if res.Budget != nil {
			holder.Plan.Budgets = []rules.BudgetNeed{*res.Budget}
		}
		if res.CitizenCap != nil {
			holder.Plan.Caps = []rules.CapNeed{*res.CitizenCap}
		}
		if err := s.hold(ctx, tx, &holder); err != nil {
			return err
		}
		if holder.Outcome != rules.DecisionApproved {
			return fault.Wrap(fault.Unprocessable, "the budget for "+n.Scheme+" has no room for this referral", fault.InvalidField(BudgetRefusal, "no room in the %s budget", n.Scheme))
		}
		if err := s.Store.InsertReferral(ctx, tx, ref, store.Actor{Role: "caseworker", ID: n.Caseworker}); err != nil {
			return err
		}
		if n.IdempotencyKey == "" {
			return nil
		}
		id, err := json.Marshal(ref.ID)
		if err != nil {
			return err
		}
		return idempotency.Complete(ctx, tx, n.Caseworker, n.IdempotencyKey, http.StatusCreated, id)
	})
	if err != nil {
		return store.Referral{}, err
	}
	return s.Store.GetReferral(ctx, ref.ID)
}

// Answer is a citizen's or caseworker's action on a referral.
type Answer struct {
	ReferralID   uuid.UUID
	Action       string // accept, decline (citizen) or withdraw (caseworker)
	Actor        store.Actor
	CitizenID    string // the citizen's own referral
	Municipality string // the caseworker's municipality
	Reason       string
}

// AnswerReferral applies the action. Declining or withdrawing gives back the money the referral
// held; registration releases the seat when it sees the event.
func (s *Service) AnswerReferral(ctx context.Context, a Answer) (store.Referral, error) {
	err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
		r, err := s.Store.LockReferral(ctx, tx, a.ReferralID)
		if err != nil {
			return err
		}
		if (a.CitizenID != "" && r.CitizenID != a.CitizenID) || (a.Municipality != "" && r.Municipality != a.Municipality) {
			return pgdb.ErrNotFound
		}
		switch {
		case a.Action == "accept" && r.Status == "open":
			if until, _ := rules.ParseDate(r.ValidUntil); until.Before(rules.DateOf(s.Now())) {
				return fault.Newf(fault.Conflict, "the referral was valid until %s", r.ValidUntil)
			}
			// An accepted referral keeps its money until its enrolment ends; one whose seat is already
			// gone would keep it for good. (If the end is still on its way, it gives the money back.)
			if slices.Contains([]string{"cancelled", "rejected", "withdrawn", "completed"}, r.EnrolmentStatus) {
				return fault.Newf(fault.Conflict, "the seat held for this referral was %s", r.EnrolmentStatus)
			}
			return s.Store.SetReferralStatus(ctx, tx, &r, "accepted", a.Actor, a.Reason)
		case a.Action == "decline" && r.Status == "open",
			a.Action == "withdraw" && (r.Status == "open" || (r.Status == "accepted" && r.EnrolmentStatus != "confirmed" &&
				r.EnrolmentStatus != "started" && r.EnrolmentStatus != "completed")):
			if err := s.Store.ReleaseReservations(ctx, tx, r.ID); err != nil {
				return err
			}
			status := map[string]string{"decline": "declined", "withdraw": "withdrawn"}[a.Action]
			return s.Store.SetReferralStatus(ctx, tx, &r, status, a.Actor, a.Reason)
		}
		return fault.Newf(fault.Conflict, "a referral that is %s cannot be %sed", r.Status, a.Action)
	})
	if err != nil {
		return store.Referral{}, err
	}
	return s.Store.GetReferral(ctx, a.ReferralID)
}

// ExpireReferrals ends open referrals whose answer date has passed, and accepted ones whose run
// started before a seat came free for them, and gives back what they held (registration cancels
// the enrolment that waited when it sees the expiry).
func (s *Service) ExpireReferrals(ctx context.Context) (int, error) {
	today := rules.DateOf(s.Now())
	ids, err := s.Store.DueReferrals(ctx, today.String())
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
			r, err := s.Store.LockReferral(ctx, tx, id)
			if err != nil {
				return err
			}
			var note string
			switch start, _ := rules.ParseDate(r.Course.StartsOn); {
			case r.Status == "open":
				note = "the citizen did not answer by " + r.ValidUntil
			case r.Status == "accepted" && !today.Before(start):
				note = "the course run started on " + r.Course.StartsOn + " before a seat came free for the referral"
			default:
				return nil // answered meanwhile
			}
			if err := s.Store.ReleaseReservations(ctx, tx, r.ID); err != nil {
				return err
			}
			return s.Store.SetReferralStatus(ctx, tx, &r, "expired", store.Actor{Role: "system"}, note)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// RunTimers expires referrals, reminds companies of their requests and answers for those that did
// not, pays out due refunds, evaluates the funded courses marked stale (also at once when a changed
// profile wakes it, s.timers), and once a day every citizen's, every interval until ctx is done; a failure
// is reported and tried again at the next tick.
func (s *Service) RunTimers(ctx context.Context, interval time.Duration, report func(error)) error {
	var tick time.Time // when every timer runs next
	return s.timers.Loop(ctx, func(ctx context.Context) (time.Duration, error) {
		if time.Now().Before(tick) { // woken: a profile changed, its funded courses now, the rest at the tick
			if _, err := s.RefreshStaleFunded(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
			return max(time.Until(tick), 0), nil
		}
		for _, timer := range []func(context.Context) (int, error){s.ExpireReferrals, s.RemindCommitments, s.ExpireCommitments,
			s.PayRefunds, s.RefreshStaleFunded, s.RefreshFundedDaily} {
			if _, err := timer(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
		}
		tick = time.Now().Add(interval)
		return interval, nil
	})
}

// approveReferred decides an enrolment a referral led to: approved with the referral's funding,
// taking over what the referral reserved.
func (s *Service) approveReferred(ctx context.Context, tx pgx.Tx, en events.Enrolment) error {
	refID, err := uuid.Parse(en.ReferralID)
	if err != nil {
		return fmt.Errorf("%w: referral_id", events.ErrMalformed)
	}
	r, err := s.Store.LockReferral(ctx, tx, refID)
	if errors.Is(err, pgdb.ErrNotFound) {
		return fmt.Errorf("%w: unknown referral %s", events.ErrMalformed, refID)
	} else if err != nil {
		return err
	}
	enrolmentID, err := uuid.Parse(en.EnrolmentID)
	if err != nil {
		return fmt.Errorf("%w: enrolment_id", events.ErrMalformed)
	}
	referred := decide.Rule{ID: r.Funding + ".referral", Scheme: r.Funding, Outcome: string(rules.OutcomeMet),
		Reference:     "Kommunens henvisning (lov om en aktiv beskæftigelsesindsats)",
		Explanation:   "The municipality referred you to this course and pays as stated: " + r.Reason,
		ExplanationDA: "Kommunen har henvist dig til kurset og betaler som angivet: " + r.Reason,
		Facts:         map[string]any{"referral_id": r.ID.String(), "caseworker_id": r.CaseworkerID}}
	rec := decide.Record{ID: uuid.New(), EnrolmentID: enrolmentID, EnrolmentVersion: en.Version, CitizenID: en.CitizenID,
		CourseID: r.CourseID, Preference: r.Funding, Outcome: rules.DecisionApproved, Scheme: r.Funding,
		Amounts: r.Evaluation.Amounts, Rules: append(r.Evaluation.Rules, referred),
		Alternatives: []decide.Alternative{}, RatesVersion: s.Rates.Version, Status: "active", DecidedAt: s.Now().UTC(),
		Municipality: r.Municipality, Request: en}
	if r.Status != "accepted" && r.Status != "open" {
		rec.Outcome = rules.DecisionRejected
		rec.Rules = append(rec.Rules, decide.Rule{ID: r.Funding + ".referral_open", Scheme: r.Funding, Outcome: string(rules.OutcomeNotMet),
			Reference: "Kommunens henvisning", Explanation: "The referral is " + r.Status + ".", ExplanationDA: "Henvisningen er " + r.Status + "."})
	} else if err := s.Store.TransferReservations(ctx, tx, r.ID, enrolmentID, rec.ID); err != nil {
		return err
	}
	if _, err := s.Store.Insert(ctx, tx, rec); err != nil {
		return err
	}
	return s.Store.TrackEnrolment(ctx, tx, r.ID, enrolmentID, "pending", "system")
}
