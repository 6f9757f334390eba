// Package decide turns an enrolment request into a funding decision record: it maps the event's facts
// to the rules' facts and the rules' decision to the record funding stores, serves and announces.
package decide

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/events"
	"livslang.dk/services/funding/internal/rules"
)

// Amounts are what a scheme pays and what the citizen pays, in whole kroner (wire format).
type Amounts struct {
	FeeCoveredDKK      int64 `json:"fee_covered_dkk"`
	CitizenPaysDKK     int64 `json:"citizen_pays_dkk"`
	WeeklyAllowanceDKK int64 `json:"weekly_allowance_dkk"`
	TotalDKK           int64 `json:"total_dkk"`
}

// Rule is one rule's outcome (wire format).
type Rule struct {
	ID            string         `json:"id"`
	Scheme        string         `json:"scheme"`
	Outcome       string         `json:"outcome"`
	Reference     string         `json:"reference"`
	Explanation   string         `json:"explanation"`
	ExplanationDA string         `json:"explanation_da"`
	Facts         map[string]any `json:"facts"`
}

// Alternative is another scheme the run lists that would be eligible.
type Alternative struct {
	Scheme  string  `json:"scheme"`
	Outcome string  `json:"outcome"`
	Amounts Amounts `json:"amounts"`
}

// RateYear names the rates a decision used, with their source and status.
type RateYear struct {
	Year                  int    `json:"year"`
	MaxDagpengeMonthlyDKK int64  `json:"max_dagpenge_monthly_dkk"`
	Source                string `json:"source"`
	Status                string `json:"status"`
}

// Record is a stored decision.
type Record struct {
	ID               uuid.UUID     `json:"id"`
	EnrolmentID      uuid.UUID     `json:"enrolment_id"`
	EnrolmentVersion int64         `json:"enrolment_version"`
	CitizenID        string        `json:"-"`
	CourseID         uuid.UUID     `json:"course_id"`
	Preference       string        `json:"funding_preference"`
	Outcome          string        `json:"outcome"`
	Scheme           string        `json:"scheme"`
	Amounts          Amounts       `json:"amounts"`
	Rules            []Rule        `json:"rules"`
	Alternatives     []Alternative `json:"alternatives"`
	RatesVersion     string        `json:"rates_version"`
	RateYear         RateYear      `json:"rate_year"`
	// Plan is how the enrolment is funded when several schemes combine.
	Plan rules.Plan `json:"plan"`
	// Parameters are the rate-table entries the decision used.
	Parameters []rules.ParameterUse `json:"parameters"`
	Status     string               `json:"status"`
	DecidedAt  time.Time            `json:"decided_at"`
	// Review is set when a caseworker must decide (or has decided).
	Review *Review `json:"review,omitempty"`
	// Employer is set while the decision waits for the citizen's employer (employer_required).
	Employer *events.EmployerPart `json:"employer,omitempty"`
	// Municipality is the citizen's municipality, whose caseworkers review the decision.
	Municipality string `json:"-"`
	// Request is the enrolment request the decision was made for, kept to evaluate it again.
	Request events.Enrolment `json:"-"`
}

// Review is a caseworker's part in a decision.
type Review struct {
	Status     string     `json:"status"` // open or decided
	ReviewedBy string     `json:"reviewed_by,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	ReviewedAt *time.Time `json:"reviewed_at,omitempty"`
}

// Facts maps an enrolment event to the rules' facts; a malformed date is a malformed event.
func Facts(e events.Enrolment) (rules.Facts, error) {
	birth, err := rules.ParseDate(e.Profile.BirthDate)
	if err != nil {
		return rules.Facts{}, fmt.Errorf("%w: birth_date: %v", events.ErrMalformed, err)
	}
	starts, err := rules.ParseDate(e.Course.StartsOn)
	if err != nil {
		return rules.Facts{}, fmt.Errorf("%w: starts_on: %v", events.ErrMalformed, err)
	}
	ends, err := rules.ParseDate(e.Course.EndsOn)
	if err != nil {
		return rules.Facts{}, fmt.Errorf("%w: ends_on: %v", events.ErrMalformed, err)
	}
	f := rules.Facts{
		BirthDate: birth,
		Education: rules.Education{Level: e.Profile.Education.Level, CompletedYear: e.Profile.Education.CompletedYear},
		Employment: rules.Employment{Status: e.Profile.Employment.Status, EmployerCVR: e.Profile.Employment.EmployerCVR,
			WeeklyHours: e.Profile.Employment.WeeklyHours},
		Benefits:      e.Profile.Benefits,
		Municipality:  e.Profile.Municipality,
		InstitutionID: e.Course.InstitutionID,
		Course: rules.Course{Category: e.Course.Category, StartsOn: starts, EndsOn: ends,
			HoursPerWeek: e.Course.HoursPerWeek, FeeDKK: e.Course.FeeDKK, Schemes: e.Course.Schemes},
	}
	if s := e.Profile.Employment.Since; s != "" {
		since, err := rules.ParseDate(s)
		if err != nil {
			return rules.Facts{}, fmt.Errorf("%w: employment.since: %v", events.ErrMalformed, err)
		}
		f.Employment.Since = &since
	}
	return f, nil
}

func amounts(a rules.Amounts) Amounts {
	return Amounts{FeeCoveredDKK: a.FeeCoveredDKK, CitizenPaysDKK: a.CitizenPaysDKK,
		WeeklyAllowanceDKK: a.WeeklyAllowanceDKK, TotalDKK: a.TotalDKK}
}

func wireRules(rs []rules.RuleResult) []Rule {
	out := make([]Rule, 0, len(rs))
	for _, r := range rs {
		out = append(out, Rule{ID: r.ID, Scheme: r.Scheme, Outcome: string(r.Outcome), Reference: r.Reference,
			Explanation: r.Explanation, ExplanationDA: r.ExplanationDA, Facts: r.Facts})
	}
	return out
}

// SchemeAnswer is what one scheme would give (eligibility before enrolling).
type SchemeAnswer struct {
	Scheme  string  `json:"scheme"`
	Outcome string  `json:"outcome"`
	Amounts Amounts `json:"amounts"`
	Rules   []Rule  `json:"rules"`
}

// Answer maps a scheme result to its wire form.
func Answer(res rules.SchemeResult) SchemeAnswer {
	return SchemeAnswer{Scheme: res.Scheme, Outcome: string(res.Outcome), Amounts: amounts(res.Amounts), Rules: wireRules(res.Rules)}
}

// Enrolment decides the funding of an enrolment request with the given rates, today and the
// citizen's usage of capped schemes, before the citizen's employer has answered.
func Enrolment(e events.Enrolment, rates rules.Rates, now time.Time, usage rules.Usage) (Record, error) {
	return Answered(e, rates, now, usage, nil)
}

// Answered decides the funding of an enrolment request with the employer's answer (nil: none yet).
func Answered(e events.Enrolment, rates rules.Rates, now time.Time, usage rules.Usage, answer *rules.EmployerAnswer) (Record, error) {
	enrolmentID, err := uuid.Parse(e.EnrolmentID)
	if err != nil {
		return Record{}, fmt.Errorf("%w: enrolment_id", events.ErrMalformed)
	}
	courseID, err := uuid.Parse(e.Course.ID)
	if err != nil {
		return Record{}, fmt.Errorf("%w: course.id", events.ErrMalformed)
	}
	f, err := Facts(e)
	if err != nil {
		return Record{}, err
	}
	f.Today = rules.DateOf(now)
	f.Usage = usage
	f.Employer = answer
	if by := e.Employer; by != nil && answer == nil {
		// The company enrolled its employee and gave its commitment then: it is the employer.
		f.Employment.EmployerCVR = by.CVR
		f.Employer = &rules.EmployerAnswer{Status: rules.EmployerApproved, PaysFee: by.PaysFee, SalaryContinues: by.SalaryContinues, Company: by.Name}
	}
	d := rules.Decide(e.FundingPreference, f, rates)
	rec := Record{
		ID: uuid.New(), EnrolmentID: enrolmentID, EnrolmentVersion: e.Version, CitizenID: e.CitizenID,
		CourseID: courseID, Preference: e.FundingPreference, Outcome: d.Outcome, Scheme: d.Scheme,
		Amounts: amounts(d.Amounts), Rules: wireRules(d.Rules), Alternatives: []Alternative{},
		RatesVersion: d.RatesVersion, Status: "active", DecidedAt: now.UTC(), Plan: d.Plan, Parameters: d.Parameters,
		Municipality: e.Profile.Municipality, Request: e,
		RateYear: RateYear{Year: d.RateYear.Year, MaxDagpengeMonthlyDKK: d.RateYear.MaxDagpengeMonthlyDKK,
			Source: d.RateYear.Source, Status: d.RateYear.Status},
	}
	if d.Outcome == rules.DecisionReviewRequired {
		rec.Review = &Review{Status: "open"}
	}
	for _, a := range d.Alternatives {
		rec.Alternatives = append(rec.Alternatives, Alternative{Scheme: a.Scheme, Outcome: string(a.Outcome), Amounts: amounts(a.Amounts)})
	}
	return rec, nil
}

// Summary is what registration and notification need of a decision: outcome, amounts and, unless
// approved, the reasons (the rules not met or needing evidence), in English and Danish.
func (r Record) Summary() events.FundingSummary {
	s := events.FundingSummary{Outcome: r.Outcome, Scheme: r.Scheme, CitizenPaysDKK: r.Amounts.CitizenPaysDKK,
		WeeklyDKK: r.Amounts.WeeklyAllowanceDKK}
	if r.Outcome == rules.DecisionEmployerRequired {
		s.Employer = r.Employer
	}
	if r.Outcome != rules.DecisionApproved {
		for _, rule := range r.Rules {
			if rule.Outcome != string(rules.OutcomeMet) {
				s.Reasons = append(s.Reasons, rule.Explanation)
				s.ReasonsDA = append(s.ReasonsDA, rule.ExplanationDA)
			}
		}
	}
	return s
}

// NoBudget turns an approval whose pool or cap had no room left into a rejection, with a rule that
// says so. The plan's amounts no longer apply.
func (r *Record) NoBudget(scheme, detailEN, detailDA string) {
	r.Outcome = rules.DecisionRejected
	r.Amounts = Amounts{CitizenPaysDKK: r.Request.Course.FeeDKK}
	r.Rules = append(r.Rules, Rule{
		ID: scheme + ".budget_available", Scheme: scheme, Outcome: string(rules.OutcomeNotMet),
		Reference:     "Puljens eller loftets ramme (først til mølle); bevillingen må ikke overskrides",
		Explanation:   "There is no money left for this: " + detailEN + ". You can choose another way of funding or wait for a place to be released.",
		ExplanationDA: "Der er ikke flere midler: " + detailDA + ". Du kan vælge en anden finansiering eller vente på, at der bliver midler fri.",
		Facts:         map[string]any{"scheme": scheme},
	})
}
