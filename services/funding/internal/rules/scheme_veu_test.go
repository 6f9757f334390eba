package rules

import "testing"

// veuFacts is baseFacts on a full-time AMU course.
func veuFacts(changes ...func(*Facts)) Facts {
	return with(append([]func(*Facts){func(f *Facts) {
		f.Education = Education{Level: LevelErhvervsuddannelse, CompletedYear: 2008}
		f.Course.Category = CategoryAMU
	}}, changes...)...)
}

func TestVEUEligibleAmounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start string
		end   string
		hours float64
		want  Amounts
	}{
		{"2024 37 h", "2024-03-04", "2024-03-08", 37, Amounts{CitizenPaysDKK: 1200, WeeklyAllowanceDKK: 4700, TotalDKK: 4700}},
		{"2024 40 h capped at 37", "2024-03-04", "2024-03-08", 40, Amounts{CitizenPaysDKK: 1200, WeeklyAllowanceDKK: 4700, TotalDKK: 4700}},
		{"2024 20 h", "2024-03-04", "2024-03-15", 20, Amounts{CitizenPaysDKK: 1200, WeeklyAllowanceDKK: 2541, TotalDKK: 2 * 2541}}, // 4,700 × 20 / 37 = 2,540.5
		{"2025 37 h", "2025-03-03", "2025-03-07", 37, Amounts{CitizenPaysDKK: 1200, WeeklyAllowanceDKK: 4865, TotalDKK: 4865}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := veuFacts(func(f *Facts) {
				f.Course.StartsOn, f.Course.EndsOn, f.Course.HoursPerWeek = d(tt.start), d(tt.end), tt.hours
			})
			res := Evaluate(SchemeVEU, f, DefaultRates())
			if res.Outcome != SchemeEligible {
				t.Fatalf("Outcome = %s, want eligible; rules: %+v", res.Outcome, res.Rules)
			}
			// The citizen is employed: the allowance goes to the employer as a refund if the
			// salary continues.
			want := tt.want
			want.EmployerRefundDKK = want.TotalDKK
			if res.Amounts != want {
				t.Errorf("Amounts = %+v, want %+v", res.Amounts, want)
			}
		})
	}
}

func TestVEUEducationCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		level      string
		completed  int
		want       Outcome
		wantScheme SchemeOutcome
	}{
		{"grundskole", LevelGrundskole, 0, OutcomeMet, SchemeEligible},
		{"gymnasial", LevelGymnasial, 2005, OutcomeMet, SchemeEligible},
		{"erhvervsuddannelse", LevelErhvervsuddannelse, 2022, OutcomeMet, SchemeEligible},
		{"lang videregående 2 years before", LevelLangVideregaaende, 2022, OutcomeNotMet, SchemeNotEligible},
		{"lang videregående 4 years before", LevelLangVideregaaende, 2020, OutcomeNotMet, SchemeNotEligible},
		{"lang videregående 6 years before", LevelLangVideregaaende, 2018, OutcomeNeedsEvidence, SchemeReviewRequired},
		{"kort videregående, year unknown", LevelKortVideregaaende, 0, OutcomeNeedsEvidence, SchemeReviewRequired},
		{"level missing", "", 0, OutcomeNeedsEvidence, SchemeReviewRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := veuFacts(func(f *Facts) { f.Education = Education{Level: tt.level, CompletedYear: tt.completed} })
			checkRule(t, SchemeVEU, "veu.education_cap", f, tt.want)
			if got := Evaluate(SchemeVEU, f, DefaultRates()).Outcome; got != tt.wantScheme {
				t.Errorf("scheme outcome = %s, want %s", got, tt.wantScheme)
			}
		})
	}
}

func TestVEUEmployment(t *testing.T) {
	t.Parallel()
	// Course starts 2024-03-04.
	tests := []struct {
		name   string
		status string
		since  *Date
		want   Outcome
		want14 Outcome
	}{
		{"14 days before", StatusEmployed, dp("2024-02-19"), OutcomeMet, OutcomeMet},
		{"13 days before: days after must be confirmed", StatusEmployed, dp("2024-02-20"), OutcomeMet, OutcomeNeedsEvidence},
		{"starts on the first course day", StatusEmployed, dp("2024-03-04"), OutcomeMet, OutcomeNeedsEvidence},
		{"since unknown", StatusEmployed, nil, OutcomeMet, OutcomeNeedsEvidence},
		{"self-employed", StatusSelfEmployed, dp("2010-01-01"), OutcomeMet, OutcomeMet},
		{"unemployed", StatusUnemployed, nil, OutcomeNotMet, OutcomeNotMet},
		{"status missing", "", nil, OutcomeNeedsEvidence, OutcomeNeedsEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := veuFacts(func(f *Facts) { f.Employment.Status, f.Employment.Since = tt.status, tt.since })
			checkRule(t, SchemeVEU, "veu.employment", f, tt.want)
			checkRule(t, SchemeVEU, "veu.employment_14_days", f, tt.want14)
		})
	}
}

func TestVEUCourseAndHours(t *testing.T) {
	t.Parallel()
	checkRule(t, SchemeVEU, "veu.course_type", veuFacts(func(f *Facts) { f.Course.Category = CategoryEUDEnkeltfag }), OutcomeMet)
	checkRule(t, SchemeVEU, "veu.course_type", veuFacts(func(f *Facts) { f.Course.Category = CategoryAVU }), OutcomeNotMet)
	checkRule(t, SchemeVEU, "veu.course_type", veuFacts(func(f *Facts) { f.Course.Category = CategoryDiplom }), OutcomeNotMet)
	checkRule(t, SchemeVEU, "veu.weekly_hours", veuFacts(func(f *Facts) { f.Course.HoursPerWeek = 0 }), OutcomeNeedsEvidence)
	r := checkRule(t, SchemeVEU, "veu.weekly_hours", veuFacts(func(f *Facts) { f.Course.HoursPerWeek = 40 }), OutcomeMet)
	if r.Facts["hours_compensated"] != 37.0 {
		t.Errorf("hours_compensated = %v, want 37", r.Facts["hours_compensated"])
	}
	checkRule(t, SchemeVEU, "veu.benefits", veuFacts(func(f *Facts) { f.Benefits = BenefitsKontanthjaelp }), OutcomeNotMet)
}
