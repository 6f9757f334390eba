package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
)

// TrackEnrolment keeps the newest state of an enrolment from its events. It reports whether e is the
// newest version seen (an older event arriving late changes nothing and reports false).
func (s *Store) TrackEnrolment(ctx context.Context, tx pgx.Tx, e events.Enrolment) (bool, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, course_id, status, version, data, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version, data = EXCLUDED.data,
			course_id = EXCLUDED.course_id, updated_at = EXCLUDED.updated_at
		WHERE enrolments.version < EXCLUDED.version`,
		e.EnrolmentID, e.CitizenID, e.Course.ID, e.Status, e.Version, data, s.Now())
	if err != nil {
		return false, fmt.Errorf("track enrolment: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// EnrolmentState is what notification knows of an enrolment now.
type EnrolmentState struct {
	Status  string
	Version int64
	Data    events.Enrolment
}

// Enrolment returns what notification knows of an enrolment (found false when nothing).
func (s *Store) Enrolment(ctx context.Context, q Querier, id string) (EnrolmentState, bool, error) {
	var st EnrolmentState
	var data []byte
	err := q.QueryRow(ctx, `SELECT status, version, data FROM enrolments WHERE id = $1`, id).Scan(&st.Status, &st.Version, &data)
	if isNoRows(err) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read enrolment: %w", err)
	}
	if err := json.Unmarshal(data, &st.Data); err != nil {
		return st, false, fmt.Errorf("read enrolment: %w", err)
	}
	return st, true, nil
}

// TrackCourse keeps the newest description of a run; it reports whether c is newer than what was known.
func (s *Store) TrackCourse(ctx context.Context, tx pgx.Tx, c events.CourseUpdated) (bool, error) {
	course, err := json.Marshal(c.Course)
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO course_runs (id, version, course, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, course = EXCLUDED.course, updated_at = EXCLUDED.updated_at
		WHERE course_runs.version < EXCLUDED.version`, c.Course.ID, c.Version, course, s.Now())
	if err != nil {
		return false, fmt.Errorf("track course: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Course returns the newest description of a run, if one was seen.
func (s *Store) Course(ctx context.Context, q Querier, id string) (events.CourseFacts, bool, error) {
	var raw []byte
	err := q.QueryRow(ctx, `SELECT course FROM course_runs WHERE id = $1`, id).Scan(&raw)
	if isNoRows(err) {
		return events.CourseFacts{}, false, nil
	}
	var c events.CourseFacts
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return c, false, fmt.Errorf("read course: %w", err)
	}
	return c, true, nil
}

// LiveOn returns the enrolments on a run that are still going (pending, waiting, offered, confirmed),
// locked for the caller's transaction.
func (s *Store) LiveOn(ctx context.Context, tx pgx.Tx, courseID string) ([]EnrolmentState, error) {
	rows, err := tx.Query(ctx, `SELECT status, version, data FROM enrolments
		WHERE course_id = $1 AND status IN ('pending', 'waitlisted', 'offered', 'confirmed') ORDER BY id FOR UPDATE`, courseID)
	if err != nil {
		return nil, fmt.Errorf("enrolments on run: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EnrolmentState, error) {
		var st EnrolmentState
		var data []byte
		if err := r.Scan(&st.Status, &st.Version, &data); err != nil {
			return st, err
		}
		return st, json.Unmarshal(data, &st.Data)
	})
	if err != nil {
		return nil, fmt.Errorf("enrolments on run: %w", err)
	}
	return list, nil
}

// SetEnrolmentCourse records a run's new description on an enrolment notification tracks.
func (s *Store) SetEnrolmentCourse(ctx context.Context, tx pgx.Tx, id string, c events.CourseFacts) error {
	course, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE enrolments SET data = jsonb_set(data, '{course}', $2), updated_at = $3 WHERE id = $1`,
		id, course, s.Now()); err != nil {
		return fmt.Errorf("update enrolment course: %w", err)
	}
	return nil
}

// referralRank orders a referral's statuses; a status only replaces a lower one.
const referralRank = `CASE $1::text WHEN 'open' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END`

// TrackReferral keeps a referral's status as it moves forward; it reports whether r moved it.
func (s *Store) TrackReferral(ctx context.Context, tx pgx.Tx, r events.Referral) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO referrals (id, citizen_id, status, updated_at) VALUES ($2, $3, $1, $4)
		ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
		WHERE (CASE referrals.status WHEN 'open' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END) < `+referralRank,
		r.Status, r.ReferralID, r.CitizenID, s.Now())
	if err != nil {
		return false, fmt.Errorf("track referral: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReferralStatus returns a referral's status as notification knows it ("" when unknown).
func (s *Store) ReferralStatus(ctx context.Context, q Querier, id string) (string, error) {
	var status string
	err := q.QueryRow(ctx, `SELECT status FROM referrals WHERE id = $1`, id).Scan(&status)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read referral: %w", err)
	}
	return status, nil
}
