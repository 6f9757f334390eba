package rules

import "testing"

// jobFacts is a 35-year-old unemployed skilled worker on dagpenge since 2026-01-01, on a 2-week AMU
// course from the positive list.
func jobFacts(changes ...func(*Facts)) Facts {
	return with(append([]func(*Facts){func(f *Facts) {
		f.BirthDate = d("1990-05-10")
		f.Employment = Employment{Status: StatusUnemployed}
		f.Benefits = BenefitsDagpenge
		f.Education = Education{Level: LevelErhvervsuddannelse, CompletedYear: 2010}
		f.UnemployedSince = dp("2026-01-01")
		f.Course.Category = CategoryAMU
		f.Course.StartsOn, f.Course.EndsOn = d("2026-03-02"), d("2026-03-13")
		f.Course.FeeDKK = 1900
		f.Course.Schemes = []string{SchemeJobrettetUddannelse, SchemeSelf}
	}}, changes...)...)
}

func TestJobrettetAtBestReview(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeJobrettetUddannelse, jobFacts(), DefaultRates())
	if res.Outcome != SchemeReviewRequired {
		t.Fatalf("Outcome = %s; rules: %+v", res.Outcome, res.Rules)
	}
	for _, r := range res.Rules {
		if r.Outcome == OutcomeNeedsEvidence && r.ID != "jobrettet_uddannelse.a_kasse_decides" {
			t.Errorf("%s needs evidence: %s", r.ID, r.Explanation)
		}
	}
	if want := (Amounts{FeeCoveredDKK: 1900}); res.Amounts != want {
		t.Errorf("Amounts = %+v, want %+v (fee paid, no allowance: dagpenge continue)", res.Amounts, want)
	}
	r := mustRule(t, res, "jobrettet_uddannelse.a_kasse_decides")
	if r.Facts["allowance"] == nil || r.Facts["decided_by"] != "a-kasse" {
		t.Errorf("Facts = %v", r.Facts)
	}
}

// TestJobrettetMaxWeeks: at most 6 weeks (days / 7, rounded up).
func TestJobrettetMaxWeeks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		end  string
		want Outcome
	}{
		{"42 days = 6 weeks", "2026-04-12", OutcomeMet},
		{"43 days = 7 weeks", "2026-04-13", OutcomeNotMet},
		{"one day", "2026-03-02", OutcomeMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkRule(t, SchemeJobrettetUddannelse, "jobrettet_uddannelse.max_weeks", jobFacts(func(f *Facts) { f.Course.EndsOn = d(tt.end) }), tt.want)
		})
	}
}

// TestJobrettetTimeLimit: completed within 9 months of the start of unemployment at 25 or more,
// 6 months under 25, age taken on the last course day.
func TestJobrettetTimeLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		birth string
		since string
		end   string
		want  Outcome
	}{
		{"35: last day of the 9th month", "1990-05-10", "2026-01-01", "2026-09-30", OutcomeMet},
		{"35: first day after 9 months", "1990-05-10", "2026-01-01", "2026-10-01", OutcomeNotMet},
		{"24: last day of the 6th month", "2002-06-01", "2026-01-01", "2026-06-30", OutcomeMet},
		{"24: first day after 6 months", "2002-06-01", "2026-01-01", "2026-07-01", OutcomeNotMet},
		{"turns 25 on the last course day: 9 months", "2001-07-01", "2026-01-01", "2026-07-01", OutcomeMet},
		{"end of month: since 31 Aug, 6 months end 28 Feb", "2003-01-01", "2025-08-31", "2026-02-27", OutcomeMet},
		{"end of month: since 31 Aug, 28 Feb is too late", "2003-01-01", "2025-08-31", "2026-02-28", OutcomeNotMet},
		{"age unknown, within 6 months", "", "2026-01-01", "2026-06-30", OutcomeMet},
		{"age unknown, between 6 and 9 months", "", "2026-01-01", "2026-08-14", OutcomeNeedsEvidence},
		{"age unknown, after 9 months", "", "2026-01-01", "2026-10-01", OutcomeNotMet},
		{"start of unemployment unknown", "1990-05-10", "", "2026-03-13", OutcomeNeedsEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := jobFacts(func(f *Facts) {
				f.BirthDate, f.UnemployedSince = Date{}, nil
				if tt.birth != "" {
					f.BirthDate = d(tt.birth)
				}
				if tt.since != "" {
					f.UnemployedSince = dp(tt.since)
				}
				f.Course.EndsOn = d(tt.end)
				f.Course.StartsOn = f.Course.EndsOn.AddDays(-11)
			})
			checkRule(t, SchemeJobrettetUddannelse, "jobrettet_uddannelse.time_limit", f, tt.want)
		})
	}
}

func TestJobrettetConditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Facts)
		id     string
		want   Outcome
	}{
		{"kontanthjælp", func(f *Facts) { f.Benefits = BenefitsKontanthjaelp }, "jobrettet_uddannelse.dagpenge", OutcomeNotMet},
		{"benefits unknown", func(f *Facts) { f.Benefits = "" }, "jobrettet_uddannelse.dagpenge", OutcomeNeedsEvidence},
		{"grundskole", func(f *Facts) { f.Education.Level = LevelGrundskole }, "jobrettet_uddannelse.education_cap", OutcomeMet},
		{"short-cycle: needs an EUD too", func(f *Facts) { f.Education.Level = LevelKortVideregaaende }, "jobrettet_uddannelse.education_cap", OutcomeNeedsEvidence},
		{"professionsbachelor", func(f *Facts) { f.Education.Level = LevelMellemlangVideregaaende }, "jobrettet_uddannelse.education_cap", OutcomeNotMet},
		{"EUD single subject", func(f *Facts) { f.Course.Category = CategoryEUDEnkeltfag }, "jobrettet_uddannelse.course_type", OutcomeMet},
		{"akademi module: only selected ones", func(f *Facts) { f.Course.Category = CategoryAkademi }, "jobrettet_uddannelse.course_type", OutcomeNeedsEvidence},
		{"AVU", func(f *Facts) { f.Course.Category = CategoryAVU }, "jobrettet_uddannelse.course_type", OutcomeNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkRule(t, SchemeJobrettetUddannelse, tt.id, jobFacts(tt.change), tt.want)
		})
	}
}
