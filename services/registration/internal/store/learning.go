package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pii"
	"livslang.dk/services/registration/internal/enrolment"
	"livslang.dk/services/registration/internal/learning"
)

func learningAAD(id uuid.UUID) []byte { return []byte("learning_entries\x00" + id.String()) }

// recordLearning keeps the enrolment's line in the citizen's learning record once the course is
// theirs (started, completed, withdrawn, or cancelled after a confirmed seat), in the transaction
// that moved it from the state from. A completion also issues the course's credential.
func (s *Store) recordLearning(ctx context.Context, tx pgx.Tx, e *Enrolment, c Citizen, from enrolment.Status, reason string) error {
	status, ok := learning.Status(from, e.Status)
	if !ok || e.CitizenID == "" {
		return nil
	}
	key, err := s.ring.ForWriting(ctx, tx, e.CitizenID)
	if errors.Is(err, datakeys.ErrErased) {
		return nil
	}
	if err != nil {
		return err
	}
	course := e.Course
	today := s.Today()
	entry := learning.Entry{ID: e.ID, Source: learning.FromLivslang, Status: status, Title: course.Title, TitleEN: course.TitleEN,
		Code: course.Code, Category: course.Category, Institution: learning.Institution{ID: course.InstitutionID.String(), Name: course.InstitutionName},
		StartsOn: date(course.StartsOn), EndsOn: date(course.EndsOn), Year: course.EndsOn.Year(), HoursPlanned: course.PlannedHours(),
		HoursAttended: e.AttendedHours, ECTS: course.ECTS, Skills: course.Skills, Competences: course.Competences, EnrolmentID: e.ID.String(), CourseID: course.ID.String(),
		UpdatedAt: s.now().UTC()}
	if status != learning.InProgress {
		entry.EndedOn, entry.Year = date(today), today.Year()
	}
	if status == learning.Withdrawn || status == learning.Cancelled {
		entry.Reason = reason
	}
	if status == learning.Completed {
		id, err := s.issueCredential(ctx, tx, key, e, c)
		if err != nil {
			return err
		}
		entry.CredentialID = id.String()
	}
	sealed, err := sealEntry(key, entry)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO learning_entries (id, citizen_id, source, enrolment_id, sealed) VALUES ($1, $2, 'livslang', $1, $3)
		ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now()`, e.ID, e.CitizenID, sealed); err != nil {
		return fmt.Errorf("record learning: %w", err)
	}
	return nil
}

func sealEntry(key pii.DataKey, e learning.Entry) ([]byte, error) {
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode learning entry: %w", err)
	}
	return key.Seal(plain, learningAAD(e.ID))
}

// LearningRecord is the citizen's learning record, newest first; a credential revoked since it was
// issued is marked so.
func (s *Store) LearningRecord(ctx context.Context, citizenID string) ([]learning.Entry, error) {
	return s.learningRecord(ctx, s.pool, citizenID)
}

func (s *Store) learningRecord(ctx context.Context, q querier, citizenID string) ([]learning.Entry, error) {
	entries := []learning.Entry{}
	rows, err := q.Query(ctx, `SELECT l.id, l.sealed, k.wrapped, coalesce(c.revoked_at IS NOT NULL, false)
		FROM learning_entries l JOIN citizen_keys k ON k.citizen_id = l.citizen_id
		LEFT JOIN credentials c ON c.enrolment_id = l.enrolment_id
		WHERE l.citizen_id = $1`, citizenID)
	if err != nil {
		return nil, translate("read learning record", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var sealed, wrapped []byte
		var revoked bool
		if err := rows.Scan(&id, &sealed, &wrapped, &revoked); err != nil {
			return nil, translate("read learning record", err)
		}
		key, err := s.ring.Open(citizenID, wrapped)
		if err != nil {
			return nil, err
		}
		plain, err := key.Open(sealed, learningAAD(id))
		if err != nil {
			return nil, fmt.Errorf("open learning entry: %w", err)
		}
		var e learning.Entry
		if err := json.Unmarshal(plain, &e); err != nil {
			return nil, fmt.Errorf("decode learning entry: %w", err)
		}
		e.CredentialRevoked = revoked
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("read learning record", err)
	}
	learning.Sort(entries)
	return entries, nil
}

// SaveEducation adds or replaces an education the citizen reports themselves. It reports whether
// the entry was new; an entry with the id that is not the citizen's own is not found.
func (s *Store) SaveEducation(ctx context.Context, citizenID string, e learning.Entry, replace bool) (learning.Entry, bool, error) {
	created := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var owner, source string
		err := tx.QueryRow(ctx, `SELECT citizen_id, source FROM learning_entries WHERE id = $1 FOR UPDATE`, e.ID).Scan(&owner, &source)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if replace {
				return pgdb.ErrNotFound
			}
			created = true
		case err != nil:
			return err
		case owner != citizenID:
			return pgdb.ErrNotFound
		case source != learning.FromCitizen:
			return fmt.Errorf("%w: a course taken through Livslang is recorded as its institution reported it; only education you added yourself can be changed", fault.Conflict)
		case !replace:
			return nil // a repeat of the request that added it
		}
		key, err := s.ring.ForWriting(ctx, tx, citizenID)
		if err != nil {
			return err
		}
		sealed, err := sealEntry(key, e)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO learning_entries (id, citizen_id, source, sealed) VALUES ($1, $2, 'self', $3)
			ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now()`, e.ID, citizenID, sealed)
		return err
	})
	if err != nil {
		return learning.Entry{}, false, translate("save education", err)
	}
	stored, err := s.learningEntry(ctx, citizenID, e.ID)
	return stored, created, err
}

func (s *Store) learningEntry(ctx context.Context, citizenID string, id uuid.UUID) (learning.Entry, error) {
	entries, err := s.LearningRecord(ctx, citizenID)
	if err != nil {
		return learning.Entry{}, err
	}
	for _, e := range entries {
		if e.ID == id {
			return e, nil
		}
	}
	return learning.Entry{}, pgdb.ErrNotFound
}

// DeleteEducation removes an education the citizen added; deleting it again changes nothing.
func (s *Store) DeleteEducation(ctx context.Context, citizenID string, id uuid.UUID) error {
	var source string
	err := s.pool.QueryRow(ctx, `SELECT source FROM learning_entries WHERE id = $1 AND citizen_id = $2`, id, citizenID).Scan(&source)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return translate("delete education", err)
	}
	if source != learning.FromCitizen {
		return fmt.Errorf("%w: a course taken through Livslang stays in the record as its institution reported it", fault.Conflict)
	}
	_, err = s.pool.Exec(ctx, `DELETE FROM learning_entries WHERE id = $1 AND citizen_id = $2 AND source = 'self'`, id, citizenID)
	return translate("delete education", err)
}

// eraseLearning deletes the citizen's learning record and credential shares, and keeps of their
// credentials only what verification needs (id, dates, revocation), naming no one.
func eraseLearning(ctx context.Context, tx pgx.Tx, citizenID string) (entries, shares, credentials int64, err error) {
	err = tx.QueryRow(ctx, `WITH l AS (DELETE FROM learning_entries WHERE citizen_id = $1 RETURNING 1),
			s AS (DELETE FROM credential_shares WHERE credential_id IN (SELECT id FROM credentials WHERE citizen_id = $1) RETURNING 1),
			c AS (UPDATE credentials SET citizen_id = '', token_sealed = NULL WHERE citizen_id = $1 RETURNING 1)
		SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM s), (SELECT count(*) FROM c)`, citizenID).Scan(&entries, &shares, &credentials)
	if err != nil {
		err = fmt.Errorf("erase learning record: %w", err)
	}
	return entries, shares, credentials, err
}
