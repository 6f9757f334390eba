package rules

import "fmt"

// Shared handling of the citizen's prior education: SVU and VEU both exclude people with a
// (higher) education unless it is forældet (outdated), i.e. not used in the 5 years before.

// degreeAge is how old a completed education is when the course starts, in whole calendar years
// (start year − completed year). Only the completion year is known, so a difference of 5 may be
// anything from just over 4 to almost 6 years; a difference of 4 or less is certainly at most 5
// years.
type degreeAge struct {
	years int  // start year − completed year
	known bool // false when the completion year is unknown (0)
}

func degreeAgeOf(e Education, c Course) degreeAge {
	if e.CompletedYear <= 0 {
		return degreeAge{}
	}
	return degreeAge{years: c.StartsOn.Year - e.CompletedYear, known: true}
}

// maybeOutdated reports whether the education may be more than 5 years old at the start, so that
// it can be forældet (outdated); only documents can show that it has not been used for 5 years.
func (a degreeAge) maybeOutdated() bool { return !a.known || a.years >= 5 }

func (a degreeAge) facts(e Education, c Course) map[string]any {
	return map[string]any{
		"education_level":        e.Level,
		"completed_year":         e.CompletedYear,
		"course_start_year":      c.StartsOn.Year,
		"years_since_completion": a.years,
		"completion_year_known":  a.known,
		"outdated_after_years":   5,
		"possibly_outdated":      a.maybeOutdated(),
	}
}

// describeEN describes the education's age for English text.
func (a degreeAge) describeEN(e Education) string {
	if !a.known {
		return fmt.Sprintf("Your highest education is %s; the year you completed it is not known.", levelEN(e.Level))
	}
	return fmt.Sprintf("Your highest education is %s, completed in %d, %d calendar years before the course starts.", levelEN(e.Level), e.CompletedYear, a.years)
}

// describeDA is describeEN in Danish.
func (a degreeAge) describeDA(e Education) string {
	if !a.known {
		return fmt.Sprintf("Din højeste uddannelse er %s; det vides ikke, hvilket år du afsluttede den.", levelDA(e.Level))
	}
	return fmt.Sprintf("Din højeste uddannelse er %s, afsluttet i %d, %d kalenderår før kurset starter.", levelDA(e.Level), e.CompletedYear, a.years)
}

// outdatedOutcome is the outcome for an education that excludes the citizen unless it is
// outdated: needs_evidence when it may be more than 5 years old (the citizen must document that it
// has not been used), otherwise not_met.
func outdatedOutcome(a degreeAge) Outcome {
	if a.maybeOutdated() {
		return OutcomeNeedsEvidence
	}
	return OutcomeNotMet
}

// outdatedEN explains outdatedOutcome in English.
func outdatedEN(a degreeAge) string {
	if !a.known {
		return "If it is outdated (not used in the 5 years before you apply), it does not count; you must document that."
	}
	if a.maybeOutdated() {
		return "It may be outdated (not used in the 5 years before you apply), in which case it does not count; you must document that."
	}
	return "It was completed less than 5 years before the course starts, so it cannot be outdated (not used for 5 years)."
}

// outdatedDA is outdatedEN in Danish.
func outdatedDA(a degreeAge) string {
	if !a.known {
		return "Hvis den er forældet (ikke brugt i de 5 år før du søger), tæller den ikke med; det skal du dokumentere."
	}
	if a.maybeOutdated() {
		return "Den kan være forældet (ikke brugt i de 5 år før du søger), og så tæller den ikke med; det skal du dokumentere."
	}
	return "Den er afsluttet mindre end 5 år før kurset starter, så den kan ikke være forældet (ubrugt i 5 år)."
}
