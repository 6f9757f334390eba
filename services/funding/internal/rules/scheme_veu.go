package rules

import (
	"fmt"
	"strings"
)

// VEU-godtgørelse: compensation for lost pay while an employed person with at most a vocational
// education takes AMU courses or vocational single subjects (lov om godtgørelse og tilskud til
// befordring ved deltagelse i erhvervsrettet voksen- og efteruddannelse, "godtgørelsesloven";
// administered by Arbejdsgivernes Uddannelsesbidrag, AUB).

// veuEmploymentDays is the days of work needed immediately before and/or after the course. The
// rate (100 % of 5 × the daily maximum dagpenge, § 5, stk. 2) is the parameter veu_percent.
const veuEmploymentDays = 14

const veuAUBSource = "AUB: https://virk.dk/vejledning/aub/aub-arbejdsgiver/aub-veu/"

func veuRef(provision string) string {
	return "Godtgørelsesloven " + provision + " (lov nr. 639 af 14/06/2010 med senere ændringer)"
}

func evaluateVEU(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	rules := []RuleResult{
		offeredRule(SchemeVEU, c),
		veuEmployment(f.Employment),
		veuEmployment14Days(f.Employment, c),
		veuEducationCap(f.Education, c),
		veuCourseType(c),
		veuWeeklyHours(c),
		benefitsRule(SchemeVEU, "VEU-godtgørelse", "VEU-godtgørelse", veuAUBSource+" (ingen offentlige forsørgelsesydelser)", f),
		periodRule(SchemeVEU, c),
		rateRule(SchemeVEU, c, p),
	}
	rules = withRule(rules, employerLeaveRule(SchemeVEU, f))
	calc := veuCalculate(f, p)
	rules = append(rules, calc.rule())
	return result(SchemeVEU, rules, calc.amounts())
}

// veuEmployment: employed in Denmark as a wage earner or self-employed.
func veuEmployment(e Employment) RuleResult {
	ref := veuRef("§ 2, stk. 1, nr. 1")
	facts := map[string]any{"employment_status": e.Status}
	switch e.Status {
	case StatusEmployed, StatusSelfEmployed:
		return rule(SchemeVEU, "employment", OutcomeMet, ref, text{
			en: fmt.Sprintf("You are %s; VEU-godtgørelse requires work in Denmark as a wage earner or self-employed.", employmentStatusEN(e.Status)),
			da: fmt.Sprintf("Du er %s; VEU-godtgørelse kræver beskæftigelse i Danmark som lønmodtager eller selvstændig.", employmentStatusDA(e.Status)),
		}, facts)
	case StatusUnemployed, StatusOutsideLabourMarket:
		return rule(SchemeVEU, "employment", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("VEU-godtgørelse is for people in work; you are %s. If you receive dagpenge, ask your a-kasse about 6 weeks' job-oriented training.", employmentStatusEN(e.Status)),
			da: fmt.Sprintf("VEU-godtgørelse er for personer i beskæftigelse; du er %s. Hvis du får dagpenge, så spørg din a-kasse om 6 ugers jobrettet uddannelse.", employmentStatusDA(e.Status)),
		}, facts)
	}
	return rule(SchemeVEU, "employment", OutcomeNeedsEvidence, ref, text{
		en: fmt.Sprintf("Your employment status is %s; VEU-godtgørelse requires work as a wage earner or self-employed, which must be confirmed.", employmentStatusEN(e.Status)),
		da: fmt.Sprintf("Din beskæftigelsesstatus er %s; VEU-godtgørelse kræver beskæftigelse som lønmodtager eller selvstændig, og det skal bekræftes.", employmentStatusDA(e.Status)),
	}, facts)
}

// veuEmployment14Days: in work for at least 14 days immediately before and/or after the course
// (e.g. 14 before, 14 after, or 7 + 7). Only the days before can be checked from the facts; if
// they are not enough, the rest must be confirmed.
func veuEmployment14Days(e Employment, c Course) RuleResult {
	ref := veuRef("§ 2, stk. 2") + "; " + veuAUBSource
	facts := map[string]any{
		"employment_status": e.Status,
		"first_course_day":  c.StartsOn.String(),
		"required_days":     veuEmploymentDays,
	}
	const ruleEN = "VEU-godtgørelse requires work for at least 14 days immediately before and/or after the course (for example 14 days before, 14 after, or 7 + 7)."
	const ruleDA = "VEU-godtgørelse kræver beskæftigelse i mindst 14 dage umiddelbart før og/eller efter kurset (fx 14 dage før, 14 dage efter eller 7 + 7)."

	switch e.Status {
	case StatusEmployed, StatusSelfEmployed:
	case StatusUnemployed, StatusOutsideLabourMarket:
		return rule(SchemeVEU, "employment_14_days", OutcomeNotMet, ref, text{
			en: ruleEN + fmt.Sprintf(" You are %s.", employmentStatusEN(e.Status)),
			da: ruleDA + fmt.Sprintf(" Du er %s.", employmentStatusDA(e.Status)),
		}, facts)
	default:
		return rule(SchemeVEU, "employment_14_days", OutcomeNeedsEvidence, ref, text{
			en: ruleEN + " Your employment status is not known, so this must be confirmed.",
			da: ruleDA + " Din beskæftigelsesstatus kendes ikke, så det skal bekræftes.",
		}, facts)
	}

	if e.Since == nil || c.StartsOn.IsZero() {
		return rule(SchemeVEU, "employment_14_days", OutcomeNeedsEvidence, ref, text{
			en: ruleEN + " We do not know when your employment began, so this must be confirmed.",
			da: ruleDA + " Vi ved ikke, hvornår din beskæftigelse begyndte, så det skal bekræftes.",
		}, facts)
	}
	days := e.Since.DaysUntil(c.StartsOn)
	facts["employed_since"] = e.Since.String()
	facts["days_before_start"] = days
	if days >= veuEmploymentDays {
		return rule(SchemeVEU, "employment_14_days", OutcomeMet, ref, text{
			en: ruleEN + fmt.Sprintf(" You have been in work since %s, %d days before the first course day (%s).", e.Since, days, c.StartsOn),
			da: ruleDA + fmt.Sprintf(" Du har været i beskæftigelse siden %s, %d dage før første kursusdag (%s).", e.Since, days, c.StartsOn),
		}, facts)
	}
	return rule(SchemeVEU, "employment_14_days", OutcomeNeedsEvidence, ref, text{
		en: ruleEN + fmt.Sprintf(" You have been in work since %s, %d days before the first course day (%s), so the days after the course must be confirmed.", e.Since, max(days, 0), c.StartsOn),
		da: ruleDA + fmt.Sprintf(" Du har været i beskæftigelse siden %s, %d dage før første kursusdag (%s), så dagene efter kurset skal bekræftes.", e.Since, max(days, 0), c.StartsOn),
	}, facts)
}

// veuEducationCap: no education above the level and length of an erhvervsuddannelse, unless it
// has not been used in the last 5 years.
func veuEducationCap(e Education, c Course) RuleResult {
	ref := veuRef("§ 2, stk. 1, nr. 2")
	age := degreeAgeOf(e, c)
	facts := age.facts(e, c)
	switch {
	case knownLevel(e.Level) && !isVideregaaende(e.Level):
		return rule(SchemeVEU, "education_cap", OutcomeMet, ref, text{
			en: fmt.Sprintf("Your highest education is %s. VEU-godtgørelse is for people with at most a vocational education (erhvervsuddannelse), so this is met.", levelEN(e.Level)),
			da: fmt.Sprintf("Din højeste uddannelse er %s. VEU-godtgørelse er for personer med højst en erhvervsuddannelse, så betingelsen er opfyldt.", levelDA(e.Level)),
		}, facts)
	case isVideregaaende(e.Level):
		return rule(SchemeVEU, "education_cap", outdatedOutcome(age), ref, text{
			en: age.describeEN(e) + " VEU-godtgørelse is not for people with an education above a vocational education (erhvervsuddannelse), unless it has not been used for the last 5 years. " + outdatedEN(age),
			da: age.describeDA(e) + " VEU-godtgørelse er ikke for personer med en uddannelse over niveauet for en erhvervsuddannelse, medmindre den ikke har været brugt de sidste 5 år. " + outdatedDA(age),
		}, facts)
	}
	return rule(SchemeVEU, "education_cap", OutcomeNeedsEvidence, ref, text{
		en: fmt.Sprintf("Your highest education is %s, so the VEU limit on previous education cannot be checked.", levelEN(e.Level)),
		da: fmt.Sprintf("Din højeste uddannelse er %s, så VEU's krav til tidligere uddannelse kan ikke kontrolleres.", levelDA(e.Level)),
	}, facts)
}

// veuCourseType: AMU courses and vocational single subjects (in a fælles kompetencebeskrivelse).
func veuCourseType(c Course) RuleResult {
	ref := veuRef("§ 4") + "; ug.dk: VEU-godtgørelse"
	facts := map[string]any{"course_category": c.Category}
	switch c.Category {
	case CategoryAMU:
		return rule(SchemeVEU, "course_type", OutcomeMet, ref, text{
			en: "The course is an AMU course, which gives VEU-godtgørelse (unless it is run as indtægtsdækket virksomhed, income-financed activity).",
			da: "Kurset er et AMU-kursus, som giver VEU-godtgørelse (medmindre det udbydes som indtægtsdækket virksomhed).",
		}, facts)
	case CategoryEUDEnkeltfag:
		return rule(SchemeVEU, "course_type", OutcomeMet, ref, text{
			en: "The course is a vocational single subject, which gives VEU-godtgørelse when it is part of a fælles kompetencebeskrivelse (FKB).",
			da: "Kurset er et EUD-enkeltfag, som giver VEU-godtgørelse, når det er optaget i en fælles kompetencebeskrivelse (FKB).",
		}, facts)
	}
	return rule(SchemeVEU, "course_type", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("VEU-godtgørelse is for AMU courses and vocational single subjects; the course is %s.", categoryEN(c.Category)),
		da: fmt.Sprintf("VEU-godtgørelse gives til AMU-kurser og EUD-enkeltfag; kurset er %s.", categoryDA(c.Category)),
	}, facts)
}

// veuWeeklyHours: VEU compensates at most 37 hours a week.
func veuWeeklyHours(c Course) RuleResult {
	ref := veuRef("§ 5, stk. 2") + "; " + veuAUBSource + " (højst 37 timer om ugen)"
	h := centiHours(c.HoursPerWeek)
	paid := min(h, fullTimeCentiHours)
	facts := map[string]any{"hours_per_week": hoursFact(h), "hours_compensated": hoursFact(paid), "max_hours_per_week": 37}
	if h == 0 {
		return rule(SchemeVEU, "weekly_hours", OutcomeNeedsEvidence, ref, text{
			en: "The course's hours a week are not given, so the VEU-godtgørelse cannot be calculated.",
			da: "Kursets timetal om ugen er ikke oplyst, så VEU-godtgørelsen kan ikke beregnes.",
		}, facts)
	}
	en := fmt.Sprintf("The course has %s hours a week; VEU compensates at most 37 hours a week, so %s hours count.", hoursEN(h), hoursEN(paid))
	da := fmt.Sprintf("Kurset har %s timer om ugen; VEU-godtgørelse gives for højst 37 timer om ugen, så %s timer tæller.", hoursDA(h), hoursDA(paid))
	return rule(SchemeVEU, "weekly_hours", OutcomeMet, ref, text{
		en: en + " It is paid only for hours you attend and lose pay for.",
		da: da + " Den udbetales kun for timer, hvor du deltager og mister arbejdsindtægt.",
	}, facts)
}

// veuCalc is the VEU amount calculation.
type veuCalc struct {
	rateOK      bool
	percent     int64 // of 5 × the daily maximum dagpenge
	weeklyFull  int64 // percent of 5 × daily maximum dagpenge, for 37 hours
	centiPaid   int64
	weekly      int64
	weeks       int64
	total       int64
	citizenPays int64
	employed    bool // wage earner: the allowance may go to the employer as a refund
}

// veuCalculate: weekly = round(round(5 × daily × percent / 100) × min(hours, 37) / 37);
// total = weekly × weeks. VEU does not pay the participant fee.
func veuCalculate(f Facts, p *paramLog) veuCalc {
	c := f.Course
	calc := veuCalc{centiPaid: min(centiHours(c.HoursPerWeek), fullTimeCentiHours), weeks: c.weeks(), citizenPays: c.fee(),
		employed: refundToEmployer(f)}
	daily, _, dailyOK := p.dailyMaxDagpenge(c.StartsOn)
	percent, _, percentOK := p.int(ParamVEUPercent, c.StartsOn)
	calc.percent, calc.rateOK = percent, dailyOK && percentOK
	if calc.rateOK {
		calc.weeklyFull = weeklyAtPercent(daily, percent)
		calc.weekly = proRata(calc.weeklyFull, calc.centiPaid)
		calc.total = calc.weekly * calc.weeks
	}
	return calc
}

func (calc veuCalc) amounts() Amounts {
	a := Amounts{CitizenPaysDKK: calc.citizenPays, WeeklyAllowanceDKK: calc.weekly, TotalDKK: calc.total}
	if calc.employed {
		a.EmployerRefundDKK = calc.total
	}
	return a
}

// rule explains the calculation; it is informational and met when the rate is known.
func (calc veuCalc) rule() RuleResult {
	ref := veuRef("§ 5, stk. 2")
	facts := map[string]any{
		"percent_of_max_dagpenge": calc.percent,
		"weekly_full_time_dkk":    calc.weeklyFull,
		"hours_paid_per_week":     hoursFact(calc.centiPaid),
		"weekly_allowance_dkk":    calc.weekly,
		"course_weeks":            calc.weeks,
		"total_dkk":               calc.total,
		"fee_dkk":                 calc.citizenPays,
		"citizen_pays_dkk":        calc.citizenPays,
	}
	payeeFacts(facts, calc.employed, calc.amounts().EmployerRefundDKK)
	var en, da strings.Builder
	en.WriteString("If VEU-godtgørelse is granted: ")
	da.WriteString("Hvis VEU-godtgørelse bevilges: ")
	outcome := OutcomeMet
	if !calc.rateOK {
		outcome = OutcomeNeedsEvidence
		en.WriteString("the allowance cannot be calculated without the maximum dagpenge and the VEU percentage in force on the first day (see veu.rate). ")
		da.WriteString("godtgørelsen kan ikke beregnes uden dagpengenes højeste beløb og VEU-procentsatsen gældende på første kursusdag (se veu.rate). ")
	} else {
		fmt.Fprintf(&en, "it is %d %% of the maximum dagpenge, %s a week for 37 hours. For %s hours a week that is %s × %s / 37 = %s a week, and for %d weeks %s in total. ",
			calc.percent, krEN(calc.weeklyFull), hoursEN(calc.centiPaid), krEN(calc.weeklyFull), hoursEN(calc.centiPaid), krEN(calc.weekly), calc.weeks, krEN(calc.total))
		fmt.Fprintf(&da, "den er %d %% af dagpengenes højeste beløb, %s om ugen for 37 timer. For %s timer om ugen er det %s × %s / 37 = %s om ugen og for %d uger %s i alt. ",
			calc.percent, krDA(calc.weeklyFull), hoursDA(calc.centiPaid), krDA(calc.weeklyFull), hoursDA(calc.centiPaid), krDA(calc.weekly), calc.weeks, krDA(calc.total))
	}
	fmt.Fprintf(&en, "VEU-godtgørelse does not pay the participant fee of %s. ", krEN(calc.citizenPays))
	fmt.Fprintf(&da, "VEU-godtgørelse dækker ikke deltagerbetalingen på %s. ", krDA(calc.citizenPays))
	en.WriteString(payeeEN(calc.employed))
	da.WriteString(payeeDA(calc.employed))
	return rule(SchemeVEU, "amount", outcome, ref, text{en: en.String(), da: da.String()}, facts)
}

// veuInfo is the catalogue entry for VEU-godtgørelse.
func veuInfo(c catalogueDay) SchemeInfo {
	pct := c.n(ParamVEUPercent)
	return SchemeInfo{
		Code: SchemeVEU, NameEN: "VEU-godtgørelse (VEU allowance)", NameDA: "VEU-godtgørelse", Pays: PaysAllowance,
		Entitlement: true, DecidedBy: "Arbejdsgivernes Uddannelsesbidrag (AUB)", Reference: veuRef("§§ 2-5"),
		DescriptionEN: "Compensation for lost pay while an employed person with at most a vocational education takes AMU courses or vocational single subjects: " + pct + " % of the maximum dagpenge for 37 hours a week. It does not pay the participant fee. Paid to the employer when the salary continues, else to the citizen.",
		DescriptionDA: "Godtgørelse for tabt arbejdsfortjeneste, når en beskæftiget med højst en erhvervsuddannelse tager AMU-kurser eller EUD-enkeltfag: " + pct + " % af dagpengenes højeste beløb for 37 timer om ugen. Den dækker ikke deltagerbetalingen. Udbetales til arbejdsgiveren, når lønnen fortsætter, ellers til borgeren.",
		Parameters:    []string{ParamMaxDagpengeMonthly, ParamVEUPercent},
		Rules: []RuleInfo{
			offeredInfo(SchemeVEU),
			ruleInfo(SchemeVEU, "employment", veuRef("§ 2, stk. 1, nr. 1"),
				"Employed in Denmark as a wage earner or self-employed.", "Beskæftiget i Danmark som lønmodtager eller selvstændig."),
			ruleInfo(SchemeVEU, "employer_leave", employerAnswerRef,
				"A wage earner's employer has agreed to the course in working hours and said whether the salary continues (then the allowance goes to the employer as a refund).",
				"En lønmodtagers arbejdsgiver har accepteret kurset i arbejdstiden og svaret, om lønnen fortsætter (så udbetales godtgørelsen til arbejdsgiveren som refusion)."),
			ruleInfo(SchemeVEU, "employment_14_days", veuRef("§ 2, stk. 2"),
				"At least 14 days of work immediately before and/or after the course.", "Mindst 14 dages beskæftigelse umiddelbart før og/eller efter kurset."),
			ruleInfo(SchemeVEU, "education_cap", veuRef("§ 2, stk. 1, nr. 2"),
				"No education above a vocational education, unless unused for 5 years.", "Ingen uddannelse over en erhvervsuddannelse, medmindre den ikke er brugt i 5 år."),
			ruleInfo(SchemeVEU, "course_type", veuRef("§ 4"),
				"An AMU course or a vocational single subject in a fælles kompetencebeskrivelse.", "Et AMU-kursus eller et EUD-enkeltfag i en fælles kompetencebeskrivelse."),
			ruleInfo(SchemeVEU, "weekly_hours", veuRef("§ 5, stk. 2"),
				"The course's hours a week are known; at most 37 hours a week are compensated.", "Kursets timetal om ugen er kendt; der gives højst godtgørelse for 37 timer om ugen."),
			benefitsInfo(SchemeVEU, veuAUBSource+" (ingen offentlige forsørgelsesydelser)"),
			periodInfo(SchemeVEU),
			rateInfo(SchemeVEU),
			ruleInfo(SchemeVEU, "amount", veuRef("§ 5, stk. 2"),
				"Weekly = round(5 × daily maximum dagpenge × "+pct+" / 100) × hours / 37, rounded; total = weekly × weeks. Paid to the employer as a refund when the salary continues.",
				"Ugentligt = afrundet(5 × dagpengenes højeste dagsats × "+pct+" / 100) × timer / 37, afrundet; i alt = ugentligt × uger. Udbetales til arbejdsgiveren som refusion, når lønnen fortsætter."),
		},
	}
}
