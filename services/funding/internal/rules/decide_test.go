package rules

import "testing"

func TestDecideSelfApprovedCitizenPays(t *testing.T) {
	t.Parallel()
	dec := Decide(SchemeSelf, baseFacts(), DefaultRates())
	if dec.Outcome != DecisionApproved || dec.Scheme != SchemeSelf {
		t.Fatalf("Decision = %s %s", dec.Outcome, dec.Scheme)
	}
	if dec.Amounts != (Amounts{CitizenPaysDKK: 1200}) {
		t.Errorf("Amounts = %+v", dec.Amounts)
	}
	if dec.RatesVersion != "2026-11-29" || dec.RateYear.Year != 2024 {
		t.Errorf("RatesVersion = %q, RateYear = %+v", dec.RatesVersion, dec.RateYear)
	}
	// baseFacts is eligible for SVU and employer payment; VEU does not fit an AVU course and the
	// municipality always needs review, so neither is an alternative.
	if got := schemesOf(dec.Alternatives); !equal(got, []string{SchemeSVU, SchemeEmployer}) {
		t.Errorf("Alternatives = %v", got)
	}
}

func TestDecideOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		preference string
		facts      Facts
		want       string
		wantAlts   []string
	}{
		{"SVU for a wage earner waits for the employer", SchemeSVU, baseFacts(), DecisionEmployerRequired, []string{SchemeSelf, SchemeEmployer}},
		{"SVU rejected: 24 years old", SchemeSVU, with(func(f *Facts) { f.BirthDate = d("1999-03-05") }), DecisionRejected, []string{SchemeSelf, SchemeEmployer}},
		{"SVU review: gymnasial supplering", SchemeSVU, with(func(f *Facts) { f.Course.Category = CategoryGymnasialSupplering }), DecisionReviewRequired, []string{SchemeSelf, SchemeEmployer}},
		{"municipality review", SchemeMunicipality, baseFacts(), DecisionReviewRequired, []string{SchemeSelf, SchemeSVU, SchemeEmployer}},
		{"VEU rejected on AVU, unemployed", SchemeVEU, with(func(f *Facts) { f.Employment = Employment{Status: StatusUnemployed}; f.Benefits = BenefitsDagpenge }), DecisionRejected, []string{SchemeSelf}},
		{"not offered on the run", SchemeSVU, with(func(f *Facts) { f.Course.Schemes = []string{SchemeSelf} }), DecisionRejected, []string{SchemeSelf}},
		{"unknown preference", "lottery", baseFacts(), DecisionRejected, []string{SchemeSelf, SchemeSVU, SchemeEmployer}},
		{"duplicates on the run are listed once", SchemeSelf, with(func(f *Facts) { f.Course.Schemes = []string{SchemeSelf, SchemeEmployer, SchemeEmployer} }), DecisionApproved, []string{SchemeEmployer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := Decide(tt.preference, tt.facts, DefaultRates())
			if dec.Outcome != tt.want {
				t.Errorf("Outcome = %s, want %s", dec.Outcome, tt.want)
			}
			if len(dec.Rules) == 0 || dec.Rules[0].ID != tt.preference+".offered_on_run" {
				t.Errorf("Rules do not start with the preferred scheme's offered_on_run: %+v", dec.Rules)
			}
			if got := schemesOf(dec.Alternatives); !equal(got, tt.wantAlts) {
				t.Errorf("Alternatives = %v, want %v", got, tt.wantAlts)
			}
			for _, alt := range dec.Alternatives {
				if alt.Outcome != SchemeEligible || alt.Scheme == tt.preference {
					t.Errorf("bad alternative %s %s", alt.Scheme, alt.Outcome)
				}
			}
			if dec.Outcome == DecisionRejected && dec.Amounts != (Amounts{}) {
				t.Errorf("rejected with amounts %+v", dec.Amounts)
			}
		})
	}
}

func TestDecideRejectionExplainsWhy(t *testing.T) {
	t.Parallel()
	dec := Decide(SchemeSVU, with(func(f *Facts) { f.BirthDate = d("1999-03-05") }), DefaultRates())
	var failed []string
	for _, r := range dec.Rules {
		if r.Outcome == OutcomeNotMet {
			failed = append(failed, r.ID)
		}
	}
	if !equal(failed, []string{"svu.age"}) {
		t.Errorf("failed rules = %v, want [svu.age]", failed)
	}
}

func TestDecideUnknownYearFallsBack(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) {
		f.Course.Category = CategoryFVU
		f.Course.StartsOn, f.Course.EndsOn = d("2027-03-01"), d("2027-03-05")
	})
	dec := Decide(SchemeSVU, f, DefaultRates())
	if dec.RateYear.Year != 2026 || dec.RateYear.Status != RateStatusUnverified {
		t.Errorf("RateYear = %+v, want the 2026 row", dec.RateYear)
	}
	if dec.Outcome != DecisionEmployerRequired || dec.Amounts.WeeklyAllowanceDKK != 5085 {
		t.Errorf("Decision = %s, Amounts = %+v; want employer_required at 5,085 a week (2026 rate)", dec.Outcome, dec.Amounts)
	}
}

func schemesOf(results []SchemeResult) []string {
	out := []string{}
	for _, r := range results {
		out = append(out, r.Scheme)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
