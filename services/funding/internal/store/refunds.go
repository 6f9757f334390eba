package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/rules"
)

// Refunds to employers. An approved decision whose plan pays a VEU or SVU allowance to the citizen's
// employer (the company said the salary continues) has one refund, kept in step with the decision
// in the transaction that changes it: expected while the decision holds, due for the attended share
// of the planned hours when the enrolment is completed or withdrawn, paid when the timer has
// recorded the payout, cancelled when the enrolment is cancelled or rejected, nothing was attended,
// or a re-decision no longer refunds the employer.

// Refund statuses.
const (
	RefundExpected  = "expected"
	RefundDue       = "due"
	RefundPaid      = "paid"
	RefundCancelled = "cancelled"
)

// Refund is what a company gets back for an employee's course.
type Refund struct {
	ID            uuid.UUID          `json:"id"`
	EnrolmentID   uuid.UUID          `json:"enrolment_id"`
	DecisionID    uuid.UUID          `json:"decision_id"`
	CitizenID     string             `json:"-"`
	CVR           string             `json:"-"`
	Employee      Client             `json:"employee"` // name and CPR number masked
	Course        CommitmentCourse   `json:"course"`
	Facts         events.CourseFacts `json:"-"` // the run as the decision knew it
	Scheme        string             `json:"scheme"`
	ExpectedDKK   int64              `json:"expected_dkk"`
	PaidDKK       int64              `json:"paid_dkk"` // due: what is paid for the attended hours; paid: what was paid
	AttendedHours float64            `json:"attended_hours"`
	PlannedHours  float64            `json:"planned_hours"`
	Status        string             `json:"status"`
	Reason        string             `json:"reason,omitempty"` // cancelled: why
	PaidAt        *time.Time         `json:"paid_at,omitempty"`
}

// RefundTotals add up a list of refunds: what is expected (all but the cancelled), due and paid.
type RefundTotals struct {
	ExpectedDKK int64 `json:"expected_dkk"`
	DueDKK      int64 `json:"due_dkk"`
	PaidDKK     int64 `json:"paid_dkk"`
}

// Totals adds up the refunds.
func Totals(list []Refund) RefundTotals {
	var t RefundTotals
	for _, r := range list {
		switch r.Status {
		case RefundExpected:
			t.ExpectedDKK += r.ExpectedDKK
		case RefundDue:
			t.ExpectedDKK += r.ExpectedDKK
			t.DueDKK += r.PaidDKK
		case RefundPaid:
			t.ExpectedDKK += r.ExpectedDKK
			t.PaidDKK += r.PaidDKK
		}
	}
	return t
}

// ProRata is share (0..1, attended over planned hours) of amount, rounded to the krone: what a
// reservation pays out, and a refund is due, when an enrolment ends.
func ProRata(amount int64, share float64) int64 {
	share = min(max(share, 0), 1)
	return int64(float64(amount)*share + 0.5)
}

// MaskedCPR is the CPR number as a company may see it: the birth date, DDMMYY-XXXX.
func MaskedCPR(birthDate string) string {
	t, err := time.Parse(time.DateOnly, birthDate)
	if err != nil {
		return "XXXXXX-XXXX"
	}
	return t.Format("020106") + "-XXXX"
}

func refundAAD(id uuid.UUID) []byte {
	return []byte("funding.refunds.personal\x00" + id.String())
}

// refundsEmployer reports whether the decision's plan pays an allowance to the employer as a refund.
func refundsEmployer(r decide.Record) bool {
	return r.Outcome == rules.DecisionApproved && r.Plan.EmployerRefundDKK > 0 && r.Plan.EmployerCVR != "" &&
		(r.Plan.AllowanceScheme == rules.SchemeVEU || r.Plan.AllowanceScheme == rules.SchemeSVU)
}

// syncRefund keeps the decision's refund in step with it, in the transaction that stores the
// decision: an approved plan that refunds the employer has one expected, a decision that no longer
// does cancels it. A refund already due or paid, or one of an enrolment that has ended, is not
// changed (the end settled it), and none is made for an erased citizen. Storing the same decision
// again changes nothing.
func (s *Store) syncRefund(ctx context.Context, tx pgx.Tx, r decide.Record) error {
	return s.keepRefund(ctx, tx, r, false)
}

// syncNewRefund is syncRefund for a decision just inserted: it has no refund yet, so one that does
// not refund the employer (most) costs no query.
func (s *Store) syncNewRefund(ctx context.Context, tx pgx.Tx, r decide.Record) error {
	if !refundsEmployer(r) {
		return nil
	}
	return s.keepRefund(ctx, tx, r, true)
}

func (s *Store) keepRefund(ctx context.Context, tx pgx.Tx, r decide.Record, isNew bool) error {
	var id uuid.UUID
	var status string
	exists := false
	if !isNew {
		err := tx.QueryRow(ctx, `SELECT id, status FROM refunds WHERE decision_id = $1 FOR UPDATE`, r.ID).Scan(&id, &status)
		exists = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read refund: %w", err)
		}
	}
	if exists && (status == RefundDue || status == RefundPaid) {
		return nil
	}
	if !refundsEmployer(r) {
		if !exists || status != RefundExpected {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE refunds SET status = 'cancelled', reason = $2, updated_at = now() WHERE id = $1`,
			id, "the decision no longer refunds the employer"); err != nil {
			return fmt.Errorf("cancel refund: %w", err)
		}
		return nil
	}
	if ended, err := s.Ended(ctx, tx, r.EnrolmentID); err != nil || ended {
		return err
	}
	if erased, err := s.Ring.Erased(ctx, tx, r.CitizenID); err != nil || erased {
		return err // nothing new is kept for an erased citizen
	}
	if !exists {
		id = uuid.New()
	}
	citizen, _, err := s.CitizenTx(ctx, tx, r.CitizenID)
	if err != nil {
		return err
	}
	key, err := s.Ring.ForWriting(ctx, tx, r.CitizenID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(Client{Name: citizen.Name, CPR: MaskedCPR(r.Request.Profile.BirthDate)})
	if err != nil {
		return fmt.Errorf("marshal refund: %w", err)
	}
	sealed, err := key.Seal(raw, refundAAD(id))
	if err != nil {
		return err
	}
	course, err := json.Marshal(r.Request.Course)
	if err != nil {
		return fmt.Errorf("marshal refund: %w", err)
	}
	var startsOn any
	if r.Request.Course.StartsOn != "" {
		startsOn = r.Request.Course.StartsOn
	}
	// The planned hours are the run's until its completion reports the hours it had.
	if _, err := tx.Exec(ctx, `INSERT INTO refunds (id, decision_id, enrolment_id, citizen_id, cvr, scheme, course, starts_on,
			personal_sealed, expected_dkk, planned_hours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET cvr = EXCLUDED.cvr, scheme = EXCLUDED.scheme, course = EXCLUDED.course,
			starts_on = EXCLUDED.starts_on, personal_sealed = EXCLUDED.personal_sealed, expected_dkk = EXCLUDED.expected_dkk,
			planned_hours = EXCLUDED.planned_hours, status = 'expected', reason = '', updated_at = now()`,
		id, r.ID, r.EnrolmentID, r.CitizenID, r.Plan.EmployerCVR, r.Plan.AllowanceScheme, course, startsOn, sealed,
		r.Plan.EmployerRefundDKK, r.Request.Course.PlannedHours()); err != nil {
		return fmt.Errorf("store refund: %w", err)
	}
	return nil
}

// CancelRefunds cancels the enrolment's expected refunds (the enrolment was cancelled or rejected).
func (s *Store) CancelRefunds(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID, reason string) error {
	if _, err := tx.Exec(ctx, `UPDATE refunds SET status = 'cancelled', reason = $2, updated_at = now()
		WHERE enrolment_id = $1 AND status = 'expected'`, enrolmentID, reason); err != nil {
		return fmt.Errorf("cancel refunds: %w", err)
	}
	return nil
}

// RefundsDue settles the enrolment's expected refunds when it ends with attended hours: each is due
// for the attended share of the planned hours, rounded as PayReservations rounds; one with nothing
// to pay is cancelled.
func (s *Store) RefundsDue(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID, attended, planned float64, at time.Time) error {
	share := 0.0
	if planned > 0 {
		share = attended / planned
	}
	rows, err := tx.Query(ctx, `SELECT id, expected_dkk FROM refunds WHERE enrolment_id = $1 AND status = 'expected' FOR UPDATE`, enrolmentID)
	if err != nil {
		return fmt.Errorf("refunds due: %w", err)
	}
	type expected struct {
		id     uuid.UUID
		amount int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (expected, error) {
		var e expected
		return e, r.Scan(&e.id, &e.amount)
	})
	if err != nil {
		return fmt.Errorf("refunds due: %w", err)
	}
	for _, e := range list {
		amount := ProRata(e.amount, share)
		status, reason := RefundDue, ""
		if amount == 0 {
			status, reason = RefundCancelled, "no hours were attended"
		}
		if _, err := tx.Exec(ctx, `UPDATE refunds SET status = $2, reason = $3, paid_dkk = $4, attended_hours = $5,
				planned_hours = $6, due_at = $7, updated_at = now() WHERE id = $1`,
			e.id, status, reason, amount, attended, planned, at); err != nil {
			return fmt.Errorf("refund due: %w", err)
		}
	}
	return nil
}

// DueRefunds lists refunds waiting to be paid out, the oldest first.
func (s *Store) DueRefunds(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM refunds WHERE status = 'due' ORDER BY due_at, id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("due refunds: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("due refunds: %w", err)
	}
	return ids, nil
}

// PayRefund records a due refund paid out at at and announces it (livslang.refund.paid.v1), once: it
// reports false, changing nothing, when the refund is no longer due (paid meanwhile, or erased).
func (s *Store) PayRefund(ctx context.Context, tx pgx.Tx, id uuid.UUID, at time.Time) (bool, error) {
	list, err := s.refunds(ctx, tx, `id = $1 FOR UPDATE`, id)
	if err != nil || len(list) == 0 || list[0].Status != RefundDue {
		return false, err
	}
	r := list[0]
	at = at.UTC()
	if _, err := tx.Exec(ctx, `UPDATE refunds SET status = 'paid', paid_at = $2, updated_at = now() WHERE id = $1`, id, at); err != nil {
		return false, fmt.Errorf("pay refund: %w", err)
	}
	company, _, err := s.company(ctx, tx, r.CVR)
	if err != nil {
		return false, err
	}
	data := events.RefundPaid{RefundID: r.ID.String(), DecisionID: r.DecisionID.String(), EnrolmentID: r.EnrolmentID.String(),
		CitizenID: r.CitizenID, Company: company, EmployeeName: r.Employee.Name, Course: r.Facts, Scheme: r.Scheme,
		ExpectedDKK: r.ExpectedDKK, PaidDKK: r.PaidDKK, AttendedHours: r.AttendedHours, PlannedHours: r.PlannedHours,
		PaidAt: at.Format(time.RFC3339)}
	env, err := events.New(Source, events.TypeRefundPaid, events.SubjectRefundPaid, r.ID.String(), s.Now(), data)
	if err != nil {
		return false, err
	}
	return true, outbox.Enqueue(ctx, tx, env)
}

// RefundFilter narrows a company's refunds: by status, and by the course's first day (from and to
// inclusive, YYYY-MM-DD); empty means any.
type RefundFilter struct {
	Status   string
	From, To string
}

// refundLimit is the most refunds a list holds.
const refundLimit = 10000

// CompanyRefunds lists the company's refunds by the course's first day.
func (s *Store) CompanyRefunds(ctx context.Context, cvr string, f RefundFilter) ([]Refund, error) {
	return s.refunds(ctx, s.Pool, `cvr = $1 AND ($2 = '' OR status = $2)
		AND ($3 = '' OR starts_on >= $3::date) AND ($4 = '' OR starts_on <= $4::date)
		ORDER BY starts_on, created_at, id LIMIT `+fmt.Sprint(refundLimit), cvr, f.Status, f.From, f.To)
}

// CitizenRefunds lists the refunds of the citizen's courses, in tx (their export).
func (s *Store) CitizenRefunds(ctx context.Context, tx pgx.Tx, citizenID string) ([]Refund, error) {
	return s.refunds(ctx, tx, `citizen_id = $1 ORDER BY created_at, id`, citizenID)
}

const refundColumns = `id, decision_id, enrolment_id, citizen_id, cvr, scheme, course, personal_sealed, expected_dkk, paid_dkk,
	attended_hours, planned_hours, status, reason, paid_at,
	(SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = refunds.citizen_id)`

func (s *Store) refunds(ctx context.Context, q querier, where string, args ...any) ([]Refund, error) {
	rows, err := q.Query(ctx, `SELECT `+refundColumns+` FROM refunds WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query refunds: %w", err)
	}
	list, err := pgx.CollectRows(rows, s.scanRefund)
	if err != nil {
		return nil, fmt.Errorf("query refunds: %w", err)
	}
	return list, nil
}

func (s *Store) scanRefund(row pgx.CollectableRow) (Refund, error) {
	var r Refund
	var course, sealed, wrapped []byte
	if err := row.Scan(&r.ID, &r.DecisionID, &r.EnrolmentID, &r.CitizenID, &r.CVR, &r.Scheme, &course, &sealed, &r.ExpectedDKK,
		&r.PaidDKK, &r.AttendedHours, &r.PlannedHours, &r.Status, &r.Reason, &r.PaidAt, &wrapped); err != nil {
		return Refund{}, err
	}
	if err := json.Unmarshal(course, &r.Facts); err != nil {
		return Refund{}, fmt.Errorf("decode refund: %w", err)
	}
	r.Course = courseView(r.Facts)
	if err := s.openEmployee(r.CitizenID, wrapped, sealed, refundAAD(r.ID), &r.Employee); err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", r.ID, err)
	}
	return r, nil
}
