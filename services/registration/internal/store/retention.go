package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/retention"
)

// Retention is how long registration keeps what it holds; see docs/configuration.md.
type Retention struct {
	// EndedEnrolments: cancelled and rejected enrolments, with their history and attendance, are
	// deleted this long after they ended (LIVSLANG_REGISTRATION_RETAIN_ENDED_ENROLMENTS, default 3y).
	EndedEnrolments retention.Period
	// CompletedYears: completed and withdrawn enrolments (the documentation of funding's payouts) are
	// deleted this many whole years after the end of the year they ended
	// (LIVSLANG_REGISTRATION_RETAIN_COMPLETED_YEARS, default 5).
	CompletedYears int
	// Exports: an export's file is deleted this long after it was completed
	// (LIVSLANG_REGISTRATION_RETAIN_EXPORTS, default 7d).
	Exports retention.Period
	// DataRequests: the record of a data request (and an erasure's reports) is deleted this long after
	// it was made (LIVSLANG_REGISTRATION_RETAIN_DATA_REQUESTS, default 3y).
	DataRequests retention.Period
	// Audit is the shared LIVSLANG_RETAIN_AUDIT, named in erasure reports.
	Audit retention.Period
}

// DefaultRetention is the retention when none is configured.
var DefaultRetention = Retention{EndedEnrolments: retention.Period{Years: 3}, CompletedYears: 5,
	Exports: retention.Period{Days: 7}, DataRequests: retention.Period{Years: 3}, Audit: retention.Period{Years: 2}}

func (r Retention) completedYears() int {
	if r.CompletedYears <= 0 {
		return DefaultRetention.CompletedYears
	}
	return r.CompletedYears
}

// RetentionSteps are registration's own retention steps (the shared ones come from package retention).
func (s *Store) RetentionSteps() []retention.Step {
	return []retention.Step{
		{Name: "ended_enrolments", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return s.deleteEnrolments(ctx, `status IN ('cancelled', 'rejected') AND updated_at < $1`, s.Retention.EndedEnrolments.Before(now))
		}},
		{Name: "completed_enrolments", Run: func(ctx context.Context, now time.Time) (int64, error) {
			// Past retention in year Y: ended in a year up to Y-1-years, i.e. before 1 January of Y-years.
			cutoff := time.Date(now.In(Copenhagen).Year()-s.Retention.completedYears(), 1, 1, 0, 0, 0, 0, Copenhagen)
			return s.deleteEnrolments(ctx, `status IN ('completed', 'withdrawn') AND updated_at < $1`, cutoff)
		}},
		{Name: "exports", Run: func(ctx context.Context, now time.Time) (int64, error) {
			var n int64
			err := s.tx(ctx, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, `UPDATE data_requests SET status = 'expired', export_key_sealed = NULL
					WHERE kind = 'export' AND status = 'completed' AND expires_at < $1`, now)
				if err != nil {
					return err
				}
				n = tag.RowsAffected()
				_, err = tx.Exec(ctx, `UPDATE data_request_parts p SET section = NULL FROM data_requests r
					WHERE r.id = p.request_id AND r.status = 'expired' AND p.section IS NOT NULL`)
				return err
			})
			return n, translate("expire exports", err)
		}},
		{Name: "referral_answers", Run: func(ctx context.Context, now time.Time) (int64, error) {
			tag, err := s.pool.Exec(ctx, `DELETE FROM referral_answers WHERE received_at < $1`, now.AddDate(0, 0, -45))
			return tag.RowsAffected(), translate("delete early referral answers", err)
		}},
		{Name: "data_requests", Run: func(ctx context.Context, now time.Time) (int64, error) {
			tag, err := s.pool.Exec(ctx, `DELETE FROM data_requests WHERE requested_at < $1 AND status <> 'pending'`,
				s.Retention.DataRequests.Before(now))
			return tag.RowsAffected(), translate("delete old data requests", err)
		}},
	}
}

// deleteEnrolments deletes the enrolments that match where ($1 the cutoff), with their history and
// attendance, in batches.
func (s *Store) deleteEnrolments(ctx context.Context, where string, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var n int
		err := s.tx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id FROM enrolments WHERE `+where+` LIMIT 500 FOR UPDATE SKIP LOCKED`, cutoff)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			if err != nil {
				return err
			}
			n = len(ids)
			for _, sql := range []string{`DELETE FROM attendance WHERE enrolment_id = ANY($1)`,
				`DELETE FROM enrolment_history WHERE enrolment_id = ANY($1)`, `DELETE FROM enrolments WHERE id = ANY($1)`} {
				if _, err := tx.Exec(ctx, sql, ids); err != nil {
					return err
				}
			}
			return nil
		})
		total += int64(n)
		if err != nil {
			return total, fmt.Errorf("delete enrolments past retention: %w", err)
		}
		if n < 500 {
			return total, nil
		}
	}
}
