// Package learning is a citizen's learning record: the courses they took through Livslang, as their
// institutions reported them, and the education they add themselves, newest first, for a lifetime.
package learning

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/registration/internal/enrolment"
)

// Where an entry comes from.
const (
	FromLivslang = "livslang" // a course taken through Livslang, as its institution reported it
	FromCitizen  = "self"     // education the citizen added; not checked by anyone
)

// Statuses of a course taken through Livslang: only Completed means the course was completed.
const (
	InProgress = "in_progress"
	Completed  = "completed"
	Withdrawn  = "withdrawn"
	Cancelled  = "cancelled"
)

// Institution is where the learning took place.
type Institution struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// Entry is one line of the record. It is the JSON the API serves and the sealed form it is kept in.
type Entry struct {
	ID            uuid.UUID   `json:"id"`
	Source        string      `json:"source"`
	SelfReported  bool        `json:"self_reported"`
	Status        string      `json:"status,omitempty"` // a course through Livslang: in_progress, completed, withdrawn, cancelled
	Title         string      `json:"title"`
	TitleEN       string      `json:"title_en,omitempty"`
	Code          string      `json:"code,omitempty"` // the AMU number or the institution's code
	Category      string      `json:"category,omitempty"`
	Level         string      `json:"level,omitempty"` // a self-reported education's level (the profile's levels)
	Institution   Institution `json:"institution"`
	StartsOn      string      `json:"starts_on,omitempty"`
	EndsOn        string      `json:"ends_on,omitempty"`
	EndedOn       string      `json:"ended_on,omitempty"` // when it was completed, withdrawn or cancelled
	Year          int         `json:"year"`               // the year it ended (or ends)
	HoursPlanned  float64     `json:"hours_planned,omitempty"`
	HoursAttended float64     `json:"hours_attended,omitempty"`
	ECTS          *float64    `json:"ects,omitempty"`
	Skills        []string    `json:"skills,omitempty"`
	Competences   []string    `json:"competences,omitempty"` // the course's competence descriptions (FKB numbers)
	Reason        string      `json:"reason,omitempty"`      // why it was withdrawn or cancelled
	EnrolmentID   string      `json:"enrolment_id,omitempty"`
	CourseID      string      `json:"course_id,omitempty"`
	CredentialID  string      `json:"credential_id,omitempty"`
	// CredentialRevoked: the institution revoked the course's credential (it corrected the completion).
	CredentialRevoked bool      `json:"credential_revoked,omitempty"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Status is the record's status of an enrolment that is in it, and whether it belongs there: a
// course is in the record once it started, or once the citizen held a confirmed seat on it.
func Status(from, to enrolment.Status) (string, bool) {
	switch to {
	case enrolment.Started:
		return InProgress, true
	case enrolment.Completed:
		return Completed, true
	case enrolment.Withdrawn:
		return Withdrawn, true
	case enrolment.Cancelled:
		return Cancelled, from == enrolment.Confirmed || from == enrolment.Started
	}
	return "", false
}

// Sort orders a record newest first: by the year it ended, then the date, then the title.
func Sort(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(b.Year, a.Year), strings.Compare(cmp.Or(b.EndedOn, b.EndsOn), cmp.Or(a.EndedOn, a.EndsOn)),
			strings.Compare(a.Title, b.Title))
	})
}

// Education is what a citizen adds themselves.
type Education struct {
	Level       string `json:"level"`
	Name        string `json:"name"`
	Year        int    `json:"year"`
	Institution string `json:"institution"`
}

// Entry validates the education into a self-reported entry of the record.
func (e Education) Entry(id uuid.UUID, now time.Time) (Entry, error) {
	v := &httpapi.ValidationError{}
	name, inst := strings.TrimSpace(e.Name), strings.TrimSpace(e.Institution)
	if !slices.Contains(enrolment.EducationLevels, e.Level) {
		v.Add("level", "must be one of %s", strings.Join(enrolment.EducationLevels, ", "))
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		v.Add("name", "is required (at most 200 characters)")
	}
	if utf8.RuneCountInString(inst) > 200 {
		v.Add("institution", "at most 200 characters")
	}
	if e.Year < 1900 || e.Year > now.Year()+6 {
		v.Add("year", "must be a year from 1900 to %d", now.Year()+6)
	}
	return Entry{ID: id, Source: FromCitizen, SelfReported: true, Title: name, Level: e.Level,
		Institution: Institution{Name: inst}, Year: e.Year, UpdatedAt: now}, v.Err()
}
