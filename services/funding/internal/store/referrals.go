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
	"livslang.dk/services/funding/internal/decide"
)

// Referral is a caseworker's referral of a citizen to a run.
type Referral struct {
	ID              uuid.UUID           `json:"id"`
	Status          string              `json:"status"`
	CourseID        uuid.UUID           `json:"course_id"`
	Funding         string              `json:"funding"`
	ValidUntil      string              `json:"valid_until"`
	EnrolmentID     *uuid.UUID          `json:"enrolment_id"`
	EnrolmentStatus string              `json:"enrolment_status,omitempty"`
	Reason          string              `json:"reason"`
	Municipality    string              `json:"municipality"`
	CaseworkerID    string              `json:"caseworker_id"`
	CitizenID       string              `json:"-"`
	Client          *Client             `json:"client,omitempty"` // whom the caseworker referred
	Evaluation      decide.SchemeAnswer `json:"funding_check"`
	Course          events.CourseFacts  `json:"course"`
	CreatedAt       time.Time           `json:"created_at"`
	History         []ReferralEvent     `json:"history"`
}

// Client is whom a referral is for, as the caseworker knows them: the name from the citizen's
// profile and the CPR number masked (DDMMYY-XXXX). Referrals made before names were kept have none.
type Client struct {
	Name string `json:"name"`
	CPR  string `json:"cpr"`
}

// ReferralEvent is one entry in a referral's audit trail.
type ReferralEvent struct {
	At        time.Time `json:"at"`
	Event     string    `json:"event"`
	ActorRole string    `json:"actor_role"`
	ActorID   string    `json:"actor_id,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// Actor is who did something to a referral.
type Actor struct{ Role, ID string }

const referralColumns = `id, status, course_id, scheme, valid_until::text, enrolment_id, enrolment_status, municipality,
	caseworker_id, citizen_id, course, created_at, personal_sealed,
	(SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = referrals.citizen_id)`

// referralPersonal is what a referral seals with the citizen's data key: the caseworker's reason and
// the evaluation of the funding with the citizen's facts.
type referralPersonal struct {
	Reason     string              `json:"reason"`
	Evaluation decide.SchemeAnswer `json:"evaluation"`
	Client     *Client             `json:"client,omitempty"`
}

func referralAAD(id uuid.UUID) []byte { return []byte("funding.referrals.personal\x00" + id.String()) }

func (s *Store) scanReferral(row pgx.CollectableRow) (Referral, error) {
	var r Referral
	var course, sealed, wrapped []byte
	if err := row.Scan(&r.ID, &r.Status, &r.CourseID, &r.Funding, &r.ValidUntil, &r.EnrolmentID, &r.EnrolmentStatus,
		&r.Municipality, &r.CaseworkerID, &r.CitizenID, &course, &r.CreatedAt, &sealed, &wrapped); err != nil {
		return Referral{}, err
	}
	if err := json.Unmarshal(course, &r.Course); err != nil {
		return Referral{}, fmt.Errorf("decode referral: %w", err)
	}
	key, err := s.Ring.Open(r.CitizenID, wrapped)
	if err != nil {
		return Referral{}, fmt.Errorf("referral %s: %w", r.ID, err)
	}
	raw, err := key.Open(sealed, referralAAD(r.ID))
	if err != nil {
		return Referral{}, fmt.Errorf("open referral %s: %w", r.ID, err)
	}
	var p referralPersonal
	if err := json.Unmarshal(raw, &p); err != nil {
		return Referral{}, fmt.Errorf("decode referral: %w", err)
	}
	r.Reason, r.Evaluation, r.Client = p.Reason, p.Evaluation, p.Client
	return r, nil
}

// InsertReferral stores a new referral (its reason and evaluation sealed with the citizen's data
// key), records who made it and announces it.
func (s *Store) InsertReferral(ctx context.Context, tx pgx.Tx, r Referral, by Actor) error {
	course, err := json.Marshal(r.Course)
	if err != nil {
		return err
	}
	key, err := s.Ring.ForWriting(ctx, tx, r.CitizenID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(referralPersonal{Reason: r.Reason, Evaluation: r.Evaluation, Client: r.Client})
	if err != nil {
		return err
	}
	sealed, err := key.Seal(raw, referralAAD(r.ID))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO referrals (id, municipality, caseworker_id, citizen_id, course_id, scheme, reason,
			valid_until, evaluation, course, personal_sealed) VALUES ($1, $2, $3, $4, $5, $6, '', $7, '{}', $8, $9)`,
		r.ID, r.Municipality, r.CaseworkerID, r.CitizenID, r.CourseID, r.Funding, r.ValidUntil, course, sealed); err != nil {
		return fmt.Errorf("insert referral: %w", err)
	}
	return s.referralEvent(ctx, tx, r, "created", by, "")
}

// SetReferralStatus moves a referral to status, records who did it and why, and announces it.
func (s *Store) SetReferralStatus(ctx context.Context, tx pgx.Tx, r *Referral, status string, by Actor, note string) error {
	if _, err := tx.Exec(ctx, `UPDATE referrals SET status = $2, updated_at = now() WHERE id = $1`, r.ID, status); err != nil {
		return fmt.Errorf("update referral: %w", err)
	}
	r.Status = status
	return s.referralEvent(ctx, tx, *r, status, by, note)
}

// referralEvent appends to the audit trail and publishes livslang.referral.<event>.v1.
func (s *Store) referralEvent(ctx context.Context, tx pgx.Tx, r Referral, event string, by Actor, note string) error {
	if err := s.AuditReferral(ctx, tx, r.ID, event, by, note); err != nil {
		return err
	}
	data := events.Referral{ReferralID: r.ID.String(), Status: r.Status, CitizenID: r.CitizenID, Municipality: r.Municipality,
		Course: r.Course, Scheme: r.Funding, Reason: r.Reason, ValidUntil: r.ValidUntil, Note: note}
	if r.EnrolmentID != nil {
		data.EnrolmentID = r.EnrolmentID.String()
	}
	env, err := events.New(Source, "livslang.referral."+event+".v1", events.ReferralSubject(event), r.ID.String(), s.Now(), data)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, env)
}

// AuditReferral appends an entry to the referral's audit trail.
func (s *Store) AuditReferral(ctx context.Context, tx pgx.Tx, id uuid.UUID, event string, by Actor, note string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO referral_history (referral_id, seq, event, actor_role, actor_id, note)
		VALUES ($1, (SELECT count(*) + 1 FROM referral_history WHERE referral_id = $1), $2, $3, $4, $5)`,
		id, event, by.Role, by.ID, note); err != nil {
		return fmt.Errorf("audit referral: %w", err)
	}
	return nil
}

// TrackEnrolment records the state of the enrolment a referral led to, for the caseworker's view.
func (s *Store) TrackEnrolment(ctx context.Context, tx pgx.Tx, referralID, enrolmentID uuid.UUID, status, cause string) error {
	tag, err := tx.Exec(ctx, `UPDATE referrals SET enrolment_id = $2, enrolment_status = $3, updated_at = now()
		WHERE id = $1 AND enrolment_status IS DISTINCT FROM $3`, referralID, enrolmentID, status)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return s.AuditReferral(ctx, tx, referralID, "enrolment_"+status, Actor{Role: cause}, "")
}

// GetReferral returns a referral with its audit trail.
func (s *Store) GetReferral(ctx context.Context, id uuid.UUID) (Referral, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+referralColumns+` FROM referrals WHERE id = $1`, id)
	if err != nil {
		return Referral{}, fmt.Errorf("get referral: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, s.scanReferral)
	if err != nil {
		return Referral{}, fmt.Errorf("get referral: %w", pgdb.Translate(err))
	}
	hist, err := s.Pool.Query(ctx, `SELECT at, event, actor_role, actor_id, note FROM referral_history WHERE referral_id = $1 ORDER BY seq`, id)
	if err != nil {
		return Referral{}, fmt.Errorf("referral history: %w", err)
	}
	r.History, err = pgx.CollectRows(hist, func(row pgx.CollectableRow) (ReferralEvent, error) {
		var e ReferralEvent
		return e, row.Scan(&e.At, &e.Event, &e.ActorRole, &e.ActorID, &e.Note)
	})
	return r, err
}

// LockReferral reads a referral for an update in tx.
func (s *Store) LockReferral(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Referral, error) {
	rows, err := tx.Query(ctx, `SELECT `+referralColumns+` FROM referrals WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return Referral{}, fmt.Errorf("lock referral: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, s.scanReferral)
	if err != nil {
		return Referral{}, fmt.Errorf("lock referral: %w", pgdb.Translate(err))
	}
	return r, nil
}

// ReferralFilter narrows a list of referrals.
type ReferralFilter struct {
	Municipality string // a caseworker's
	CitizenID    string // a citizen's own
	Status       string
	DueBefore    *time.Time
}

// Referrals lists referrals, soonest due first.
func (s *Store) Referrals(ctx context.Context, f ReferralFilter) ([]Referral, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+referralColumns+` FROM referrals
		WHERE ($1 = '' OR municipality = $1) AND ($2 = '' OR citizen_id = $2) AND ($3 = '' OR status = $3)
			AND ($4::date IS NULL OR valid_until <= $4)
		ORDER BY valid_until, created_at LIMIT 500`, f.Municipality, f.CitizenID, f.Status, f.DueBefore)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	list, err := pgx.CollectRows(rows, s.scanReferral)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	return list, nil
}

// endedEnrolment is the SQL list of enrolment states a referral's enrolment never leaves.
const endedEnrolment = `('cancelled', 'rejected', 'withdrawn', 'completed')`

// LiveReferral finds the citizen's live referral to the run, if any: open, or accepted, and its
// enrolment (if registration has told of one) not ended. Call it under the citizen's lock.
func (s *Store) LiveReferral(ctx context.Context, tx pgx.Tx, citizenID string, courseID uuid.UUID) (uuid.UUID, bool, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `SELECT id FROM referrals WHERE citizen_id = $1 AND course_id = $2 AND status IN ('open', 'accepted')
		AND enrolment_status NOT IN `+endedEnrolment+` LIMIT 1`, citizenID, courseID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, false, nil
	} else if err != nil {
		return uuid.Nil, false, fmt.Errorf("live referral: %w", err)
	}
	return id, true, nil
}

// DueReferrals are the referrals to end on day (YYYY-MM-DD): open ones whose answer date has
// passed, and accepted ones whose run has started while their money was still held for them (they
// waited for a seat that never came free, so no enrolment took the money over).
func (s *Store) DueReferrals(ctx context.Context, day string) ([]uuid.UUID, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM referrals WHERE status = 'open' AND valid_until < $1::date
		UNION ALL
		SELECT r.id FROM referrals r WHERE r.status = 'accepted' AND (r.course->>'starts_on')::date <= $1::date
			AND EXISTS (SELECT 1 FROM reservations v WHERE v.enrolment_id = r.id AND v.status = 'reserved')
		LIMIT 100`, day)
	if err != nil {
		return nil, fmt.Errorf("due referrals: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// TransferReservations hands what a referral reserved to the enrolment's decision.
func (s *Store) TransferReservations(ctx context.Context, tx pgx.Tx, referralID, enrolmentID, decisionID uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE reservations SET enrolment_id = $2, decision_id = $3, updated_at = now()
		WHERE enrolment_id = $1 AND status = 'reserved'`, referralID, enrolmentID, decisionID); err != nil {
		return fmt.Errorf("transfer reservations: %w", err)
	}
	return nil
}
