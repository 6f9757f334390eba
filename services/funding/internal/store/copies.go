package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
)

// Citizen is funding's copy of a citizen's facts.
type Citizen struct {
	ID        string
	Name      string // "" until a profile event with the name has arrived
	Facts     events.ProfileFacts
	Version   int64
	UpdatedAt time.Time
}

func citizenAAD(id string) []byte { return []byte("funding.citizens.facts\x00" + id) }

func citizenNameAAD(id string) []byte { return []byte("funding.citizens.name\x00" + id) }

// SaveCitizen keeps the newest version of a citizen's facts, sealed with their data key; it reports
// whether this version was newer. An erased citizen's profile (an event that arrives late) is not kept.
func (s *Store) SaveCitizen(ctx context.Context, tx pgx.Tx, p events.ProfileUpdated) (bool, error) {
	facts, err := json.Marshal(p.Facts)
	if err != nil {
		return false, err
	}
	key, err := s.Ring.ForWriting(ctx, tx, p.CitizenID)
	if errors.Is(err, datakeys.ErrErased) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	sealed, err := key.Seal(facts, citizenAAD(p.CitizenID))
	if err != nil {
		return false, err
	}
	name, err := key.Seal([]byte(p.Name), citizenNameAAD(p.CitizenID))
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO citizens (id, cpr_index, municipality, facts_sealed, name_sealed, version) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET cpr_index = EXCLUDED.cpr_index, municipality = EXCLUDED.municipality,
			facts_sealed = EXCLUDED.facts_sealed, name_sealed = EXCLUDED.name_sealed, facts = NULL, version = EXCLUDED.version,
			updated_at = now()
		WHERE citizens.version < EXCLUDED.version`, p.CitizenID, p.CPRIndex, p.Facts.Municipality, sealed, name, p.Version)
	if err != nil {
		return false, fmt.Errorf("save citizen: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SaveCourse keeps the newest version of a course run's facts; it reports whether this version was
// newer, and whether it is the run's first.
func (s *Store) SaveCourse(ctx context.Context, tx pgx.Tx, c events.CourseUpdated) (newer, first bool, err error) {
	id, err := uuid.Parse(c.Course.ID)
	if err != nil {
		return false, false, fmt.Errorf("%w: course id", events.ErrMalformed)
	}
	inst, err := uuid.Parse(c.Course.InstitutionID)
	if err != nil {
		return false, false, fmt.Errorf("%w: institution id", events.ErrMalformed)
	}
	facts, err := json.Marshal(c.Course)
	if err != nil {
		return false, false, err
	}
	err = tx.QueryRow(ctx, `INSERT INTO courses (id, institution_id, facts, version) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET facts = EXCLUDED.facts, version = EXCLUDED.version, updated_at = now()
		WHERE courses.version < EXCLUDED.version RETURNING xmax = 0`, id, inst, facts, c.Version).Scan(&first)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("save course: %w", err)
	}
	return true, first, nil
}

const citizenQuery = `SELECT id, facts_sealed, name_sealed, version, updated_at,
	(SELECT wrapped FROM citizen_keys k WHERE k.citizen_id = citizens.id) FROM citizens`

// GetCitizen returns funding's copy of a citizen by id.
func (s *Store) GetCitizen(ctx context.Context, id string) (Citizen, error) {
	return s.citizen(ctx, citizenQuery+` WHERE id = $1`, id)
}

// CitizenByCPRIndex finds a citizen by the keyed hash of their CPR number.
func (s *Store) CitizenByCPRIndex(ctx context.Context, index string) (Citizen, error) {
	return s.citizen(ctx, citizenQuery+` WHERE cpr_index = $1`, index)
}

func (s *Store) citizen(ctx context.Context, sql string, arg any) (Citizen, error) {
	c, err := s.scanCitizen(s.Pool.QueryRow(ctx, sql, arg))
	if err != nil {
		return Citizen{}, fmt.Errorf("get citizen: %w", pgdb.Translate(err))
	}
	return c, nil
}

// scanCitizen reads a row of citizenQuery and opens the citizen's sealed facts and name with their
// data key; an erased citizen (no key) is pgx.ErrNoRows.
func (s *Store) scanCitizen(row pgx.Row) (Citizen, error) {
	var c Citizen
	var sealed, name, wrapped []byte
	if err := row.Scan(&c.ID, &sealed, &name, &c.Version, &c.UpdatedAt, &wrapped); err != nil {
		return Citizen{}, err
	}
	if wrapped == nil {
		return Citizen{}, pgx.ErrNoRows
	}
	key, err := s.Ring.Open(c.ID, wrapped)
	if err != nil {
		return Citizen{}, fmt.Errorf("citizen %s: %w", c.ID, err)
	}
	facts, err := key.Open(sealed, citizenAAD(c.ID))
	if err != nil {
		return Citizen{}, fmt.Errorf("open citizen: %w", err)
	}
	if err := json.Unmarshal(facts, &c.Facts); err != nil {
		return Citizen{}, fmt.Errorf("decode citizen: %w", err)
	}
	if name != nil {
		raw, err := key.Open(name, citizenNameAAD(c.ID))
		if err != nil {
			return Citizen{}, fmt.Errorf("open citizen's name: %w", err)
		}
		c.Name = string(raw)
	}
	return c, nil
}

// GetCourse returns funding's copy of a course run.
func (s *Store) GetCourse(ctx context.Context, id uuid.UUID) (events.CourseFacts, error) {
	var facts []byte
	if err := s.Pool.QueryRow(ctx, `SELECT facts FROM courses WHERE id = $1`, id).Scan(&facts); err != nil {
		return events.CourseFacts{}, fmt.Errorf("get course: %w", pgdb.Translate(err))
	}
	var c events.CourseFacts
	if err := json.Unmarshal(facts, &c); err != nil {
		return events.CourseFacts{}, fmt.Errorf("decode course: %w", err)
	}
	return c, nil
}
