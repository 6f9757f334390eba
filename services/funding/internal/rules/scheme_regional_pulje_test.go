package rules

import "testing"

// regFacts is an unemployed citizen of Herning (657) on kontanthjælp, on an AMU course from the
// regional positive list in 2026.
func regFacts(changes ...func(*Facts)) Facts {
	return with(append([]func(*Facts){func(f *Facts) {
		f.Employment = Employment{Status: StatusUnemployed}
		f.Benefits = BenefitsKontanthjaelp
		f.Municipality = "657"
		f.Course.Category = CategoryAMU
		f.Course.StartsOn, f.Course.EndsOn = d("2026-04-06"), d("2026-04-17")
		f.Course.FeeDKK = 5000
		f.Course.Schemes = []string{SchemeRegionalPulje, SchemeSelf}
	}}, changes...)...)
}

func TestRegionalPuljeReviewWithBudget(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeRegionalPulje, regFacts(), DefaultRates())
	if res.Outcome != SchemeReviewRequired {
		t.Fatalf("Outcome = %s; rules: %+v", res.Outcome, res.Rules)
	}
	if r := mustRule(t, res, "regional_pulje.target_group"); r.Outcome != OutcomeMet {
		t.Errorf("target_group = %s", r.Outcome)
	}
	approval := mustRule(t, res, "regional_pulje.caseworker_approval")
	if approval.Outcome != OutcomeNeedsEvidence || approval.Facts["refund_percent"] != int64(80) || approval.Facts["municipality"] != "657" {
		t.Errorf("caseworker_approval = %s, facts %v", approval.Outcome, approval.Facts)
	}
	if want := (Amounts{FeeCoveredDKK: 5000}); res.Amounts != want {
		t.Errorf("Amounts = %+v, want %+v", res.Amounts, want)
	}
	// The pool refunds 80 % of the purchase to the municipality, within its allocation for the
	// course's start year.
	if want := (BudgetNeed{Scheme: SchemeRegionalPulje, Owner: "657", Year: 2026, AmountDKK: 4000}); res.Budget == nil || *res.Budget != want {
		t.Errorf("Budget = %+v, want %+v", res.Budget, want)
	}
	if res.CitizenCap != nil {
		t.Errorf("CitizenCap = %+v, want none", res.CitizenCap)
	}
	dec := Decide(SchemeRegionalPulje, regFacts(), DefaultRates())
	if dec.Outcome != DecisionReviewRequired || len(dec.Plan.Budgets) != 1 || dec.Plan.Budgets[0].Owner != "657" || dec.Plan.Budgets[0].Year != 2026 {
		t.Errorf("Decision = %s, Plan = %+v", dec.Outcome, dec.Plan)
	}
}

func TestRegionalPuljeTargetGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   string
		benefits string
		want     Outcome
		scheme   SchemeOutcome
	}{
		{"unemployed on kontanthjælp", StatusUnemployed, BenefitsKontanthjaelp, OutcomeMet, SchemeReviewRequired},
		{"unemployed on dagpenge", StatusUnemployed, BenefitsDagpenge, OutcomeMet, SchemeReviewRequired},
		{"unemployed, benefits unknown", StatusUnemployed, "", OutcomeMet, SchemeReviewRequired},
		{"part-time employed on dagpenge", StatusEmployed, BenefitsDagpenge, OutcomeMet, SchemeReviewRequired},
		{"employed without benefits", StatusEmployed, BenefitsNone, OutcomeNotMet, SchemeNotEligible},
		{"outside the labour market, other benefits", StatusOutsideLabourMarket, BenefitsOther, OutcomeNotMet, SchemeNotEligible},
		{"nothing known", "", "", OutcomeNeedsEvidence, SchemeReviewRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := regFacts(func(f *Facts) { f.Employment.Status, f.Benefits = tt.status, tt.benefits })
			checkRule(t, SchemeRegionalPulje, "regional_pulje.target_group", f, tt.want)
			res := Evaluate(SchemeRegionalPulje, f, DefaultRates())
			if res.Outcome != tt.scheme || (tt.scheme == SchemeNotEligible) != (res.Budget == nil) {
				t.Errorf("Outcome = %s, Budget = %v", res.Outcome, res.Budget)
			}
		})
	}
}

func TestMunicipalityBudget(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeMunicipality, with(func(f *Facts) { f.Municipality = "657" }), DefaultRates())
	if want := (BudgetNeed{Scheme: SchemeMunicipality, Owner: "657", Year: 2024, AmountDKK: 1200}); res.Budget == nil || *res.Budget != want {
		t.Errorf("Budget = %+v, want %+v", res.Budget, want)
	}
}
