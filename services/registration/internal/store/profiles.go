package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/pii"
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
	// Erasing is set (never stored) while the citizen's data is being erased: the events that end
	// their enrolments say so.
	Erasing bool
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

// sealedProfile is what a citizen's data key seals of their profile.
type sealedProfile struct {
	CPR          string  `json:"cpr"`
	Municipality string  `json:"municipality"`
	Name         string  `json:"name"`
	Email        string  `json:"email"`
	Phone        string  `json:"phone"`
	Education    string  `json:"education"`
	EduYear      int     `json:"education_year"`
	Employment   string  `json:"employment"`
	EmployerCVR  string  `json:"employer_cvr"`
	Since        *string `json:"employed_since,omitempty"`
	WeeklyHours  float64 `json:"weekly_hours"`
	Benefits     string  `json:"benefits"`
}

func profileAAD(citizenID string) []byte {
	return []byte("registration.citizens.profile\x00" + citizenID)
}

func sealProfile(key pii.DataKey, citizenID, municipality string, number cpr.Number, p enrolment.Profile) ([]byte, error) {
	sp := sealedProfile{CPR: number.Digits(), Municipality: municipality, Name: p.Name, Email: p.Email, Phone: p.Phone,
		Education: p.Education, EduYear: p.EduYear, Employment: p.Employment, EmployerCVR: p.EmployerCVR,
		WeeklyHours: p.WeeklyHours, Benefits: p.Benefits}
	if p.Since != nil {
		d := date(*p.Since)
		sp.Since = &d
	}
	raw, err := json.Marshal(sp)
	if err != nil {
		return nil, fmt.Errorf("seal profile: %w", err)
	}
	return key.Seal(raw, profileAAD(citizenID))
}

// SaveProfile creates or replaces the citizen's profile and announces it. The profile (with the CPR
// number) is stored sealed with the citizen's data key, the CPR number also as a keyed hash to find
// it by; a CPR number already used by another identity is a conflict, and an erased citizen cannot
// come back under the same identity (410). A version other than 0 is the one the caller read: saving
// over a profile changed since is a conflict, so one device's save does not undo another's.
func (s *Store) SaveProfile(ctx context.Context, citizenID, municipality string, number cpr.Number, p enrolment.Profile, version int64) (Citizen, error) {
	var c Citizen
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT id FROM citizens WHERE cpr_index = $1`, s.keys.Index(number.Digits())).Scan(&owner)
		if err == nil && owner != citizenID {
			return fmt.Errorf("%w: this CPR number belongs to another login", fault.Conflict)
		}
		key, err := s.ring.ForWriting(ctx, tx, citizenID)
		if err != nil {
			return err
		}
		sealed, err := sealProfile(key, citizenID, municipality, number, p)
		if err != nil {
			return err
		}
		row := tx.QueryRow(ctx, `INSERT INTO citizens (id, cpr_index, profile_sealed, language)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET cpr_index = EXCLUDED.cpr_index, profile_sealed = EXCLUDED.profile_sealed,
				language = EXCLUDED.language, version = citizens.version + 1, updated_at = now()
			WHERE $5 = 0 OR citizens.version = $5
			RETURNING version, updated_at`,
			citizenID, s.keys.Index(number.Digits()), sealed, p.Language, version)
		c = Citizen{ID: citizenID, Municipality: municipality, CPR: number, BirthDate: number.BirthDate(), Profile: p}
		if err := row.Scan(&c.Version, &c.UpdatedAt); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: your profile was changed since version %d was read (on another device or tab): read it again and save your changes on top", fault.Conflict, version)
		} else if err != nil {
			return err
		}
		_, err = s.publish(ctx, tx, events.TypeProfileUpdated, events.SubjectProfileUpdated, citizenID, events.ProfileUpdated{
			CitizenID: citizenID, CPRIndex: base64.StdEncoding.EncodeToString(s.keys.Index(number.Digits())), Version: c.Version, Name: p.Name, Email: p.Email, Phone: p.Phone, Facts: c.Facts(),
		})
		if err != nil {
			return err
		}
		return s.acceptInvitations(ctx, tx, c) // enrolments a company made for them before they had a profile
	})
	return c, translate("save profile", err)
}

// citizenQuery reads a citizen with their wrapped data key.
const citizenQuery = `SELECT c.id, c.language, c.version, c.updated_at, c.profile_sealed, k.wrapped
	FROM citizens c LEFT JOIN citizen_keys k ON k.citizen_id = c.id WHERE c.id = $1`

func (s *Store) scanCitizen(row pgx.Row) (Citizen, error) {
	var c Citizen
	var sealed, wrapped []byte
	if err := row.Scan(&c.ID, &c.Profile.Language, &c.Version, &c.UpdatedAt, &sealed, &wrapped); err != nil {
		return Citizen{}, err
	}
	key, err := s.ring.Open(c.ID, wrapped)
	if err != nil {
		return Citizen{}, fmt.Errorf("citizen %s: %w", c.ID, err)
	}
	raw, err := key.Open(sealed, profileAAD(c.ID))
	if err != nil {
		return Citizen{}, fmt.Errorf("open profile: %w", err)
	}
	var sp sealedProfile
	if err := json.Unmarshal(raw, &sp); err != nil {
		return Citizen{}, fmt.Errorf("decode profile: %w", err)
	}
	if c.CPR, err = cpr.Parse(sp.CPR); err != nil {
		return Citizen{}, fmt.Errorf("stored cpr: %w", err)
	}
	c.BirthDate, c.Municipality = c.CPR.BirthDate(), sp.Municipality
	p := &c.Profile
	p.Name, p.Email, p.Phone, p.Education, p.EduYear = sp.Name, sp.Email, sp.Phone, sp.Education, sp.EduYear
	p.Employment, p.EmployerCVR, p.WeeklyHours, p.Benefits = sp.Employment, sp.EmployerCVR, sp.WeeklyHours, sp.Benefits
	if sp.Since != nil {
		d, err := time.Parse(time.DateOnly, *sp.Since)
		if err != nil {
			return Citizen{}, fmt.Errorf("stored employed_since: %w", err)
		}
		p.Since = &d
	}
	return c, nil
}

// citizen reads a citizen in q (the pool or a transaction).
func (s *Store) citizen(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) (Citizen, error) {
	return s.scanCitizen(q.QueryRow(ctx, citizenQuery, id))
}

// GetCitizen returns a citizen's profile; an erased citizen's is gone (410).
func (s *Store) GetCitizen(ctx context.Context, id string) (Citizen, error) {
	c, err := s.citizen(ctx, s.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		if erased, eerr := s.ring.Erased(ctx, s.pool, id); eerr == nil && erased {
			return Citizen{}, datakeys.ErrErased
		}
	}
	return c, translate("get citizen", err)
}

// SealLegacyProfiles seals the profiles stored in plaintext columns before profiles were sealed
// with the citizens' data keys (migration 0009), and clears those columns. It returns how many.
func (s *Store) SealLegacyProfiles(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM citizens WHERE profile_sealed IS NULL`)
	if err != nil {
		return 0, translate("find plaintext profiles", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, translate("find plaintext profiles", err)
	}
	for _, id := range ids {
		err := s.tx(ctx, func(tx pgx.Tx) error {
			var sealedCPR []byte
			var municipality string
			var p enrolment.Profile
			err := tx.QueryRow(ctx, `SELECT cpr_sealed, coalesce(municipality, ''), name, email, coalesce(phone, ''),
					education_level, education_year, employment_status, coalesce(employer_cvr, ''), employed_since,
					coalesce(weekly_hours, 0)::float8, benefits
				FROM citizens WHERE id = $1 AND profile_sealed IS NULL FOR UPDATE`, id).Scan(&sealedCPR, &municipality,
				&p.Name, &p.Email, &p.Phone, &p.Education, &p.EduYear, &p.Employment, &p.EmployerCVR, &p.Since, &p.WeeklyHours, &p.Benefits)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // sealed meanwhile by another instance
			} else if err != nil {
				return err
			}
			digits, err := s.keys.Open(sealedCPR, []byte(id))
			if err != nil {
				return fmt.Errorf("open cpr: %w", err)
			}
			number, err := cpr.Parse(string(digits))
			if err != nil {
				return fmt.Errorf("stored cpr: %w", err)
			}
			key, err := s.ring.ForWriting(ctx, tx, id)
			if err != nil {
				return err
			}
			sealed, err := sealProfile(key, id, municipality, number, p)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE citizens SET profile_sealed = $2, cpr_sealed = NULL, birth_date = NULL, name = NULL,
					email = NULL, phone = NULL, education_level = NULL, education_year = NULL, employment_status = NULL,
					employer_cvr = NULL, employed_since = NULL, weekly_hours = NULL, benefits = NULL, municipality = NULL
				WHERE id = $1`, id, sealed)
			return err
		})
		if err != nil {
			return 0, translate("seal plaintext profile", err)
		}
	}
	return len(ids), nil
}
