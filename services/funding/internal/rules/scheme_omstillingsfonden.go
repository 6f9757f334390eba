package rules

import (
	"fmt"
	"strconv"
)

// Omstillingsfonden (VEU-omstillingsfonden, Uddannelses- og Forskningsministeriet): pays the
// participant fee of employed people on approved higher adult education (akademi and diplom
// modules at institutions under the ministry), up to a cap per person per calendar year. The
// money is first come, first served from each institution's drawing right (trækningsret), given
// at the earliest 4 months before the start; the citizen applies through the institution at
// enrolment. It pays no allowance.

const (
	omstillingsfondenRef    = "VEU-omstillingsfonden, Uddannelses- og Forskningsministeriet: https://ufm.dk/uddannelse/institutioner-og-drift/okonomi/puljer-og-fonde/veu-omstillingsfond"
	omstillingsfondenFAQRef = "VEU-omstillingsfonden, FAQ: https://ufm.dk/uddannelse/institutioner-og-drift/okonomi/puljer-og-fonde/veu-omstillingsfond/copy_of_faq-veu-omstillingsfond"
)

func evaluateOmstillingsfonden(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	calc := omstillingsfondenCalculate(f, p)
	rules := []RuleResult{
		offeredRule(SchemeOmstillingsfonden, c),
		omstillingsfondenEmployment(f.Employment),
		omstillingsfondenCourseType(c),
		omstillingsfondenEducation(f.Education),
		omstillingsfondenEarliest(f, p),
		calc.rule(p.r),
		omstillingsfondenDrawingRight(f, calc.covered),
	}
	res := result(SchemeOmstillingsfonden, rules, Amounts{FeeCoveredDKK: calc.covered, CitizenPaysDKK: calc.fee - calc.covered})
	year := c.StartsOn.Year
	res = res.withBudget(BudgetNeed{Scheme: SchemeOmstillingsfonden, Owner: f.InstitutionID, Year: year, AmountDKK: calc.covered})
	return res.withCap(CapNeed{Scheme: SchemeOmstillingsfonden, Period: strconv.Itoa(year), AmountDKK: calc.covered, LimitDKK: calc.limit})
}

// omstillingsfondenEmployment: employed full or part time; the self-employed and employers cannot
// apply.
func omstillingsfondenEmployment(e Employment) RuleResult {
	facts := map[string]any{"employment_status": e.Status}
	switch e.Status {
	case StatusEmployed:
		return rule(SchemeOmstillingsfonden, "employment", OutcomeMet, omstillingsfondenRef, text{
			en: "You are employed (full or part time), as Omstillingsfonden requires.",
			da: "Du er i beskæftigelse som lønmodtager (fuld tid eller deltid), som Omstillingsfonden kræver.",
		}, facts)
	case StatusSelfEmployed:
		return rule(SchemeOmstillingsfonden, "employment", OutcomeNotMet, omstillingsfondenRef, text{
			en: "Omstillingsfonden is for employees; self-employed people and employers cannot apply.",
			da: "Omstillingsfonden er for lønmodtagere; selvstændige og arbejdsgivere kan ikke søge.",
		}, facts)
	case "":
		return rule(SchemeOmstillingsfonden, "employment", OutcomeNeedsEvidence, omstillingsfondenRef, text{
			en: "Your employment status is not known; Omstillingsfonden is for employed people, which must be confirmed.",
			da: "Din beskæftigelsesstatus kendes ikke; Omstillingsfonden er for personer i beskæftigelse, og det skal bekræftes.",
		}, facts)
	}
	return rule(SchemeOmstillingsfonden, "employment", OutcomeNotMet, omstillingsfondenRef, text{
		en: fmt.Sprintf("Omstillingsfonden is for employed people; you are %s.", employmentStatusEN(e.Status)),
		da: fmt.Sprintf("Omstillingsfonden er for personer i beskæftigelse; du er %s.", employmentStatusDA(e.Status)),
	}, facts)
}

// omstillingsfondenCourseType: publicly approved higher adult education (akademi and diplom
// modules) at an institution under the Ministry of Higher Education and Science.
func omstillingsfondenCourseType(c Course) RuleResult {
	facts := map[string]any{"course_category": c.Category}
	if c.Category == CategoryAkademi || c.Category == CategoryDiplom {
		return rule(SchemeOmstillingsfonden, "course_type", OutcomeMet, omstillingsfondenRef, text{
			en: fmt.Sprintf("The course is %s, publicly approved higher adult education that Omstillingsfonden covers.", categoryEN(c.Category)),
			da: fmt.Sprintf("Kurset er %s, offentligt godkendt videregående voksenuddannelse, som Omstillingsfonden dækker.", categoryDA(c.Category)),
		}, facts)
	}
	return rule(SchemeOmstillingsfonden, "course_type", OutcomeNotMet, omstillingsfondenRef, text{
		en: fmt.Sprintf("Omstillingsfonden covers akademi and diplom modules at institutions under the Ministry of Higher Education and Science; the course is %s.", categoryEN(c.Category)),
		da: fmt.Sprintf("Omstillingsfonden dækker akademi- og diplommoduler på institutioner under Uddannelses- og Forskningsministeriet; kurset er %s.", categoryDA(c.Category)),
	}, facts)
}

// omstillingsfondenEducation: for unskilled and skilled people and people with higher education
// up to professionsbachelor level, so not for a long-cycle higher education.
func omstillingsfondenEducation(e Education) RuleResult {
	facts := map[string]any{"education_level": e.Level, "highest_level_allowed": LevelMellemlangVideregaaende}
	switch {
	case e.Level == LevelLangVideregaaende:
		return rule(SchemeOmstillingsfonden, "education_level", OutcomeNotMet, omstillingsfondenRef, text{
			en: "Omstillingsfonden is for people with at most a professionsbachelor (medium-cycle higher education); you have a long-cycle higher education.",
			da: "Omstillingsfonden er for personer med højst en professionsbachelor (mellemlang videregående uddannelse); du har en lang videregående uddannelse.",
		}, facts)
	case knownLevel(e.Level):
		return rule(SchemeOmstillingsfonden, "education_level", OutcomeMet, omstillingsfondenRef, text{
			en: fmt.Sprintf("Your highest education is %s; Omstillingsfonden is for people with at most a professionsbachelor.", levelEN(e.Level)),
			da: fmt.Sprintf("Din højeste uddannelse er %s; Omstillingsfonden er for personer med højst en professionsbachelor.", levelDA(e.Level)),
		}, facts)
	}
	return rule(SchemeOmstillingsfonden, "education_level", OutcomeNeedsEvidence, omstillingsfondenRef, text{
		en: fmt.Sprintf("Your highest education is %s; Omstillingsfonden is for people with at most a professionsbachelor, which must be confirmed.", levelEN(e.Level)),
		da: fmt.Sprintf("Din højeste uddannelse er %s; Omstillingsfonden er for personer med højst en professionsbachelor, og det skal bekræftes.", levelDA(e.Level)),
	}, facts)
}

// omstillingsfondenEarliest: money is allocated at the earliest 4 months before the start, so an
// evaluation before then cannot grant it.
func omstillingsfondenEarliest(f Facts, p *paramLog) RuleResult {
	c := f.Course
	months, u, ok := p.int(ParamOmstillingsfondenMonthsBefore, c.StartsOn)
	if !ok {
		return missingParamRule(SchemeOmstillingsfonden, "earliest_grant", omstillingsfondenFAQRef, ParamOmstillingsfondenMonthsBefore, c.StartsOn, p.r)
	}
	from := c.StartsOn.AddMonths(-int(months))
	facts := map[string]any{"first_course_day": c.StartsOn.String(), "months_before_start": months, "grantable_from": from.String(), "today": dateFact(f.Today)}
	paramFacts(facts, "months_before_start", u)
	switch {
	case f.Today.IsZero():
		return rule(SchemeOmstillingsfonden, "earliest_grant", OutcomeNeedsEvidence, omstillingsfondenFAQRef, text{
			en: fmt.Sprintf("Omstillingsfonden allocates money at the earliest %d months before the start, i.e. from %s. The day of this evaluation is not known, so this must be checked.", months, from),
			da: fmt.Sprintf("Omstillingsfonden tildeler midler tidligst %d måneder før start, dvs. fra %s. Dagen for denne vurdering kendes ikke, så det skal kontrolleres.", months, from),
		}, facts)
	case f.Today.Before(from):
		return rule(SchemeOmstillingsfonden, "earliest_grant", OutcomeNotMet, omstillingsfondenFAQRef, text{
			en: fmt.Sprintf("Omstillingsfonden allocates money at the earliest %d months before the start (%s), i.e. from %s; today is %s. Apply again on or after %s.", months, c.StartsOn, from, f.Today, from),
			da: fmt.Sprintf("Omstillingsfonden tildeler midler tidligst %d måneder før start (%s), dvs. fra %s; i dag er det %s. Søg igen den %s eller senere.", months, c.StartsOn, from, f.Today, from),
		}, facts)
	}
	return rule(SchemeOmstillingsfonden, "earliest_grant", OutcomeMet, omstillingsfondenFAQRef, text{
		en: fmt.Sprintf("Omstillingsfonden allocates money at the earliest %d months before the start (%s), i.e. from %s; today is %s.", months, c.StartsOn, from, f.Today),
		da: fmt.Sprintf("Omstillingsfonden tildeler midler tidligst %d måneder før start (%s), dvs. fra %s; i dag er det %s.", months, c.StartsOn, from, f.Today),
	}, facts)
}

// omstillingsfondenCalc splits the fee under the yearly cap.
type omstillingsfondenCalc struct {
	capOK   bool
	capUse  ParameterUse
	limit   int64 // cap per person per calendar year
	used    int64 // already used in the start year, other enrolments
	left    int64 // limit − used, never negative
	fee     int64
	covered int64 // min(fee, left)
	year    int
	day     Date
}

func omstillingsfondenCalculate(f Facts, p *paramLog) omstillingsfondenCalc {
	c := f.Course
	calc := omstillingsfondenCalc{fee: c.fee(), used: max(f.Usage.OmstillingsfondenUsedDKK, 0), year: c.StartsOn.Year, day: c.StartsOn}
	calc.limit, calc.capUse, calc.capOK = p.int(ParamOmstillingsfondenCap, c.StartsOn)
	if calc.capOK {
		calc.left = max(calc.limit-calc.used, 0)
		calc.covered = min(calc.fee, calc.left)
	}
	return calc
}

// rule: the fund covers the fee up to the cap per calendar year, less what it already covers for
// the citizen that year; nothing left is not met.
func (calc omstillingsfondenCalc) rule(r Rates) RuleResult {
	if !calc.capOK {
		return missingParamRule(SchemeOmstillingsfonden, "yearly_cap", omstillingsfondenRef, ParamOmstillingsfondenCap, calc.day, r)
	}
	facts := map[string]any{
		"calendar_year": calc.year, "cap_dkk": calc.limit, "used_this_year_dkk": calc.used, "left_dkk": calc.left,
		"fee_dkk": calc.fee, "fee_covered_dkk": calc.covered, "citizen_pays_dkk": calc.fee - calc.covered,
	}
	paramFacts(facts, "cap", calc.capUse)
	en := fmt.Sprintf("Omstillingsfonden pays at most %s of your participant fees per calendar year%s. In %d it already covers %s for you, so %s is left.",
		krEN(calc.limit), provisionalEN(calc.capUse), calc.year, krEN(calc.used), krEN(calc.left))
	da := fmt.Sprintf("Omstillingsfonden dækker højst %s af din deltagerbetaling pr. kalenderår%s. I %d dækker den allerede %s for dig, så der er %s tilbage.",
		krDA(calc.limit), provisionalDA(calc.capUse), calc.year, krDA(calc.used), krDA(calc.left))
	if calc.left == 0 {
		return rule(SchemeOmstillingsfonden, "yearly_cap", OutcomeNotMet, omstillingsfondenRef, text{
			en: en + fmt.Sprintf(" Nothing is left for this course; a course starting in %d counts against a new year's cap.", calc.year+1),
			da: da + fmt.Sprintf(" Der er intet tilbage til dette kursus; et kursus, der starter i %d, tæller i et nyt års loft.", calc.year+1),
		}, facts)
	}
	return rule(SchemeOmstillingsfonden, "yearly_cap", OutcomeMet, omstillingsfondenRef, text{
		en: en + fmt.Sprintf(" Of the fee of %s it covers %s and you pay %s.", krEN(calc.fee), krEN(calc.covered), krEN(calc.fee-calc.covered)),
		da: da + fmt.Sprintf(" Af deltagerbetalingen på %s dækker den %s, og du betaler %s.", krDA(calc.fee), krDA(calc.covered), krDA(calc.fee-calc.covered)),
	}, facts)
}

// omstillingsfondenDrawingRight: the money comes from the institution's drawing right, first come,
// first served, so approval needs a reservation in it; without the institution it cannot be made.
func omstillingsfondenDrawingRight(f Facts, covered int64) RuleResult {
	year := f.Course.StartsOn.Year
	facts := map[string]any{"institution_id": f.InstitutionID, "budget_year": year, "reservation_dkk": covered, "budget_limited": true}
	if f.InstitutionID == "" {
		return rule(SchemeOmstillingsfonden, "drawing_right", OutcomeNeedsEvidence, omstillingsfondenFAQRef, text{
			en: "Omstillingsfonden's money is handed out first come, first served from each institution's drawing right, but the institution running the course is not known, so no reservation can be made.",
			da: "Omstillingsfondens midler fordeles efter først-til-mølle fra hvert uddannelsessteds trækningsret, men uddannelsesstedet for kurset kendes ikke, så der kan ikke reserveres midler.",
		}, facts)
	}
	return rule(SchemeOmstillingsfonden, "drawing_right", OutcomeMet, omstillingsfondenFAQRef, text{
		en: fmt.Sprintf("Omstillingsfonden's money is handed out first come, first served from the institution's drawing right for %d; %s must be reserved in it before the funding is approved. You apply through the institution at enrolment (a declaration on your honour, with MitID).", year, krEN(covered)),
		da: fmt.Sprintf("Omstillingsfondens midler fordeles efter først-til-mølle fra uddannelsesstedets trækningsret for %d; %s skal reserveres i den, før finansieringen godkendes. Du søger gennem uddannelsesstedet ved tilmeldingen (tro og love-erklæring med MitID).", year, krDA(covered)),
	}, facts)
}

// omstillingsfondenInfo is the catalogue entry for Omstillingsfonden.
func omstillingsfondenInfo(c catalogueDay) SchemeInfo {
	capEN, capDA := c.kr(ParamOmstillingsfondenCap)
	months := c.n(ParamOmstillingsfondenMonthsBefore)
	return SchemeInfo{
		Code: SchemeOmstillingsfonden, NameEN: "Omstillingsfonden (VEU-omstillingsfonden)", NameDA: "Omstillingsfonden (VEU-omstillingsfonden)", Pays: PaysFee,
		BudgetLimited: true, BudgetOwner: "institution", PerCitizenCap: true, CapPeriod: "calendar_year",
		DecidedBy: "the institution, from its drawing right (Uddannelses- og Forskningsministeriet's fund)", Reference: omstillingsfondenRef,
		DescriptionEN: "Pays the participant fee of employed people on akademi and diplom modules, up to " + capEN + " per person per calendar year, first come, first served from the institution's drawing right, at the earliest " + months + " months before the start.",
		DescriptionDA: "Dækker deltagerbetalingen for personer i beskæftigelse på akademi- og diplommoduler, op til " + capDA + " pr. person pr. kalenderår, efter først-til-mølle fra uddannelsesstedets trækningsret, tidligst " + months + " måneder før start.",
		Parameters:    []string{ParamOmstillingsfondenCap, ParamOmstillingsfondenMonthsBefore},
		Rules: []RuleInfo{
			offeredInfo(SchemeOmstillingsfonden),
			ruleInfo(SchemeOmstillingsfonden, "employment", omstillingsfondenRef,
				"You are employed (full or part time); not self-employed or an employer.", "Du er lønmodtager (fuld tid eller deltid); ikke selvstændig eller arbejdsgiver."),
			ruleInfo(SchemeOmstillingsfonden, "course_type", omstillingsfondenRef,
				"The course is an akademi or diplom module.", "Kurset er et akademi- eller diplommodul."),
			ruleInfo(SchemeOmstillingsfonden, "education_level", omstillingsfondenRef,
				"Your highest education is at most a professionsbachelor (not a long-cycle higher education).", "Din højeste uddannelse er højst en professionsbachelor (ikke en lang videregående uddannelse)."),
			ruleInfo(SchemeOmstillingsfonden, "earliest_grant", omstillingsfondenFAQRef,
				"Money is granted at the earliest "+months+" months before the start.", "Der tildeles midler tidligst "+months+" måneder før start."),
			ruleInfo(SchemeOmstillingsfonden, "yearly_cap", omstillingsfondenRef,
				"The fund covers min(fee, "+capEN+" − what it already covers for you in the start year); nothing left is not met.",
				"Fonden dækker min(pris, "+capDA+" − hvad den allerede dækker for dig i startåret); er der intet tilbage, er betingelsen ikke opfyldt."),
			ruleInfo(SchemeOmstillingsfonden, "drawing_right", omstillingsfondenFAQRef,
				"The amount is reserved in the institution's drawing right for the start year before approval.", "Beløbet reserveres i uddannelsesstedets trækningsret for startåret før godkendelse."),
		},
	}
}
