package rules

import (
	"strings"
	"testing"
)

func TestSelf(t *testing.T) {
	t.Parallel()
	// Self-payment is eligible whatever the citizen's situation, if the run offers it.
	f := with(func(f *Facts) {
		f.BirthDate = d("2008-01-01")
		f.Employment = Employment{Status: StatusUnemployed}
		f.Benefits = BenefitsKontanthjaelp
		f.Education = Education{Level: LevelLangVideregaaende, CompletedYear: 2023}
		f.Course.Category = CategoryAftenskole
	})
	res := Evaluate(SchemeSelf, f, DefaultRates())
	if res.Outcome != SchemeEligible {
		t.Fatalf("Outcome = %s", res.Outcome)
	}
	if want := (Amounts{CitizenPaysDKK: 1200}); res.Amounts != want {
		t.Errorf("Amounts = %+v, want %+v", res.Amounts, want)
	}
	notOffered := Evaluate(SchemeSelf, with(func(f *Facts) { f.Course.Schemes = []string{SchemeSVU} }), DefaultRates())
	if notOffered.Outcome != SchemeNotEligible {
		t.Errorf("not offered: Outcome = %s", notOffered.Outcome)
	}
}

func TestEmployer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status string
		cvr    string
		want   SchemeOutcome
	}{
		{"employed with CVR", StatusEmployed, "12345674", SchemeEligible},
		{"no CVR", StatusEmployed, "", SchemeNotEligible},
		{"7-digit CVR", StatusEmployed, "1234567", SchemeNotEligible},
		{"CVR with a space", StatusEmployed, "1234 5678", SchemeNotEligible},
		{"self-employed", StatusSelfEmployed, "12345674", SchemeNotEligible},
		{"unemployed", StatusUnemployed, "12345674", SchemeNotEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) { f.Employment.Status, f.Employment.EmployerCVR = tt.status, tt.cvr })
			res := Evaluate(SchemeEmployer, f, DefaultRates())
			if res.Outcome != tt.want {
				t.Fatalf("Outcome = %s, want %s", res.Outcome, tt.want)
			}
			if tt.want == SchemeEligible && res.Amounts != (Amounts{FeeCoveredDKK: 1200, EmployerPaysDKK: 1200}) {
				t.Errorf("Amounts = %+v", res.Amounts)
			}
		})
	}
}

func TestMunicipalityNeedsCaseworker(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeMunicipality, baseFacts(), DefaultRates())
	if res.Outcome != SchemeReviewRequired {
		t.Fatalf("Outcome = %s", res.Outcome)
	}
	mustRule(t, res, "municipality.caseworker_approval")
	if res.Amounts != (Amounts{FeeCoveredDKK: 1200}) {
		t.Errorf("Amounts = %+v", res.Amounts)
	}
}

// TestSchemesNotOfferedAreNotEligible: every scheme needs the run to list it.
func TestSchemesNotOfferedAreNotEligible(t *testing.T) {
	t.Parallel()
	for _, scheme := range []string{SchemeJobrettetUddannelse, SchemeRegionalPulje, SchemeOmstillingsfonden, SchemeKompetencefond} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			res := Evaluate(scheme, baseFacts(), DefaultRates())
			if res.Outcome != SchemeNotEligible || res.Budget != nil || res.CitizenCap != nil {
				t.Errorf("not offered on the run: Outcome = %s, Budget = %v, Cap = %v", res.Outcome, res.Budget, res.CitizenCap)
			}
			if r := mustRule(t, res, scheme+".offered_on_run"); r.Outcome != OutcomeNotMet {
				t.Errorf("offered_on_run = %s", r.Outcome)
			}
		})
	}
}

func TestUnknownScheme(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) { f.Course.Schemes = append(f.Course.Schemes, "lottery") })
	res := Evaluate("lottery", f, DefaultRates())
	if res.Outcome != SchemeNotEligible {
		t.Errorf("Outcome = %s", res.Outcome)
	}
	mustRule(t, res, "lottery.known_scheme")
}

// TestEveryRuleIsExplained checks, for many combinations of facts, that every rule of every
// scheme has an ID under its scheme, a reference, both explanations and its facts.
func TestEveryRuleIsExplained(t *testing.T) {
	t.Parallel()
	categories := []string{CategoryAMU, CategoryEUDEnkeltfag, CategoryFVU, CategoryOBU, CategoryAVU, CategoryHFEnkeltfag,
		CategoryGymnasialSupplering, CategoryAkademi, CategoryDiplom, CategoryMaster, CategoryDanskuddannelse, CategoryAftenskole, "x"}
	levels := []string{"", LevelGrundskole, LevelGymnasial, LevelErhvervsuddannelse, LevelKortVideregaaende, LevelLangVideregaaende}
	statuses := []string{"", StatusEmployed, StatusSelfEmployed, StatusUnemployed, StatusOutsideLabourMarket}
	schemes := append(append([]string(nil), allSchemes...), SchemeJobrettetUddannelse, SchemeRegionalPulje, SchemeOmstillingsfonden, SchemeKompetencefond, "x")
	years := []string{"2023-09-04", "2024-09-02", "2027-01-04"} // before the table, in it, after it

	for _, cat := range categories {
		for _, lvl := range levels {
			for _, st := range statuses {
				for _, start := range years {
					f := with(func(f *Facts) {
						f.Course.Category, f.Education.Level, f.Employment.Status = cat, lvl, st
						f.Course.StartsOn = d(start)
						f.Course.EndsOn = f.Course.StartsOn.AddDays(30)
					})
					for _, s := range schemes {
						res := Evaluate(s, f, DefaultRates())
						if res.Scheme != s || len(res.Rules) == 0 {
							t.Fatalf("%s: bad result %+v", s, res)
						}
						for _, r := range res.Rules {
							if !strings.HasPrefix(r.ID, s+".") || r.Scheme != s || r.Reference == "" ||
								r.Explanation == "" || r.ExplanationDA == "" || r.Facts == nil {
								t.Fatalf("incomplete rule for %s/%s/%s/%s: %+v", s, cat, lvl, st, r)
							}
							if r.Outcome != OutcomeMet && r.Outcome != OutcomeNotMet && r.Outcome != OutcomeNeedsEvidence {
								t.Fatalf("bad outcome %q in %s", r.Outcome, r.ID)
							}
						}
						if res.Outcome == SchemeNotEligible && res.Amounts != (Amounts{}) {
							t.Fatalf("%s not eligible but has amounts %+v", s, res.Amounts)
						}
					}
				}
			}
		}
	}
}

func TestRateRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		start       string
		want        Outcome
		rateYear    int
		provisional bool
	}{
		{"2025 published", "2025-03-03", OutcomeMet, 2025, false},
		{"2026 unverified", "2026-03-02", OutcomeMet, 2026, true},
		{"2028 falls back to 2026", "2028-03-06", OutcomeMet, 2026, true},
		{"2023 has no rate", "2023-03-06", OutcomeNeedsEvidence, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) { f.Course.StartsOn = d(tt.start); f.Course.EndsOn = f.Course.StartsOn.AddDays(25) })
			r := checkRule(t, SchemeSVU, "svu.rate", f, tt.want)
			if tt.want == OutcomeMet && (r.Facts["rate_year"] != tt.rateYear || r.Facts["amount_is_provisional"] != tt.provisional) {
				t.Errorf("Facts = %v", r.Facts)
			}
		})
	}
}

func TestInvalidCoursePeriod(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) { f.Course.EndsOn = f.Course.StartsOn.AddDays(-1) })
	checkRule(t, SchemeSVU, "svu.course_period", f, OutcomeNotMet)
	checkRule(t, SchemeVEU, "veu.course_period", f, OutcomeNotMet)
}

func TestDanishAmountsEndSentencesOnce(t *testing.T) {
	t.Parallel()
	for _, s := range []string{SchemeSelf, SchemeSVU, SchemeVEU, SchemeMunicipality} {
		for _, r := range Evaluate(s, baseFacts(), DefaultRates()).Rules {
			if strings.Contains(r.ExplanationDA, "kr..") {
				t.Errorf("%s: %s", r.ID, r.ExplanationDA)
			}
		}
	}
}
