// Package store is funding's Postgres adapter: decisions, written with their events in one
// transaction.
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
}

var outcomeEvents = map[string][2]string{
	"approved":        {events.TypeFundingApproved, events.SubjectFundingApproved},
	"rejected":        {events.TypeFundingRejected, events.SubjectFundingRejected},
	"review_required": {events.TypeFundingReview, events.SubjectFundingReview},
}

// Save stores a decision and announces it. An enrolment already decided keeps its first decision
// (a redelivered or repeated request changes nothing).
func (s *Store) Save(ctx context.Context, tx pgx.Tx, r decide.Record) error {
	rulesJSON, err := json.Marshal(r.Rules)
	if err != nil {
		return err
	}
	alts, err := json.Marshal(r.Alternatives)
	if err != nil {
		return err
	}
	rate, err := json.Marshal(r.RateYear)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO decisions (id, enrolment_id, enrolment_version, citizen_id, course_id, preference,
			outcome, scheme, fee_covered_dkk, citizen_pays_dkk, weekly_allowance_dkk, total_dkk, rules, alternatives,
			rates_version, rate_year, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (enrolment_id) DO NOTHING`,
		r.ID, r.EnrolmentID, r.EnrolmentVersion, r.CitizenID, r.CourseID, r.Preference, r.Outcome, r.Scheme,
		r.Amounts.FeeCoveredDKK, r.Amounts.CitizenPaysDKK, r.Amounts.WeeklyAllowanceDKK, r.Amounts.TotalDKK,
		rulesJSON, alts, r.RatesVersion, rate, r.DecidedAt)
	if err != nil {
		return fmt.Errorf("insert decision: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
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

// Release marks the enrolment's decision released (the enrolment was cancelled or rejected), so
// whatever it reserved is free again.
func (s *Store) Release(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID) error {
	_, err := tx.Exec(ctx, `UPDATE decisions SET status = 'released', released_at = now()
		WHERE enrolment_id = $1 AND status = 'active'`, enrolmentID)
	if err != nil {
		return fmt.Errorf("release decision: %w", err)
	}
	return nil
}

// Get returns the decision for an enrolment.
func (s *Store) Get(ctx context.Context, enrolmentID uuid.UUID) (decide.Record, error) {
	var r decide.Record
	var rulesJSON, alts, rate []byte
	err := s.Pool.QueryRow(ctx, `SELECT id, enrolment_id, enrolment_version, citizen_id, course_id, preference, outcome,
			scheme, fee_covered_dkk, citizen_pays_dkk, weekly_allowance_dkk, total_dkk, rules, alternatives,
			rates_version, rate_year, status, decided_at
		FROM decisions WHERE enrolment_id = $1`, enrolmentID).Scan(&r.ID, &r.EnrolmentID, &r.EnrolmentVersion,
		&r.CitizenID, &r.CourseID, &r.Preference, &r.Outcome, &r.Scheme, &r.Amounts.FeeCoveredDKK,
		&r.Amounts.CitizenPaysDKK, &r.Amounts.WeeklyAllowanceDKK, &r.Amounts.TotalDKK, &rulesJSON, &alts,
		&r.RatesVersion, &rate, &r.Status, &r.DecidedAt)
	if err != nil {
		return decide.Record{}, fmt.Errorf("get decision: %w", pgdb.Translate(err))
	}
	for _, x := range []struct {
		raw []byte
		v   any
	}{{rulesJSON, &r.Rules}, {alts, &r.Alternatives}, {rate, &r.RateYear}} {
		if err := json.Unmarshal(x.raw, x.v); err != nil {
			return decide.Record{}, fmt.Errorf("decode decision: %w", err)
		}
	}
	return r, nil
}
