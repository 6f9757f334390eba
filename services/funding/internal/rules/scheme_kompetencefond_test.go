package rules

import "testing"

// kompFacts is a municipal employee on a diplom module starting 2027-03-01 with a fee of
// 10,000 kr., applying on 2027-01-15.
func kompFacts(changes ...func(*Facts)) Facts {
	return with(append([]func(*Facts){func(f *Facts) {
		f.MunicipalEmployee = true
		f.Municipality = "657"
		f.Course.Category = CategoryDiplom
		f.Course.StartsOn, f.Course.EndsOn = d("2027-03-01"), d("2027-06-18")
		f.Course.FeeDKK = 10000
		f.Course.Schemes = []string{SchemeSelf, SchemeKompetencefond}
		f.Today = d("2027-01-15")
	}}, changes...)...)
}

// TestKompetencefondShareAndCap: 80 % of the fee, at most 30,000 kr. per 12 months; the workplace
// pays the rest, the citizen nothing.
func TestKompetencefondShareAndCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		fee, used       int64
		want            SchemeOutcome
		covered, employ int64
	}{
		{"80 %", 10000, 0, SchemeEligible, 8000, 2000},
		{"80 % rounds half up", 999, 0, SchemeEligible, 799, 200}, // 799.2
		{"80 % of 40,000 hits the cap", 40000, 0, SchemeEligible, 30000, 10000},
		{"25,000 used: 5,000 left", 10000, 25000, SchemeEligible, 5000, 5000},
		{"22,000 used: exactly the share left", 10000, 22000, SchemeEligible, 8000, 2000},
		{"29,999 used: 1 kr. left", 10000, 29999, SchemeEligible, 1, 9999},
		{"cap used up", 10000, 30000, SchemeNotEligible, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := kompFacts(func(f *Facts) { f.Course.FeeDKK, f.Usage.KompetencefondUsedDKK = tt.fee, tt.used })
			res := Evaluate(SchemeKompetencefond, f, DefaultRates())
			if res.Outcome != tt.want {
				t.Fatalf("Outcome = %s, want %s; rules: %+v", res.Outcome, tt.want, res.Rules)
			}
			if want := (Amounts{FeeCoveredDKK: tt.covered, EmployerPaysDKK: tt.employ}); res.Amounts != want {
				t.Errorf("Amounts = %+v, want %+v", res.Amounts, want)
			}
			if tt.want == SchemeNotEligible {
				checkRule(t, SchemeKompetencefond, "kompetencefond.cap", f, OutcomeNotMet)
				return
			}
			if want := (CapNeed{Scheme: SchemeKompetencefond, Period: PeriodRolling12m, AmountDKK: tt.covered, LimitDKK: 30000, StartsOn: f.Course.StartsOn.String()}); res.CitizenCap == nil || *res.CitizenCap != want {
				t.Errorf("CitizenCap = %+v, want %+v", res.CitizenCap, want)
			}
			if res.Budget != nil {
				t.Errorf("Budget = %+v, want none (the fund is not a pool of ours)", res.Budget)
			}
		})
	}
}

func TestKompetencefondConditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Facts)
		id     string
		want   Outcome
	}{
		{"municipal employee", func(*Facts) {}, "kompetencefond.municipal_employee", OutcomeMet},
		{"not known to be a municipal employee", func(f *Facts) { f.MunicipalEmployee = false }, "kompetencefond.municipal_employee", OutcomeNeedsEvidence},
		{"the day before the start", func(f *Facts) { f.Today = d("2027-02-28") }, "kompetencefond.application_time", OutcomeMet},
		{"on the first day: too late", func(f *Facts) { f.Today = d("2027-03-01") }, "kompetencefond.application_time", OutcomeNotMet},
		{"after the start", func(f *Facts) { f.Today = d("2027-03-15") }, "kompetencefond.application_time", OutcomeNotMet},
		{"exactly 9 months before", func(f *Facts) { f.Today = d("2026-06-01") }, "kompetencefond.application_time", OutcomeMet},
		{"9 months and a day before: too early", func(f *Facts) { f.Today = d("2026-05-31") }, "kompetencefond.application_time", OutcomeNotMet},
		{"day unknown", func(f *Facts) { f.Today = Date{} }, "kompetencefond.application_time", OutcomeNeedsEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkRule(t, SchemeKompetencefond, tt.id, kompFacts(tt.change), tt.want)
		})
	}
	if got := Evaluate(SchemeKompetencefond, kompFacts(func(f *Facts) { f.MunicipalEmployee = false }), DefaultRates()); got.Outcome != SchemeReviewRequired {
		t.Errorf("unknown employee: Outcome = %s, want review_required", got.Outcome)
	}
}
