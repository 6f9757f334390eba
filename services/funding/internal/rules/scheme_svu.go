package rules

import (
	"fmt"
	"strings"
)

// SVU — Statens Voksenuddannelsesstøtte: a weekly allowance for people in work who take leave to
// study at folkeskole, gymnasial or higher level (lov om statens voksenuddannelsesstøtte,
// LBK nr. 53 af 23/01/2020).

const (
	svuMinAge            = 25 // § 2, stk. 1, nr. 1
	svuMinAgeBasic       = 20 // § 2, stk. 5: FVU and OBU from 20
	svuPensionAge        = 67 // simplification of folkepensionsalder, see svuAge
	svuEmploymentDays    = 26 * 7
	svuRoundUpCenti      = 2000 // folkeskole/gymnasial level: ≥ 20 hours a week counts as 37
	svuFullTimeCenti     = 3000 // higher level: ≥ 30 hours a week is taken as "organised full time"
	svuApplyEarliestDays = 13 * 7
	svuApplyAdviceDays   = 3 * 7
)

func svuRef(provision string) string {
	return "SVU-loven " + provision + " (LBK nr. 53 af 23/01/2020)"
}

// svuLevel is the SVU level of a course category. It decides the rate, whether SVU covers the
// participant fee, the minimum hours and which education cap applies.
type svuLevel int

const (
	svuNone    svuLevel = iota // the category does not give SVU
	svuBasic                   // FVU and OBU: folkeskole level at 100 %
	svuGeneral                 // other folkeskole and gymnasial level at 80 %
	svuHigher                  // videregående (higher) level at 60 %, full time only
)

func svuLevelOf(category string) svuLevel {
	switch category {
	case CategoryFVU, CategoryOBU:
		return svuBasic
	case CategoryAVU, CategoryDanskuddannelse, CategoryHFEnkeltfag, CategoryGymnasialSupplering:
		return svuGeneral
	case CategoryAkademi, CategoryDiplom, CategoryMaster:
		return svuHigher
	}
	return svuNone
}

// percentParam is the rate-table parameter with the level's percentage of the maximum dagpenge
// for a full-time week (100, 80 and 60 % when this was written).
func (l svuLevel) percentParam() string {
	switch l {
	case svuBasic:
		return ParamSVUPercentFVUOBU
	case svuGeneral:
		return ParamSVUPercentGeneral
	case svuHigher:
		return ParamSVUPercentHigher
	}
	return ""
}

// usageKey is the key of Usage.SVUWeeksUsed for the level: the 40 weeks are counted per level,
// and FVU/OBU is folkeskole level.
func (l svuLevel) usageKey() string {
	if l == svuHigher {
		return SVULevelVideregaaende
	}
	return SVULevelFolkeskoleGymnasial
}

// minCentiHours is the least teaching a week that gives SVU: 3 hours, or 6 at higher level.
func (l svuLevel) minCentiHours() int64 {
	if l == svuHigher {
		return 600
	}
	return 300
}

// coversFee reports whether SVU also pays the participant fee (folkeskole and gymnasial level).
func (l svuLevel) coversFee() bool { return l == svuBasic || l == svuGeneral }

func (l svuLevel) nameEN() string {
	switch l {
	case svuBasic:
		return "FVU/OBU (folkeskole level)"
	case svuGeneral:
		return "folkeskole or gymnasial level"
	case svuHigher:
		return "higher education level"
	}
	return "no SVU level"
}

func (l svuLevel) nameDA() string {
	switch l {
	case svuBasic:
		return "FVU/OBU (folkeskoleniveau)"
	case svuGeneral:
		return "folkeskole- eller gymnasialt niveau"
	case svuHigher:
		return "videregående niveau"
	}
	return "intet SVU-niveau"
}

func evaluateSVU(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	level := svuLevelOf(c.Category)
	rules := []RuleResult{
		offeredRule(SchemeSVU, c),
		svuAge(f.BirthDate, c),
		svuEmployment(f.Employment),
		svuEmployment26Weeks(f.Employment, c),
		svuCourseType(c),
	}
	rules = withRule(rules, employerLeaveRule(SchemeSVU, f))
	if level != svuNone {
		rules = append(rules, svuEducationCap(f.Education, c, level), svuMinimumHours(c, level))
	}
	if level == svuHigher {
		rules = append(rules, svuFullTime(c))
	}
	rules = append(rules,
		benefitsRule(SchemeSVU, "SVU", "SVU", svuRef("§ 2, stk. 1, nr. 6"), f),
		periodRule(SchemeSVU, c),
		rateRule(SchemeSVU, c, p),
	)
	calc := svuCalculate(f, level, p)
	if level != svuNone {
		rules = append(rules, calc.weeksRule(c.StartsOn, p.r), calc.rule())
	}
	rules = append(rules, svuApplicationDeadline(c, level))
	return result(SchemeSVU, rules, calc.amounts())
}

// svuAge: at least 25 (20 for FVU and OBU) and below folkepensionsalder on the first course day.
func svuAge(birth Date, c Course) RuleResult {
	ref := svuRef("§ 2, stk. 1, nr. 1 og stk. 5")
	basic := svuLevelOf(c.Category) == svuBasic
	minimum := svuMinAge
	if basic {
		minimum = svuMinAgeBasic
	}
	facts := map[string]any{
		"birth_date":          birth.String(),
		"first_course_day":    c.StartsOn.String(),
		"minimum_age":         minimum,
		"pension_age_assumed": svuPensionAge,
		"pension_age_note":    "simplification: folkepensionsalder (lov om social pension § 1 a) depends on the birth date; 67 is used for everyone",
	}
	if birth.IsZero() || c.StartsOn.IsZero() {
		return rule(SchemeSVU, "age", OutcomeNeedsEvidence, ref, text{
			en: "Your birth date or the first course day is missing, so your age on the first course day cannot be checked.",
			da: "Din fødselsdato eller første kursusdag mangler, så din alder på første kursusdag kan ikke kontrolleres.",
		}, facts)
	}
	age := AgeOn(birth, c.StartsOn)
	facts["age_on_start"] = age
	day := c.StartsOn.String()

	switch {
	case age >= svuPensionAge:
		return rule(SchemeSVU, "age", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("You are %d on the first course day (%s). SVU stops at folkepensionsalder, which this system takes to be %d (a simplification: the actual age depends on your birth date).", age, day, svuPensionAge),
			da: fmt.Sprintf("Du er %d år på første kursusdag (%s). SVU gives kun indtil folkepensionsalderen, som dette system sætter til %d år (en forenkling: den faktiske alder afhænger af din fødselsdato).", age, day, svuPensionAge),
		}, facts)
	case age >= svuMinAge:
		return rule(SchemeSVU, "age", OutcomeMet, ref, text{
			en: fmt.Sprintf("You are %d on the first course day (%s); SVU requires at least %d and below folkepensionsalder (taken as %d).", age, day, svuMinAge, svuPensionAge),
			da: fmt.Sprintf("Du er %d år på første kursusdag (%s); SVU kræver, at du er fyldt %d år og ikke har nået folkepensionsalderen (sat til %d år).", age, day, svuMinAge, svuPensionAge),
		}, facts)
	case basic && age >= svuMinAgeBasic:
		return rule(SchemeSVU, "age", OutcomeMet, ref, text{
			en: fmt.Sprintf("You are %d on the first course day (%s). SVU normally requires %d, but for FVU and OBU from %d.", age, day, svuMinAge, svuMinAgeBasic),
			da: fmt.Sprintf("Du er %d år på første kursusdag (%s). SVU kræver normalt, at du er fyldt %d år, men til FVU og ordblindeundervisning fra %d år.", age, day, svuMinAge, svuMinAgeBasic),
		}, facts)
	}

	turns := NewDate(birth.Year+minimum, birth.Month, birth.Day)
	facts["reaches_minimum_age_on"] = turns.String()
	en := fmt.Sprintf("You are %d on the first course day (%s); SVU requires at least %d. You turn %d on %s.", age, day, minimum, minimum, turns)
	da := fmt.Sprintf("Du er %d år på første kursusdag (%s); SVU kræver, at du er fyldt %d år. Du fylder %d år den %s.", age, day, minimum, minimum, turns)
	if !basic && age >= svuMinAgeBasic {
		en += fmt.Sprintf(" From %d, SVU is possible only for FVU and OBU.", svuMinAgeBasic)
		da += fmt.Sprintf(" Fra %d år kan der kun gives SVU til FVU og ordblindeundervisning.", svuMinAgeBasic)
	}
	return rule(SchemeSVU, "age", OutcomeNotMet, ref, text{en: en, da: da}, facts)
}

// svuEmployment: SVU is for people in work, as wage earners or self-employed.
func svuEmployment(e Employment) RuleResult {
	ref := svuRef("§ 2, stk. 1, nr. 2")
	facts := map[string]any{"employment_status": e.Status}
	switch e.Status {
	case StatusEmployed, StatusSelfEmployed:
		return rule(SchemeSVU, "employment", OutcomeMet, ref, text{
			en: fmt.Sprintf("You are %s. SVU requires work as a wage earner or self-employed, without a public wage subsidy (a flexjob counts).", employmentStatusEN(e.Status)),
			da: fmt.Sprintf("Du er %s. SVU kræver beskæftigelse som lønmodtager eller selvstændig uden offentligt tilskud (fleksjob tæller med).", employmentStatusDA(e.Status)),
		}, facts)
	case StatusUnemployed, StatusOutsideLabourMarket:
		return rule(SchemeSVU, "employment", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("SVU is for people in work (wage earners or self-employed); you are %s.", employmentStatusEN(e.Status)),
			da: fmt.Sprintf("SVU er for personer i beskæftigelse (lønmodtagere eller selvstændige); du er %s.", employmentStatusDA(e.Status)),
		}, facts)
	}
	return rule(SchemeSVU, "employment", OutcomeNeedsEvidence, ref, text{
		en: fmt.Sprintf("Your employment status is %s; SVU requires work as a wage earner or self-employed, which must be confirmed.", employmentStatusEN(e.Status)),
		da: fmt.Sprintf("Din beskæftigelsesstatus er %s; SVU kræver beskæftigelse som lønmodtager eller selvstændig, og det skal bekræftes.", employmentStatusDA(e.Status)),
	}, facts)
}

// svuEmployment26Weeks: at least 26 weeks (182 days) with the current employer, or running one's
// own business, immediately before the course: Since + 182 days ≤ first course day.
func svuEmployment26Weeks(e Employment, c Course) RuleResult {
	ref := svuRef("§ 2, stk. 2") + "; svu.dk: Du har haft arbejde i 26 uger"
	facts := map[string]any{
		"employment_status": e.Status,
		"first_course_day":  c.StartsOn.String(),
		"required_weeks":    26,
		"required_days":     svuEmploymentDays,
	}
	switch e.Status {
	case StatusEmployed, StatusSelfEmployed:
	case StatusUnemployed, StatusOutsideLabourMarket:
		return rule(SchemeSVU, "employment_26_weeks", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("SVU requires 26 weeks with your current employer (or in your own business) immediately before the course; you are %s.", employmentStatusEN(e.Status)),
			da: fmt.Sprintf("SVU kræver 26 ugers beskæftigelse hos din nuværende arbejdsgiver (eller i egen virksomhed) umiddelbart før kurset; du er %s.", employmentStatusDA(e.Status)),
		}, facts)
	default:
		return rule(SchemeSVU, "employment_26_weeks", OutcomeNeedsEvidence, ref, text{
			en: "Your employment status is not known, so the 26 weeks with your current employer cannot be checked.",
			da: "Din beskæftigelsesstatus kendes ikke, så de 26 uger hos din nuværende arbejdsgiver kan ikke kontrolleres.",
		}, facts)
	}

	withEN, withDA := "with your current employer", "hos din nuværende arbejdsgiver"
	if e.Status == StatusSelfEmployed {
		withEN, withDA = "in your own business", "i din egen virksomhed"
	}
	if e.Since == nil || c.StartsOn.IsZero() {
		return rule(SchemeSVU, "employment_26_weeks", OutcomeNeedsEvidence, ref, text{
			en: fmt.Sprintf("We do not know since when you have worked %s; SVU requires at least 26 weeks (182 days) immediately before the course.", withEN),
			da: fmt.Sprintf("Vi ved ikke, hvor længe du har arbejdet %s; SVU kræver mindst 26 uger (182 dage) umiddelbart før kurset.", withDA),
		}, facts)
	}

	since := *e.Since
	days := since.DaysUntil(c.StartsOn)
	from := since.AddDays(svuEmploymentDays)
	facts["employed_since"] = since.String()
	facts["days_before_start"] = days
	facts["qualifies_from"] = from.String()
	if days >= svuEmploymentDays {
		return rule(SchemeSVU, "employment_26_weeks", OutcomeMet, ref, text{
			en: fmt.Sprintf("You have worked %s since %s: %d days (%s) before the first course day (%s). SVU requires at least 26 weeks (182 days).", withEN, since, days, weeksEN(days), c.StartsOn),
			da: fmt.Sprintf("Du har arbejdet %s siden %s: %d dage (%s) før første kursusdag (%s). SVU kræver mindst 26 uger (182 dage).", withDA, since, days, weeksDA(days), c.StartsOn),
		}, facts)
	}
	return rule(SchemeSVU, "employment_26_weeks", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("You have worked %s since %s: only %d days (%s) before the first course day (%s). SVU requires at least 26 weeks (182 days), which you reach for a course starting on or after %s. Seasonal, casual and temporary workers may count 26 weeks with the same employer over 2 years; ask the SVU administrator.", withEN, since, days, weeksEN(days), c.StartsOn, from),
		da: fmt.Sprintf("Du har arbejdet %s siden %s: kun %d dage (%s) før første kursusdag (%s). SVU kræver mindst 26 uger (182 dage), hvilket du når for et kursus, der starter %s eller senere. Sæsonarbejdere, løsarbejdere og vikarer kan optjene de 26 uger hos samme arbejdsgiver over 2 år; spørg SVU-administratoren.", withDA, since, days, weeksDA(days), c.StartsOn, from),
	}, facts)
}

// svuCourseType: the course must be of a kind that gives SVU.
func svuCourseType(c Course) RuleResult {
	ref := svuRef("§ 2, stk. 1, nr. 3, jf. § 4, stk. 1 og § 8") + "; svu.dk: Uddannelser med SVU"
	facts := map[string]any{"course_category": c.Category}
	nameEN, nameDA := categoryEN(c.Category), categoryDA(c.Category)
	level := svuLevelOf(c.Category)
	facts["svu_level"] = level.nameEN()

	switch {
	case c.Category == CategoryGymnasialSupplering:
		return rule(SchemeSVU, "course_type", OutcomeNeedsEvidence, ref, text{
			en: "Gymnasial supplering (GSK) is not named on svu.dk's list of courses with SVU. It is probably covered as hf or stx single subjects, but the institution must confirm that the course gives the right to SVU.",
			da: "Gymnasial supplering (GSK) står ikke på svu.dk's liste over uddannelser med SVU. Den er formentlig omfattet som hf- eller stx-enkeltfag, men uddannelsesstedet skal bekræfte, at kurset giver ret til SVU.",
		}, facts)
	case level == svuHigher:
		return rule(SchemeSVU, "course_type", OutcomeMet, ref, text{
			en: fmt.Sprintf("The course is %s, higher adult education that can give SVU if it is organised full time and not run as indtægtsdækket virksomhed (income-financed activity).", nameEN),
			da: fmt.Sprintf("Kurset er %s, videregående voksenuddannelse, der kan give SVU, hvis den er tilrettelagt på heltid og ikke udbydes som indtægtsdækket virksomhed.", nameDA),
		}, facts)
	case level != svuNone:
		return rule(SchemeSVU, "course_type", OutcomeMet, ref, text{
			en: fmt.Sprintf("The course is %s, which is on SVU's list of courses at folkeskole or gymnasial level.", nameEN),
			da: fmt.Sprintf("Kurset er %s, som står på listen over uddannelser med SVU på folkeskole- eller gymnasialt niveau.", nameDA),
		}, facts)
	case c.Category == CategoryAMU || c.Category == CategoryEUDEnkeltfag:
		return rule(SchemeSVU, "course_type", OutcomeNotMet, ref, text{
			en: fmt.Sprintf("The course is %s; SVU is not given for vocational courses. VEU-godtgørelse may apply instead.", nameEN),
			da: fmt.Sprintf("Kurset er %s; der gives ikke SVU til erhvervsrettede kurser. VEU-godtgørelse kan måske bruges i stedet.", nameDA),
		}, facts)
	}
	return rule(SchemeSVU, "course_type", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("The course is %s, which does not give SVU.", nameEN),
		da: fmt.Sprintf("Kurset er %s, som ikke giver ret til SVU.", nameDA),
	}, facts)
}

// svuEducationCap applies the prior-education limit of the course's level.
func svuEducationCap(e Education, c Course, level svuLevel) RuleResult {
	switch {
	case c.Category == CategoryFVU || c.Category == CategoryOBU || c.Category == CategoryDanskuddannelse:
		return svuCapExempt(e, c)
	case level == svuHigher:
		return svuCapHigher(e, c)
	}
	return svuCapGeneral(e, c)
}

// svuCapExempt: FVU, OBU and danskuddannelse are exempt from the kortuddannet requirement.
func svuCapExempt(e Education, c Course) RuleResult {
	ref := svuRef("§ 3, stk. 3") + "; svu.dk: Uddannelsesmæssig baggrund – folkeskole- eller gymnasialt niveau"
	return rule(SchemeSVU, "education_cap", OutcomeMet, ref, text{
		en: fmt.Sprintf("For %s your previous education does not matter: it is exempt from the requirement to be kortuddannet (short-educated).", categoryEN(c.Category)),
		da: fmt.Sprintf("Til %s er din tidligere uddannelse uden betydning: den er undtaget fra kravet om at være kortuddannet.", categoryDA(c.Category)),
	}, map[string]any{"education_level": e.Level, "course_category": c.Category, "exempt": true})
}

// svuCapGeneral: at folkeskole and gymnasial level the citizen must be kortuddannet: at most 8
// years of schooling plus a vocational education, or 9–10 years plus at most a 2-year or an
// outdated vocational education. Gymnasial education counts as schooling.
func svuCapGeneral(e Education, c Course) RuleResult {
	ref := svuRef("§ 3, stk. 1–2") + "; svu.dk: Uddannelsesmæssig baggrund – folkeskole- eller gymnasialt niveau"
	age := degreeAgeOf(e, c)
	facts := age.facts(e, c)
	const ruleEN = "SVU at folkeskole or gymnasial level requires you to be kortuddannet: at most 8 years of schooling plus a vocational education, or 9–10 years of schooling plus at most a 2-year or an outdated vocational education."
	const ruleDA = "SVU på folkeskole- eller gymnasialt niveau kræver, at du er kortuddannet: højst 8 års skolegang plus en erhvervsrettet uddannelse, eller 9–10 års skolegang plus højst en 2-årig eller en forældet erhvervsrettet uddannelse."

	switch {
	case e.Level == LevelGrundskole:
		return rule(SchemeSVU, "education_cap", OutcomeMet, ref, text{
			en: "Your highest education is grundskole, so you are kortuddannet (short-educated) as SVU at folkeskole and gymnasial level requires.",
			da: "Din højeste uddannelse er grundskolen, så du er kortuddannet, som SVU på folkeskole- og gymnasialt niveau kræver.",
		}, facts)
	case e.Level == LevelGymnasial:
		return rule(SchemeSVU, "education_cap", OutcomeNeedsEvidence, ref, text{
			en: ruleEN + " A gymnasial education counts as schooling, so a completed one usually means more than 10 years (8 years of school and a 2-year hf make 10). The SVU administrator must check your years of schooling.",
			da: ruleDA + " En gymnasial uddannelse tæller som skolegang, så en afsluttet gymnasial uddannelse giver som regel mere end 10 års skolegang (8 års skole og en 2-årig hf giver 10). SVU-administratoren skal kontrollere din skolegang.",
		}, facts)
	case e.Level == LevelErhvervsuddannelse:
		en := age.describeEN(e) + " " + ruleEN + " It must therefore be shown that it is at most 2 years long, or outdated (not used in the 5 years before you apply), or that you have at most 8 years of schooling."
		da := age.describeDA(e) + " " + ruleDA + " Det skal derfor vises, at den højst er 2-årig, eller at den er forældet (ikke brugt i de 5 år før du søger), eller at du højst har 8 års skolegang."
		return rule(SchemeSVU, "education_cap", OutcomeNeedsEvidence, ref, text{en: en, da: da}, facts)
	case isVideregaaende(e.Level):
		return rule(SchemeSVU, "education_cap", outdatedOutcome(age), ref, text{
			en: age.describeEN(e) + " SVU at folkeskole or gymnasial level is only for kortuddannede (short-educated), so a higher education rules it out unless it is outdated. " + outdatedEN(age),
			da: age.describeDA(e) + " SVU på folkeskole- eller gymnasialt niveau er kun for kortuddannede, så en videregående uddannelse udelukker SVU, medmindre den er forældet. " + outdatedDA(age),
		}, facts)
	}
	return svuCapUnknown(e, facts, ref)
}

// svuCapHigher: SVU for higher education only for people without a completed higher education,
// unless it is outdated.
func svuCapHigher(e Education, c Course) RuleResult {
	ref := "SVU-loven kap. 4 (LBK nr. 53 af 23/01/2020; ingen videregående uddannelse i forvejen, jf. lov af 31/05/2016); svu.dk: Uddannelsesmæssig baggrund – videregående uddannelser"
	age := degreeAgeOf(e, c)
	facts := age.facts(e, c)
	switch {
	case knownLevel(e.Level) && !isVideregaaende(e.Level):
		return rule(SchemeSVU, "education_cap", OutcomeMet, ref, text{
			en: fmt.Sprintf("Your highest education is %s, so you have no higher education, as SVU for higher education requires.", levelEN(e.Level)),
			da: fmt.Sprintf("Din højeste uddannelse er %s, så du har ikke en videregående uddannelse i forvejen, som SVU til videregående uddannelse kræver.", levelDA(e.Level)),
		}, facts)
	case isVideregaaende(e.Level):
		return rule(SchemeSVU, "education_cap", outdatedOutcome(age), ref, text{
			en: age.describeEN(e) + " SVU for higher education is only for people who do not already have a higher education, unless it is outdated. " + outdatedEN(age),
			da: age.describeDA(e) + " SVU til videregående uddannelse er kun for personer, der ikke har en videregående uddannelse i forvejen, medmindre den er forældet. " + outdatedDA(age),
		}, facts)
	}
	return svuCapUnknown(e, facts, ref)
}

func svuCapUnknown(e Education, facts map[string]any, ref string) RuleResult {
	return rule(SchemeSVU, "education_cap", OutcomeNeedsEvidence, ref, text{
		en: fmt.Sprintf("Your highest education is %s, so the SVU limit on previous education cannot be checked.", levelEN(e.Level)),
		da: fmt.Sprintf("Din højeste uddannelse er %s, så SVU's krav til tidligere uddannelse kan ikke kontrolleres.", levelDA(e.Level)),
	}, facts)
}

// svuMinimumHours: at least 3 hours of teaching a week, 6 at higher level.
func svuMinimumHours(c Course, level svuLevel) RuleResult {
	ref := "svu.dk: Uddannelser med SVU og Sådan regner du din SVU ud (mindst 3 timer om ugen på folkeskole- og gymnasialt niveau, 6 på videregående niveau)"
	h, minimum := centiHours(c.HoursPerWeek), level.minCentiHours()
	facts := map[string]any{"hours_per_week": hoursFact(h), "minimum_hours_per_week": hoursFact(minimum), "svu_level": level.nameEN()}
	verbEN, verbDA := "has", "har"
	if h < minimum {
		verbEN, verbDA = "has only", "har kun"
	}
	return rule(SchemeSVU, "minimum_hours", outcomeIf(h >= minimum), ref, text{
		en: fmt.Sprintf("The course %s %s hours of teaching a week; SVU at %s requires at least %s.", verbEN, hoursEN(h), level.nameEN(), hoursEN(minimum)),
		da: fmt.Sprintf("Kurset %s %s timers undervisning om ugen; SVU på %s kræver mindst %s.", verbDA, hoursDA(h), level.nameDA(), hoursDA(minimum)),
	}, facts)
}

// svuFullTime: SVU for higher education only for courses organised full time (1.154 ECTS points
// a week). The facts carry hours, not ECTS, so 30 hours a week or more is taken as full time.
func svuFullTime(c Course) RuleResult {
	ref := "svu.dk: Kun SVU til videregående heltidsuddannelser (heltid = 1,154 ECTS-point pr. uge)"
	h := centiHours(c.HoursPerWeek)
	facts := map[string]any{
		"hours_per_week":           hoursFact(h),
		"full_time_from_hours":     hoursFact(svuFullTimeCenti),
		"full_time_threshold_note": "proxy: the rule is 1.154 ECTS points a week; this system counts at least 30 hours a week as full time",
	}
	return rule(SchemeSVU, "full_time", outcomeIf(h >= svuFullTimeCenti), ref, text{
		en: fmt.Sprintf("SVU for higher education requires a course organised full time (1.154 ECTS points a week). This system counts at least %s hours a week as full time; the course has %s.", hoursEN(svuFullTimeCenti), hoursEN(h)),
		da: fmt.Sprintf("SVU til videregående uddannelse kræver, at kurset er tilrettelagt på heltid (1,154 ECTS-point om ugen). Dette system regner mindst %s timer om ugen som heltid; kurset har %s.", hoursDA(svuFullTimeCenti), hoursDA(h)),
	}, facts)
}

// svuCalc is the SVU amount calculation, kept step by step for the explanation.
type svuCalc struct {
	level       svuLevel
	rateOK      bool // the maximum dagpenge and the level's percentage are in force
	daily       int64
	percent     int64
	weeklyLevel int64 // full-time weekly amount at the level's percentage
	centi       int64 // course hours a week, in hundredths
	centiPaid   int64 // hours a week SVU pays for, in hundredths
	roundedUp   bool  // folkeskole/gymnasial course of ≥ 20 hours counted as 37
	weekly      int64
	weeks       int64 // course weeks
	total       int64
	fee         int64
	feeCovered  int64
	citizenPays int64
	employed    bool // wage earner: the allowance may go to the employer as a refund

	// The 40 weeks per level (svu_max_weeks_per_level), in hundredths of a 37-hour week.
	capOK          bool
	capUse         ParameterUse
	capWeeks       int64
	usageKnown     bool  // Usage.SVUWeeksUsed is recorded
	usedCentiWeeks int64 // SVU already received at the level
	leftCentiWeeks int64 // capWeeks × 100 − used
	maxWeeks       int64 // course weeks that fit in the weeks left at centiPaid hours
	weeksPaid      int64
}

// svuCalculate computes the weekly allowance, the total and the fee split.
//
//	hours paid = min(course hours, 37); at folkeskole/gymnasial level 37 if course hours ≥ 20
//	weekly     = round(round(5 × daily × percent / 100) × hours paid / 37)
//	weeks left = 40 − weeks already used at the level (weeks of 37 hours)
//	weeks paid = min(course weeks, floor(weeks left × 37 / hours paid))
//	total      = weekly × weeks paid
func svuCalculate(f Facts, level svuLevel, p *paramLog) svuCalc {
	c := f.Course
	calc := svuCalc{level: level, centi: centiHours(c.HoursPerWeek), weeks: c.weeks(), fee: c.fee(),
		employed: refundToEmployer(f)}
	calc.centiPaid = min(calc.centi, fullTimeCentiHours)
	if level != svuHigher && calc.centi >= svuRoundUpCenti {
		calc.roundedUp = calc.centi < fullTimeCentiHours
		calc.centiPaid = fullTimeCentiHours
	}
	if level == svuNone {
		return calc
	}

	calc.usageKnown = f.Usage.SVUWeeksUsed != nil
	calc.usedCentiWeeks = centiHours(f.Usage.SVUWeeksUsed[level.usageKey()]) // hundredths, never negative
	calc.capWeeks, calc.capUse, calc.capOK = p.int(ParamSVUMaxWeeks, c.StartsOn)
	calc.leftCentiWeeks = calc.capWeeks*100 - calc.usedCentiWeeks
	switch {
	case !calc.capOK:
		calc.maxWeeks = calc.weeks // no cap in force: the weeks rule asks for evidence
	case calc.centiPaid > 0 && calc.leftCentiWeeks >= 100:
		calc.maxWeeks = calc.leftCentiWeeks * fullTimeCentiHours / (100 * calc.centiPaid)
	}
	calc.weeksPaid = min(calc.weeks, calc.maxWeeks)

	daily, _, dailyOK := p.dailyMaxDagpenge(c.StartsOn)
	percent, _, percentOK := p.int(level.percentParam(), c.StartsOn)
	calc.daily, calc.percent, calc.rateOK = daily, percent, dailyOK && percentOK
	if calc.rateOK {
		calc.weeklyLevel = weeklyAtPercent(calc.daily, calc.percent)
		calc.weekly = proRata(calc.weeklyLevel, calc.centiPaid)
		calc.total = calc.weekly * calc.weeksPaid
	}

	if level.coversFee() {
		calc.feeCovered = calc.fee
	} else {
		calc.citizenPays = calc.fee
	}
	return calc
}

func (calc svuCalc) amounts() Amounts {
	if calc.level == svuNone {
		return Amounts{}
	}
	a := Amounts{
		FeeCoveredDKK:      calc.feeCovered,
		CitizenPaysDKK:     calc.citizenPays,
		WeeklyAllowanceDKK: calc.weekly,
		TotalDKK:           calc.total,
	}
	if calc.employed {
		a.EmployerRefundDKK = calc.total
	}
	return a
}

// weeksRule checks the 40 weeks of 37 hours per level against the SVU already received: none
// left (less than one week) is not met; fewer left than the course needs is met with the paid
// weeks capped.
func (calc svuCalc) weeksRule(day Date, r Rates) RuleResult {
	ref := "svu.dk: Så mange uger kan du få SVU (højst 40 uger à 37 timer pr. niveau; SVU til videregående uddannelse fra 1/1/2007 tæller med)"
	if !calc.capOK {
		return missingParamRule(SchemeSVU, "weeks_left", ref, ParamSVUMaxWeeks, day, r)
	}
	level, key := calc.level, calc.level.usageKey()
	used, left := calc.usedCentiWeeks, max(calc.leftCentiWeeks, 0)
	facts := map[string]any{
		"svu_level":                level.nameEN(),
		"usage_key":                key,
		"usage_recorded":           calc.usageKnown,
		"weeks_used":               hoursFact(used),
		"max_weeks_per_level":      calc.capWeeks,
		"weeks_left":               hoursFact(left),
		"course_weeks":             calc.weeks,
		"hours_paid_per_week":      hoursFact(calc.centiPaid),
		"max_weeks_at_these_hours": calc.maxWeeks,
		"weeks_paid":               calc.weeksPaid,
	}
	paramFacts(facts, "max_weeks", calc.capUse)

	var en, da string
	if calc.usageKnown {
		en = fmt.Sprintf("SVU is given for at most %d weeks of 37 hours at %s in a lifetime. You have had %s weeks, so %s are left.",
			calc.capWeeks, level.nameEN(), hoursEN(used), hoursEN(left))
		da = fmt.Sprintf("SVU gives højst i %d uger à 37 timer på %s i alt. Du har fået %s uger, så der er %s tilbage.",
			calc.capWeeks, level.nameDA(), hoursDA(used), hoursDA(left))
	} else {
		en = fmt.Sprintf("SVU is given for at most %d weeks of 37 hours at %s in a lifetime. Your earlier SVU is not recorded here, so none is counted; the SVU administrator checks it.",
			calc.capWeeks, level.nameEN())
		da = fmt.Sprintf("SVU gives højst i %d uger à 37 timer på %s i alt. Din tidligere SVU er ikke registreret her, så der er ikke fratrukket noget; SVU-administratoren kontrollerer det.",
			calc.capWeeks, level.nameDA())
	}
	if calc.leftCentiWeeks < 100 {
		return rule(SchemeSVU, "weeks_left", OutcomeNotMet, ref, text{
			en: en + " SVU is given for at least one week of 37 hours, so there is no SVU left for this course at this level.",
			da: da + " SVU gives for mindst én uge à 37 timer, så der er ikke mere SVU til dette kursus på dette niveau.",
		}, facts)
	}
	if calc.weeksPaid < calc.weeks {
		return rule(SchemeSVU, "weeks_left", OutcomeMet, ref, text{
			en: en + fmt.Sprintf(" At %s hours a week that pays %d of the course's %d weeks; the remaining %d weeks are without SVU.",
				hoursEN(calc.centiPaid), calc.weeksPaid, calc.weeks, calc.weeks-calc.weeksPaid),
			da: da + fmt.Sprintf(" Ved %s timer om ugen dækker det %d af kursets %d uger; de sidste %d uger er uden SVU.",
				hoursDA(calc.centiPaid), calc.weeksPaid, calc.weeks, calc.weeks-calc.weeksPaid),
		}, facts)
	}
	return rule(SchemeSVU, "weeks_left", OutcomeMet, ref, text{
		en: en + fmt.Sprintf(" The course's %d weeks at %s hours a week fit within them.", calc.weeks, hoursEN(calc.centiPaid)),
		da: da + fmt.Sprintf(" Kursets %d uger à %s timer er inden for dem.", calc.weeks, hoursDA(calc.centiPaid)),
	}, facts)
}

// rule explains the calculation; it is informational and always met.
func (calc svuCalc) rule() RuleResult {
	ref := svuRef("§ 13, stk. 1–2") + "; FVU/OBU 100 % fra 1/1/2018 (SVU-bekendtgørelsen); svu.dk: SVU-satser, Sådan regner du din SVU ud, Så mange uger kan du få SVU"
	facts := map[string]any{
		"svu_level":                 calc.level.nameEN(),
		"percent_of_max_dagpenge":   calc.percent,
		"max_dagpenge_daily_dkk":    calc.daily,
		"weekly_full_time_dkk":      calc.weeklyLevel,
		"hours_per_week":            hoursFact(calc.centi),
		"hours_paid_per_week":       hoursFact(calc.centiPaid),
		"hours_rounded_up_to_37":    calc.roundedUp,
		"weekly_allowance_dkk":      calc.weekly,
		"course_weeks":              calc.weeks,
		"weeks_paid":                calc.weeksPaid,
		"total_dkk":                 calc.total,
		"fee_dkk":                   calc.fee,
		"fee_covered_dkk":           calc.feeCovered,
		"citizen_pays_dkk":          calc.citizenPays,
		"earlier_svu_weeks_counted": calc.usageKnown,
	}
	payeeFacts(facts, calc.employed, calc.amounts().EmployerRefundDKK)
	var en, da strings.Builder
	en.WriteString("If SVU is granted: ")
	da.WriteString("Hvis SVU bevilges: ")
	outcome := OutcomeMet
	if !calc.rateOK {
		outcome = OutcomeNeedsEvidence
		en.WriteString("the allowance cannot be calculated without the maximum dagpenge and the level's percentage in force on the first day (see svu.rate). ")
		da.WriteString("ydelsen kan ikke beregnes uden dagpengenes højeste beløb og niveauets procentsats gældende på første kursusdag (se svu.rate). ")
	} else {
		fmt.Fprintf(&en, "SVU at %s is %d %% of the maximum dagpenge, %s a week for 37 hours. ",
			calc.level.nameEN(), calc.percent, krEN(calc.weeklyLevel))
		fmt.Fprintf(&da, "SVU på %s er %d %% af dagpengenes højeste beløb, %s om ugen for 37 timer. ",
			calc.level.nameDA(), calc.percent, krDA(calc.weeklyLevel))
		switch {
		case calc.roundedUp:
			fmt.Fprintf(&en, "The course has %s hours a week; at folkeskole or gymnasial level 20 hours or more count as 37. ", hoursEN(calc.centi))
			fmt.Fprintf(&da, "Kurset har %s timer om ugen; på folkeskole- og gymnasialt niveau tæller 20 timer eller mere som 37. ", hoursDA(calc.centi))
		case calc.centi > calc.centiPaid:
			fmt.Fprintf(&en, "The course has %s hours a week, of which at most 37 count. ", hoursEN(calc.centi))
			fmt.Fprintf(&da, "Kurset har %s timer om ugen, hvoraf højst 37 tæller. ", hoursDA(calc.centi))
		default:
			fmt.Fprintf(&en, "The course has %s hours a week. ", hoursEN(calc.centi))
			fmt.Fprintf(&da, "Kurset har %s timer om ugen. ", hoursDA(calc.centi))
		}
		fmt.Fprintf(&en, "The allowance is %s × %s / 37 = %s a week", krEN(calc.weeklyLevel), hoursEN(calc.centiPaid), krEN(calc.weekly))
		fmt.Fprintf(&da, "Ydelsen er %s × %s / 37 = %s om ugen", krDA(calc.weeklyLevel), hoursDA(calc.centiPaid), krDA(calc.weekly))
		fmt.Fprintf(&en, ", and for %d weeks %s in total. ", calc.weeksPaid, krEN(calc.total))
		fmt.Fprintf(&da, " og for %d uger %s i alt. ", calc.weeksPaid, krDA(calc.total))
		if calc.weeksPaid < calc.weeks {
			fmt.Fprintf(&en, "The course lasts %d weeks, but the weeks of SVU left at this level pay only %d of them (see svu.weeks_left). ", calc.weeks, calc.weeksPaid)
			fmt.Fprintf(&da, "Kurset varer %d uger, men de uger med SVU, du har tilbage på dette niveau, dækker kun %d af dem (se svu.weeks_left). ", calc.weeks, calc.weeksPaid)
		}
	}
	if calc.level.coversFee() {
		fmt.Fprintf(&en, "At this level SVU also pays your participant fee of %s. ", krEN(calc.fee))
		fmt.Fprintf(&da, "På dette niveau dækker SVU også din deltagerbetaling på %s. ", krDA(calc.fee))
	} else {
		fmt.Fprintf(&en, "SVU at higher level does not pay the participant fee; you pay %s. ", krEN(calc.fee))
		fmt.Fprintf(&da, "SVU på videregående niveau dækker ikke deltagerbetalingen; du betaler %s. ", krDA(calc.fee))
	}
	en.WriteString("SVU is paid for the hours you are away from work under your leave agreement, so this is an estimate from the course hours. ")
	da.WriteString("SVU gives for de timer, du har fravær fra arbejdet efter din orlovsaftale, så dette er et skøn ud fra kursets timetal. ")
	if calc.employed {
		en.WriteString(payeeEN(true) + " The employer gets it only if the salary is at least the SVU amount.")
		da.WriteString(payeeDA(true) + " Arbejdsgiveren får den kun, hvis lønnen mindst svarer til SVU-beløbet.")
	} else {
		en.WriteString(payeeEN(false))
		da.WriteString(payeeDA(false))
	}
	return rule(SchemeSVU, "amount", outcome, ref, text{en: en.String(), da: da.String()}, facts)
}

// svuApplicationDeadline is informational: how and by when to apply.
func svuApplicationDeadline(c Course, level svuLevel) RuleResult {
	ref := "svu.dk: Sådan søger du digitalt (ansøgningen skal være modtaget af SVU-administratoren senest første undervisningsdag)"
	adminEN, adminDA := "VUC", "VUC"
	if level == svuHigher {
		adminEN, adminDA = "the SVU administrator for higher education", "SVU-administratoren for videregående uddannelse"
	}
	earliest, advised := c.StartsOn.AddDays(-svuApplyEarliestDays), c.StartsOn.AddDays(-svuApplyAdviceDays)
	facts := map[string]any{
		"first_teaching_day":   c.StartsOn.String(),
		"apply_from":           earliest.String(),
		"apply_recommended_by": advised.String(),
		"must_be_received_by":  c.StartsOn.String(),
		"svu_administrator":    adminEN,
	}
	return rule(SchemeSVU, "application_deadline", OutcomeMet, ref, text{
		en: fmt.Sprintf("Apply at svu.dk with MitID, at the earliest 13 weeks before the start (%s) and preferably at least 3 weeks before (%s). To get SVU from the first day, the application must reach %s no later than the first teaching day, %s; otherwise SVU normally starts only the following week. Your employer confirms the leave agreement and the institution your enrolment in the application; each has 10 days.", earliest, advised, adminEN, c.StartsOn),
		da: fmt.Sprintf("Søg på svu.dk med MitID, tidligst 13 uger før start (%s) og helst mindst 3 uger før (%s). For at få SVU fra første dag skal ansøgningen være modtaget af %s senest første undervisningsdag, %s; ellers gives SVU normalt først fra den følgende uge. Din arbejdsgiver bekræfter orlovsaftalen og uddannelsesstedet din optagelse i ansøgningen; de har hver 10 dage.", earliest, advised, adminDA, c.StartsOn),
	}, facts)
}

// svuInfo is the catalogue entry for SVU.
func svuInfo(c catalogueDay) SchemeInfo {
	basic, general, higher := c.n(ParamSVUPercentFVUOBU), c.n(ParamSVUPercentGeneral), c.n(ParamSVUPercentHigher)
	weeks := c.n(ParamSVUMaxWeeks)
	return SchemeInfo{
		Code: SchemeSVU, NameEN: "SVU (State Adult Education Grant)", NameDA: "SVU (Statens Voksenuddannelsesstøtte)", Pays: PaysBoth,
		Entitlement: true, DecidedBy: "the SVU administrator (VUC, or for higher education the designated administrator)",
		Reference:     "Lov om statens voksenuddannelsesstøtte, LBK nr. 53 af 23/01/2020",
		DescriptionEN: "A weekly allowance for people in work who study at folkeskole, gymnasial or higher level: " + basic + " % (FVU/OBU), " + general + " % (folkeskole/gymnasial) or " + higher + " % (higher education) of the maximum dagpenge, pro rata for part time, at most " + weeks + " weeks of 37 hours per level. At folkeskole and gymnasial level it also pays the participant fee. Paid to the employer as a refund when the salary continues, else to the citizen.",
		DescriptionDA: "En ugentlig støtte til personer i beskæftigelse, der uddanner sig på folkeskole-, gymnasialt eller videregående niveau: " + basic + " % (FVU/OBU), " + general + " % (folkeskole/gymnasialt) eller " + higher + " % (videregående) af dagpengenes højeste beløb, forholdsmæssigt ved deltid, højst " + weeks + " uger à 37 timer pr. niveau. På folkeskole- og gymnasialt niveau dækkes også deltagerbetalingen. Udbetales til arbejdsgiveren som refusion, når lønnen fortsætter, ellers til borgeren.",
		Parameters:    []string{ParamMaxDagpengeMonthly, ParamSVUPercentFVUOBU, ParamSVUPercentGeneral, ParamSVUPercentHigher, ParamSVUMaxWeeks},
		Rules: []RuleInfo{
			offeredInfo(SchemeSVU),
			ruleInfo(SchemeSVU, "age", svuRef("§ 2, stk. 1, nr. 1 og stk. 5"),
				"At least 25 on the first course day (20 for FVU and OBU) and below folkepensionsalder (taken as 67).",
				"Fyldt 25 år på første kursusdag (20 år til FVU og OBU) og under folkepensionsalderen (sat til 67 år)."),
			ruleInfo(SchemeSVU, "employment", svuRef("§ 2, stk. 1, nr. 2"),
				"In work as a wage earner or self-employed, without a public wage subsidy.", "I beskæftigelse som lønmodtager eller selvstændig uden offentligt løntilskud."),
			ruleInfo(SchemeSVU, "employment_26_weeks", svuRef("§ 2, stk. 2"),
				"At least 26 weeks (182 days) with the current employer or in the own business immediately before the course.",
				"Mindst 26 uger (182 dage) hos den nuværende arbejdsgiver eller i egen virksomhed umiddelbart før kurset."),
			ruleInfo(SchemeSVU, "employer_leave", employerAnswerRef,
				"A wage earner's employer has confirmed the leave agreement (orlovsaftale) and whether the salary continues (then SVU goes to the employer as a refund).",
				"En lønmodtagers arbejdsgiver har bekræftet orlovsaftalen, og om lønnen fortsætter (så udbetales SVU til arbejdsgiveren som refusion)."),
			ruleInfo(SchemeSVU, "course_type", svuRef("§ 2, stk. 1, nr. 3, jf. § 4, stk. 1 og § 8"),
				"A course that gives SVU: FVU, OBU, AVU, hf and gymnasial single subjects, Danish for adult foreigners, akademi, diplom, master.",
				"Et kursus, der giver SVU: FVU, OBU, AVU, hf- og gymnasiale enkeltfag, danskuddannelse, akademi, diplom, master."),
			ruleInfo(SchemeSVU, "education_cap", svuRef("§ 3"),
				"Folkeskole/gymnasial level: kortuddannet (FVU, OBU and Danish exempt). Higher level: no higher education already, unless outdated (unused for 5 years).",
				"Folkeskole-/gymnasialt niveau: kortuddannet (FVU, OBU og dansk undtaget). Videregående niveau: ingen videregående uddannelse i forvejen, medmindre den er forældet (ubrugt i 5 år)."),
			ruleInfo(SchemeSVU, "minimum_hours", "svu.dk: Uddannelser med SVU og Sådan regner du din SVU ud",
				"At least 3 hours of teaching a week (6 at higher level).", "Mindst 3 timers undervisning om ugen (6 på videregående niveau)."),
			ruleInfo(SchemeSVU, "full_time", "svu.dk: Kun SVU til videregående heltidsuddannelser",
				"Higher level only: the course is organised full time (taken as at least 30 hours a week).", "Kun videregående niveau: kurset er tilrettelagt på heltid (regnet som mindst 30 timer om ugen)."),
			benefitsInfo(SchemeSVU, svuRef("§ 2, stk. 1, nr. 6")),
			periodInfo(SchemeSVU),
			rateInfo(SchemeSVU),
			ruleInfo(SchemeSVU, "weeks_left", "svu.dk: Så mange uger kan du få SVU",
				"At most "+weeks+" weeks of 37 hours per level in a lifetime, less the SVU already received at the level; less than one week left is not met, fewer than the course needs caps the weeks paid.",
				"Højst "+weeks+" uger à 37 timer pr. niveau i alt, fratrukket den SVU, der allerede er modtaget på niveauet; under én uge tilbage er ikke opfyldt, færre end kurset kræver begrænser de betalte uger."),
			ruleInfo(SchemeSVU, "amount", svuRef("§ 13, stk. 1–2"),
				"Weekly = round(5 × daily maximum dagpenge × percent / 100) × hours paid / 37, rounded; total = weekly × weeks paid. Paid to the employer as a refund when the salary continues.",
				"Ugentligt = afrundet(5 × dagpengenes højeste dagsats × procent / 100) × betalte timer / 37, afrundet; i alt = ugentligt × betalte uger. Udbetales til arbejdsgiveren som refusion, når lønnen fortsætter."),
			ruleInfo(SchemeSVU, "application_deadline", "svu.dk: Sådan søger du digitalt",
				"Apply at svu.dk from 13 weeks before the start; the application must reach the SVU administrator by the first teaching day.",
				"Søg på svu.dk fra 13 uger før start; ansøgningen skal være modtaget af SVU-administratoren senest første undervisningsdag."),
		},
	}
}
