package rules

import "fmt"

// 6 ugers jobrettet uddannelse (6 weeks' job-oriented training): an insured unemployed person on
// dagpenge with at most a vocational education may take up to 6 weeks of courses from the national
// positive list, completed within the first 9 months of unemployment (6 months under 25). The
// course is free and the dagpenge continue; the a-kasse decides the right, so the scheme always
// needs review here (bekendtgørelse nr. 1179 af 25/11/2019, amended by BEK 1730/2021). The rules
// may change with the new LAB expected on 1 January 2027.

const (
	jobrettetBEK     = "Bekendtgørelse nr. 1179 af 25/11/2019 om 6 ugers jobrettet uddannelse til forsikrede ledige"
	jobrettetListRef = "https://star.dk/indsatser-og-ordninger/jobrettet-voksen-og-efteruddannelse-veu/uddannelser-for-ledige/ordninger-jobrettet-veu/6-ugers/"
	jobrettetAgeFrom = 25 // from this age the longer time limit applies (§ 4)
)

func jobrettetRef(provision string) string { return jobrettetBEK + ", " + provision }

func evaluateJobrettet(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	rules := []RuleResult{
		offeredRule(SchemeJobrettetUddannelse, c),
		jobrettetDagpenge(f),
		jobrettetEducation(f.Education),
		jobrettetCourseType(c),
		periodRule(SchemeJobrettetUddannelse, c),
		jobrettetMaxWeeks(c, p),
		jobrettetTimeLimit(f, p),
		jobrettetAKasse(c),
	}
	return result(SchemeJobrettetUddannelse, rules, Amounts{FeeCoveredDKK: c.fee()})
}

// jobrettetDagpenge: the right is for insured unemployed people receiving dagpenge.
func jobrettetDagpenge(f Facts) RuleResult {
	ref := jobrettetRef("§ 1, stk. 2")
	facts := map[string]any{"benefits": f.Benefits, "employment_status": f.Employment.Status}
	switch f.Benefits {
	case BenefitsDagpenge:
		return rule(SchemeJobrettetUddannelse, "dagpenge", OutcomeMet, ref, text{
			en: "You receive dagpenge (unemployment benefit), as 6 weeks' job-oriented training requires.",
			da: "Du modtager dagpenge, som 6 ugers jobrettet uddannelse kræver.",
		}, facts)
	case "":
		return rule(SchemeJobrettetUddannelse, "dagpenge", OutcomeNeedsEvidence, ref, text{
			en: "We do not know whether you receive dagpenge; 6 weeks' job-oriented training is for insured unemployed people on dagpenge.",
			da: "Vi ved ikke, om du modtager dagpenge; 6 ugers jobrettet uddannelse er for forsikrede ledige på dagpenge.",
		}, facts)
	}
	return rule(SchemeJobrettetUddannelse, "dagpenge", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("6 weeks' job-oriented training is for insured unemployed people on dagpenge; %s.", situationEN(f)),
		da: fmt.Sprintf("6 ugers jobrettet uddannelse er for forsikrede ledige på dagpenge; %s.", situationDA(f)),
	}, facts)
}

// jobrettetEducation: no education above vocational level; a short-cycle higher education only
// together with a vocational education.
func jobrettetEducation(e Education) RuleResult {
	ref := jobrettetRef("§ 1, stk. 2")
	facts := map[string]any{"education_level": e.Level}
	switch e.Level {
	case LevelGrundskole, LevelGymnasial, LevelErhvervsuddannelse:
		return rule(SchemeJobrettetUddannelse, "education_cap", OutcomeMet, ref, text{
			en: fmt.Sprintf("Your highest education is %s; the right is for people with at most a vocational education.", levelEN(e.Level)),
			da: fmt.Sprintf("Din højeste uddannelse er %s; retten gælder personer med højst en erhvervsuddannelse.", levelDA(e.Level)),
		}, facts)
	case LevelKortVideregaaende:
		return rule(SchemeJobrettetUddannelse, "education_cap", OutcomeNeedsEvidence, ref, text{
			en: "Your highest education is a short-cycle higher education. The right covers it only if you also have a vocational education (erhvervsuddannelse), which must be documented.",
			da: "Din højeste uddannelse er en kort videregående uddannelse. Retten gælder kun, hvis du også har en erhvervsuddannelse, og det skal dokumenteres.",
		}, facts)
	case LevelMellemlangVideregaaende, LevelLangVideregaaende:
		return rule(SchemeJobrettetUddannelse, "education_cap", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("Your highest education is %s; the right is for people with at most a vocational education (or a short-cycle higher education together with one).", levelEN(e.Level)),
			da: fmt.Sprintf("Din højeste uddannelse er %s; retten gælder personer med højst en erhvervsuddannelse (eller en kort videregående uddannelse sammen med en).", levelDA(e.Level)),
		}, facts)
	}
	return rule(SchemeJobrettetUddannelse, "education_cap", OutcomeNeedsEvidence, ref, text{
		en: fmt.Sprintf("Your highest education is %s, so the limit of at most a vocational education cannot be checked.", levelEN(e.Level)),
		da: fmt.Sprintf("Din højeste uddannelse er %s, så kravet om højst en erhvervsuddannelse kan ikke kontrolleres.", levelDA(e.Level)),
	}, facts)
}

// jobrettetCourseType: AMU courses and vocational single subjects from the national positive list;
// selected akademi modules are on it too, for people of 25 or more, full time.
func jobrettetCourseType(c Course) RuleResult {
	ref := jobrettetBEK + "; landsdækkende positivliste: " + jobrettetListRef
	facts := map[string]any{"course_category": c.Category}
	switch c.Category {
	case CategoryAMU, CategoryEUDEnkeltfag:
		return rule(SchemeJobrettetUddannelse, "course_type", OutcomeMet, ref, text{
			en: fmt.Sprintf("The course is %s, a kind of course the national positive list contains.", categoryEN(c.Category)),
			da: fmt.Sprintf("Kurset er %s, en type kursus, som den landsdækkende positivliste indeholder.", categoryDA(c.Category)),
		}, facts)
	case CategoryAkademi:
		return rule(SchemeJobrettetUddannelse, "course_type", OutcomeNeedsEvidence, ref, text{
			en: "The course is an akademi module. Only selected akademi modules are on the positive list, taken full time by people of 25 or more; the a-kasse checks it.",
			da: "Kurset er et akademimodul. Kun udvalgte akademimoduler er på positivlisten, taget på fuld tid af personer på 25 år eller mere; a-kassen kontrollerer det.",
		}, facts)
	}
	return rule(SchemeJobrettetUddannelse, "course_type", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("6 weeks' job-oriented training covers AMU courses and vocational single subjects from the positive list; the course is %s.", categoryEN(c.Category)),
		da: fmt.Sprintf("6 ugers jobrettet uddannelse omfatter AMU-kurser og EUD-enkeltfag fra positivlisten; kurset er %s.", categoryDA(c.Category)),
	}, facts)
}

// jobrettetMaxWeeks: at most 6 weeks of courses in all.
func jobrettetMaxWeeks(c Course, p *paramLog) RuleResult {
	ref := jobrettetBEK + "; " + jobrettetListRef
	maxWeeks, u, ok := p.int(ParamJobrettetMaxWeeks, c.StartsOn)
	if !ok {
		return missingParamRule(SchemeJobrettetUddannelse, "max_weeks", ref, ParamJobrettetMaxWeeks, c.StartsOn, p.r)
	}
	weeks := c.weeks()
	facts := map[string]any{"course_weeks": weeks, "calendar_days": c.calendarDays(), "max_weeks": maxWeeks}
	paramFacts(facts, "max_weeks", u)
	if !c.validPeriod() {
		return rule(SchemeJobrettetUddannelse, "max_weeks", OutcomeNeedsEvidence, ref, text{
			en: fmt.Sprintf("The right covers at most %d weeks of courses; the course period is not valid, so its length cannot be checked.", maxWeeks),
			da: fmt.Sprintf("Retten dækker højst %d ugers kurser; kursusperioden er ikke gyldig, så længden kan ikke kontrolleres.", maxWeeks),
		}, facts)
	}
	en := fmt.Sprintf("The course lasts %d weeks (%d calendar days); the right covers at most %d weeks of courses in all, together with any earlier courses under it (the a-kasse checks those).", weeks, c.calendarDays(), maxWeeks)
	da := fmt.Sprintf("Kurset varer %d uger (%d kalenderdage); retten dækker højst %d ugers kurser i alt, sammen med eventuelle tidligere kurser under ordningen (det kontrollerer a-kassen).", weeks, c.calendarDays(), maxWeeks)
	return rule(SchemeJobrettetUddannelse, "max_weeks", outcomeIf(weeks <= maxWeeks), ref, text{en: en, da: da}, facts)
}

// jobrettetTimeLimit: the course must be completed within the first 9 months of unemployment for
// people of 25 or more, 6 months for people under 25 (age on the last course day): the last
// course day must be before the day the period ends (since + months).
func jobrettetTimeLimit(f Facts, p *paramLog) RuleResult {
	ref := jobrettetRef("§ 4")
	c := f.Course
	long, uLong, okLong := p.int(ParamJobrettetMonths25AndOver, c.StartsOn)
	short, uShort, okShort := p.int(ParamJobrettetMonthsUnder25, c.StartsOn)
	switch {
	case !okLong:
		return missingParamRule(SchemeJobrettetUddannelse, "time_limit", ref, ParamJobrettetMonths25AndOver, c.StartsOn, p.r)
	case !okShort:
		return missingParamRule(SchemeJobrettetUddannelse, "time_limit", ref, ParamJobrettetMonthsUnder25, c.StartsOn, p.r)
	}
	facts := map[string]any{"last_course_day": dateFact(c.EndsOn), "months_25_and_over": long, "months_under_25": short}
	paramFacts(facts, "months_25_and_over", uLong)
	paramFacts(facts, "months_under_25", uShort)
	const ruleEN = "The course must be completed within the first %d months of unemployment if you are 25 or more on the last course day, and within %d months if you are under 25."
	const ruleDA = "Kurset skal være afsluttet inden for de første %d måneder af ledigheden, hvis du er fyldt 25 år på sidste kursusdag, og inden for %d måneder, hvis du er under 25."
	en, da := fmt.Sprintf(ruleEN, long, short), fmt.Sprintf(ruleDA, long, short)
	if f.UnemployedSince == nil || c.EndsOn.IsZero() {
		return rule(SchemeJobrettetUddannelse, "time_limit", OutcomeNeedsEvidence, ref, text{
			en: en + " We do not know when your unemployment began (or the course's last day), so this must be checked.",
			da: da + " Vi ved ikke, hvornår din ledighed begyndte (eller kursets sidste dag), så det skal kontrolleres.",
		}, facts)
	}
	since := *f.UnemployedSince
	facts["unemployed_since"] = since.String()
	within := func(months int64) (bool, Date) {
		end := since.AddMonths(int(months)) // first day after the period
		return c.EndsOn.Before(end), end.AddDays(-1)
	}
	if f.BirthDate.IsZero() {
		okShortLimit, lastShort := within(short)
		okLongLimit, lastLong := within(long)
		facts["last_day_under_25"], facts["last_day_25_and_over"] = lastShort.String(), lastLong.String()
		switch {
		case okShortLimit:
			return rule(SchemeJobrettetUddannelse, "time_limit", OutcomeMet, ref, text{
				en: en + fmt.Sprintf(" Your unemployment began on %s and the course ends on %s, within even the shorter limit (by %s).", since, c.EndsOn, lastShort),
				da: da + fmt.Sprintf(" Din ledighed begyndte den %s, og kurset slutter den %s, inden for selv den korteste frist (senest %s).", since, c.EndsOn, lastShort),
			}, facts)
		case !okLongLimit:
			return rule(SchemeJobrettetUddannelse, "time_limit", OutcomeNotMet, ref, text{
				en: en + fmt.Sprintf(" Your unemployment began on %s and the course ends on %s, after even the longer limit (%s).", since, c.EndsOn, lastLong),
				da: da + fmt.Sprintf(" Din ledighed begyndte den %s, og kurset slutter den %s, efter selv den længste frist (%s).", since, c.EndsOn, lastLong),
			}, facts)
		}
		return rule(SchemeJobrettetUddannelse, "time_limit", OutcomeNeedsEvidence, ref, text{
			en: en + fmt.Sprintf(" Your unemployment began on %s and the course ends on %s: within the limit if you are 25 or more (by %s), but not if you are under 25 (by %s). Your age is not known.", since, c.EndsOn, lastLong, lastShort),
			da: da + fmt.Sprintf(" Din ledighed begyndte den %s, og kurset slutter den %s: inden for fristen, hvis du er fyldt 25 (senest %s), men ikke hvis du er under 25 (senest %s). Din alder kendes ikke.", since, c.EndsOn, lastLong, lastShort),
		}, facts)
	}
	age := AgeOn(f.BirthDate, c.EndsOn)
	months := short
	if age >= jobrettetAgeFrom {
		months = long
	}
	ok, last := within(months)
	facts["age_on_last_course_day"], facts["months_limit"], facts["complete_by"] = age, months, last.String()
	detailEN := fmt.Sprintf(" You are %d on the last course day, so the limit is %d months: your unemployment began on %s, so the course must end by %s; it ends on %s.", age, months, since, last, c.EndsOn)
	detailDA := fmt.Sprintf(" Du er %d år på sidste kursusdag, så fristen er %d måneder: din ledighed begyndte den %s, så kurset skal slutte senest %s; det slutter den %s.", age, months, since, last, c.EndsOn)
	return rule(SchemeJobrettetUddannelse, "time_limit", outcomeIf(ok), ref, text{en: en + detailEN, da: da + detailDA}, facts)
}

// jobrettetAKasse: the a-kasse decides the right; the course is free and the dagpenge continue, so
// this system pays no allowance.
func jobrettetAKasse(c Course) RuleResult {
	return rule(SchemeJobrettetUddannelse, "a_kasse_decides", OutcomeNeedsEvidence, jobrettetRef("§ 4, stk. 2"), text{
		en: fmt.Sprintf("Your unemployment insurance fund (a-kasse) decides whether you have the right (form AR237). If you do, the course fee of %s is paid for you and you keep your dagpenge during the course; there is no other allowance.", krEN(c.fee())),
		da: fmt.Sprintf("Din a-kasse afgør, om du har retten (blanket AR237). Hvis du har, betales kursusprisen på %s for dig, og du beholder dine dagpenge under kurset; der gives ingen anden ydelse.", krDA(c.fee())),
	}, map[string]any{"decided_by": "a-kasse", "form": "AR237", "fee_dkk": c.fee(), "allowance": "dagpenge continue; no allowance from this scheme"})
}

// jobrettetInfo is the catalogue entry for 6 weeks' job-oriented training.
func jobrettetInfo(c catalogueDay) SchemeInfo {
	weeks, long, short := c.n(ParamJobrettetMaxWeeks), c.n(ParamJobrettetMonths25AndOver), c.n(ParamJobrettetMonthsUnder25)
	return SchemeInfo{
		Code: SchemeJobrettetUddannelse, NameEN: "6 weeks' job-oriented training", NameDA: "6 ugers jobrettet uddannelse", Pays: PaysFee,
		Entitlement: true, DecidedBy: "the citizen's a-kasse", Reference: jobrettetBEK,
		DescriptionEN: "For insured unemployed people on dagpenge with at most a vocational education: up to " + weeks + " weeks of courses from the national positive list, completed within " + long + " months of unemployment (" + short + " under 25). The course is free and the dagpenge continue.",
		DescriptionDA: "For forsikrede ledige på dagpenge med højst en erhvervsuddannelse: op til " + weeks + " ugers kurser fra den landsdækkende positivliste, afsluttet inden for " + long + " måneders ledighed (" + short + " under 25 år). Kurset er gratis, og dagpengene fortsætter.",
		Parameters:    []string{ParamJobrettetMaxWeeks, ParamJobrettetMonths25AndOver, ParamJobrettetMonthsUnder25},
		Rules: []RuleInfo{
			offeredInfo(SchemeJobrettetUddannelse),
			ruleInfo(SchemeJobrettetUddannelse, "dagpenge", jobrettetRef("§ 1, stk. 2"), "You receive dagpenge.", "Du modtager dagpenge."),
			ruleInfo(SchemeJobrettetUddannelse, "education_cap", jobrettetRef("§ 1, stk. 2"),
				"At most a vocational education; a short-cycle higher education only together with one.", "Højst en erhvervsuddannelse; en kort videregående uddannelse kun sammen med en."),
			ruleInfo(SchemeJobrettetUddannelse, "course_type", jobrettetBEK+"; landsdækkende positivliste: "+jobrettetListRef,
				"An AMU course or vocational single subject from the positive list (selected akademi modules need checking).", "Et AMU-kursus eller EUD-enkeltfag fra positivlisten (udvalgte akademimoduler skal kontrolleres)."),
			periodInfo(SchemeJobrettetUddannelse),
			ruleInfo(SchemeJobrettetUddannelse, "max_weeks", jobrettetBEK+"; "+jobrettetListRef,
				"The course lasts at most "+weeks+" weeks.", "Kurset varer højst "+weeks+" uger."),
			ruleInfo(SchemeJobrettetUddannelse, "time_limit", jobrettetRef("§ 4"),
				"The course ends within "+long+" months of the start of unemployment ("+short+" months if under 25 on the last course day).",
				"Kurset slutter inden for "+long+" måneder fra ledighedens start ("+short+" måneder, hvis du er under 25 på sidste kursusdag)."),
			ruleInfo(SchemeJobrettetUddannelse, "a_kasse_decides", jobrettetRef("§ 4, stk. 2"),
				"The a-kasse decides the right (form AR237); the fee is paid and the dagpenge continue.", "A-kassen afgør retten (blanket AR237); prisen betales, og dagpengene fortsætter."),
		},
	}
}
