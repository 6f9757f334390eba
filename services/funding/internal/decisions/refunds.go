package decisions

import (
	"context"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/pgdb"
)

// Refunds: an approved plan that pays a VEU or SVU allowance to the citizen's employer keeps a refund
// in step with the decision (store.syncRefund, called wherever the decision is stored); the end of
// the enrolment makes it cancelled or due for the attended hours (OnEnrolment). AUB and SVU pay the
// company; Livslang records the payout and tells the company.

// PayRefunds records each due refund paid out now and announces it (livslang.refund.paid.v1), once
// each. It returns how many it paid.
func (s *Service) PayRefunds(ctx context.Context) (int, error) {
	ids, err := s.Store.DueRefunds(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		paid := false
		err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
			var err error
			paid, err = s.Store.PayRefund(ctx, tx, id, s.Now())
			return err
		})
		if err != nil {
			return n, err
		}
		if paid {
			n++
		}
	}
	return n, nil
}
