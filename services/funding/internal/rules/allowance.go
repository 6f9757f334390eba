package rules

import "fmt"

// Rules and arithmetic shared by the schemes that pay a weekly allowance keyed to the maximum
// dagpenge (SVU and VEU-godtgørelse).

const (
	fullTimeCentiHours = 3700 // 37 hours a week, the full-time week both schemes use
	daysPerWeek        = 5    // the weekly maximum is 5 × the daily maximum
)

// weeklyAtPercent is the full-time weekly allowance at percent of 5 × the daily maximum dagpenge.
func weeklyAtPercent(daily, percent int64) int64 {
	return roundDiv(daysPerWeek*daily*percent, 100)
}

// proRata scales a full-time weekly amount to centi hours of a 37-hour week, rounded half up.
func proRata(weeklyFullTime, centi int64) int64 {
	return roundDiv(weeklyFullTime*centi, fullTimeCentiHours)
}

// rateRule reports which row of the rate table applies to the course's start year. It is met
// whenever a rate is found; a rate that is not published, or that comes from an earlier year,
// makes the amount provisional, and the explanation says so. Without any rate the amount cannot be
// computed and the rule needs evidence.
func rateRule(scheme string, c Course, r Rates) RuleResult {
	const ref = "Lov om arbejdsløshedsforsikring m.v. § 47, stk. 2 (dagpengenes højeste beløb)"
	year := c.StartsOn.Year
	daily, used, ok := r.DailyMaxDagpenge(year)
	if !ok {
		return rule(scheme, "rate", OutcomeNeedsEvidence, ref, text{
			en: fmt.Sprintf("The rate table (version %s) has no maximum dagpenge for %d or any earlier year, so the allowance cannot be calculated.", r.Version, year),
			da: fmt.Sprintf("Satstabellen (version %s) har ingen maksimal dagpengesats for %d eller et tidligere år, så ydelsen kan ikke beregnes.", r.Version, year),
		}, map[string]any{"course_start_year": year, "rates_version": r.Version})
	}

	fallback := used.Year != year
	provisional := fallback || used.Status != RateStatusPublished
	en := fmt.Sprintf("The course starts in %d. The maximum dagpenge for %d is %s a month, which is %s a day (monthly × 7.4 / 160.33, rounded) and %s a week (5 days).",
		year, used.Year, krEN(used.MaxDagpengeMonthlyDKK), krEN(daily), krEN(daysPerWeek*daily))
	da := fmt.Sprintf("Kurset starter i %d. Dagpengenes højeste beløb for %d er %s om måneden, dvs. %s om dagen (månedsbeløb × 7,4 / 160,33, afrundet) og %s om ugen (5 dage).",
		year, used.Year, krDA(used.MaxDagpengeMonthlyDKK), krDA(daily), krDA(daysPerWeek*daily))
	if fallback {
		en += fmt.Sprintf(" There is no rate for %d yet, so the %d rate is used; the amount is provisional.", year, used.Year)
		da += fmt.Sprintf(" Der er endnu ingen sats for %d, så satsen for %d er brugt; beløbet er foreløbigt.", year, used.Year)
	}
	if used.Status != RateStatusPublished {
		en += fmt.Sprintf(" The %d figure is %s (source: %s); the amount is provisional.", used.Year, used.Status, used.Source)
		da += fmt.Sprintf(" Tallet for %d er %s (kilde: %s); beløbet er foreløbigt.", used.Year, rateStatusDA(used.Status), used.Source)
	}
	en += " The rate is that of the start year (a simplification for courses running into a new year)."
	da += " Satsen er startårets (en forenkling for kurser, der løber ind i et nyt år)."

	return rule(scheme, "rate", OutcomeMet, ref, text{en: en, da: da}, map[string]any{
		"course_start_year":        year,
		"rate_year":                used.Year,
		"rate_status":              used.Status,
		"rate_source":              used.Source,
		"rates_version":            r.Version,
		"max_dagpenge_monthly_dkk": used.MaxDagpengeMonthlyDKK,
		"max_dagpenge_daily_dkk":   daily,
		"max_dagpenge_weekly_dkk":  daysPerWeek * daily,
		"rate_is_fallback":         fallback,
		"amount_is_provisional":    provisional,
	})
}

// periodRule checks that the course period is usable for an allowance: both dates set and the
// last day not before the first. It reports the number of calendar days and weeks.
func periodRule(scheme string, c Course) RuleResult {
	const ref = "Holdets start- og slutdato (uddannelsesstedets oplysninger)"
	facts := map[string]any{"starts_on": c.StartsOn.String(), "ends_on": c.EndsOn.String()}
	if !c.validPeriod() {
		return rule(scheme, "course_period", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("The course period %s to %s is not valid (a date is missing or the course ends before it starts), so no allowance can be calculated.", c.StartsOn, c.EndsOn),
			da: fmt.Sprintf("Kursusperioden %s til %s er ikke gyldig (en dato mangler, eller kurset slutter før det starter), så der kan ikke beregnes en ydelse.", c.StartsOn, c.EndsOn),
		}, facts)
	}
	days, weeks := c.calendarDays(), c.weeks()
	facts["calendar_days"] = days
	facts["weeks"] = weeks
	return rule(scheme, "course_period", OutcomeMet, ref, text{
		en: fmt.Sprintf("The course runs from %s to %s: %d calendar days, which is %d weeks (days / 7, rounded up).", c.StartsOn, c.EndsOn, days, weeks),
		da: fmt.Sprintf("Kurset løber fra %s til %s: %d kalenderdage, dvs. %d uger (dage / 7, rundet op).", c.StartsOn, c.EndsOn, days, weeks),
	}, facts)
}

// benefitsRule checks that the citizen receives no other public support for living costs.
func benefitsRule(scheme, nameEN, nameDA, ref string, f Facts) RuleResult {
	facts := map[string]any{"benefits": f.Benefits}
	switch f.Benefits {
	case BenefitsNone:
		return rule(scheme, "benefits", OutcomeMet, ref, text{
			en: fmt.Sprintf("You receive no other public support for your living costs, as %s requires.", nameEN),
			da: fmt.Sprintf("Du modtager ikke anden offentlig støtte til dine leveomkostninger, som %s kræver.", nameDA),
		}, facts)
	case "":
		return rule(scheme, "benefits", OutcomeNeedsEvidence, ref, text{
			en: fmt.Sprintf("We do not know whether you receive public benefits; %s cannot be combined with other public support for living costs.", nameEN),
			da: fmt.Sprintf("Vi ved ikke, om du modtager offentlige ydelser; %s kan ikke kombineres med anden offentlig støtte til leveomkostninger.", nameDA),
		}, facts)
	}
	return rule(scheme, "benefits", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("You receive %s; %s cannot be combined with other public support for living costs.", benefitEN(f.Benefits), nameEN),
		da: fmt.Sprintf("Du modtager %s; %s kan ikke kombineres med anden offentlig støtte til leveomkostninger.", benefitDA(f.Benefits), nameDA),
	}, facts)
}
