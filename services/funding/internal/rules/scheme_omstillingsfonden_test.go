package rules

import "testing"

// omstFacts is an employed skilled worker on an akademi module starting 2027-03-01, evaluated on
// 2027-01-15 (within 4 months of the start), at an institution with a drawing right.
func omstFacts(changes ...func(*Facts)) Facts {
	return with(append([]func(*Facts){func(f *Facts) {
		f.Education = Education{Level: LevelErhvervsuddannelse, CompletedYear: 2010}
		f.Course.Category = CategoryAkademi
		f.Course.StartsOn, f.Course.EndsOn = d("2027-03-01"), d("2027-06-18")
		f.Course.FeeDKK = 8000
		f.Course.Schemes = []string{SchemeSelf, SchemeSVU, SchemeOmstillingsfonden}
		f.Today = d("2027-01-15")
		f.InstitutionID = "inst-eamv"
	}}, changes...)...)
}

// TestOmstillingsfondenYearlyCap: 10,000 kr. per person per calendar year across modules.
func TestOmstillingsfondenYearlyCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		start, end  string
		fee, used   int64
		want        SchemeOutcome
		covered     int64
		citizenPays int64
		period      string
	}{
		{"first module of the year", "2027-03-01", "2027-06-18", 7500, 0, SchemeEligible, 7500, 0, "2027"},
		{"second module, 7,500 already used", "2027-09-06", "2027-12-17", 8000, 7500, SchemeEligible, 2500, 5500, "2027"},
		{"a module next year has the full cap again", "2028-03-06", "2028-06-16", 8000, 0, SchemeEligible, 8000, 0, "2028"},
		{"fee exactly the cap", "2027-03-01", "2027-06-18", 10000, 0, SchemeEligible, 10000, 0, "2027"},
		{"fee above the cap", "2027-03-01", "2027-06-18", 12000, 0, SchemeEligible, 10000, 2000, "2027"},
		{"1 kr. left", "2027-03-01", "2027-06-18", 8000, 9999, SchemeEligible, 1, 7999, "2027"},
		{"cap used up", "2027-09-06", "2027-12-17", 8000, 10000, SchemeNotEligible, 0, 0, ""},
		{"more than the cap used", "2027-09-06", "2027-12-17", 8000, 12000, SchemeNotEligible, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := omstFacts(func(f *Facts) {
				f.Course.StartsOn, f.Course.EndsOn, f.Course.FeeDKK = d(tt.start), d(tt.end), tt.fee
				f.Usage.OmstillingsfondenUsedDKK = tt.used
				f.Today = f.Course.StartsOn.AddDays(-30)
			})
			res := Evaluate(SchemeOmstillingsfonden, f, DefaultRates())
			if res.Outcome != tt.want {
				t.Fatalf("Outcome = %s, want %s; rules: %+v", res.Outcome, tt.want, res.Rules)
			}
			if want := (Amounts{FeeCoveredDKK: tt.covered, CitizenPaysDKK: tt.citizenPays}); res.Amounts != want {
				t.Errorf("Amounts = %+v, want %+v", res.Amounts, want)
			}
			r := mustRule(t, res, "omstillingsfonden.yearly_cap")
			if tt.want == SchemeNotEligible {
				if r.Outcome != OutcomeNotMet || res.Budget != nil || res.CitizenCap != nil {
					t.Errorf("yearly_cap = %s, Budget = %v, Cap = %v", r.Outcome, res.Budget, res.CitizenCap)
				}
				return
			}
			if want := (CapNeed{Scheme: SchemeOmstillingsfonden, Period: tt.period, AmountDKK: tt.covered, LimitDKK: 10000}); res.CitizenCap == nil || *res.CitizenCap != want {
				t.Errorf("CitizenCap = %+v, want %+v", res.CitizenCap, want)
			}
			if want := (BudgetNeed{Scheme: SchemeOmstillingsfonden, Owner: "inst-eamv", Year: d(tt.start).Year, AmountDKK: tt.covered}); res.Budget == nil || *res.Budget != want {
				t.Errorf("Budget = %+v, want %+v", res.Budget, want)
			}
			if r.Facts["left_dkk"] != 10000-tt.used || r.Facts["cap_status"] != RateStatusPublished {
				t.Errorf("Facts = %v", r.Facts)
			}
		})
	}
}

// TestOmstillingsfondenEarliestGrant: granted at the earliest 4 months before the start.
func TestOmstillingsfondenEarliestGrant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, start, today string
		want               Outcome
	}{
		{"one day before 4 months before", "2027-03-01", "2026-10-31", OutcomeNotMet},
		{"exactly 4 months before", "2027-03-01", "2026-11-01", OutcomeMet},
		{"the day before the start", "2027-03-01", "2027-02-28", OutcomeMet},
		{"end of month clamps: 30 June − 4 months = 28 February", "2027-06-30", "2027-02-27", OutcomeNotMet},
		{"end of month clamps, on the day", "2027-06-30", "2027-02-28", OutcomeMet},
		{"day of evaluation unknown", "2027-03-01", "", OutcomeNeedsEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := omstFacts(func(f *Facts) {
				f.Course.StartsOn, f.Course.EndsOn = d(tt.start), d(tt.start).AddDays(60)
				f.Today = Date{}
				if tt.today != "" {
					f.Today = d(tt.today)
				}
			})
			r := checkRule(t, SchemeOmstillingsfonden, "omstillingsfonden.earliest_grant", f, tt.want)
			if tt.want == OutcomeNotMet && r.Facts["grantable_from"] != d(tt.start).AddMonths(-4).String() {
				t.Errorf("Facts = %v", r.Facts)
			}
		})
	}
	r := checkRule(t, SchemeOmstillingsfonden, "omstillingsfonden.earliest_grant",
		omstFacts(func(f *Facts) { f.Today = d("2026-10-31") }), OutcomeNotMet)
	if r.Facts["grantable_from"] != "2026-11-01" {
		t.Errorf("grantable_from = %v", r.Facts["grantable_from"])
	}
}

func TestOmstillingsfondenConditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Facts)
		id     string
		want   Outcome
		scheme SchemeOutcome
	}{
		{"employed", func(*Facts) {}, "omstillingsfonden.employment", OutcomeMet, SchemeEligible},
		{"self-employed", func(f *Facts) { f.Employment.Status = StatusSelfEmployed }, "omstillingsfonden.employment", OutcomeNotMet, SchemeNotEligible},
		{"unemployed", func(f *Facts) { f.Employment.Status = StatusUnemployed }, "omstillingsfonden.employment", OutcomeNotMet, SchemeNotEligible},
		{"status unknown", func(f *Facts) { f.Employment.Status = "" }, "omstillingsfonden.employment", OutcomeNeedsEvidence, SchemeReviewRequired},
		{"diplom", func(f *Facts) { f.Course.Category = CategoryDiplom }, "omstillingsfonden.course_type", OutcomeMet, SchemeEligible},
		{"master", func(f *Facts) { f.Course.Category = CategoryMaster }, "omstillingsfonden.course_type", OutcomeNotMet, SchemeNotEligible},
		{"AMU", func(f *Facts) { f.Course.Category = CategoryAMU }, "omstillingsfonden.course_type", OutcomeNotMet, SchemeNotEligible},
		{"professionsbachelor", func(f *Facts) { f.Education.Level = LevelMellemlangVideregaaende }, "omstillingsfonden.education_level", OutcomeMet, SchemeEligible},
		{"long-cycle higher education", func(f *Facts) { f.Education.Level = LevelLangVideregaaende }, "omstillingsfonden.education_level", OutcomeNotMet, SchemeNotEligible},
		{"education unknown", func(f *Facts) { f.Education.Level = "" }, "omstillingsfonden.education_level", OutcomeNeedsEvidence, SchemeReviewRequired},
		{"institution unknown: no drawing right to reserve in", func(f *Facts) { f.InstitutionID = "" }, "omstillingsfonden.drawing_right", OutcomeNeedsEvidence, SchemeReviewRequired},
		{"course before the table's cap", func(f *Facts) {
			f.Course.StartsOn, f.Course.EndsOn, f.Today = d("2023-09-04"), d("2023-12-15"), d("2023-08-01")
		}, "omstillingsfonden.yearly_cap", OutcomeNeedsEvidence, SchemeReviewRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := omstFacts(tt.change)
			checkRule(t, SchemeOmstillingsfonden, tt.id, f, tt.want)
			if got := Evaluate(SchemeOmstillingsfonden, f, DefaultRates()).Outcome; got != tt.scheme {
				t.Errorf("scheme outcome = %s, want %s", got, tt.scheme)
			}
		})
	}
}
