package rules

import "fmt"

// Den Kommunale Kompetencefond: for staff of a municipality on a KL collective agreement (BUPL,
// DS, FOA, Forhandlingskartellet, HK Kommunal, 3F and others). The fund pays 80 % of the course
// cost, up to a cap per employee per 12 months; the workplace pays the rest, not the employee.
// The application is made before the course starts (at the earliest 9 months before, at the latest
// the day before). Not for apprentices or staff under notice (they have Tryghedspuljen). Pays no
// allowance.

const kompetencefondRef = "Den Kommunale Kompetencefond (aftale mellem KL og de faglige organisationer), regler for ansøgning: https://denkommunalekompetencefond.dk/reglerne-for-ansogning/"

func evaluateKompetencefond(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	calc := kompetencefondCalculate(f, p)
	rules := []RuleResult{
		offeredRule(SchemeKompetencefond, c),
		kompetencefondEmployee(f),
		kompetencefondApplicationTime(f, p),
		calc.rule(p.r),
	}
	if calc.fee > calc.covered { // the workplace pays the rest
		rules = withRule(rules, employerPaysRule(SchemeKompetencefond, f))
	}
	res := result(SchemeKompetencefond, rules, Amounts{FeeCoveredDKK: calc.covered, EmployerPaysDKK: calc.fee - calc.covered})
	return res.withCap(CapNeed{Scheme: SchemeKompetencefond, Period: PeriodRolling12m, AmountDKK: calc.covered,
		LimitDKK: calc.limit, StartsOn: c.StartsOn.String()})
}

// kompetencefondEmployee: only staff of a municipality on a KL agreement.
func kompetencefondEmployee(f Facts) RuleResult {
	facts := map[string]any{"municipal_employee": f.MunicipalEmployee, "employment_status": f.Employment.Status}
	if f.MunicipalEmployee {
		return rule(SchemeKompetencefond, "municipal_employee", OutcomeMet, kompetencefondRef, text{
			en: "You are employed by a municipality on a KL collective agreement, as Den Kommunale Kompetencefond requires (not as an apprentice or under notice).",
			da: "Du er ansat i en kommune på en KL-overenskomst, som Den Kommunale Kompetencefond kræver (ikke som elev eller i opsagt stilling).",
		}, facts)
	}
	return rule(SchemeKompetencefond, "municipal_employee", OutcomeNeedsEvidence, kompetencefondRef, text{
		en: "Den Kommunale Kompetencefond is only for staff of a municipality on a KL collective agreement (not apprentices or staff under notice). You are not registered as such, so your workplace must confirm it.",
		da: "Den Kommunale Kompetencefond er kun for ansatte i en kommune på en KL-overenskomst (ikke elever eller ansatte i opsagt stilling). Du er ikke registreret som sådan, så din arbejdsplads skal bekræfte det.",
	}, facts)
}

// kompetencefondApplicationTime: apply at the earliest 9 months before the start and at the latest
// the day before.
func kompetencefondApplicationTime(f Facts, p *paramLog) RuleResult {
	c := f.Course
	months, u, ok := p.int(ParamKompetencefondMonthsBefore, c.StartsOn)
	if !ok {
		return missingParamRule(SchemeKompetencefond, "application_time", kompetencefondRef, ParamKompetencefondMonthsBefore, c.StartsOn, p.r)
	}
	from, last := c.StartsOn.AddMonths(-int(months)), c.StartsOn.AddDays(-1)
	facts := map[string]any{"first_course_day": c.StartsOn.String(), "apply_from": from.String(), "apply_by": last.String(), "today": dateFact(f.Today)}
	paramFacts(facts, "months_before_start", u)
	en := fmt.Sprintf("Apply to the fund at the earliest %d months before the start, i.e. from %s, and at the latest the day before, %s.", months, from, last)
	da := fmt.Sprintf("Der skal søges tidligst %d måneder før start, dvs. fra %s, og senest dagen før, %s.", months, from, last)
	switch {
	case f.Today.IsZero():
		return rule(SchemeKompetencefond, "application_time", OutcomeNeedsEvidence, kompetencefondRef, text{
			en: en + " The day of this evaluation is not known, so this must be checked.",
			da: da + " Dagen for denne vurdering kendes ikke, så det skal kontrolleres.",
		}, facts)
	case !f.Today.Before(c.StartsOn):
		return rule(SchemeKompetencefond, "application_time", OutcomeNotMet, kompetencefondRef, text{
			en: en + fmt.Sprintf(" Today is %s, so it is too late to apply for this course.", f.Today),
			da: da + fmt.Sprintf(" I dag er det %s, så det er for sent at søge til dette kursus.", f.Today),
		}, facts)
	case f.Today.Before(from):
		return rule(SchemeKompetencefond, "application_time", OutcomeNotMet, kompetencefondRef, text{
			en: en + fmt.Sprintf(" Today is %s, too early; apply again on or after %s.", f.Today, from),
			da: da + fmt.Sprintf(" I dag er det %s, hvilket er for tidligt; søg igen den %s eller senere.", f.Today, from),
		}, facts)
	}
	return rule(SchemeKompetencefond, "application_time", OutcomeMet, kompetencefondRef, text{
		en: en + fmt.Sprintf(" Today is %s.", f.Today),
		da: da + fmt.Sprintf(" I dag er det %s.", f.Today),
	}, facts)
}

// kompetencefondCalc splits the fee: the fund's share (80 %) up to what is left of the cap; the
// workplace pays the rest.
type kompetencefondCalc struct {
	ok                 bool
	missing            string // parameter not in force
	percent            int64
	percentUse, capUse ParameterUse
	limit              int64 // cap per 12 months
	used               int64 // already used by other enrolments in the 12 months in a row, including the start, that use the most
	left               int64 // limit − used, never negative
	fee                int64
	share              int64 // round(fee × percent / 100)
	covered            int64 // min(share, left)
	day                Date
}

func kompetencefondCalculate(f Facts, p *paramLog) kompetencefondCalc {
	c := f.Course
	calc := kompetencefondCalc{fee: c.fee(), used: max(f.Usage.KompetencefondUsedDKK, 0), day: c.StartsOn}
	var okPercent, okCap bool
	calc.percent, calc.percentUse, okPercent = p.int(ParamKompetencefondPercent, c.StartsOn)
	calc.limit, calc.capUse, okCap = p.int(ParamKompetencefondCap, c.StartsOn)
	switch {
	case !okPercent:
		calc.missing = ParamKompetencefondPercent
	case !okCap:
		calc.missing = ParamKompetencefondCap
	default:
		calc.ok = true
		calc.left = max(calc.limit-calc.used, 0)
		calc.share = roundDiv(calc.fee*calc.percent, 100)
		calc.covered = min(calc.share, calc.left)
	}
	return calc
}

// rule explains the split; no room left under the cap is not met.
func (calc kompetencefondCalc) rule(r Rates) RuleResult {
	if !calc.ok {
		return missingParamRule(SchemeKompetencefond, "cap", kompetencefondRef, calc.missing, calc.day, r)
	}
	employer := calc.fee - calc.covered
	facts := map[string]any{
		"percent": calc.percent, "cap_12_months_dkk": calc.limit, "used_12_months_dkk": calc.used, "left_dkk": calc.left,
		"fee_dkk": calc.fee, "fund_share_dkk": calc.share, "fee_covered_dkk": calc.covered, "employer_pays_dkk": employer, "citizen_pays_dkk": int64(0),
	}
	paramFacts(facts, "percent", calc.percentUse)
	paramFacts(facts, "cap", calc.capUse)
	en := fmt.Sprintf("The fund pays %d %% of the cost, at most %s per employee in 12 months%s. In the 12 months around the course's start it already pays up to %s for you, so %s is left.",
		calc.percent, krEN(calc.limit), provisionalEN(calc.capUse), krEN(calc.used), krEN(calc.left))
	da := fmt.Sprintf("Fonden betaler %d %% af udgiften, højst %s pr. medarbejder på 12 måneder%s. I 12 måneder omkring kursets start betaler den allerede op til %s for dig, så der er %s tilbage.",
		calc.percent, krDA(calc.limit), provisionalDA(calc.capUse), krDA(calc.used), krDA(calc.left))
	if calc.left == 0 {
		return rule(SchemeKompetencefond, "cap", OutcomeNotMet, kompetencefondRef, text{
			en: en + " Nothing is left for this course.",
			da: da + " Der er intet tilbage til dette kursus.",
		}, facts)
	}
	en += fmt.Sprintf(" Of the fee of %s the fund pays %s", krEN(calc.fee), krEN(calc.covered))
	da += fmt.Sprintf(" Af deltagerbetalingen på %s betaler fonden %s", krDA(calc.fee), krDA(calc.covered))
	if calc.covered < calc.share {
		en += fmt.Sprintf(" (its %d %% share, %s, is limited by the cap)", calc.percent, krEN(calc.share))
		da += fmt.Sprintf(" (dens andel på %d %%, %s, er begrænset af loftet)", calc.percent, krDA(calc.share))
	}
	return rule(SchemeKompetencefond, "cap", OutcomeMet, kompetencefondRef, text{
		en: en + fmt.Sprintf(" and your workplace pays %s; you pay nothing.", krEN(employer)),
		da: da + fmt.Sprintf(", og din arbejdsplads betaler %s; du betaler intet.", krDA(employer)),
	}, facts)
}

// kompetencefondInfo is the catalogue entry for Den Kommunale Kompetencefond.
func kompetencefondInfo(c catalogueDay) SchemeInfo {
	pct := c.n(ParamKompetencefondPercent)
	capEN, capDA := c.kr(ParamKompetencefondCap)
	months := c.n(ParamKompetencefondMonthsBefore)
	return SchemeInfo{
		Code: SchemeKompetencefond, NameEN: "Den Kommunale Kompetencefond (the municipal competence fund)", NameDA: "Den Kommunale Kompetencefond", Pays: PaysFee,
		PerCitizenCap: true, CapPeriod: PeriodRolling12m,
		DecidedBy: "Den Kommunale Kompetencefond", Reference: kompetencefondRef,
		DescriptionEN: "For staff of a municipality on a KL agreement: the fund pays " + pct + " % of the course cost, up to " + capEN + " per employee in 12 months; the workplace pays the rest. Apply before the start.",
		DescriptionDA: "For ansatte i en kommune på en KL-overenskomst: fonden betaler " + pct + " % af kursusudgiften, op til " + capDA + " pr. medarbejder på 12 måneder; arbejdspladsen betaler resten. Der søges før start.",
		Parameters:    []string{ParamKompetencefondPercent, ParamKompetencefondCap, ParamKompetencefondMonthsBefore},
		Rules: []RuleInfo{
			offeredInfo(SchemeKompetencefond),
			ruleInfo(SchemeKompetencefond, "municipal_employee", kompetencefondRef,
				"You are employed by a municipality on a KL collective agreement (not an apprentice or under notice).", "Du er ansat i en kommune på en KL-overenskomst (ikke elev eller i opsagt stilling)."),
			ruleInfo(SchemeKompetencefond, "employer_commitment", employerAnswerRef,
				"The workplace has agreed to pay its share of the fee.", "Arbejdspladsen har givet tilsagn om at betale sin del af prisen."),
			ruleInfo(SchemeKompetencefond, "application_time", kompetencefondRef,
				"The application is made at the earliest "+months+" months before the start and at the latest the day before.", "Der søges tidligst "+months+" måneder før start og senest dagen før."),
			ruleInfo(SchemeKompetencefond, "cap", kompetencefondRef,
				"The fund pays min("+pct+" % of the fee, "+capEN+" − what it already pays for you in 12 months); the workplace pays the rest; nothing left is not met.",
				"Fonden betaler min("+pct+" % af prisen, "+capDA+" − hvad den allerede betaler for dig på 12 måneder); arbejdspladsen betaler resten; er der intet tilbage, er betingelsen ikke opfyldt."),
		},
	}
}
