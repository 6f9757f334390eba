package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
)

// OpenCourses are funding's copies of the runs that are not cancelled, start after today and list a
// scheme other than paying yourself (no other can be funded).
func (s *Store) OpenCourses(ctx context.Context, tx pgx.Tx, today string) ([]events.CourseFacts, error) {
	rows, err := tx.Query(ctx, `SELECT facts FROM courses
		WHERE coalesce(facts->>'status', '') <> 'cancelled' AND facts->>'starts_on' > $1
			AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(facts->'schemes') s WHERE s <> 'self')
		ORDER BY id`, today)
	if err != nil {
		return nil, fmt.Errorf("list open courses: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.CourseFacts, error) {
		var raw []byte
		var c events.CourseFacts
		if err := r.Scan(&raw); err != nil {
			return c, fmt.Errorf("list open courses: %w", err)
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return c, fmt.Errorf("decode course: %w", err)
		}
		return c, nil
	})
}

// Citizens are funding's copies of every citizen not erased, by id.
func (s *Store) Citizens(ctx context.Context, tx pgx.Tx) ([]Citizen, error) {
	rows, err := tx.Query(ctx, citizenQuery+` WHERE EXISTS (SELECT 1 FROM citizen_keys k WHERE k.citizen_id = citizens.id) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list citizens: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Citizen, error) { return s.scanCitizen(r) })
	if err != nil {
		return nil, fmt.Errorf("list citizens: %w", err)
	}
	return list, nil
}

// CitizenTx is funding's copy of a citizen, read in tx; false when there is none (or it was erased).
func (s *Store) CitizenTx(ctx context.Context, tx pgx.Tx, id string) (Citizen, bool, error) {
	c, err := s.scanCitizen(tx.QueryRow(ctx, citizenQuery+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Citizen{}, false, nil
	}
	if err != nil {
		return Citizen{}, false, fmt.Errorf("get citizen: %w", err)
	}
	return c, true, nil
}

// ReplaceFunded makes funded the citizen's funded runs; it reports whether they changed, or were
// never published.
func (s *Store) ReplaceFunded(ctx context.Context, tx pgx.Tx, citizenID string, funded map[uuid.UUID][]string) (bool, error) {
	have, err := s.funded(ctx, tx, citizenID)
	if err != nil {
		return false, err
	}
	var version int64
	if err := tx.QueryRow(ctx, `SELECT funded_version FROM citizens WHERE id = $1`, citizenID).Scan(&version); err != nil {
		return false, fmt.Errorf("read funded version: %w", err)
	}
	if maps.EqualFunc(have, funded, slices.Equal) {
		return version == 0, nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM funded_runs WHERE citizen_id = $1`, citizenID); err != nil {
		return false, fmt.Errorf("replace funded runs: %w", err)
	}
	rows, err := json.Marshal(funded)
	if err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO funded_runs (citizen_id, course_id, schemes)
		SELECT $1, key::uuid, ARRAY(SELECT jsonb_array_elements_text(value)) FROM jsonb_each($2::jsonb)`, citizenID, rows); err != nil {
		return false, fmt.Errorf("replace funded runs: %w", err)
	}
	return true, nil
}

// SetCourseFunded makes funded (citizen → schemes) who can get the run funded; it returns the
// citizens whose answer changed, by id.
func (s *Store) SetCourseFunded(ctx context.Context, tx pgx.Tx, courseID uuid.UUID, funded map[string][]string) ([]string, error) {
	raw, err := json.Marshal(funded)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `WITH n AS (
			SELECT key AS citizen_id, ARRAY(SELECT jsonb_array_elements_text(value)) AS schemes FROM jsonb_each($2::jsonb)),
		gone AS (DELETE FROM funded_runs f WHERE f.course_id = $1 AND NOT EXISTS (SELECT 1 FROM n WHERE n.citizen_id = f.citizen_id)
			RETURNING f.citizen_id),
		set AS (INSERT INTO funded_runs (citizen_id, course_id, schemes) SELECT citizen_id, $1, schemes FROM n
			ON CONFLICT (citizen_id, course_id) DO UPDATE SET schemes = EXCLUDED.schemes
			WHERE funded_runs.schemes IS DISTINCT FROM EXCLUDED.schemes RETURNING citizen_id)
		SELECT citizen_id FROM gone UNION SELECT citizen_id FROM set ORDER BY 1`, courseID, raw)
	if err != nil {
		return nil, fmt.Errorf("set funded run: %w", err)
	}
	changed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("set funded run: %w", err)
	}
	return changed, nil
}

// NextFunded numbers the citizen's next funded list and returns it.
func (s *Store) NextFunded(ctx context.Context, tx pgx.Tx, citizenID string) (events.FundedCourses, error) {
	out := events.FundedCourses{CitizenID: citizenID, Courses: []events.FundedCourse{}}
	if err := tx.QueryRow(ctx, `UPDATE citizens SET funded_version = funded_version + 1 WHERE id = $1 RETURNING funded_version`,
		citizenID).Scan(&out.Version); err != nil {
		return out, fmt.Errorf("number funded runs: %w", err)
	}
	funded, err := s.funded(ctx, tx, citizenID)
	if err != nil {
		return out, err
	}
	for id, schemes := range funded {
		out.Courses = append(out.Courses, events.FundedCourse{CourseID: id.String(), Schemes: schemes})
	}
	slices.SortFunc(out.Courses, func(a, b events.FundedCourse) int { return strings.Compare(a.CourseID, b.CourseID) })
	return out, nil
}

func (s *Store) funded(ctx context.Context, tx pgx.Tx, citizenID string) (map[uuid.UUID][]string, error) {
	rows, err := tx.Query(ctx, `SELECT course_id, schemes FROM funded_runs WHERE citizen_id = $1`, citizenID)
	if err != nil {
		return nil, fmt.Errorf("read funded runs: %w", err)
	}
	out := map[uuid.UUID][]string{}
	var id uuid.UUID
	var schemes []string
	_, err = pgx.ForEachRow(rows, []any{&id, &schemes}, func() error {
		out[id] = slices.Clone(schemes)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read funded runs: %w", err)
	}
	return out, nil
}

// ClaimFundedPass claims the day's pass over every citizen's funded courses; false when an instance
// has claimed it already.
func (s *Store) ClaimFundedPass(ctx context.Context, day string) (bool, error) {
	var done bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM funded_passes WHERE day = $1)`, day).Scan(&done); err != nil || done {
		return false, err
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO funded_passes (day) VALUES ($1) ON CONFLICT DO NOTHING`, day)
	if err != nil {
		return false, fmt.Errorf("claim funded pass: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// CitizenIDs are the ids of every citizen funding has a copy of, in order.
func (s *Store) CitizenIDs(ctx context.Context) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM citizens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list citizens: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list citizens: %w", err)
	}
	return ids, nil
}

// MarkFundedStale marks the citizen's funded courses for evaluation by the timer (RefreshStaleFunded).
func (s *Store) MarkFundedStale(ctx context.Context, tx pgx.Tx, citizenID string) error {
	if _, err := tx.Exec(ctx, `UPDATE citizens SET funded_stale = true WHERE id = $1 AND NOT funded_stale`, citizenID); err != nil {
		return fmt.Errorf("mark funded courses stale: %w", err)
	}
	return nil
}

// StaleFunded are up to limit citizens whose funded courses are marked stale, by id.
func (s *Store) StaleFunded(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id FROM citizens WHERE funded_stale ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list stale funded courses: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list stale funded courses: %w", err)
	}
	return ids, nil
}

// ClearFundedStale clears the mark once the citizen was evaluated in tx.
func (s *Store) ClearFundedStale(ctx context.Context, tx pgx.Tx, citizenID string) error {
	if _, err := tx.Exec(ctx, `UPDATE citizens SET funded_stale = false WHERE id = $1 AND funded_stale`, citizenID); err != nil {
		return fmt.Errorf("clear stale funded courses: %w", err)
	}
	return nil
}
