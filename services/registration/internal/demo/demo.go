// Package demo seeds the demo catalogue: Herning's adult-education institutions and their course runs,
// dated relative to the day of seeding. Seeding is idempotent: fixed ids, existing rows untouched.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"livslang.dk/services/registration/internal/store"
)

//go:embed catalogue.json
var catalogue []byte

type file struct {
	Institutions []struct {
		ID        uuid.UUID `json:"id"`
		Name      string    `json:"name"`
		ShortName string    `json:"short_name"`
		Kind      string    `json:"kind"`
		Address   string    `json:"address"`
		Website   string    `json:"website"`
		Email     string    `json:"email"`
	} `json:"institutions"`
	Courses []struct {
		ID                uuid.UUID `json:"id"`
		InstitutionID     uuid.UUID `json:"institution_id"`
		Code              string    `json:"code"`
		Title             string    `json:"title"`
		TitleEN           string    `json:"title_en"`
		Category          string    `json:"category"`
		StartOffsetDays   int       `json:"start_offset_days"`
		DurationDays      int       `json:"duration_days"`
		HoursPerWeek      float64   `json:"hours_per_week"`
		FeeDKK            int64     `json:"fee_dkk"`
		Schemes           []string  `json:"schemes"`
		SeatsTotal        int       `json:"seats_total"`
		Location          string    `json:"location"`
		Description       string    `json:"description"`
		DescriptionEN     string    `json:"description_en"`
		ECTS              *float64  `json:"ects"`
		Skills            []string  `json:"skills"`
		CertificateMonths int       `json:"certificate_months"`
		Competences       []string  `json:"competences"`
	} `json:"courses"`
}

// Seed stores the catalogue with course dates counted from today; it returns how many runs were new.
func Seed(ctx context.Context, s *store.Store, today time.Time) (int, error) {
	var f file
	if err := json.Unmarshal(catalogue, &f); err != nil {
		return 0, fmt.Errorf("read demo catalogue: %w", err)
	}
	for _, in := range f.Institutions {
		if err := s.UpsertInstitution(ctx, store.Institution{ID: in.ID, Name: in.Name, ShortName: in.ShortName,
			Kind: in.Kind, Address: in.Address, Website: in.Website, Email: in.Email}); err != nil {
			return 0, err
		}
	}
	created := 0
	for _, c := range f.Courses {
		start := today.AddDate(0, 0, c.StartOffsetDays)
		// Courses start on weekdays.
		for start.Weekday() == time.Saturday || start.Weekday() == time.Sunday {
			start = start.AddDate(0, 0, 1)
		}
		isNew, err := s.CreateCourse(ctx, store.Course{ID: c.ID, InstitutionID: c.InstitutionID, Code: c.Code,
			Title: c.Title, TitleEN: c.TitleEN, Category: c.Category, StartsOn: start,
			EndsOn: start.AddDate(0, 0, max(c.DurationDays-1, 0)), HoursPerWeek: c.HoursPerWeek, FeeDKK: c.FeeDKK,
			Schemes: c.Schemes, SeatsTotal: c.SeatsTotal, Location: c.Location, Description: c.Description,
			DescriptionEN: c.DescriptionEN, ECTS: c.ECTS, Skills: c.Skills, CertificateMonths: c.CertificateMonths,
			Competences: c.Competences})
		if err != nil {
			return created, fmt.Errorf("seed course %s: %w", c.Code, err)
		}
		if isNew {
			created++
		}
	}
	return created, nil
}
