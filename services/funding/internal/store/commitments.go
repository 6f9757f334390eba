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
	"livslang.dk/pkg/pgdb"
)

// Company is a company's contact as its users keep it.
type Company = events.Company

// Commitment is what a funding decision asks of the citizen's employer, and the company's answer.
type Commitment struct {
	ID                uuid.UUID          `json:"id"`
	DecisionID        uuid.UUID          `json:"decision_id"`
	EnrolmentID       uuid.UUID          `json:"enrolment_id"`
	CitizenID         string             `json:"-"`
	CVR               string             `json:"cvr"`
	Citizen           Client             `json:"citizen"` // the employee: name and CPR number masked
	Course            CommitmentCourse   `json:"course"`
	Facts             events.CourseFacts `json:"-"` // the run as funding knows it
	Asks              []string           `json:"asks"`
	FeeDKK            int64              `json:"fee_dkk"`
	RefundEstimateDKK int64              `json:"refund_estimate_dkk"`
	Status            string             `json:"status"`
	DueOn             string             `json:"due_on"`
	Answer            *Answer            `json:"answer,omitempty"`
	RemindedAt        *time.Time         `json:"reminded_at,omitempty"`
	CreatedAt         time.Time          `json:"created_at"`
}

// CommitmentCourse is the run a commitment is for.
type CommitmentCourse struct {
	ID              string `json:"id"`
	Title           string `json:"title"`
	TitleEN         string `json:"title_en,omitempty"`
	InstitutionName string `json:"institution_name,omitempty"`
	StartsOn        string `json:"starts_on"`
	EndsOn          string `json:"ends_on,omitempty"`
}

// Answer is the company's answer (or the system's, when the deadline passed).
type Answer struct {
	PaysFee         *bool     `json:"pays_fee,omitempty"`
	SalaryContinues *bool     `json:"salary_continues,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	AnsweredBy      string    `json:"answered_by,omitempty"`
	AnsweredAt      time.Time `json:"answered_at"`
}

func commitmentAAD(id uuid.UUID) []byte {
	return []byte("funding.commitments.personal\x00" + id.String())
}

const commitmentColumns = `id, decision_id, enrolment_id, citizen_id, cvr, status, asks, fee_dkk, refund_estimate_dkk,
	due_on::text, course, personal_sealed, pays_fee, salary_continues, reason, answered_by, answered_at, reminded_at, created_at,
	(SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = commitments.citizen_id)`

func (s *Store) scanCommitment(row pgx.CollectableRow) (Commitment, error) {
	var c Commitment
	var course, sealed, wrapped []byte
	var paysFee, salary *bool
	var reason, by string
	var at *time.Time
	if err := row.Scan(&c.ID, &c.DecisionID, &c.EnrolmentID, &c.CitizenID, &c.CVR, &c.Status, &c.Asks, &c.FeeDKK,
		&c.RefundEstimateDKK, &c.DueOn, &course, &sealed, &paysFee, &salary, &reason, &by, &at, &c.RemindedAt, &c.CreatedAt, &wrapped); err != nil {
		return Commitment{}, err
	}
	if err := json.Unmarshal(course, &c.Facts); err != nil {
		return Commitment{}, fmt.Errorf("decode commitment: %w", err)
	}
	c.Course = courseView(c.Facts)
	if at != nil {
		c.Answer = &Answer{PaysFee: paysFee, SalaryContinues: salary, Reason: reason, AnsweredBy: by, AnsweredAt: *at}
	}
	if err := s.openEmployee(c.CitizenID, wrapped, sealed, commitmentAAD(c.ID), &c.Citizen); err != nil {
		return Commitment{}, fmt.Errorf("commitment %s: %w", c.ID, err)
	}
	return c, nil
}

// courseView is the run as a company sees it on its commitments and refunds.
func courseView(f events.CourseFacts) CommitmentCourse {
	return CommitmentCourse{ID: f.ID, Title: f.Title, TitleEN: f.TitleEN, InstitutionName: f.InstitutionName, StartsOn: f.StartsOn, EndsOn: f.EndsOn}
}

// openEmployee opens the employee's name and masked CPR number, sealed with the citizen's data key
// (wrapped) under aad, into who.
func (s *Store) openEmployee(citizenID string, wrapped, sealed, aad []byte, who *Client) error {
	key, err := s.Ring.Open(citizenID, wrapped)
	if err != nil {
		return err
	}
	raw, err := key.Open(sealed, aad)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if err := json.Unmarshal(raw, who); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

func (s *Store) commitments(ctx context.Context, q querier, where string, args ...any) ([]Commitment, error) {
	rows, err := q.Query(ctx, `SELECT `+commitmentColumns+` FROM commitments WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query commitments: %w", err)
	}
	list, err := pgx.CollectRows(rows, s.scanCommitment)
	if err != nil {
		return nil, fmt.Errorf("query commitments: %w", err)
	}
	return list, nil
}

// InsertCommitment stores a new request to a company and announces it.
func (s *Store) InsertCommitment(ctx context.Context, tx pgx.Tx, c Commitment) error {
	courseJSON, err := json.Marshal(c.Facts)
	if err != nil {
		return err
	}
	key, err := s.Ring.ForWriting(ctx, tx, c.CitizenID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(c.Citizen)
	if err != nil {
		return err
	}
	sealed, err := key.Seal(raw, commitmentAAD(c.ID))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO commitments (id, decision_id, enrolment_id, citizen_id, cvr, asks, fee_dkk,
			refund_estimate_dkk, due_on, course, personal_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.DecisionID, c.EnrolmentID, c.CitizenID, c.CVR, c.Asks, c.FeeDKK, c.RefundEstimateDKK, c.DueOn, courseJSON, sealed, c.CreatedAt); err != nil {
		return fmt.Errorf("insert commitment: %w", err)
	}
	return s.commitmentEvent(ctx, tx, c, "requested")
}

// LockCommitment returns a commitment by id, locked in tx.
func (s *Store) LockCommitment(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Commitment, error) {
	list, err := s.commitments(ctx, tx, `id = $1 FOR UPDATE`, id)
	if err != nil {
		return Commitment{}, err
	}
	if len(list) == 0 {
		return Commitment{}, fmt.Errorf("lock commitment: %w", pgdb.ErrNotFound)
	}
	return list[0], nil
}

// CommitmentByID returns a commitment by id.
func (s *Store) CommitmentByID(ctx context.Context, id uuid.UUID) (Commitment, error) {
	list, err := s.commitments(ctx, s.Pool, `id = $1`, id)
	if err != nil {
		return Commitment{}, err
	}
	if len(list) == 0 {
		return Commitment{}, fmt.Errorf("get commitment: %w", pgdb.ErrNotFound)
	}
	return list[0], nil
}

// PendingCommitmentFor returns the enrolment's open request, locked in tx; ok is false if there is none.
func (s *Store) PendingCommitmentFor(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID) (Commitment, bool, error) {
	list, err := s.commitments(ctx, tx, `enrolment_id = $1 AND status = 'pending' FOR UPDATE`, enrolmentID)
	if err != nil || len(list) == 0 {
		return Commitment{}, false, err
	}
	return list[0], true, nil
}

// GetCommitment returns one of the company's commitments.
func (s *Store) GetCommitment(ctx context.Context, cvr string, id uuid.UUID) (Commitment, error) {
	list, err := s.commitments(ctx, s.Pool, `cvr = $1 AND id = $2`, cvr, id)
	if err != nil {
		return Commitment{}, err
	}
	if len(list) == 0 {
		return Commitment{}, fmt.Errorf("get commitment: %w", pgdb.ErrNotFound)
	}
	return list[0], nil
}

// CompanyCommitments lists the company's commitments, pending first by due date, then the newest;
// status "" lists all.
func (s *Store) CompanyCommitments(ctx context.Context, cvr, status string) ([]Commitment, error) {
	return s.commitments(ctx, s.Pool, `cvr = $1 AND ($2 = '' OR status = $2)
		ORDER BY status <> 'pending', CASE WHEN status = 'pending' THEN due_on END, created_at DESC, id LIMIT 500`, cvr, status)
}

// DueCommitments lists open requests whose last day is before today.
func (s *Store) DueCommitments(ctx context.Context, today string) ([]uuid.UUID, error) {
	return s.commitmentIDs(ctx, `status = 'pending' AND due_on < $1::date`, today)
}

// CommitmentsToRemind lists open requests not yet reminded whose last day is on or before by.
func (s *Store) CommitmentsToRemind(ctx context.Context, by string) ([]uuid.UUID, error) {
	return s.commitmentIDs(ctx, `status = 'pending' AND reminded_at IS NULL AND due_on <= $1::date`, by)
}

func (s *Store) commitmentIDs(ctx context.Context, where string, args ...any) ([]uuid.UUID, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM commitments WHERE `+where+` ORDER BY due_on, id LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("due commitments: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("due commitments: %w", err)
	}
	return ids, nil
}

// AnswerCommitment records the company's answer (status approved, declined, expired or withdrawn)
// and announces it.
func (s *Store) AnswerCommitment(ctx context.Context, tx pgx.Tx, c *Commitment, status string, a Answer) error {
	if _, err := tx.Exec(ctx, `UPDATE commitments SET status = $2, pays_fee = $3, salary_continues = $4, reason = $5,
			answered_by = $6, answered_at = $7 WHERE id = $1`, c.ID, status, a.PaysFee, a.SalaryContinues, a.Reason, a.AnsweredBy, a.AnsweredAt); err != nil {
		return fmt.Errorf("answer commitment: %w", err)
	}
	c.Status, c.Answer = status, &a
	return s.commitmentEvent(ctx, tx, *c, "answered")
}

// RemindCommitment marks a request reminded and announces the reminder.
func (s *Store) RemindCommitment(ctx context.Context, tx pgx.Tx, c Commitment) error {
	if _, err := tx.Exec(ctx, `UPDATE commitments SET reminded_at = now() WHERE id = $1`, c.ID); err != nil {
		return fmt.Errorf("remind commitment: %w", err)
	}
	return s.commitmentEvent(ctx, tx, c, "reminded")
}

// commitmentEvent publishes livslang.commitment.<event>.v1 with the company's contact, if known.
func (s *Store) commitmentEvent(ctx context.Context, tx pgx.Tx, c Commitment, event string) error {
	company, _, err := s.company(ctx, tx, c.CVR)
	if err != nil {
		return err
	}
	data := events.Commitment{CommitmentID: c.ID.String(), Status: c.Status, EnrolmentID: c.EnrolmentID.String(),
		DecisionID: c.DecisionID.String(), CitizenID: c.CitizenID, EmployeeName: c.Citizen.Name, Company: company,
		Course: c.Facts, Asks: c.Asks, FeeDKK: c.FeeDKK, RefundEstimateDKK: c.RefundEstimateDKK, DueOn: c.DueOn}
	if c.Answer != nil {
		data.PaysFee, data.SalaryContinues, data.Reason = c.Answer.PaysFee, c.Answer.SalaryContinues, c.Answer.Reason
	}
	env, err := events.New(Source, "livslang.commitment."+event+".v1", events.CommitmentSubject(event), c.ID.String(), s.Now(), data)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, env)
}

// company returns the company's contact; ok is false (and the contact holds only the CVR number)
// when its users have not given one.
func (s *Store) company(ctx context.Context, q querier, cvr string) (Company, bool, error) {
	c := Company{CVR: cvr, Language: "da"}
	err := q.QueryRow(ctx, `SELECT name, email, language FROM companies WHERE cvr = $1`, cvr).Scan(&c.Name, &c.Email, &c.Language)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return Company{}, false, fmt.Errorf("read company: %w", err)
	}
	return c, true, nil
}

// Company returns the company's contact.
func (s *Store) Company(ctx context.Context, cvr string) (Company, error) {
	c, ok, err := s.company(ctx, s.Pool, cvr)
	if err == nil && !ok {
		err = fmt.Errorf("company %s: %w", cvr, pgdb.ErrNotFound)
	}
	return c, err
}

// CompanyName is the company's name, "" if not known.
func (s *Store) CompanyName(ctx context.Context, q querier, cvr string) (string, error) {
	c, _, err := s.company(ctx, q, cvr)
	return c.Name, err
}

// SaveCompany creates or replaces the company's contact and announces it (livslang.company.updated.v1:
// notification writes to the company from its copy).
func (s *Store) SaveCompany(ctx context.Context, c Company) error {
	return s.saveCompany(ctx, c, `ON CONFLICT (cvr) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,
		language = EXCLUDED.language, updated_at = now()`)
}

// SeedCompany creates the company's contact unless it has one.
func (s *Store) SeedCompany(ctx context.Context, c Company) error {
	return s.saveCompany(ctx, c, `ON CONFLICT (cvr) DO NOTHING`)
}

func (s *Store) saveCompany(ctx context.Context, c Company, onConflict string) error {
	return pgdb.Tx(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO companies (cvr, name, email, language) VALUES ($1, $2, $3, $4) `+onConflict,
			c.CVR, c.Name, c.Email, c.Language)
		if err != nil {
			return fmt.Errorf("save company: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // a seed that found the contact
		}
		env, err := events.New(Source, events.TypeCompanyUpdated, events.SubjectCompanyUpdated, c.CVR, s.Now(), c)
		if err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, env)
	})
}
