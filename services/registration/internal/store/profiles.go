package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/registration/internal/enrolment"
)

// Citizen is a citizen's stored profile.
type Citizen struct {
	ID           string
	Municipality string
	CPR          cpr.Number
	BirthDate    time.Time
	Profile      enrolment.Profile
	Version      int64
	UpdatedAt    time.Time
}

// Facts is what funding needs of the citizen.
func (c Citizen) Facts() events.ProfileFacts {
	p := c.Profile
	emp := events.Employment{Status: p.Employment, EmployerCVR: p.EmployerCVR, WeeklyHours: p.WeeklyHours}
	if p.Since != nil {
		emp.Since = date(*p.Since)
	}
	return events.ProfileFacts{
		BirthDate: date(c.BirthDate), Municipality: c.Municipality, Language: p.Language,
		Education:  events.Education{Level: p.Education, CompletedYear: p.EduYear},
		Employment: emp, Benefits: p.Benefits,
	}
}

// SaveProfile creates or replaces the citizen's profile and announces it. The CPR number is stored
// sealed and as a keyed hash; a CPR number already used by another identity is a conflict.
func (s *Store) SaveProfile(ctx context.Context, citizenID, municipality string, number cpr.Number, p enrolment.Profile) (Citizen, error) {
	sealed, err := s.keys.Seal([]byte(number.Digits()), []byte(citizenID))
	if err != nil {
		return Citizen{}, fmt.Errorf("seal cpr: %w", err)
	}
	var c Citizen
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT id FROM citizens WHERE cpr_index = $1`, s.keys.Index(number.Digits())).Scan(&owner)
		if err == nil && owner != citizenID {
			return fmt.Errorf("%w: this CPR number belongs to another login", httpapi.ErrConflict)
		}
		row := tx.QueryRow(ctx, `INSERT INTO citizens (id, cpr_index, cpr_sealed, birth_date, name, email, phone, language,
				education_level, education_year, employment_status, employer_cvr, employed_since, weekly_hours, benefits, municipality)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (id) DO UPDATE SET cpr_index = EXCLUDED.cpr_index, cpr_sealed = EXCLUDED.cpr_sealed,
				birth_date = EXCLUDED.birth_date, name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone,
				language = EXCLUDED.language, education_level = EXCLUDED.education_level,
				education_year = EXCLUDED.education_year, employment_status = EXCLUDED.employment_status,
				employer_cvr = EXCLUDED.employer_cvr, employed_since = EXCLUDED.employed_since,
				weekly_hours = EXCLUDED.weekly_hours, benefits = EXCLUDED.benefits, municipality = EXCLUDED.municipality,
				version = citizens.version + 1, updated_at = now()
			RETURNING version, updated_at`,
			citizenID, s.keys.Index(number.Digits()), sealed, number.BirthDate(), p.Name, p.Email, p.Phone, p.Language,
			p.Education, p.EduYear, p.Employment, p.EmployerCVR, p.Since, p.WeeklyHours, p.Benefits, municipality)
		c = Citizen{ID: citizenID, Municipality: municipality, CPR: number, BirthDate: number.BirthDate(), Profile: p}
		if err := row.Scan(&c.Version, &c.UpdatedAt); err != nil {
			return err
		}
		_, err = s.publish(ctx, tx, events.TypeProfileUpdated, events.SubjectProfileUpdated, citizenID, events.ProfileUpdated{
			CitizenID: citizenID, CPRIndex: base64.StdEncoding.EncodeToString(s.keys.Index(number.Digits())), Version: c.Version, Name: p.Name, Email: p.Email, Phone: p.Phone, Facts: c.Facts(),
		})
		return err
	})
	return c, translate("save profile", err)
}

const citizenColumns = `id, municipality, cpr_sealed, birth_date, name, email, phone, language, education_level, education_year,
	employment_status, employer_cvr, employed_since, weekly_hours::float8, benefits, version, updated_at`

func (s *Store) scanCitizen(row pgx.Row) (Citizen, error) {
	var c Citizen
	var sealed []byte
	p := &c.Profile
	if err := row.Scan(&c.ID, &c.Municipality, &sealed, &c.BirthDate, &p.Name, &p.Email, &p.Phone, &p.Language, &p.Education, &p.EduYear,
		&p.Employment, &p.EmployerCVR, &p.Since, &p.WeeklyHours, &p.Benefits, &c.Version, &c.UpdatedAt); err != nil {
		return Citizen{}, err
	}
	digits, err := s.keys.Open(sealed, []byte(c.ID))
	if err != nil {
		return Citizen{}, fmt.Errorf("open cpr: %w", err)
	}
	if c.CPR, err = cpr.Parse(string(digits)); err != nil {
		return Citizen{}, fmt.Errorf("stored cpr: %w", err)
	}
	return c, nil
}

// GetCitizen returns a citizen's profile.
func (s *Store) GetCitizen(ctx context.Context, id string) (Citizen, error) {
	c, err := s.scanCitizen(s.pool.QueryRow(ctx, `SELECT `+citizenColumns+` FROM citizens WHERE id = $1`, id))
	return c, translate("get citizen", err)
}
