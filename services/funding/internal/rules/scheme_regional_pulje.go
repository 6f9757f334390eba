package rules

import "fmt"

// Den regionale uddannelsespulje (the regional training pool): the municipality may offer short
// vocational courses from the regional positive list of its RAR area, from the first day of
// unemployment, to the target groups of the active employment act (LAB § 6). The municipality buys
// the course and gets 80 % back from the pool, within a yearly allocation per municipality. The
// municipality decides, so the scheme always needs review.

const (
	regionalRef       = "Lov om en aktiv beskæftigelsesindsats (LAB) § 97; bekendtgørelse nr. 1181 af 25/11/2019 om den regionale uddannelsespulje (ændret senest 2024); https://star.dk/da/indsatser-og-ordninger/jobrettet-voksen-og-efteruddannelse-veu/uddannelser-for-ledige/ordninger-jobrettet-veu/den-regionale-uddannelsespulje/"
	regionalTargetRef = "LAB § 6 (målgrupper) og bekendtgørelse om den regionale uddannelsespulje § 2 (alle målgrupper undtagen fleksjob, fra 2021)"
)

func evaluateRegionalPulje(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	refund, u, refundOK := p.int(ParamRegionalRefundPercent, c.StartsOn)
	rules := []RuleResult{
		offeredRule(SchemeRegionalPulje, c),
		regionalTargetGroup(f),
	}
	if refundOK {
		rules = append(rules, regionalApproval(f, refund, u))
	} else {
		rules = append(rules, missingParamRule(SchemeRegionalPulje, "caseworker_approval", regionalRef, ParamRegionalRefundPercent, c.StartsOn, p.r))
	}
	res := result(SchemeRegionalPulje, rules, Amounts{FeeCoveredDKK: c.fee()})
	return res.withBudget(BudgetNeed{Scheme: SchemeRegionalPulje, Owner: f.Municipality, Year: c.StartsOn.Year,
		AmountDKK: roundDiv(c.fee()*refund, 100)})
}

// regionalTargetGroup: unemployed, or receiving dagpenge or kontanthjælp.
func regionalTargetGroup(f Facts) RuleResult {
	facts := map[string]any{"employment_status": f.Employment.Status, "benefits": f.Benefits}
	switch {
	case f.Employment.Status == StatusUnemployed || f.Benefits == BenefitsDagpenge || f.Benefits == BenefitsKontanthjaelp:
		return rule(SchemeRegionalPulje, "target_group", OutcomeMet, regionalTargetRef, text{
			en: fmt.Sprintf("%s, so you are in the target groups of the active employment act that the regional training pool is for.", capitalise(situationEN(f))),
			da: fmt.Sprintf("%s, så du er i de målgrupper i lov om en aktiv beskæftigelsesindsats, som den regionale uddannelsespulje er for.", capitalise(situationDA(f))),
		}, facts)
	case f.Employment.Status == "" && f.Benefits == "":
		return rule(SchemeRegionalPulje, "target_group", OutcomeNeedsEvidence, regionalTargetRef, text{
			en: "Your employment status and benefits are not known; the regional training pool is for people who are unemployed or receive dagpenge or kontanthjælp.",
			da: "Din beskæftigelsesstatus og dine ydelser kendes ikke; den regionale uddannelsespulje er for personer, der er ledige eller modtager dagpenge eller kontanthjælp.",
		}, facts)
	}
	return rule(SchemeRegionalPulje, "target_group", OutcomeNotMet, regionalTargetRef, text{
		en: fmt.Sprintf("The regional training pool is for people who are unemployed or receive dagpenge or kontanthjælp; %s.", situationEN(f)),
		da: fmt.Sprintf("Den regionale uddannelsespulje er for personer, der er ledige eller modtager dagpenge eller kontanthjælp; %s.", situationDA(f)),
	}, facts)
}

// regionalApproval: a caseworker of the municipality decides, within its yearly allocation.
func regionalApproval(f Facts, refund int64, u ParameterUse) RuleResult {
	c := f.Course
	draw := roundDiv(c.fee()*refund, 100)
	facts := map[string]any{
		"decided_by": "municipality caseworker", "municipality": f.Municipality, "budget_year": c.StartsOn.Year,
		"fee_dkk": c.fee(), "refund_percent": refund, "pool_refund_dkk": draw, "budget_limited": true,
	}
	paramFacts(facts, "refund_percent", u)
	return rule(SchemeRegionalPulje, "caseworker_approval", OutcomeNeedsEvidence, regionalRef, text{
		en: fmt.Sprintf("A caseworker at %s must approve the course. If approved, the municipality buys it and pays the fee of %s, so you pay nothing; it gets %d %% (%s) back from the regional training pool, within its allocation for %d, so that amount must be reserved before approval.",
			municipalityEN(f.Municipality), krEN(c.fee()), refund, krEN(draw), c.StartsOn.Year),
		da: fmt.Sprintf("En sagsbehandler i %s skal godkende kurset. Hvis det godkendes, køber kommunen kurset og betaler deltagerbetalingen på %s, så du betaler intet; kommunen får %d %% (%s) refunderet fra den regionale uddannelsespulje inden for sin bevilling for %d, så beløbet skal reserveres før godkendelse.",
			municipalityDA(f.Municipality), krDA(c.fee()), refund, krDA(draw), c.StartsOn.Year),
	}, facts)
}

// regionalPuljeInfo is the catalogue entry for the regional training pool.
func regionalPuljeInfo(c catalogueDay) SchemeInfo {
	pct := c.n(ParamRegionalRefundPercent)
	return SchemeInfo{
		Code: SchemeRegionalPulje, NameEN: "The regional training pool", NameDA: "Den regionale uddannelsespulje", Pays: PaysFee,
		BudgetLimited: true, BudgetOwner: "municipality",
		DecidedBy: "a caseworker of the citizen's municipality", Reference: regionalRef,
		DescriptionEN: "Short courses from the regional positive list for unemployed people and people on dagpenge or kontanthjælp, from the first day. The municipality buys the course (you pay nothing) and gets " + pct + " % back from the pool, within its yearly allocation.",
		DescriptionDA: "Korte kurser fra den regionale positivliste til ledige og modtagere af dagpenge eller kontanthjælp, fra første dag. Kommunen køber kurset (du betaler intet) og får " + pct + " % refunderet fra puljen inden for sin årlige bevilling.",
		Parameters:    []string{ParamRegionalRefundPercent},
		Rules: []RuleInfo{
			offeredInfo(SchemeRegionalPulje),
			ruleInfo(SchemeRegionalPulje, "target_group", regionalTargetRef,
				"You are unemployed or receive dagpenge or kontanthjælp.", "Du er ledig eller modtager dagpenge eller kontanthjælp."),
			ruleInfo(SchemeRegionalPulje, "caseworker_approval", regionalRef,
				"A caseworker of the municipality approves; the pool's refund ("+pct+" % of the fee) is reserved in the municipality's allocation for the start year.",
				"En sagsbehandler i kommunen godkender; puljens refusion ("+pct+" % af prisen) reserveres i kommunens bevilling for startåret."),
		},
	}
}
