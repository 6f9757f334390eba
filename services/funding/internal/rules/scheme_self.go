package rules

import "fmt"

// Self-payment: the citizen pays the participant fee. Always eligible when the run offers it.

func evaluateSelf(f Facts) SchemeResult {
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
	return result(SchemeSelf, rules, Amounts{CitizenPaysDKK: c.fee()})
}
