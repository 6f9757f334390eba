package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/retention"
	"livslang.dk/services/funding/internal/decide"
)

// Copenhagen is where a financial year begins and ends.
var Copenhagen = mustLocation("Europe/Copenhagen")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// Retention is how long funding keeps decisions and referrals; see docs/configuration.md.
type Retention struct {
	// DecisionYears: a decision that is closed (paid out, or released: rejected, cancelled) and a
	// referral that ended are deleted, with their history, reservations and SVU weeks, this many whole
	// years after the end of the year they were closed (LIVSLANG_FUNDING_RETAIN_DECISION_YEARS,
	// default 5).
	DecisionYears int
	// Audit is the shared LIVSLANG_RETAIN_AUDIT, named in erasure reports.
	Audit retention.Period
}

func (r Retention) years() int {
	if r.DecisionYears <= 0 {
		return 5
	}
	return r.DecisionYears
}

// cutoff is the start of the year before which something closed is past retention at now.
func (r Retention) cutoff(now time.Time) time.Time {
	return time.Date(now.In(Copenhagen).Year()-r.years(), 1, 1, 0, 0, 0, 0, Copenhagen)
}

// Legal bases funding names in its erasure reports.
const (
	decisionBasis = "GDPR art. 17(3)(b) and (e): a decision is the municipality's case record, which you may see and " +
		"appeal (forvaltningsloven § 9 and §§ 22-24) and which must be kept as a record of the case (offentlighedsloven § 15; " +
		"arkivloven); a paid-out decision is also accounting documentation, 5 years from the end of the financial year " +
		"(bogføringsloven, LBK nr. 648 af 15/06/2006, § 10, stk. 1, which the municipal accounting rules follow)"
	auditBasis = "GDPR art. 5(2) and 32 (accountability and security of processing) and art. 17(3)(e): the record of " +
		"who read or changed your data, which you can read yourself"
)

// Section is funding's part of a citizen's export.
type Section struct {
	Service      string               `json:"service"`
	Name         string               `json:"name,omitempty"`
	Facts        *events.ProfileFacts `json:"facts"`
	Decisions    []SectionDecision    `json:"decisions"`
	Reservations []SectionReservation `json:"reservations"`
	SVUWeeks     []SectionSVU         `json:"svu_weeks"`
	CapUsage     []SectionUsage       `json:"cap_usage"`
	Referrals    []Referral           `json:"referrals"`
	Refunds      []Refund             `json:"refunds"` // what your employer gets back for your courses, as it sees it
	// Commitments is what your funding plans asked of your employer and its answers, as it sees them.
	Commitments []Commitment  `json:"employer_requests"`
	AuditLog    []audit.Entry `json:"audit_log"`
}

// SectionDecision is a decision with its history.
type SectionDecision struct {
	decide.Record
	Request events.Enrolment    `json:"request"`
	History []SectionEvaluation `json:"history"`
}

// SectionEvaluation is one evaluation of a decision.
type SectionEvaluation struct {
	Outcome string    `json:"outcome"`
	Scheme  string    `json:"scheme"`
	Cause   string    `json:"cause"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// SectionReservation is money a decision or referral holds or paid.
type SectionReservation struct {
	EnrolmentID uuid.UUID `json:"enrolment_id"`
	Scheme      string    `json:"scheme"`
	AmountDKK   int64     `json:"amount_dkk"`
	PaidDKK     int64     `json:"paid_dkk"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

// SectionSVU is the SVU weeks a decision uses.
type SectionSVU struct {
	DecisionID uuid.UUID `json:"decision_id"`
	Level      string    `json:"level"`
	Weeks      float64   `json:"weeks"`
	Status     string    `json:"status"`
}

// SectionUsage is what the citizen used of a capped scheme in a period.
type SectionUsage struct {
	Scheme   string `json:"scheme"`
	Period   string `json:"period"`
	UsedDKK  int64  `json:"used_dkk"`
	LimitDKK int64  `json:"limit_dkk"`
}

// ExportSection gathers what funding holds about the citizen, in tx.
func (s *Store) ExportSection(ctx context.Context, tx pgx.Tx, citizenID string) (Section, error) {
	sec := Section{Service: "funding"}
	c, err := s.citizen(ctx, citizenQuery+` WHERE id = $1`, citizenID)
	switch {
	case err == nil:
		sec.Name, sec.Facts = c.Name, &c.Facts
	case !errors.Is(err, pgdb.ErrNotFound):
		return Section{}, err
	}
	decisions, err := s.decisions(ctx, tx, `citizen_id = $1 ORDER BY decided_at`, citizenID)
	if err != nil {
		return Section{}, err
	}
	sec.Decisions = make([]SectionDecision, 0, len(decisions))
	for _, d := range decisions {
		rows, err := tx.Query(ctx, `SELECT outcome, scheme, cause, reason, at FROM decision_history WHERE decision_id = $1 ORDER BY seq`, d.ID)
		if err != nil {
			return Section{}, fmt.Errorf("export decision history: %w", err)
		}
		history, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SectionEvaluation, error) {
			var e SectionEvaluation
			return e, r.Scan(&e.Outcome, &e.Scheme, &e.Cause, &e.Reason, &e.At)
		})
		if err != nil {
			return Section{}, fmt.Errorf("export decision history: %w", err)
		}
		sec.Decisions = append(sec.Decisions, SectionDecision{Record: d, Request: d.Request, History: history})
	}
	collect := func(sql string, scan func(pgx.CollectableRow) error) error {
		rows, err := tx.Query(ctx, sql, citizenID)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) { return struct{}{}, scan(r) })
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	sec.Reservations, sec.SVUWeeks, sec.CapUsage = []SectionReservation{}, []SectionSVU{}, []SectionUsage{}
	if err := collect(`SELECT r.enrolment_id, r.scheme, r.amount_dkk, r.paid_dkk, r.status, r.created_at FROM reservations r
		WHERE r.enrolment_id IN (SELECT enrolment_id FROM decisions WHERE citizen_id = $1)
			OR r.enrolment_id IN (SELECT id FROM referrals WHERE citizen_id = $1) ORDER BY r.created_at`, func(r pgx.CollectableRow) error {
		var x SectionReservation
		err := r.Scan(&x.EnrolmentID, &x.Scheme, &x.AmountDKK, &x.PaidDKK, &x.Status, &x.CreatedAt)
		sec.Reservations = append(sec.Reservations, x)
		return err
	}); err != nil {
		return Section{}, err
	}
	if err := collect(`SELECT decision_id, level, weeks::float8, status FROM svu_usage WHERE citizen_id = $1 ORDER BY decision_id`,
		func(r pgx.CollectableRow) error {
			var x SectionSVU
			err := r.Scan(&x.DecisionID, &x.Level, &x.Weeks, &x.Status)
			sec.SVUWeeks = append(sec.SVUWeeks, x)
			return err
		}); err != nil {
		return Section{}, err
	}
	if err := collect(`SELECT scheme, period, used_dkk, limit_dkk FROM citizen_usage WHERE citizen_id = $1 ORDER BY scheme, period`,
		func(r pgx.CollectableRow) error {
			var x SectionUsage
			err := r.Scan(&x.Scheme, &x.Period, &x.UsedDKK, &x.LimitDKK)
			sec.CapUsage = append(sec.CapUsage, x)
			return err
		}); err != nil {
		return Section{}, err
	}
	if sec.Referrals, err = s.Referrals(ctx, ReferralFilter{CitizenID: citizenID}); err != nil {
		return Section{}, err
	}
	for i := range sec.Referrals {
		if sec.Referrals[i], err = s.GetReferral(ctx, sec.Referrals[i].ID); err != nil {
			return Section{}, err
		}
	}
	if sec.Refunds, err = s.CitizenRefunds(ctx, tx, citizenID); err != nil {
		return Section{}, err
	}
	if sec.Commitments, err = s.commitments(ctx, tx, `citizen_id = $1 ORDER BY created_at`, citizenID); err != nil {
		return sec, err
	}
	if sec.Commitments == nil {
		sec.Commitments = []Commitment{}
	}
	if sec.Refunds == nil {
		sec.Refunds = []Refund{}
	}
	if sec.AuditLog, err = audit.ForCitizen(ctx, tx, citizenID, 0, 10000); err != nil {
		return Section{}, err
	}
	return sec, nil
}

// Erase deletes what funding holds about the citizen and may delete, and reports what it keeps:
// decisions and referrals (the municipality's case records, and for payouts its accounting
// documentation), with their reservations and SVU weeks, stay until their retention ends; the
// citizen's data key is destroyed then (or now, when nothing is kept). The caller holds the
// citizen's lock and has withdrawn their open referrals.
func (s *Store) Erase(ctx context.Context, tx pgx.Tx, citizenID string) (events.ErasureReport, error) {
	var report events.ErasureReport
	deleted := func(what string, n int64) {
		report.Deleted = append(report.Deleted, events.Deleted{What: what, Count: n})
	}
	exec := func(what, sql string) error {
		tag, err := tx.Exec(ctx, sql, citizenID)
		if err != nil {
			return fmt.Errorf("erase %s: %w", what, err)
		}
		deleted(what, tag.RowsAffected())
		return nil
	}
	if err := exec("your facts (birth date, municipality, education, employment, benefits) and the keyed hash of your CPR number by which caseworkers found you",
		`DELETE FROM citizens WHERE id = $1`); err != nil {
		return report, err
	}
	if err := exec("what your funding plans asked of your employer, and its answers", `DELETE FROM commitments WHERE citizen_id = $1`); err != nil {
		return report, err
	}
	if err := exec("the refunds to your employer for your courses, with your name and masked CPR number", `DELETE FROM refunds WHERE citizen_id = $1`); err != nil {
		return report, err
	}
	if err := exec("the courses funding found you could get funded", `DELETE FROM funded_runs WHERE citizen_id = $1`); err != nil {
		return report, err
	}
	if err := exec("stored answers to your repeated requests (idempotency keys)", `DELETE FROM idempotency_keys WHERE principal = $1`); err != nil {
		return report, err
	}
	if err := exec("events about you that could not be processed (parked messages)",
		`DELETE FROM parked_messages WHERE position(convert_to('"citizen_id":"' || $1 || '"', 'UTF8') IN payload) > 0`); err != nil {
		return report, err
	}
	var decisions, active, referrals, reservations, weeks int64
	var lastClosed *time.Time
	if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'active'),
			max(coalesce(paid_at, released_at, decided_at)) FILTER (WHERE status <> 'active'),
			(SELECT count(*) FROM referrals WHERE citizen_id = $1),
			(SELECT count(*) FROM reservations r WHERE r.enrolment_id IN (SELECT enrolment_id FROM decisions WHERE citizen_id = $1)),
			(SELECT count(*) FROM svu_usage WHERE citizen_id = $1)
		FROM decisions WHERE citizen_id = $1`, citizenID).Scan(&decisions, &active, &lastClosed, &referrals, &reservations, &weeks); err != nil {
		return report, fmt.Errorf("count what is kept: %w", err)
	}
	now := s.Now()
	keep := decisions+referrals > 0
	if err := s.Ring.Erase(ctx, tx, citizenID, now, !keep); err != nil {
		return report, err
	}
	until := fmt.Sprintf("%d years after the end of the year each is closed (paid out, rejected or released)", s.Retention.years())
	if active == 0 && lastClosed != nil {
		until = date(retention.YearsAfterYearEnd(lastClosed.In(Copenhagen), s.Retention.years()).AddDate(0, 0, -1))
	}
	if keep {
		for _, k := range []events.Kept{
			{What: "funding decisions with the rules, facts and amounts they were made on, and their history", Count: decisions,
				Why: "a decision is the municipality's decision in your case; a paid-out one documents the payment"},
			{What: "the reservations and payouts of those decisions, and the SVU weeks they count", Count: reservations + weeks,
				Why: "they are part of the decisions and of the budgets' accounts"},
			{What: "caseworkers' referrals of you, with their history (open ones were withdrawn and their money released)", Count: referrals,
				Why: "a referral is the municipality's decision in your case"},
			{What: "your data key, which these records are sealed with; it is destroyed with the last of them", Count: 1,
				Why: "the kept records must stay readable until then"},
		} {
			k.LegalBasis, k.Until = decisionBasis, until
			report.Keep(k)
		}
	} else {
		deleted("your data key: whatever was sealed with it, in backups too, can no longer be read", 1)
	}
	entries, err := audit.Count(ctx, tx, citizenID)
	if err != nil {
		return report, err
	}
	report.Keep(events.Kept{What: "audit log entries about your data", Count: entries,
		Why: "who read or changed your data, when and why", LegalBasis: auditBasis, Until: date(s.Retention.Audit.After(now))})
	return report, nil
}

// endedKept is how long the end of an enrolment is remembered: the streams' maximum age (30 days)
// with the inbox's margin.
const endedKept = 45 * 24 * time.Hour

// RetentionSteps are funding's own retention steps (the shared ones come from package retention).
func (s *Store) RetentionSteps() []retention.Step {
	return []retention.Step{
		{Name: "decisions", Run: s.deleteClosedDecisions},
		// A request can arrive late only while the stream still holds it (30 days).
		{Name: "ended_enrolments", Run: func(ctx context.Context, now time.Time) (int64, error) {
			tag, err := s.Pool.Exec(ctx, `DELETE FROM ended_enrolments WHERE ended_at < $1`, now.Add(-endedKept))
			return tag.RowsAffected(), err
		}},
		{Name: "referrals", Run: func(ctx context.Context, now time.Time) (int64, error) {
			var n int64
			err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
				for _, sql := range []string{
					`DELETE FROM referral_history WHERE referral_id IN (SELECT id FROM referrals WHERE status <> 'open' AND updated_at < $1)`,
					`DELETE FROM reservations WHERE status <> 'reserved' AND enrolment_id IN (SELECT id FROM referrals
						WHERE status <> 'open' AND updated_at < $1)`,
				} {
					if _, err := tx.Exec(ctx, sql, s.Retention.cutoff(now)); err != nil {
						return err
					}
				}
				tag, err := tx.Exec(ctx, `DELETE FROM referrals WHERE status <> 'open' AND updated_at < $1`, s.Retention.cutoff(now))
				n = tag.RowsAffected()
				return err
			})
			return n, err
		}},
		// An erased citizen's key goes when the last record kept for them is gone.
		{Name: "erased_citizens_keys", Run: func(ctx context.Context, now time.Time) (int64, error) {
			tag, err := s.Pool.Exec(ctx, `UPDATE citizen_keys k SET wrapped = NULL, shredded_at = $1
				WHERE erased_at IS NOT NULL AND wrapped IS NOT NULL
					AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.citizen_id = k.citizen_id)
					AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.citizen_id = k.citizen_id)`, now)
			return tag.RowsAffected(), err
		}},
	}
}

// deleteClosedDecisions deletes closed decisions past retention with their history, reservations
// and SVU weeks, in batches.
func (s *Store) deleteClosedDecisions(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for {
		var n int
		err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, enrolment_id FROM decisions WHERE status <> 'active'
				AND coalesce(paid_at, released_at, decided_at) < $1 LIMIT 500 FOR UPDATE SKIP LOCKED`, s.Retention.cutoff(now))
			if err != nil {
				return err
			}
			var ids, enrolments []uuid.UUID
			var id, enrolment uuid.UUID
			if _, err := pgx.ForEachRow(rows, []any{&id, &enrolment}, func() error {
				ids, enrolments = append(ids, id), append(enrolments, enrolment)
				return nil
			}); err != nil {
				return err
			}
			n = len(ids)
			for _, q := range []struct {
				sql string
				arg []uuid.UUID
			}{
				{`DELETE FROM decision_history WHERE decision_id = ANY($1)`, ids},
				{`DELETE FROM svu_usage WHERE decision_id = ANY($1)`, ids},
				{`DELETE FROM refunds WHERE decision_id = ANY($1)`, ids},
				{`DELETE FROM commitments WHERE decision_id = ANY($1)`, ids},
				{`DELETE FROM reservations WHERE enrolment_id = ANY($1) AND status <> 'reserved'`, enrolments},
				{`DELETE FROM decisions WHERE id = ANY($1)`, ids},
			} {
				if _, err := tx.Exec(ctx, q.sql, q.arg); err != nil {
					return err
				}
			}
			return nil
		})
		total += int64(n)
		if err != nil {
			return total, fmt.Errorf("delete decisions past retention: %w", err)
		}
		if n < 500 {
			return total, nil
		}
	}
}

// SealLegacy seals the citizens' facts, decisions and referrals stored in plaintext before they were
// sealed with the citizens' data keys (migration 0007). It returns how many rows it sealed.
func (s *Store) SealLegacy(ctx context.Context) (int, error) {
	total := 0
	steps := []struct {
		find string
		seal func(tx pgx.Tx, id string) error
	}{
		{`SELECT id FROM citizens WHERE facts_sealed IS NULL`, func(tx pgx.Tx, id string) error {
			var facts []byte
			if err := tx.QueryRow(ctx, `SELECT facts FROM citizens WHERE id = $1 FOR UPDATE`, id).Scan(&facts); err != nil {
				return err
			}
			key, err := s.Ring.ForWriting(ctx, tx, id)
			if err != nil {
				return err
			}
			sealed, err := key.Seal(facts, citizenAAD(id))
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE citizens SET facts_sealed = $2, facts = NULL WHERE id = $1`, id, sealed)
			return err
		}},
		{`SELECT id::text FROM decisions WHERE personal_sealed IS NULL`, func(tx pgx.Tx, id string) error {
			var r decide.Record
			var rulesJSON, facts []byte
			if err := tx.QueryRow(ctx, `SELECT id, citizen_id, rules, facts FROM decisions WHERE id = $1 FOR UPDATE`, id).
				Scan(&r.ID, &r.CitizenID, &rulesJSON, &facts); err != nil {
				return err
			}
			if err := json.Unmarshal(rulesJSON, &r.Rules); err != nil {
				return err
			}
			if err := json.Unmarshal(facts, &r.Request); err != nil {
				return err
			}
			sealed, err := s.sealDecision(ctx, tx, r)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE decisions SET personal_sealed = $2, rules = '[]', facts = '{}' WHERE id = $1`, r.ID, sealed)
			return err
		}},
		{`SELECT id::text FROM referrals WHERE personal_sealed IS NULL`, func(tx pgx.Tx, id string) error {
			var p referralPersonal
			var citizen string
			var eval []byte
			if err := tx.QueryRow(ctx, `SELECT citizen_id, reason, evaluation FROM referrals WHERE id = $1 FOR UPDATE`, id).
				Scan(&citizen, &p.Reason, &eval); err != nil {
				return err
			}
			if err := json.Unmarshal(eval, &p.Evaluation); err != nil {
				return err
			}
			key, err := s.Ring.ForWriting(ctx, tx, citizen)
			if err != nil {
				return err
			}
			raw, err := json.Marshal(p)
			if err != nil {
				return err
			}
			sealed, err := key.Seal(raw, referralAAD(uuid.MustParse(id)))
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE referrals SET personal_sealed = $2, reason = '', evaluation = '{}' WHERE id = $1`, id, sealed)
			return err
		}},
	}
	for _, step := range steps {
		rows, err := s.Pool.Query(ctx, step.find)
		if err != nil {
			return total, fmt.Errorf("find plaintext personal data: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return total, fmt.Errorf("find plaintext personal data: %w", err)
		}
		for _, id := range ids {
			if err := pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error { return step.seal(tx, id) }); err != nil {
				return total, fmt.Errorf("seal plaintext personal data: %w", err)
			}
		}
		total += len(ids)
	}
	return total, nil
}

func date(t time.Time) string { return t.Format(time.DateOnly) }
