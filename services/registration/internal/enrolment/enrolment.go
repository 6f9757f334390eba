// Package enrolment holds registration's domain rules: the enrolment's state machine (machine.go: an
// Enrolment, the commands that change it and the typed domain events they record, which the store
// persists in the same transaction), the states and the transitions between them, waiting-list
// priority groups, funding preferences, and the validation of a citizen's enrolment profile. It
// knows nothing of the database or HTTP.
package enrolment

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"time"

	"livslang.dk/pkg/cvr"
	"livslang.dk/pkg/fault"
)

// Status is an enrolment's state.
type Status string

// States of an enrolment.
const (
	Pending    Status = "pending" // seat held, funding under way
	Waitlisted Status = "waitlisted"
	Offered    Status = "offered"
	Confirmed  Status = "confirmed"
	Rejected   Status = "rejected"
	Cancelled  Status = "cancelled"
	Started    Status = "started"
	Completed  Status = "completed"
	Withdrawn  Status = "withdrawn"
)

// Cause says who or what changed an enrolment.
type Cause string

// Causes of a state change.
const (
	ByCitizen     Cause = "citizen"
	ByInstitution Cause = "institution"
	ByFunding     Cause = "funding"
	ByCaseworker  Cause = "caseworker"
	BySystem      Cause = "system"
	ByEmployer    Cause = "employer" // the citizen's employer enrolled them
)

var transitions = map[Status][]Status{
	Pending:    {Confirmed, Rejected, Cancelled},
	Waitlisted: {Pending, Offered, Cancelled},
	Offered:    {Pending, Cancelled},
	Confirmed:  {Cancelled, Started, Rejected, Completed, Withdrawn},
	Started:    {Completed, Withdrawn},
}

// CanMove reports whether an enrolment may go from one state to another.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// Final reports whether no further transition is possible.
func Final(s Status) bool { return len(transitions[s]) == 0 }

// HoldsSeat reports whether an enrolment in state s counts against the run's capacity. An offer
// holds the seat it offers until it is answered or expires.
func HoldsSeat(s Status) bool { return s == Pending || s == Offered || s == Confirmed || s == Started }

// Priority groups on a waiting list, served in a run's configured order (default: municipal
// referrals, then legal rights, then everyone else).
const (
	GroupReferral   = "referral"
	GroupLegalRight = "legal_right"
	GroupSelf       = "self"
)

// DefaultPriorityGroups is the order runs use unless configured otherwise.
var DefaultPriorityGroups = []string{GroupReferral, GroupLegalRight, GroupSelf}

// GroupFor is the priority group of a citizen's own request: a funding preference that is a legal
// right (six weeks' job-oriented education) puts the request in the legal-right group.
func GroupFor(preference string) string {
	if preference == "jobrettet_uddannelse" {
		return GroupLegalRight
	}
	return GroupSelf
}

// Priority is the rank of a group in a run's order: higher is served first.
func Priority(groups []string, group string) int {
	for i, g := range groups {
		if g == group {
			return len(groups) - i
		}
	}
	return 0
}

// Preferences a citizen may ask funding for.
var Preferences = []string{"svu", "veu", "employer", "self", "municipality", "omstillingsfonden", "regional_pulje",
	"jobrettet_uddannelse", "kompetencefond"}

// Education levels, employment statuses and benefits in the profile wire format.
var (
	EducationLevels = []string{"grundskole", "gymnasial", "erhvervsuddannelse", "kort_videregaaende",
		"mellemlang_videregaaende", "lang_videregaaende"}
	EmploymentStatuses = []string{"employed", "unemployed", "self_employed", "outside_labour_market"}
	Benefits           = []string{"none", "dagpenge", "kontanthjaelp", "other"}
	Languages          = []string{"da", "en"}
)

// Profile is what a citizen tells about themself to enrol.
type Profile struct {
	Name        string
	Email       string
	Phone       string
	Language    string
	Education   string
	EduYear     int
	Employment  string
	EmployerCVR string
	Since       *time.Time
	WeeklyHours float64
	Benefits    string
}

var (
	phonePattern = regexp.MustCompile(`^\+?[0-9 ]{8,16}$`)
)

// Validate checks every field and reports all problems at once.
func (p Profile) Validate(today time.Time) error {
	v := &fault.ValidationError{}
	if l := len(p.Name); l == 0 || l > 200 {
		v.Add("name", "is required (at most 200 characters)")
	}
	if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
		v.Add("email", "must be an e-mail address like name@example.dk")
	}
	if p.Phone != "" && !phonePattern.MatchString(p.Phone) {
		v.Add("phone", "must be a phone number like +4520123456")
	}
	if !slices.Contains(Languages, p.Language) {
		v.Add("language", "must be da or en")
	}
	if !slices.Contains(EducationLevels, p.Education) {
		v.Add("education.level", "must be one of %v", EducationLevels)
	}
	if p.EduYear < 1930 || p.EduYear > today.Year() {
		v.Add("education.completed_year", "must be a year from 1930 to %d", today.Year())
	}
	if !slices.Contains(EmploymentStatuses, p.Employment) {
		v.Add("employment.status", "must be one of %v", EmploymentStatuses)
	}
	if p.EmployerCVR != "" {
		if err := cvr.Check(p.EmployerCVR); err != nil {
			v.Add("employment.employer_cvr", "%v", err)
		}
	}
	if p.Employment == "employed" && p.EmployerCVR == "" {
		v.Add("employment.employer_cvr", "is required when employed")
	}
	if p.Employment == "employed" && p.Since == nil {
		v.Add("employment.since", "is required when employed (YYYY-MM-DD)")
	}
	if p.Since != nil && p.Since.After(today) {
		v.Add("employment.since", "cannot be in the future")
	}
	if p.WeeklyHours < 0 || p.WeeklyHours > 80 {
		v.Add("employment.weekly_hours", "must be between 0 and 80")
	}
	if !slices.Contains(Benefits, p.Benefits) {
		v.Add("benefits", "must be one of %v", Benefits)
	}
	return v.Err()
}

// ValidPreference checks a funding preference.
func ValidPreference(p string) error {
	if !slices.Contains(Preferences, p) {
		return &fault.ValidationError{Fields: []fault.FieldError{{Field: "funding_preference",
			Message: fmt.Sprintf("must be one of %v", Preferences)}}}
	}
	return nil
}
