package rules

import (
	"reflect"
	"strings"
	"testing"
)

// TestPlanVEUAndEmployer: VEU pays the allowance, the employer pays the fee, the citizen nothing.
func TestPlanVEUAndEmployer(t *testing.T) {
	t.Parallel()
	// AMU course 2024-03-04 to 2024-03-29: 4 weeks at 4,700 kr.; fee 1,200 kr.
	f := veuFacts(func(f *Facts) { f.Course.Schemes = []string{SchemeSelf, SchemeVEU, SchemeEmployer} })
	want := Plan{
		FeeScheme: SchemeEmployer, FeeCoveredDKK: 1200, EmployerPaysDKK: 1200,
		AllowanceScheme: SchemeVEU, WeeklyAllowanceDKK: 4700, AllowanceTotalDKK: 4 * 4700, EmployerRefundDKK: 4 * 4700,
	}
	for _, pref := range []string{SchemeVEU, SchemeEmployer} {
		t.Run(pref, func(t *testing.T) {
			t.Parallel()
			dec := Decide(pref, f, DefaultRates())
			if dec.Outcome != DecisionEmployerRequired || dec.Scheme != pref {
				t.Fatalf("Decision = %s %s, want employer_required until the company answers", dec.Outcome, dec.Scheme)
			}
			checkPlan(t, dec.Plan, want)
			if a := dec.Amounts; a != (Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 4700, TotalDKK: 4 * 4700, EmployerPaysDKK: 1200, EmployerRefundDKK: 4 * 4700}) {
				t.Errorf("Amounts = %+v", a)
			}
			if !strings.Contains(dec.Plan.Explanation, "You pay DKK 0 of the fee") || !strings.Contains(dec.Plan.ExplanationDA, "Du betaler 0 kr. af deltagerbetalingen") {
				t.Errorf("Explanation = %s / %s", dec.Plan.Explanation, dec.Plan.ExplanationDA)
			}
		})
	}
}

// svuAkademiFacts: a full-time akademi module from 2025-09-01 (16 weeks), fee 8,000 kr., with SVU
// and Omstillingsfonden on the run, evaluated on 2025-06-01.
func svuAkademiFacts(changes ...func(*Facts)) Facts {
	return with(append([]func(*Facts){func(f *Facts) {
		f.Education = Education{Level: LevelErhvervsuddannelse, CompletedYear: 2010}
		f.Course.Category = CategoryAkademi
		f.Course.StartsOn, f.Course.EndsOn = d("2025-09-01"), d("2025-12-19") // 110 days: 16 weeks
		f.Course.HoursPerWeek = 37
		f.Course.FeeDKK = 8000
		f.Course.Schemes = []string{SchemeSelf, SchemeSVU, SchemeOmstillingsfonden}
		f.Today = d("2025-06-01")
		f.InstitutionID = "inst-eamv"
	}}, changes...)...)
}

// TestPlanSVUAndOmstillingsfonden: SVU at higher level pays only the allowance (60 %, 2,919 kr. a
// week in 2025); Omstillingsfonden pays the fee from the institution's drawing right.
func TestPlanSVUAndOmstillingsfonden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		used       int64
		covered    int64
		pays       int64
		capPeriod  string
		budgetYear int
	}{
		{"whole fee covered", 0, 8000, 0, "2025", 2025},
		{"7,500 used this year: 2,500 covered", 7500, 2500, 5500, "2025", 2025},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := Decide(SchemeSVU, svuAkademiFacts(func(f *Facts) { f.Usage.OmstillingsfondenUsedDKK = tt.used }), DefaultRates())
			if dec.Outcome != DecisionEmployerRequired { // SVU to a wage earner needs the leave agreement
				t.Fatalf("Outcome = %s; rules: %+v", dec.Outcome, dec.Rules)
			}
			checkPlan(t, dec.Plan, Plan{
				FeeScheme: SchemeOmstillingsfonden, FeeCoveredDKK: tt.covered, CitizenPaysDKK: tt.pays,
				AllowanceScheme: SchemeSVU, WeeklyAllowanceDKK: 2919, AllowanceTotalDKK: 16 * 2919, EmployerRefundDKK: 16 * 2919,
				Budgets: []BudgetNeed{{Scheme: SchemeOmstillingsfonden, Owner: "inst-eamv", Year: tt.budgetYear, AmountDKK: tt.covered}},
				Caps:    []CapNeed{{Scheme: SchemeOmstillingsfonden, Period: tt.capPeriod, AmountDKK: tt.covered, LimitDKK: 10000}},
			})
			if dec.Amounts.FeeCoveredDKK != tt.covered || dec.Amounts.CitizenPaysDKK != tt.pays || dec.Amounts.WeeklyAllowanceDKK != 2919 {
				t.Errorf("Amounts = %+v", dec.Amounts)
			}
			if !hasParam(dec.Parameters, ParamOmstillingsfondenCap) || !hasParam(dec.Parameters, ParamSVUPercentHigher) {
				t.Errorf("Parameters = %+v, want both schemes' entries", dec.Parameters)
			}
		})
	}
	// Without a fee scheme the citizen pays the fee next to SVU.
	alone := Decide(SchemeSVU, svuAkademiFacts(func(f *Facts) { f.Course.Schemes = []string{SchemeSVU} }), DefaultRates())
	checkPlan(t, alone.Plan, Plan{CitizenPaysDKK: 8000, AllowanceScheme: SchemeSVU, WeeklyAllowanceDKK: 2919,
		AllowanceTotalDKK: 16 * 2919, EmployerRefundDKK: 16 * 2919})
	// Omstillingsfonden too early (more than 4 months before): not eligible, so not in the plan.
	early := Decide(SchemeSVU, svuAkademiFacts(func(f *Facts) { f.Today = d("2025-04-30") }), DefaultRates())
	if early.Plan.FeeScheme != "" || early.Plan.CitizenPaysDKK != 8000 || len(early.Plan.Budgets) != 0 {
		t.Errorf("too early for Omstillingsfonden: Plan = %+v", early.Plan)
	}
}

// TestPlanPicksTheFeeSchemeLeavingLeastToPay: the employer pays all of a 12,000 kr. fee,
// Omstillingsfonden only 10,000, so the employer is chosen whatever the run's order.
func TestPlanPicksTheFeeSchemeLeavingLeastToPay(t *testing.T) {
	t.Parallel()
	for _, order := range [][]string{
		{SchemeSVU, SchemeOmstillingsfonden, SchemeEmployer},
		{SchemeSVU, SchemeEmployer, SchemeOmstillingsfonden},
	} {
		f := svuAkademiFacts(func(f *Facts) { f.Course.FeeDKK, f.Course.Schemes = 12000, order })
		dec := Decide(SchemeSVU, f, DefaultRates())
		if dec.Plan.FeeScheme != SchemeEmployer || dec.Plan.CitizenPaysDKK != 0 || len(dec.Plan.Budgets) != 0 {
			t.Errorf("order %v: Plan = %+v", order, dec.Plan)
		}
	}
	// With a fee under the cap both leave 0; the run's order decides.
	f := svuAkademiFacts(func(f *Facts) { f.Course.Schemes = []string{SchemeSVU, SchemeOmstillingsfonden, SchemeEmployer} })
	if got := Decide(SchemeSVU, f, DefaultRates()).Plan.FeeScheme; got != SchemeOmstillingsfonden {
		t.Errorf("tie: FeeScheme = %s, want the first on the run", got)
	}
}

// TestPlanFeeOnlyPreferenceGetsAllowance: a fee-only scheme gets an eligible allowance scheme.
func TestPlanFeeOnlyPreferenceGetsAllowance(t *testing.T) {
	t.Parallel()
	// Kompetencefond on a full-time diplom module in 2025 with SVU on the run.
	f := svuAkademiFacts(func(f *Facts) {
		f.Course.Category = CategoryDiplom
		f.Course.FeeDKK = 10000
		f.MunicipalEmployee = true
		f.Course.Schemes = []string{SchemeKompetencefond, SchemeSVU}
	})
	dec := Decide(SchemeKompetencefond, f, DefaultRates())
	if dec.Outcome != DecisionEmployerRequired { // the workplace pays 20 %
		t.Fatalf("Outcome = %s; rules %+v", dec.Outcome, dec.Rules)
	}
	checkPlan(t, dec.Plan, Plan{
		FeeScheme: SchemeKompetencefond, FeeCoveredDKK: 8000, EmployerPaysDKK: 2000,
		AllowanceScheme: SchemeSVU, WeeklyAllowanceDKK: 2919, AllowanceTotalDKK: 16 * 2919, EmployerRefundDKK: 16 * 2919,
		Caps: []CapNeed{{Scheme: SchemeKompetencefond, Period: PeriodRolling12m, AmountDKK: 8000, LimitDKK: 30000, StartsOn: f.Course.StartsOn.String()}},
	})
	// The municipality is never added: it needs review.
	m := Decide(SchemeVEU, veuFacts(func(f *Facts) { f.Course.Schemes = []string{SchemeVEU, SchemeMunicipality} }), DefaultRates())
	if m.Plan.FeeScheme != "" || m.Plan.CitizenPaysDKK != 1200 {
		t.Errorf("municipality added to the plan: %+v", m.Plan)
	}
}

func TestPlanRejectedIsEmpty(t *testing.T) {
	t.Parallel()
	dec := Decide(SchemeVEU, veuFacts(func(f *Facts) {
		f.Benefits = BenefitsDagpenge
		f.Course.Schemes = []string{SchemeVEU, SchemeEmployer}
	}), DefaultRates())
	if dec.Outcome != DecisionRejected || dec.Amounts != (Amounts{}) {
		t.Fatalf("Decision = %s, Amounts = %+v", dec.Outcome, dec.Amounts)
	}
	checkPlan(t, dec.Plan, Plan{})
}

func TestPlanMunicipalityReview(t *testing.T) {
	t.Parallel()
	dec := Decide(SchemeMunicipality, with(func(f *Facts) { f.Municipality = "657" }), DefaultRates())
	if dec.Outcome != DecisionReviewRequired {
		t.Fatalf("Outcome = %s", dec.Outcome)
	}
	checkPlan(t, dec.Plan, Plan{FeeScheme: SchemeMunicipality, FeeCoveredDKK: 1200,
		Budgets: []BudgetNeed{{Scheme: SchemeMunicipality, Owner: "657", Year: 2024, AmountDKK: 1200}}})
}

// checkPlan compares a plan with want, ignoring the explanations and treating nil and empty
// lists alike.
func checkPlan(t *testing.T, got, want Plan) {
	t.Helper()
	gotBudgets, wantBudgets := got.Budgets, want.Budgets
	gotCaps, wantCaps := got.Caps, want.Caps
	got.Budgets, got.Caps, want.Budgets, want.Caps = nil, nil, nil, nil
	got.Explanation, got.ExplanationDA = "", ""
	got.EmployerCVR, got.EmployerAsks = "", nil // what the employer is asked: TestEmployerAsks
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plan =\n  %+v\nwant\n  %+v", got, want)
	}
	if len(gotBudgets) != len(wantBudgets) {
		t.Errorf("Budgets = %+v, want %+v", gotBudgets, wantBudgets)
	} else {
		for i := range gotBudgets {
			if gotBudgets[i] != wantBudgets[i] {
				t.Errorf("Budgets[%d] = %+v, want %+v", i, gotBudgets[i], wantBudgets[i])
			}
		}
	}
	if len(gotCaps) != len(wantCaps) {
		t.Errorf("Caps = %+v, want %+v", gotCaps, wantCaps)
	} else {
		for i := range gotCaps {
			if gotCaps[i] != wantCaps[i] {
				t.Errorf("Caps[%d] = %+v, want %+v", i, gotCaps[i], wantCaps[i])
			}
		}
	}
}

func hasParam(uses []ParameterUse, id string) bool {
	for _, u := range uses {
		if u.ID == id {
			return true
		}
	}
	return false
}
