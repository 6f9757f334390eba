package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
)

// ApplyFundedCourses keeps the citizen's funded course runs as funding published them, if this list
// is newer than the one kept; a list for a citizen registration does not know (erased) is dropped.
func (s *Store) ApplyFundedCourses(ctx context.Context, tx pgx.Tx, l events.FundedCourses) error {
	schemes := make(map[uuid.UUID][]string, len(l.Courses))
	for _, c := range l.Courses {
		id, err := uuid.Parse(c.CourseID)
		if err != nil {
			return fmt.Errorf("%w: course_id", events.ErrMalformed)
		}
		schemes[id] = c.Schemes
	}
	raw, err := json.Marshal(schemes)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO funded_courses (citizen_id, version, schemes)
		SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM citizens WHERE id = $1)
		ON CONFLICT (citizen_id) DO UPDATE SET version = EXCLUDED.version, schemes = EXCLUDED.schemes, updated_at = now()
		WHERE funded_courses.version < EXCLUDED.version`, l.CitizenID, l.Version, raw)
	if err != nil {
		return fmt.Errorf("apply funded courses: %w", err)
	}
	return nil
}

// ErrNotAnsweredYet: the citizen has a profile, but funding has not yet published what they can get funded.
var ErrNotAnsweredYet = errors.New("funding has not answered for this citizen yet")

// FundedSchemes are the schemes other than "self" that fund each run for the citizen. A citizen
// without a profile is not found; one funding has not answered for yet is ErrNotAnsweredYet.
func (s *Store) FundedSchemes(ctx context.Context, citizenID string) (map[uuid.UUID][]string, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT f.schemes FROM citizens c LEFT JOIN funded_courses f ON f.citizen_id = c.id
		WHERE c.id = $1`, citizenID).Scan(&raw)
	if err != nil {
		return nil, translate("read funded courses", err)
	}
	if raw == nil {
		return nil, ErrNotAnsweredYet
	}
	out := map[uuid.UUID][]string{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode funded courses: %w", err)
	}
	return out, nil
}
