package decisions

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// "Funded for me": funding keeps, for every citizen, the open runs a scheme other than paying
// themselves funds, as Eligibility answers them, and publishes the citizen's list when it changes.
// It evaluates a citizen against every open run when their facts change (at once, woken by the
// profile: RefreshStaleFunded in the timer loop, so the consumer is never held up by it), soon after
// a decision changes their use of a capped scheme (the same, at the next tick), and once a day; and a
// run against every citizen when the run changes.

// cappedSchemes count what a citizen used against a cap, so their use changes what else they can get.
var cappedSchemes = []string{rules.SchemeSVU, rules.SchemeOmstillingsfonden, rules.SchemeKompetencefond}

// usesCap reports whether a decision counts against one of the citizen's caps.
func usesCap(r decide.Record) bool {
	return len(r.Plan.Caps) > 0 || slices.Contains(cappedSchemes, r.Scheme) || slices.Contains(cappedSchemes, r.Plan.AllowanceScheme)
}

// usageCache is a citizen's use of capped schemes by course start (the caps count by year and over
// rolling periods), read once per start date; a run that lists no capped scheme needs none.
type usageCache struct {
	s       *Service
	tx      pgx.Tx
	citizen string
	byStart map[string]rules.Usage
}

func (u *usageCache) of(ctx context.Context, course events.CourseFacts) (rules.Usage, error) {
	if !slices.ContainsFunc(course.Schemes, func(s string) bool { return slices.Contains(cappedSchemes, s) }) {
		return rules.Usage{}, nil
	}
	if have, ok := u.byStart[course.StartsOn]; ok {
		return have, nil
	}
	got, err := u.s.usage(ctx, u.tx, u.citizen, course.StartsOn)
	if err != nil {
		return rules.Usage{}, err
	}
	if u.byStart == nil {
		u.byStart = map[string]rules.Usage{}
	}
	u.byStart[course.StartsOn] = got
	return got, nil
}

// fundedSchemes are the schemes other than "self" the citizen is eligible for on the run today.
func (s *Service) fundedSchemes(c store.Citizen, course events.CourseFacts, u rules.Usage) ([]string, error) {
	answers, err := s.answers(c, course, u)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range answers {
		if a.Scheme != rules.SchemeSelf && a.Outcome == string(rules.SchemeEligible) {
			out = append(out, a.Scheme)
		}
	}
	return out, nil
}

// lockFunded orders the evaluations: a run's (refreshCourse) takes it alone, a citizen's
// (refreshCitizen) shared. So a run and a citizen that are new together never miss each other (each
// reads the other after it committed), and a run's change is evaluated for everyone after any citizen's
// evaluation that read its old facts. Take it before writing the citizen's row: a run's evaluation
// holds it and then numbers citizens' lists, so the other order could deadlock.
func lockFunded(ctx context.Context, tx pgx.Tx, alone bool) error {
	lock := `SELECT pg_advisory_xact_lock_shared(hashtext('funding-funded-courses'))`
	if alone {
		lock = `SELECT pg_advisory_xact_lock(hashtext('funding-funded-courses'))`
	}
	if _, err := tx.Exec(ctx, lock); err != nil {
		return fmt.Errorf("lock funded courses: %w", err)
	}
	return nil
}

// refreshCitizen evaluates the citizen against the open runs and publishes their list if it changed.
func (s *Service) refreshCitizen(ctx context.Context, tx pgx.Tx, citizenID string) error {
	if err := lockFunded(ctx, tx, false); err != nil {
		return err
	}
	courses, err := s.Store.OpenCourses(ctx, tx, rules.DateOf(s.Now()).String())
	if err != nil {
		return err
	}
	c, ok, err := s.Store.CitizenTx(ctx, tx, citizenID)
	if err != nil || !ok {
		return err
	}
	usage := &usageCache{s: s, tx: tx, citizen: c.ID}
	funded := map[uuid.UUID][]string{}
	for _, course := range courses {
		id, err := uuid.Parse(course.ID)
		if err != nil {
			continue
		}
		u, err := usage.of(ctx, course)
		if err != nil {
			return err
		}
		schemes, err := s.fundedSchemes(c, course, u)
		if err != nil {
			continue // facts the rules cannot read: nothing is funded on them
		}
		if len(schemes) > 0 {
			funded[id] = schemes
		}
	}
	if err := s.Store.ClearFundedStale(ctx, tx, c.ID); err != nil {
		return err
	}
	changed, err := s.Store.ReplaceFunded(ctx, tx, c.ID, funded)
	if err != nil || !changed {
		return err
	}
	return s.publishFunded(ctx, tx, c.ID)
}

// RefreshFundedDaily evaluates every citizen again once a day (the first instance to claim the day
// does it), for what changes with the date alone: age, a degree's age, a run's start passing. Each
// citizen is evaluated in their own transaction under their lock; it returns how many.
func (s *Service) RefreshFundedDaily(ctx context.Context) (int, error) {
	claimed, err := s.Store.ClaimFundedPass(ctx, rules.DateOf(s.Now()).String())
	if err != nil || !claimed {
		return 0, err
	}
	ids, err := s.Store.CitizenIDs(ctx)
	if err != nil {
		return 0, err
	}
	return s.refreshEach(ctx, ids)
}

// staleIfCapped marks the citizen's funded courses stale when the enrolment's decision counted
// against a cap (it ended, so what is left under the cap changed).
func (s *Service) staleIfCapped(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID, citizenID string) error {
	counted, err := s.Store.CountedAgainstCap(ctx, tx, enrolmentID)
	if err != nil || !counted {
		return err
	}
	return s.Store.MarkFundedStale(ctx, tx, citizenID)
}

// RefreshStaleFunded evaluates the citizens whose funded courses a decision marked stale, each in
// their own transaction under their lock, so a decision's transaction never pays for it; it returns
// how many.
func (s *Service) RefreshStaleFunded(ctx context.Context) (int, error) {
	ids, err := s.Store.StaleFunded(ctx, 500)
	if err != nil {
		return 0, err
	}
	return s.refreshEach(ctx, ids)
}

// refreshEach evaluates each citizen in their own transaction under their lock.
func (s *Service) refreshEach(ctx context.Context, ids []string) (int, error) {
	for i, id := range ids {
		if err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
			if err := lockFunded(ctx, tx, false); err != nil { // before the citizen's lock, as a run's evaluation
				return err
			}
			if err := lockCitizen(ctx, tx, id); err != nil {
				return err
			}
			return s.refreshCitizen(ctx, tx, id)
		}); err != nil {
			return i, fmt.Errorf("evaluate funded courses: %w", err)
		}
	}
	return len(ids), nil
}

// fundable reports whether anyone could get the run funded: it is open, starts after today and lists
// a scheme other than paying yourself.
func fundable(c events.CourseFacts, now time.Time) bool {
	return c.Status != "cancelled" && c.StartsOn > rules.DateOf(now).String() &&
		slices.ContainsFunc(c.Schemes, func(s string) bool { return s != rules.SchemeSelf })
}

// refreshCourse evaluates a run that changed against every citizen and publishes the lists that
// changed.
func (s *Service) refreshCourse(ctx context.Context, tx pgx.Tx, course events.CourseFacts) error {
	if err := lockFunded(ctx, tx, true); err != nil {
		return err
	}
	id, err := uuid.Parse(course.ID)
	if err != nil {
		return fmt.Errorf("%w: course id", events.ErrMalformed)
	}
	funded := map[string][]string{}
	if fundable(course, s.Now()) { // else nobody can get it funded: only the lists that had it change
		citizens, err := s.Store.Citizens(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range citizens {
			u, err := (&usageCache{s: s, tx: tx, citizen: c.ID}).of(ctx, course)
			if err != nil {
				return err
			}
			if schemes, err := s.fundedSchemes(c, course, u); err == nil && len(schemes) > 0 {
				funded[c.ID] = schemes
			}
		}
	}
	changed, err := s.Store.SetCourseFunded(ctx, tx, id, funded)
	if err != nil {
		return err
	}
	for _, citizen := range changed {
		if err := s.publishFunded(ctx, tx, citizen); err != nil {
			return err
		}
	}
	return nil
}

// publishFunded publishes the citizen's funded runs as they are in tx, with the next version.
func (s *Service) publishFunded(ctx context.Context, tx pgx.Tx, citizenID string) error {
	list, err := s.Store.NextFunded(ctx, tx, citizenID)
	if err != nil {
		return err
	}
	env, err := events.New(store.Source, events.TypeFundedCourses, events.SubjectFundedCourses, citizenID, s.Now(), list)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, env)
}
