package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/rules"
)

// Pool is a budget pool: a scheme's money for one owner (municipality or institution) and year.
type Pool struct {
	ID           uuid.UUID `json:"id"`
	Scheme       string    `json:"scheme"`
	Owner        string    `json:"owner"`
	Year         int       `json:"year"`
	Name         string    `json:"name"`
	AmountDKK    int64     `json:"amount_dkk"`
	ReservedDKK  int64     `json:"reserved_dkk"`
	PaidDKK      int64     `json:"paid_dkk"`
	RemainingDKK int64     `json:"remaining_dkk"`
}

// ErrNoBudget is a reservation the pool or the citizen's cap has no room for; every such error is a
// *NoRoom.
var ErrNoBudget = errors.New("no budget left")

// NoRoom is ErrNoBudget with what had no room, said in English and Danish for the decision's reason.
type NoRoom struct{ EN, DA string }

func (e *NoRoom) Error() string        { return ErrNoBudget.Error() + ": " + e.EN }
func (e *NoRoom) Is(target error) bool { return target == ErrNoBudget }

// noRoomInPool is a pool without room for amount (or no pool at all).
func noRoomInPool(scheme string, year int, amount int64) *NoRoom {
	nameEN, nameDA := rules.SchemeNames(scheme)
	kEN, kDA := rules.Kroner(amount)
	return &NoRoom{
		EN: fmt.Sprintf("the budget of %s for %d has no room for %s", nameEN, year, kEN),
		DA: fmt.Sprintf("budgettet for %s i %d har ikke plads til %s", nameDA, year, kDA),
	}
}

// CreatePool adds a pool, or leaves an existing one for the same scheme, owner and year unchanged.
func (s *Store) CreatePool(ctx context.Context, p Pool) (Pool, error) {
	if p.ID == uuid.Nil {
		p.ID = uuid.New()
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO budget_pools (id, scheme, owner, year, name, amount_dkk)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scheme, owner, year) DO NOTHING`,
		p.ID, p.Scheme, p.Owner, p.Year, p.Name, p.AmountDKK)
	if err != nil {
		return Pool{}, fmt.Errorf("create pool: %w", err)
	}
	return s.pool(ctx, s.Pool, `scheme = $1 AND owner = $2 AND year = $3`, p.Scheme, p.Owner, p.Year)
}

// Pools lists pools, optionally only those of one owner.
func (s *Store) Pools(ctx context.Context, owner string) ([]Pool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+poolColumns+` FROM budget_pools
		WHERE $1 = '' OR owner = $1 ORDER BY year, scheme, owner`, owner)
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	pools, err := pgx.CollectRows(rows, scanPool)
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	return pools, nil
}

const poolColumns = `id, scheme, owner, year, name, amount_dkk, reserved_dkk, paid_dkk, amount_dkk - reserved_dkk - paid_dkk`

func scanPool(r pgx.CollectableRow) (Pool, error) {
	var p Pool
	err := r.Scan(&p.ID, &p.Scheme, &p.Owner, &p.Year, &p.Name, &p.AmountDKK, &p.ReservedDKK, &p.PaidDKK, &p.RemainingDKK)
	return p, err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) pool(ctx context.Context, q querier, where string, args ...any) (Pool, error) {
	rows, err := q.Query(ctx, `SELECT `+poolColumns+` FROM budget_pools WHERE `+where, args...)
	if err != nil {
		return Pool{}, fmt.Errorf("get pool: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPool)
	if err != nil {
		return Pool{}, fmt.Errorf("get pool: %w", pgdb.Translate(err))
	}
	return p, nil
}

// Reservation is money held for a decision.
type Reservation struct {
	DecisionID  uuid.UUID
	EnrolmentID uuid.UUID
	Scheme      string
	// A pool reservation names the pool by scheme, owner and year.
	Owner string
	Year  int
	// A cap reservation names the citizen and the cap's period and limit.
	CitizenID string
	Period    string
	StartsOn  string // the course's first day, for a rolling period
	LimitDKK  int64
	AmountDKK int64
}

func isCheckViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514"
}

// ReservePool holds money in the pool for the decision, in tx. A pool without room, or no pool at
// all, is ErrNoBudget. The conditional UPDATE makes the pool's row the only point of contention: any
// number of funding instances can reserve at once and the pool is never overspent.
func (s *Store) ReservePool(ctx context.Context, tx pgx.Tx, r Reservation) error {
	var poolID uuid.UUID
	err := tx.QueryRow(ctx, `UPDATE budget_pools SET reserved_dkk = reserved_dkk + $4
		WHERE scheme = $1 AND owner = $2 AND year = $3 AND reserved_dkk + paid_dkk + $4 <= amount_dkk
		RETURNING id`, r.Scheme, r.Owner, r.Year, r.AmountDKK).Scan(&poolID)
	if errors.Is(err, pgx.ErrNoRows) {
		return noRoomInPool(r.Scheme, r.Year, r.AmountDKK)
	} else if err != nil {
		return fmt.Errorf("reserve pool: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO reservations (id, decision_id, enrolment_id, pool_id, scheme, amount_dkk)
		VALUES ($1, $2, $3, $4, $5, $6)`, uuid.New(), r.DecisionID, r.EnrolmentID, poolID, r.Scheme, r.AmountDKK)
	if err != nil {
		return fmt.Errorf("record reservation: %w", err)
	}
	return nil
}

// ReserveCap holds room under a citizen's cap (per period) for the decision, in tx; going over the
// limit is ErrNoBudget. A rolling period is counted from the reservations; the caller holds the
// citizen's lock.
func (s *Store) ReserveCap(ctx context.Context, tx pgx.Tx, r Reservation) error {
	if r.Period == rules.PeriodRolling12m {
		return s.reserveRolling(ctx, tx, r)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO citizen_usage (citizen_id, scheme, period, used_dkk, limit_dkk)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (citizen_id, scheme, period) DO UPDATE SET used_dkk = citizen_usage.used_dkk + EXCLUDED.used_dkk
		WHERE citizen_usage.used_dkk + EXCLUDED.used_dkk <= citizen_usage.limit_dkk`,
		r.CitizenID, r.Scheme, r.Period, r.AmountDKK, r.LimitDKK)
	if isCheckViolation(err) || (err == nil && tag.RowsAffected() == 0) {
		nameEN, nameDA := rules.SchemeNames(r.Scheme)
		limitEN, limitDA := rules.Kroner(r.LimitDKK)
		return &NoRoom{
			EN: fmt.Sprintf("your cap of %s a year under %s has no room left in %s", limitEN, nameEN, r.Period),
			DA: fmt.Sprintf("dit loft på %s om året under %s har ikke mere plads i %s", limitDA, nameDA, r.Period),
		}
	} else if err != nil {
		return fmt.Errorf("reserve cap: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO reservations (id, decision_id, enrolment_id, citizen_id, scheme, period, amount_dkk)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, uuid.New(), r.DecisionID, r.EnrolmentID, r.CitizenID, r.Scheme, r.Period, r.AmountDKK)
	if err != nil {
		return fmt.Errorf("record reservation: %w", err)
	}
	return nil
}

// reserveRolling holds room under a cap on any 12 months in a row: with the reservation, no 12
// months that include the course's start may hold more than the limit.
func (s *Store) reserveRolling(ctx context.Context, tx pgx.Tx, r Reservation) error {
	if r.StartsOn == "" {
		return fmt.Errorf("reserve %s cap: the course's start is not known", r.Scheme)
	}
	used, err := s.RollingUsage(ctx, tx, r.CitizenID, r.Scheme, r.StartsOn)
	if err != nil {
		return err
	}
	if used+r.AmountDKK > r.LimitDKK {
		nameEN, nameDA := rules.SchemeNames(r.Scheme)
		limitEN, limitDA := rules.Kroner(r.LimitDKK)
		usedEN, usedDA := rules.Kroner(used)
		return &NoRoom{
			EN: fmt.Sprintf("your cap of %s in 12 months under %s: %s is already used in 12 months around %s", limitEN, nameEN, usedEN, r.StartsOn),
			DA: fmt.Sprintf("dit loft på %s pr. 12 måneder under %s: der er allerede brugt %s i 12 måneder omkring %s", limitDA, nameDA, usedDA, r.StartsOn),
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO reservations (id, decision_id, enrolment_id, citizen_id, scheme, period, starts_on, amount_dkk)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uuid.New(), r.DecisionID, r.EnrolmentID, r.CitizenID, r.Scheme, r.Period, r.StartsOn, r.AmountDKK)
	if err != nil {
		return fmt.Errorf("record reservation: %w", err)
	}
	return nil
}

// RollingUsage is the most the citizen's reservations under a scheme's rolling 12-month cap hold
// in any 12 months in a row that include startsOn (a date). Such a period holds most when it begins
// on the first day of a held course or on startsOn, so those are the periods counted. A reservation
// whose course start is not known counts in every period.
func (s *Store) RollingUsage(ctx context.Context, q querier, citizenID, scheme, startsOn string) (int64, error) {
	rows, err := q.Query(ctx, `WITH held AS (
			SELECT coalesce(starts_on, $3::date) AS d, CASE WHEN status = 'reserved' THEN amount_dkk ELSE paid_dkk END AS amount
			FROM reservations
			WHERE citizen_id = $1 AND scheme = $2 AND period = $4 AND status IN ('reserved', 'paid')
			AND coalesce(starts_on, $3::date) > $3::date - interval '12 months'
			AND coalesce(starts_on, $3::date) < $3::date + interval '12 months')
		SELECT coalesce(max((SELECT sum(h.amount) FROM held h WHERE h.d >= p.d AND h.d < p.d + interval '12 months')), 0)::bigint
		FROM (SELECT d FROM held WHERE d <= $3::date UNION SELECT $3::date) p`, citizenID, scheme, startsOn, rules.PeriodRolling12m)
	if err != nil {
		return 0, fmt.Errorf("rolling usage: %w", err)
	}
	used, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("rolling usage: %w", err)
	}
	return used, nil
}

// ReleaseReservations returns everything the enrolment's decision holds to its pools and caps.
func (s *Store) ReleaseReservations(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID) error {
	rows, err := tx.Query(ctx, `UPDATE reservations SET status = 'released', updated_at = now()
		WHERE enrolment_id = $1 AND status = 'reserved'
		RETURNING pool_id, citizen_id, scheme, period, amount_dkk`, enrolmentID)
	if err != nil {
		return fmt.Errorf("release reservations: %w", err)
	}
	type held struct {
		pool      *uuid.UUID
		citizen   *string
		scheme    string
		period    *string
		amountDKK int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (held, error) {
		var h held
		return h, r.Scan(&h.pool, &h.citizen, &h.scheme, &h.period, &h.amountDKK)
	})
	if err != nil {
		return fmt.Errorf("release reservations: %w", err)
	}
	for _, h := range list {
		switch {
		case h.pool != nil:
			_, err = tx.Exec(ctx, `UPDATE budget_pools SET reserved_dkk = reserved_dkk - $2 WHERE id = $1`, *h.pool, h.amountDKK)
		case *h.period == rules.PeriodRolling12m: // counted from the reservations
		default:
			_, err = tx.Exec(ctx, `UPDATE citizen_usage SET used_dkk = used_dkk - $4
				WHERE citizen_id = $1 AND scheme = $2 AND period = $3`, *h.citizen, h.scheme, *h.period, h.amountDKK)
		}
		if err != nil {
			return fmt.Errorf("return reservation: %w", err)
		}
	}
	return nil
}

// PayReservations settles what the enrolment's decision holds when it ends with attended hours:
// share (0..1, attended over planned hours) of each reservation is paid out, the rest goes back to its
// pool or under the citizen's cap.
func (s *Store) PayReservations(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID, share float64) error {
	share = min(max(share, 0), 1)
	rows, err := tx.Query(ctx, `SELECT id, pool_id, citizen_id, scheme, period, amount_dkk FROM reservations
		WHERE enrolment_id = $1 AND status = 'reserved' FOR UPDATE`, enrolmentID)
	if err != nil {
		return fmt.Errorf("pay reservations: %w", err)
	}
	type held struct {
		id      uuid.UUID
		pool    *uuid.UUID
		citizen *string
		scheme  string
		period  *string
		amount  int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (held, error) {
		var h held
		return h, r.Scan(&h.id, &h.pool, &h.citizen, &h.scheme, &h.period, &h.amount)
	})
	if err != nil {
		return fmt.Errorf("pay reservations: %w", err)
	}
	for _, h := range list {
		paid := ProRata(h.amount, share)
		switch {
		case h.pool != nil:
			_, err = tx.Exec(ctx, `UPDATE budget_pools SET reserved_dkk = reserved_dkk - $2, paid_dkk = paid_dkk + $3 WHERE id = $1`,
				*h.pool, h.amount, paid)
		case *h.period == rules.PeriodRolling12m: // counted from the reservations
		default:
			_, err = tx.Exec(ctx, `UPDATE citizen_usage SET used_dkk = used_dkk - $4
				WHERE citizen_id = $1 AND scheme = $2 AND period = $3`, *h.citizen, h.scheme, *h.period, h.amount-paid)
		}
		if err != nil {
			return fmt.Errorf("settle reservation: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE reservations SET status = 'paid', paid_dkk = $2, updated_at = now() WHERE id = $1`,
			h.id, paid); err != nil {
			return fmt.Errorf("record payout: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE decisions SET status = 'paid', paid_at = $2 WHERE enrolment_id = $1 AND status = 'active'`,
		enrolmentID, s.Now()); err != nil {
		return fmt.Errorf("mark decision paid: %w", err)
	}
	return nil
}
