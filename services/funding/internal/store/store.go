// Package store is funding's Postgres adapter: decisions, written with their events in one
// transaction, the copies of registration's citizens and course runs, and budgets.
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decide"
)

// Source is the CloudEvents source of funding's events.
const Source = "/livslang/funding"

// Store is funding's storage.
type Store struct {
	Pool *pgxpool.Pool
	Now  func() time.Time
	// Ring holds the citizens' data keys: their facts, a decision's rules and request, and a
	// referral's reason and evaluation are sealed with them.
	Ring datakeys.Keyring
	// Retention is how long decisions and referrals are kept.
	Retention Retention
}

// personal is what a decision seals with the citizen's data key: the rules with the facts they used
// and the request with the citizen's facts.
type personal struct {
	Rules   []decide.Rule    `json:"rules"`
	Request events.Enrolment `json:"request"`
}

func decisionAAD(id uuid.UUID) []byte { return []byte("funding.decisions.personal\x00" + id.String()) }

// sealDecision seals a decision's personal part with the citizen's data key.
func (s *Store) sealDecision(ctx context.Context, tx pgx.Tx, r decide.Record) ([]byte, error) {
	key, err := s.Ring.ForWriting(ctx, tx, r.CitizenID)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(personal{Rules: r.Rules, Request: r.Request})
	if err != nil {
		return nil, fmt.Errorf("marshal decision: %w", err)
	}
	return key.Seal(raw, decisionAAD(r.ID))
}

var outcomeEvents = map[string][2]string{
	"approved":          {events.TypeFundingApproved, events.SubjectFundingApproved},
	"rejected":          {events.TypeFundingRejected, events.SubjectFundingRejected},
	"review_required":   {events.TypeFundingReview, events.SubjectFundingReview},
	"employer_required": {events.TypeFundingEmployer, events.SubjectFundingEmployer},
}

func marshal(vs ...any) ([][]byte, error) {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("marshal decision: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

// Insert stores a new decision and announces it. It reports false, changing nothing, when the
// enrolment already has a decision (a redelivered or repeated request).
func (s *Store) Insert(ctx context.Context, tx pgx.Tx, r decide.Record) (bool, error) {
	j, err := marshal([]decide.Rule{}, r.Alternatives, r.RateYear, r.Plan, r.Parameters, struct{}{})
	if err != nil {
		return false, err
	}
	sealed, err := s.sealDecision(ctx, tx, r)
	if err != nil {
		return false, err
	}
	review := ""
	if r.Review != nil {
		review = r.Review.Status
	}
	tag, err := tx.Exec(ctx, `INSERT INTO decisions (id, enrolment_id, enrolment_version, citizen_id, course_id, preference,
			outcome, scheme, fee_covered_dkk, citizen_pays_dkk, weekly_allowance_dkk, total_dkk, rules, alternatives,
			rates_version, rate_year, plan, parameters, facts, municipality, starts_on, review_status, decided_at, personal_sealed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		ON CONFLICT (enrolment_id) DO NOTHING`,
		r.ID, r.EnrolmentID, r.EnrolmentVersion, r.CitizenID, r.CourseID, r.Preference, r.Outcome, r.Scheme,
		r.Amounts.FeeCoveredDKK, r.Amounts.CitizenPaysDKK, r.Amounts.WeeklyAllowanceDKK, r.Amounts.TotalDKK,
		j[0], j[1], r.RatesVersion, j[2], j[3], j[4], j[5], r.Municipality, r.Request.Course.StartsOn, review, r.DecidedAt, sealed)
	if err != nil {
		return false, fmt.Errorf("insert decision: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := s.syncNewRefund(ctx, tx, r); err != nil {
		return false, err
	}
	return true, s.record(ctx, tx, r, "request", "")
}

// Update stores a decision's new outcome (after a review or a re-evaluation) and announces it.
func (s *Store) Update(ctx context.Context, tx pgx.Tx, r decide.Record, cause, reason string) error {
	j, err := marshal([]decide.Rule{}, r.Alternatives, r.Plan, r.Parameters, struct{}{})
	if err != nil {
		return err
	}
	sealed, err := s.sealDecision(ctx, tx, r)
	if err != nil {
		return err
	}
	review, reviewer, reviewReason := "", "", ""
	var reviewedAt *time.Time
	if r.Review != nil {
		review, reviewer, reviewReason, reviewedAt = r.Review.Status, r.Review.ReviewedBy, r.Review.Reason, r.Review.ReviewedAt
	}
	_, err = tx.Exec(ctx, `UPDATE decisions SET outcome = $2, scheme = $3, fee_covered_dkk = $4, citizen_pays_dkk = $5,
			weekly_allowance_dkk = $6, total_dkk = $7, rules = $8, alternatives = $9, plan = $10, parameters = $11,
			facts = $12, review_status = $13, reviewed_by = $14, review_reason = $15, reviewed_at = $16, decided_at = $17,
			personal_sealed = $18
		WHERE id = $1`, r.ID, r.Outcome, r.Scheme, r.Amounts.FeeCoveredDKK, r.Amounts.CitizenPaysDKK,
		r.Amounts.WeeklyAllowanceDKK, r.Amounts.TotalDKK, j[0], j[1], j[2], j[3], j[4], review, reviewer, reviewReason,
		reviewedAt, r.DecidedAt, sealed)
	if err != nil {
		return fmt.Errorf("update decision: %w", err)
	}
	if err := s.syncRefund(ctx, tx, r); err != nil {
		return err
	}
	return s.record(ctx, tx, r, cause, reason)
}

// record appends the decision's outcome to its history and announces it.
func (s *Store) record(ctx context.Context, tx pgx.Tx, r decide.Record, cause, reason string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO decision_history (decision_id, seq, outcome, scheme, cause, reason)
		VALUES ($1, (SELECT count(*) + 1 FROM decision_history WHERE decision_id = $1), $2, $3, $4, $5)`,
		r.ID, r.Outcome, r.Scheme, cause, reason); err != nil {
		return fmt.Errorf("record decision history: %w", err)
	}
	ev := outcomeEvents[r.Outcome]
	env, err := events.New(Source, ev[0], ev[1], r.EnrolmentID.String(), s.Now(), events.FundingDecided{
		DecisionID: r.ID.String(), EnrolmentID: r.EnrolmentID.String(), EnrolmentVersion: r.EnrolmentVersion,
		CitizenID: r.CitizenID, Summary: r.Summary(),
	})
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, env)
}

// EndEnrolment records that registration reported the enrolment over (status, at version), in tx.
func (s *Store) EndEnrolment(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID, status string, version int64) error {
	if _, err := tx.Exec(ctx, `INSERT INTO ended_enrolments (enrolment_id, status, version) VALUES ($1, $2, $3)
		ON CONFLICT (enrolment_id) DO NOTHING`, enrolmentID, status, version); err != nil {
		return fmt.Errorf("record ended enrolment: %w", err)
	}
	return nil
}

// Ended reports whether registration has reported the enrolment over.
func (s *Store) Ended(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID) (bool, error) {
	var ended bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ended_enrolments WHERE enrolment_id = $1)`, enrolmentID).Scan(&ended); err != nil {
		return false, fmt.Errorf("read ended enrolment: %w", err)
	}
	return ended, nil
}

// Release marks the enrolment's decision released (the enrolment was cancelled or rejected) and
// returns what it held to its pools and caps.
func (s *Store) Release(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE decisions SET status = 'released', released_at = now(),
			review_status = CASE WHEN review_status = 'open' THEN 'decided' ELSE review_status END
		WHERE enrolment_id = $1 AND status = 'active'`, enrolmentID); err != nil {
		return fmt.Errorf("release decision: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE svu_usage SET status = 'released' WHERE enrolment_id = $1`, enrolmentID); err != nil {
		return fmt.Errorf("release svu usage: %w", err)
	}
	return s.ReleaseReservations(ctx, tx, enrolmentID)
}

const decisionColumns = `id, enrolment_id, enrolment_version, citizen_id, course_id, preference, outcome,
	scheme, fee_covered_dkk, citizen_pays_dkk, weekly_allowance_dkk, total_dkk, alternatives,
	rates_version, rate_year, plan, parameters, municipality, status, review_status, reviewed_by,
	review_reason, reviewed_at, decided_at, personal_sealed,
	(SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = decisions.citizen_id)`

func (s *Store) scanDecision(row pgx.CollectableRow) (decide.Record, error) {
	var r decide.Record
	var alts, rate, plan, params, sealed, wrapped []byte
	var review, reviewer, reason string
	var reviewedAt *time.Time
	err := row.Scan(&r.ID, &r.EnrolmentID, &r.EnrolmentVersion, &r.CitizenID, &r.CourseID, &r.Preference, &r.Outcome,
		&r.Scheme, &r.Amounts.FeeCoveredDKK, &r.Amounts.CitizenPaysDKK, &r.Amounts.WeeklyAllowanceDKK, &r.Amounts.TotalDKK,
		&alts, &r.RatesVersion, &rate, &plan, &params, &r.Municipality, &r.Status, &review, &reviewer,
		&reason, &reviewedAt, &r.DecidedAt, &sealed, &wrapped)
	if err != nil {
		return decide.Record{}, err
	}
	for _, x := range []struct {
		raw []byte
		v   any
	}{{alts, &r.Alternatives}, {rate, &r.RateYear}, {plan, &r.Plan}, {params, &r.Parameters}} {
		if err := json.Unmarshal(x.raw, x.v); err != nil {
			return decide.Record{}, fmt.Errorf("decode decision: %w", err)
		}
	}
	key, err := s.Ring.Open(r.CitizenID, wrapped)
	if err != nil {
		return decide.Record{}, fmt.Errorf("decision %s: %w", r.ID, err)
	}
	raw, err := key.Open(sealed, decisionAAD(r.ID))
	if err != nil {
		return decide.Record{}, fmt.Errorf("open decision %s: %w", r.ID, err)
	}
	var p personal
	if err := json.Unmarshal(raw, &p); err != nil {
		return decide.Record{}, fmt.Errorf("decode decision: %w", err)
	}
	r.Rules, r.Request = p.Rules, p.Request
	if review != "" {
		r.Review = &decide.Review{Status: review, ReviewedBy: reviewer, Reason: reason, ReviewedAt: reviewedAt}
	}
	return r, nil
}

func (s *Store) decisions(ctx context.Context, q querier, where string, args ...any) ([]decide.Record, error) {
	rows, err := q.Query(ctx, `SELECT `+decisionColumns+` FROM decisions WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query decisions: %w", err)
	}
	list, err := pgx.CollectRows(rows, s.scanDecision)
	if err != nil {
		return nil, fmt.Errorf("query decisions: %w", err)
	}
	return list, nil
}

// CountedAgainstCap reports whether the enrolment's decision holds room under one of the citizen's
// caps (a kompetencefond or Omstillingsfonden reservation, or SVU weeks), without reading the decision.
func (s *Store) CountedAgainstCap(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID) (bool, error) {
	var counted bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reservations WHERE enrolment_id = $1 AND citizen_id IS NOT NULL)
		OR EXISTS (SELECT 1 FROM svu_usage WHERE decision_id IN (SELECT id FROM decisions WHERE enrolment_id = $1))`, enrolmentID).Scan(&counted)
	if err != nil {
		return false, fmt.Errorf("read the enrolment's caps: %w", err)
	}
	return counted, nil
}

// Get returns the decision for an enrolment.
func (s *Store) Get(ctx context.Context, enrolmentID uuid.UUID) (decide.Record, error) {
	list, err := s.decisions(ctx, s.Pool, `enrolment_id = $1`, enrolmentID)
	if err != nil {
		return decide.Record{}, err
	}
	if len(list) == 0 {
		return decide.Record{}, fmt.Errorf("get decision: %w", pgdb.ErrNotFound)
	}
	return list[0], nil
}

// Lock returns a decision by id, locked for an update in tx.
func (s *Store) Lock(ctx context.Context, tx pgx.Tx, id uuid.UUID) (decide.Record, error) {
	list, err := s.decisions(ctx, tx, `id = $1 FOR UPDATE`, id)
	if err != nil {
		return decide.Record{}, err
	}
	if len(list) == 0 {
		return decide.Record{}, fmt.Errorf("lock decision: %w", pgdb.ErrNotFound)
	}
	return list[0], nil
}

// OpenReviews lists decisions waiting for a caseworker, oldest first; municipality "" lists all.
func (s *Store) OpenReviews(ctx context.Context, municipality string) ([]decide.Record, error) {
	return s.decisions(ctx, s.Pool, `review_status = 'open' AND status = 'active' AND ($1 = '' OR municipality = $1)
		ORDER BY decided_at, id LIMIT 500`, municipality)
}

// OpenForCitizen lists the citizen's decisions still waiting for a review or their employer, locked in tx, for a
// re-evaluation after their profile changed.
func (s *Store) OpenForCitizen(ctx context.Context, tx pgx.Tx, citizenID string) ([]decide.Record, error) {
	return s.decisions(ctx, tx, `citizen_id = $1 AND (review_status = 'open' OR outcome = 'employer_required') AND status = 'active'
		AND starts_on > current_date ORDER BY decided_at FOR UPDATE`, citizenID)
}

// Usage is what a citizen has used of the capped schemes in a period.
func (s *Store) Usage(ctx context.Context, q querier, citizenID, scheme, period string) (int64, error) {
	rows, err := q.Query(ctx, `SELECT coalesce(sum(used_dkk), 0) FROM citizen_usage
		WHERE citizen_id = $1 AND scheme = $2 AND period = $3`, citizenID, scheme, period)
	if err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	used, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	return used, nil
}

// SVUWeeksUsed is the SVU a citizen's active decisions use, in weeks of 37 hours, by level.
func (s *Store) SVUWeeksUsed(ctx context.Context, q querier, citizenID string) (map[string]float64, error) {
	rows, err := q.Query(ctx, `SELECT level, sum(weeks)::float8 FROM svu_usage
		WHERE citizen_id = $1 AND status = 'active' GROUP BY level`, citizenID)
	if err != nil {
		return nil, fmt.Errorf("svu usage: %w", err)
	}
	used := map[string]float64{}
	defer rows.Close()
	for rows.Next() {
		var level string
		var weeks float64
		if err := rows.Scan(&level, &weeks); err != nil {
			return nil, fmt.Errorf("svu usage: %w", err)
		}
		used[level] = weeks
	}
	return used, rows.Err()
}

// RecordSVU keeps the SVU weeks an approved decision uses.
func (s *Store) RecordSVU(ctx context.Context, tx pgx.Tx, r decide.Record, level string, weeks float64) error {
	_, err := tx.Exec(ctx, `INSERT INTO svu_usage (decision_id, enrolment_id, citizen_id, level, weeks)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (decision_id) DO UPDATE SET level = EXCLUDED.level, weeks = EXCLUDED.weeks,
		status = 'active'`, r.ID, r.EnrolmentID, r.CitizenID, level, weeks)
	if err != nil {
		return fmt.Errorf("record svu usage: %w", err)
	}
	return nil
}
