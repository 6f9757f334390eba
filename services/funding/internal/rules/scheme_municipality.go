package rules

import "fmt"

// Municipal funding: the municipality (Herning Kommune) may pay the fee, e.g. as an offer of
// guidance and upskilling under the active employment act. A caseworker decides each case, so
// this scheme is never eligible on the facts alone. The money comes from the municipality's own
// pool for the year, so approval needs a reservation in it.

const municipalityRef = "Kommunens afgørelse, fx tilbud om vejledning og opkvalificering efter lov om en aktiv beskæftigelsesindsats (LAB) § 90; reglerne ændres med ny LAB, ventet 1/1/2027"

func evaluateMunicipality(f Facts) SchemeResult {
	c := f.Course
	rules := []RuleResult{
		offeredRule(SchemeMunicipality, c),
		rule(SchemeMunicipality, "caseworker_approval", OutcomeNeedsEvidence, municipalityRef, text{
			en: fmt.Sprintf("A caseworker at %s must approve municipal funding. If it is approved, the municipality pays the participant fee of %s from its own budget for %d and you pay nothing.",
				municipalityEN(f.Municipality), krEN(c.fee()), c.StartsOn.Year),
			da: fmt.Sprintf("En sagsbehandler i %s skal godkende kommunal finansiering. Hvis den godkendes, betaler kommunen deltagerbetalingen på %s af sit eget budget for %d, og du betaler intet.",
				municipalityDA(f.Municipality), krDA(c.fee()), c.StartsOn.Year),
		}, map[string]any{"fee_dkk": c.fee(), "decided_by": "municipality caseworker", "municipality": f.Municipality,
			"budget_year": c.StartsOn.Year, "budget_limited": true}),
	}
	res := result(SchemeMunicipality, rules, Amounts{FeeCoveredDKK: c.fee()})
	return res.withBudget(BudgetNeed{Scheme: SchemeMunicipality, Owner: f.Municipality, Year: c.StartsOn.Year, AmountDKK: c.fee()})
}

// municipalityEN names the citizen's municipality for English text.
func municipalityEN(code string) string {
	if code == "" {
		return "your municipality"
	}
	return fmt.Sprintf("your municipality (code %s)", code)
}

// municipalityDA names the citizen's municipality for Danish text.
func municipalityDA(code string) string {
	if code == "" {
		return "din kommune"
	}
	return fmt.Sprintf("din kommune (kommunekode %s)", code)
}

// municipalityInfo is the catalogue entry for municipal funding.
func municipalityInfo(catalogueDay) SchemeInfo {
	return SchemeInfo{
		Code: SchemeMunicipality, NameEN: "Funding from the municipality", NameDA: "Finansiering fra kommunen", Pays: PaysFee,
		BudgetLimited: true, BudgetOwner: "municipality",
		DecidedBy: "a caseworker of the citizen's municipality", Reference: municipalityRef,
		DescriptionEN: "The municipality pays the participant fee from its own yearly budget if a caseworker approves; you pay nothing.",
		DescriptionDA: "Kommunen betaler deltagerbetalingen af sit eget årlige budget, hvis en sagsbehandler godkender det; du betaler intet.",
		Parameters:    []string{},
		Rules: []RuleInfo{
			offeredInfo(SchemeMunicipality),
			ruleInfo(SchemeMunicipality, "caseworker_approval", municipalityRef,
				"A caseworker of the municipality approves; the fee is reserved in the municipality's budget for the start year.",
				"En sagsbehandler i kommunen godkender; beløbet reserveres i kommunens budget for startåret."),
		},
	}
}
