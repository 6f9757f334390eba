package rules

import "fmt"

// Self-payment: the citizen pays the participant fee. Always eligible when the run offers it. On
// Danish courses for adult foreigners the teaching is free, but a self-supporting learner pays a
// refundable deposit per module (lov om danskuddannelse til voksne udlændinge m.fl.; the figures
// come from the language centres' pages, see rates.json).

const danishDepositRef = "Lov om danskuddannelse til voksne udlændinge m.fl. (depositum for selvforsørgende kursister); sprogcentrenes vejledninger, fx https://sprogcenter.randers.dk/kursist/priser-og-betaling/"

func evaluateSelf(f Facts, p *paramLog) SchemeResult {
	c := f.Course
	rules := []RuleResult{
		offeredRule(SchemeSelf, c),
		rule(SchemeSelf, "citizen_pays", OutcomeMet,
			"Deltagerbetaling efter uddannelsesstedets takst for holdet",
			text{
				en: fmt.Sprintf("You pay the participant fee of %s yourself. There is no allowance while you study.", krEN(c.fee())),
				da: fmt.Sprintf("Du betaler selv deltagerbetalingen på %s. Der er ingen ydelse, mens du er på kursus.", krDA(c.fee())),
			},
			map[string]any{"fee_dkk": c.fee()}),
	}
	amounts := Amounts{CitizenPaysDKK: c.fee()}
	if c.Category == CategoryDanskuddannelse {
		deposit, r := selfDeposit(f, p)
		rules = append(rules, r)
		amounts.DepositDKK = deposit
	}
	return result(SchemeSelf, rules, amounts)
}

// selfDeposit: Danish courses are free, but a self-supporting learner pays a refundable deposit
// for each module; it is forfeited if the module is not passed in time (M1 and M2 6 months, M3 7,
// M4 8, M5 and M6 9). Refugees, people reunified with refugees and au pairs pay no deposit.
func selfDeposit(f Facts, p *paramLog) (int64, RuleResult) {
	day := f.Course.StartsOn
	const forfeitEN = "It is paid back when you pass the module in time, and forfeited if you do not pass it within 6 months (modules 1 and 2), 7 (module 3), 8 (module 4) or 9 months (modules 5 and 6)."
	const forfeitDA = "Det betales tilbage, når du består modulet til tiden, og mistes, hvis du ikke består det inden for 6 måneder (modul 1 og 2), 7 (modul 3), 8 (modul 4) eller 9 måneder (modul 5 og 6)."
	if !f.SelfSupporting {
		return 0, rule(SchemeSelf, "deposit", OutcomeMet, danishDepositRef, text{
			en: "Danish education for adult foreigners is free. You are not registered as self-supporting, so you pay no deposit; refugees, people reunified with refugees and au pairs never do. If you support yourself (work, study, accompanying spouse, EU citizen), your municipality's referral says so and you pay a refundable deposit per module.",
			da: "Danskuddannelse for voksne udlændinge er gratis. Du er ikke registreret som selvforsørgende, så du betaler intet depositum; det gør flygtninge, familiesammenførte til flygtninge og au pairs aldrig. Hvis du forsørger dig selv (arbejde, studie, medfølgende ægtefælle, EU-borger), fremgår det af kommunens henvisning, og du betaler et depositum pr. modul, som du får tilbage.",
		}, map[string]any{"self_supporting": false, "deposit_dkk": int64(0)})
	}
	deposit, u, ok := p.int(ParamDanishDeposit, day)
	if !ok {
		return 0, missingParamRule(SchemeSelf, "deposit", danishDepositRef, ParamDanishDeposit, day, p.r)
	}
	facts := map[string]any{"self_supporting": true, "deposit_dkk": deposit, "course_start": day.String()}
	paramFacts(facts, "deposit", u)
	return deposit, rule(SchemeSelf, "deposit", OutcomeMet, danishDepositRef, text{
		en: fmt.Sprintf("Danish education for adult foreigners is free, but as a self-supporting learner you pay a refundable deposit of %s for the module (the amount in force from %s%s). ", krEN(deposit), u.EffectiveFrom, provisionalEN(u)) + forfeitEN,
		da: fmt.Sprintf("Danskuddannelse for voksne udlændinge er gratis, men som selvforsørgende kursist betaler du et depositum på %s for modulet (beløbet gældende fra %s%s). ", krDA(deposit), u.EffectiveFrom, provisionalDA(u)) + forfeitDA,
	}, facts)
}

// selfInfo is the catalogue entry for self-payment.
func selfInfo(c catalogueDay) SchemeInfo {
	depEN, depDA := c.kr(ParamDanishDeposit)
	return SchemeInfo{
		Code: SchemeSelf, NameEN: "Paying yourself", NameDA: "Egenbetaling", Pays: PaysNothing,
		DecidedBy: "the citizen", Reference: "Deltagerbetaling efter uddannelsesstedets takst for holdet",
		DescriptionEN: "You pay the participant fee yourself; there is no allowance. Danish courses for adult foreigners are free, but a self-supporting learner pays a refundable deposit of " + depEN + " per module.",
		DescriptionDA: "Du betaler selv deltagerbetalingen; der er ingen ydelse. Danskuddannelse for voksne udlændinge er gratis, men en selvforsørgende kursist betaler et depositum på " + depDA + " pr. modul, som betales tilbage.",
		Parameters:    []string{ParamDanishDeposit},
		Rules: []RuleInfo{
			offeredInfo(SchemeSelf),
			ruleInfo(SchemeSelf, "citizen_pays", "Deltagerbetaling efter uddannelsesstedets takst for holdet",
				"You pay the run's participant fee.", "Du betaler holdets deltagerbetaling."),
			ruleInfo(SchemeSelf, "deposit", danishDepositRef,
				"Danish courses only: a self-supporting learner pays a refundable deposit of "+depEN+" per module (danskuddannelse_deposit_dkk), forfeited if the module is not passed within 6-9 months; refugees, people reunified with refugees and au pairs pay none.",
				"Kun danskuddannelse: en selvforsørgende kursist betaler et depositum på "+depDA+" pr. modul (danskuddannelse_deposit_dkk), som mistes, hvis modulet ikke bestås inden for 6-9 måneder; flygtninge, familiesammenførte til flygtninge og au pairs betaler intet."),
		},
	}
}
