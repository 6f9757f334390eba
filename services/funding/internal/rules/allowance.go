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

// rateRule reports which entry of the maximum dagpenge applies: the one in force on the course's
// first day. It is met whenever an entry is found; an entry that is not published, or that is
// from an earlier year than the course's start, makes the amount provisional, and the explanation
// says so. Without any entry the amount cannot be computed and the rule needs evidence.
func rateRule(scheme string, c Course, p *paramLog) RuleResult {
	const ref = "Lov om arbejdsløshedsforsikring m.v. § 47, stk. 2 (dagpengenes højeste beløb)"
	year := c.StartsOn.Year
	daily, u, ok := p.dailyMaxDagpenge(c.StartsOn)
	version := p.r.Version
	if !ok {
		return rule(scheme, "rate", OutcomeNeedsEvidence, ref, text{
			en: fmt.Sprintf("The rate table (version %s) has no maximum dagpenge in force on %s (the course's first day), so the allowance cannot be calculated.", version, c.StartsOn),
			da: fmt.Sprintf("Satstabellen (version %s) har ingen maksimal dagpengesats gældende den %s (kursets første dag), så ydelsen kan ikke beregnes.", version, c.StartsOn),
		}, map[string]any{"course_start_year": year, "course_start": c.StartsOn.String(), "rates_version": version})
	}

	used := u.rateYear()
	fallback := used.Year != year
	provisional := fallback || used.Status != RateStatusPublished
	en := fmt.Sprintf("The course starts on %s. The maximum dagpenge in force then (from %s) is %s a month, which is %s a day (monthly × 7.4 / 160.33, rounded) and %s a week (5 days).",
		c.StartsOn, u.EffectiveFrom, krEN(used.MaxDagpengeMonthlyDKK), krEN(daily), krEN(daysPerWeek*daily))
	da := fmt.Sprintf("Kurset starter den %s. Dagpengenes højeste beløb på det tidspunkt (gældende fra %s) er %s om måneden, dvs. %s om dagen (månedsbeløb × 7,4 / 160,33, afrundet) og %s om ugen (5 dage).",
		c.StartsOn, u.EffectiveFrom, krDA(used.MaxDagpengeMonthlyDKK), krDA(daily), krDA(daysPerWeek*daily))
	if fallback {
		en += fmt.Sprintf(" There is no rate for %d yet, so the %d rate is used; the amount is provisional.", year, used.Year)
		da += fmt.Sprintf(" Der er endnu ingen sats for %d, så satsen for %d er brugt; beløbet er foreløbigt.", year, used.Year)
	}
	if used.Status != RateStatusPublished {
		en += fmt.Sprintf(" The %d figure is %s (source: %s); the amount is provisional.", used.Year, used.Status, used.Source)
		da += fmt.Sprintf(" Tallet for %d er %s (kilde: %s); beløbet er foreløbigt.", used.Year, rateStatusDA(used.Status), used.Source)
	}
	en += " The rate is the one in force on the first day (a simplification for courses running into a new year)."
	da += " Satsen er den, der gælder på første kursusdag (en forenkling for kurser, der løber ind i et nyt år)."

	return rule(scheme, "rate", OutcomeMet, ref, text{en: en, da: da}, map[string]any{
		"course_start_year":        year,
		"rate_year":                used.Year,
		"rate_effective_from":      u.EffectiveFrom.String(),
		"rate_status":              used.Status,
		"rate_source":              used.Source,
		"rates_version":            version,
		"max_dagpenge_monthly_dkk": used.MaxDagpengeMonthlyDKK,
		"max_dagpenge_daily_dkk":   daily,
		"max_dagpenge_weekly_dkk":  daysPerWeek * daily,
		"rate_is_fallback":         fallback,
		"amount_is_provisional":    provisional,
	})
}

// payeeFacts records who receives an allowance: an employed citizen's employer when it continues
// the salary during the course (as a refund), otherwise the citizen.
func payeeFacts(facts map[string]any, employed bool, refund int64) {
	facts["paid_to"] = "citizen"
	if employed {
		facts["paid_to"] = "employer if the salary continues during the course, else the citizen"
	}
	facts["employer_refund_dkk"] = refund
}

// payeeEN/DA explain who receives the allowance.
func payeeEN(employed bool) string {
	if employed {
		return "If your employer continues your salary during the course, the allowance is paid to the employer as a refund; if you take unpaid leave, it is paid to you."
	}
	return "It is paid to you."
}

func payeeDA(employed bool) string {
	if employed {
		return "Hvis din arbejdsgiver betaler løn under kurset, udbetales ydelsen til arbejdsgiveren som refusion; holder du orlov uden løn, udbetales den til dig."
	}
	return "Den udbetales til dig."
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
