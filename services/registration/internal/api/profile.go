package api

import (
	"net/http"
	"time"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/registration/internal/enrolment"
	"livslang.dk/services/registration/internal/store"
)

type profileJSON struct {
	Name       string         `json:"name"`
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	Language   string         `json:"language"`
	Education  educationJSON  `json:"education"`
	Employment employmentJSON `json:"employment"`
	Benefits   string         `json:"benefits"`
	// Read-only fields in responses.
	CPR          string `json:"cpr,omitempty"`
	BirthDate    string `json:"birth_date,omitempty"`
	Municipality string `json:"municipality,omitempty"`
	Version      int64  `json:"version,omitempty"`
	UpdatedAt    string `json:"updated_at,omitempty"`
}

type educationJSON struct {
	Level         string `json:"level"`
	CompletedYear int    `json:"completed_year"`
}

type employmentJSON struct {
	Status      string  `json:"status"`
	EmployerCVR string  `json:"employer_cvr"`
	Since       string  `json:"since"`
	WeeklyHours float64 `json:"weekly_hours"`
}

// profileRequest is the body of PUT /v1/me/profile (no read-only fields).
type profileRequest struct {
	Name       string         `json:"name"`
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	Language   string         `json:"language"`
	Education  educationJSON  `json:"education"`
	Employment employmentJSON `json:"employment"`
	Benefits   string         `json:"benefits"`
	// The read-only fields of a profile read with GET, so that it can be sent back as it was read:
	// they must be the caller's own, and a version says which one was read.
	CPR          *string `json:"cpr,omitempty"`
	BirthDate    *string `json:"birth_date,omitempty"`
	Municipality *string `json:"municipality,omitempty"`
	Version      *int64  `json:"version,omitempty"`
	UpdatedAt    *string `json:"updated_at,omitempty"`
}

// readOnly checks the read-only fields the request repeats against what they are for the caller.
func (req profileRequest) readOnly(number cpr.Number, municipality string) error {
	v := &fault.ValidationError{}
	if req.CPR != nil && *req.CPR != number.Masked() {
		v.Add("cpr", "is read-only: it is the CPR number of your sign-in")
	}
	if req.BirthDate != nil && *req.BirthDate != number.BirthDate().Format(time.DateOnly) {
		v.Add("birth_date", "is read-only: it comes from your CPR number")
	}
	if req.Municipality != nil && *req.Municipality != municipality {
		v.Add("municipality", "is read-only: it comes from your sign-in")
	}
	if req.Version != nil && *req.Version < 1 {
		v.Add("version", "must be the version of the profile you read (1 or more)")
	}
	return v.Err()
}

// profile validates the request into a profile, as of today.
func (req profileRequest) profile(today time.Time) (enrolment.Profile, error) {
	p := enrolment.Profile{Name: req.Name, Email: req.Email, Phone: req.Phone, Language: req.Language,
		Education: req.Education.Level, EduYear: req.Education.CompletedYear, Employment: req.Employment.Status,
		EmployerCVR: req.Employment.EmployerCVR, WeeklyHours: req.Employment.WeeklyHours, Benefits: req.Benefits}
	if req.Employment.Since != "" {
		d, err := time.Parse(time.DateOnly, req.Employment.Since)
		if err != nil {
			return p, &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "employment.since", Message: "must be a date YYYY-MM-DD"}}}
		}
		p.Since = &d
	}
	return p, p.Validate(today)
}

func (a *API) putProfile(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	number, err := citizenCPR(claims)
	if err != nil {
		return err
	}
	var req profileRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := req.profile(a.Store.Today())
	if err != nil {
		return err
	}
	if err := req.readOnly(number, claims.Municipality); err != nil {
		return err
	}
	var version int64 // 0: whatever the stored one
	if req.Version != nil {
		version = *req.Version
	}
	c, err := a.Store.SaveProfile(r.Context(), claims.Subject, claims.Municipality, number, p, version)
	if err != nil {
		return err
	}
	if err := a.record(r, c.ID, audit.Change, "profile", "", "the citizen saved their profile"); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toProfileJSON(c))
}

func (a *API) getProfile(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	c, err := a.Store.GetCitizen(r.Context(), claims.Subject)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toProfileJSON(c))
}

func toProfileJSON(c store.Citizen) profileJSON {
	p := c.Profile
	out := profileJSON{Name: p.Name, Email: p.Email, Phone: p.Phone, Language: p.Language,
		Education:  educationJSON{Level: p.Education, CompletedYear: p.EduYear},
		Employment: employmentJSON{Status: p.Employment, EmployerCVR: p.EmployerCVR, WeeklyHours: p.WeeklyHours},
		Benefits:   p.Benefits, CPR: c.CPR.Masked(), BirthDate: c.BirthDate.Format(time.DateOnly), Municipality: c.Municipality, Version: c.Version,
		UpdatedAt: c.UpdatedAt.UTC().Format(time.RFC3339)}
	if p.Since != nil {
		out.Employment.Since = p.Since.Format(time.DateOnly)
	}
	return out
}
