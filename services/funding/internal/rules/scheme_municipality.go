package rules

import "fmt"

// Municipal funding: the municipality (Herning Kommune) may pay the fee, e.g. as an offer of
// guidance and upskilling under the active employment act. A caseworker decides each case, so
// this scheme is never eligible on the facts alone.

const municipalityRef = "Kommunens afgørelse, fx tilbud om vejledning og opkvalificering efter lov om en aktiv beskæftigelsesindsats (LAB) § 90; reglerne ændres med ny LAB, ventet 1/1/2027"

func evaluateMunicipality(f Facts) SchemeResult {
	c := f.Course
	rules := []RuleResult{
		offeredRule(SchemeMunicipality, c),
		rule(SchemeMunicipality, "caseworker_approval", OutcomeNeedsEvidence, municipalityRef, text{
			en: fmt.Sprintf("A caseworker at the municipality must approve municipal funding. If it is approved, the municipality pays the participant fee of %s and you pay nothing.", krEN(c.fee())),
			da: fmt.Sprintf("En sagsbehandler i kommunen skal godkende kommunal finansiering. Hvis den godkendes, betaler kommunen deltagerbetalingen på %s, og du betaler intet.", krDA(c.fee())),
		}, map[string]any{"fee_dkk": c.fee(), "decided_by": "municipality caseworker"}),
	}
	return result(SchemeMunicipality, rules, Amounts{FeeCoveredDKK: c.fee()})
}
