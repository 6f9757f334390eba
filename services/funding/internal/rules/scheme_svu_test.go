package rules

import (
	"strings"
	"testing"
)

func TestSVUAge(t *testing.T) {
	t.Parallel()
	const start = "2026-02-02"
	tests := []struct {
		name     string
		birth    string
		category string
		want     Outcome
	}{
		{"24 years 364 days", "2001-02-03", CategoryAVU, OutcomeNotMet},
		{"exactly 25", "2001-02-02", CategoryAVU, OutcomeMet},
		{"25 and one day", "2001-02-01", CategoryAVU, OutcomeMet},
		{"22 on AVU", "2004-01-01", CategoryAVU, OutcomeNotMet},
		{"exactly 20 on FVU", "2006-02-02", CategoryFVU, OutcomeMet},
		{"24 on OBU", "2001-02-03", CategoryOBU, OutcomeMet},
		{"19 years 364 days on FVU", "2006-02-03", CategoryFVU, OutcomeNotMet},
		{"22 on a diploma course", "2004-01-01", CategoryDiplom, OutcomeNotMet},
		{"66 years 364 days", "1959-02-03", CategoryAVU, OutcomeMet},
		{"67 (pension age, simplified)", "1959-02-02", CategoryAVU, OutcomeNotMet},
		{"birth date missing", "", CategoryAVU, OutcomeNeedsEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) {
				f.BirthDate = Date{}
				if tt.birth != "" {
					f.BirthDate = d(tt.birth)
				}
				f.Course.Category = tt.category
				f.Course.StartsOn, f.Course.EndsOn = d(start), d("2026-06-19")
			})
			checkRule(t, SchemeSVU, "svu.age", f, tt.want)
		})
	}
}

func TestSVUAgeExplanation(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) {
		f.BirthDate = d("2001-02-03")
		f.Course.StartsOn, f.Course.EndsOn = d("2026-02-02"), d("2026-06-19")
	})
	r := checkRule(t, SchemeSVU, "svu.age", f, OutcomeNotMet)
	if want := "You are 24 on the first course day (2026-02-02); SVU requires at least 25."; !strings.HasPrefix(r.Explanation, want) {
		t.Errorf("Explanation = %q, want prefix %q", r.Explanation, want)
	}
	if want := "Du er 24 år på første kursusdag (2026-02-02)"; !strings.HasPrefix(r.ExplanationDA, want) {
		t.Errorf("ExplanationDA = %q, want prefix %q", r.ExplanationDA, want)
	}
	if r.Facts["age_on_start"] != 24 || r.Facts["minimum_age"] != 25 || r.Facts["reaches_minimum_age_on"] != "2026-02-03" {
		t.Errorf("Facts = %v", r.Facts)
	}
	if r.Facts["pension_age_assumed"] != 67 || r.Facts["pension_age_note"] == "" {
		t.Errorf("pension age simplification not documented in facts: %v", r.Facts)
	}
}

func TestSVUEmployment(t *testing.T) {
	t.Parallel()
	const start = "2026-02-02"
	tests := []struct {
		name    string
		status  string
		since   *Date
		wantEmp Outcome
		want26  Outcome
	}{
		{"26 weeks exactly (182 days)", StatusEmployed, dp("2025-08-04"), OutcomeMet, OutcomeMet},
		{"26 weeks minus one day", StatusEmployed, dp("2025-08-05"), OutcomeMet, OutcomeNotMet},
		{"years with the employer", StatusEmployed, dp("2015-01-01"), OutcomeMet, OutcomeMet},
		{"starts after the course", StatusEmployed, dp("2026-03-01"), OutcomeMet, OutcomeNotMet},
		{"since unknown", StatusEmployed, nil, OutcomeMet, OutcomeNeedsEvidence},
		{"self-employed 26 weeks", StatusSelfEmployed, dp("2025-08-04"), OutcomeMet, OutcomeMet},
		{"self-employed 25 weeks", StatusSelfEmployed, dp("2025-08-11"), OutcomeMet, OutcomeNotMet},
		{"unemployed", StatusUnemployed, nil, OutcomeNotMet, OutcomeNotMet},
		{"outside the labour market", StatusOutsideLabourMarket, nil, OutcomeNotMet, OutcomeNotMet},
		{"status missing", "", nil, OutcomeNeedsEvidence, OutcomeNeedsEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) {
				f.Employment.Status, f.Employment.Since = tt.status, tt.since
				f.Course.StartsOn, f.Course.EndsOn = d(start), d("2026-06-19")
			})
			checkRule(t, SchemeSVU, "svu.employment", f, tt.wantEmp)
			checkRule(t, SchemeSVU, "svu.employment_26_weeks", f, tt.want26)
		})
	}
}

func TestSVUEmployment26WeeksFacts(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) {
		f.Employment.Since = dp("2025-08-05")
		f.Course.StartsOn, f.Course.EndsOn = d("2026-02-02"), d("2026-06-19")
	})
	r := checkRule(t, SchemeSVU, "svu.employment_26_weeks", f, OutcomeNotMet)
	if r.Facts["days_before_start"] != 181 || r.Facts["required_days"] != 182 || r.Facts["qualifies_from"] != "2026-02-03" {
		t.Errorf("Facts = %v", r.Facts)
	}
	if !strings.Contains(r.Explanation, "181 days (25 weeks and 6 days)") || !strings.Contains(r.Explanation, "2026-02-03") {
		t.Errorf("Explanation lacks the numbers: %s", r.Explanation)
	}
}

func TestSVUCourseType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		category string
		want     Outcome
	}{
		{CategoryFVU, OutcomeMet},
		{CategoryOBU, OutcomeMet},
		{CategoryAVU, OutcomeMet},
		{CategoryHFEnkeltfag, OutcomeMet},
		{CategoryDanskuddannelse, OutcomeMet},
		{CategoryGymnasialSupplering, OutcomeNeedsEvidence},
		{CategoryAkademi, OutcomeMet},
		{CategoryDiplom, OutcomeMet},
		{CategoryMaster, OutcomeMet},
		{CategoryAMU, OutcomeNotMet},
		{CategoryEUDEnkeltfag, OutcomeNotMet},
		{CategoryAftenskole, OutcomeNotMet},
		{"yoga", OutcomeNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.category, func(t *testing.T) {
			t.Parallel()
			checkRule(t, SchemeSVU, "svu.course_type", with(func(f *Facts) { f.Course.Category = tt.category }), tt.want)
		})
	}
}

func TestSVUEducationCap(t *testing.T) {
	t.Parallel()
	// The course starts in 2024 (baseFacts).
	tests := []struct {
		name      string
		category  string
		level     string
		completed int
		want      Outcome
	}{
		{"AVU, grundskole", CategoryAVU, LevelGrundskole, 2000, OutcomeMet},
		{"AVU, gymnasial: years of schooling must be checked", CategoryAVU, LevelGymnasial, 2010, OutcomeNeedsEvidence},
		{"AVU, erhvervsuddannelse: 2-year or outdated must be shown", CategoryAVU, LevelErhvervsuddannelse, 2021, OutcomeNeedsEvidence},
		{"AVU, degree 6 years before", CategoryAVU, LevelLangVideregaaende, 2018, OutcomeNeedsEvidence},
		{"AVU, degree 5 calendar years before (may be > 5 years)", CategoryAVU, LevelMellemlangVideregaaende, 2019, OutcomeNeedsEvidence},
		{"AVU, degree 4 years before", CategoryAVU, LevelLangVideregaaende, 2020, OutcomeNotMet},
		{"AVU, degree year unknown", CategoryAVU, LevelKortVideregaaende, 0, OutcomeNeedsEvidence},
		{"AVU, level missing", CategoryAVU, "", 0, OutcomeNeedsEvidence},
		{"HF, degree 1 year before", CategoryHFEnkeltfag, LevelKortVideregaaende, 2023, OutcomeNotMet},
		{"FVU is exempt, degree 1 year before", CategoryFVU, LevelLangVideregaaende, 2023, OutcomeMet},
		{"OBU is exempt", CategoryOBU, LevelLangVideregaaende, 2023, OutcomeMet},
		{"danskuddannelse is exempt", CategoryDanskuddannelse, LevelLangVideregaaende, 2023, OutcomeMet},
		{"diplom, erhvervsuddannelse", CategoryDiplom, LevelErhvervsuddannelse, 2010, OutcomeMet},
		{"diplom, gymnasial", CategoryDiplom, LevelGymnasial, 2010, OutcomeMet},
		{"akademi, kort videregående 6 years before", CategoryAkademi, LevelKortVideregaaende, 2018, OutcomeNeedsEvidence},
		{"akademi, kort videregående 4 years before", CategoryAkademi, LevelKortVideregaaende, 2020, OutcomeNotMet},
		{"master, lang videregående 4 years before", CategoryMaster, LevelLangVideregaaende, 2020, OutcomeNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) {
				f.Course.Category = tt.category
				f.Education = Education{Level: tt.level, CompletedYear: tt.completed}
			})
			checkRule(t, SchemeSVU, "svu.education_cap", f, tt.want)
		})
	}
}

func TestSVUHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		category string
		hours    float64
		id       string
		want     Outcome
	}{
		{"AVU 3 hours", CategoryAVU, 3, "svu.minimum_hours", OutcomeMet},
		{"AVU 2.5 hours", CategoryAVU, 2.5, "svu.minimum_hours", OutcomeNotMet},
		{"AVU 2.999 hours rounds to 3", CategoryAVU, 2.999, "svu.minimum_hours", OutcomeMet},
		{"FVU 2.5 hours", CategoryFVU, 2.5, "svu.minimum_hours", OutcomeNotMet},
		{"diplom 6 hours", CategoryDiplom, 6, "svu.minimum_hours", OutcomeMet},
		{"diplom 5.5 hours", CategoryDiplom, 5.5, "svu.minimum_hours", OutcomeNotMet},
		{"diplom 30 hours is full time", CategoryDiplom, 30, "svu.full_time", OutcomeMet},
		{"diplom 29.5 hours is not", CategoryDiplom, 29.5, "svu.full_time", OutcomeNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) { f.Course.Category, f.Course.HoursPerWeek = tt.category, tt.hours })
			checkRule(t, SchemeSVU, tt.id, f, tt.want)
		})
	}
	// The full-time rule exists only at higher level.
	if _, ok := Evaluate(SchemeSVU, baseFacts(), DefaultRates()).Rule("svu.full_time"); ok {
		t.Error("svu.full_time applied to an AVU course")
	}
}

func TestSVUBenefits(t *testing.T) {
	t.Parallel()
	for benefits, want := range map[string]Outcome{
		BenefitsNone:          OutcomeMet,
		BenefitsDagpenge:      OutcomeNotMet,
		BenefitsKontanthjaelp: OutcomeNotMet,
		BenefitsOther:         OutcomeNotMet,
		"":                    OutcomeNeedsEvidence,
	} {
		checkRule(t, SchemeSVU, "svu.benefits", with(func(f *Facts) { f.Benefits = benefits }), want)
	}
}

func TestSVUAmounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		category string
		start    string
		end      string
		hours    float64
		want     Amounts
	}{
		// 2024: 940 kr./day. 4 weeks (2024-03-04 to 2024-03-29 = 26 days).
		{"2024 FVU 100 %", CategoryFVU, "2024-03-04", "2024-03-29", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 4700, TotalDKK: 4 * 4700}},
		{"2024 AVU 80 %", CategoryAVU, "2024-03-04", "2024-03-29", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 3760, TotalDKK: 4 * 3760}},
		{"2024 diplom 60 %, citizen pays the fee", CategoryDiplom, "2024-03-04", "2024-03-29", 37, Amounts{CitizenPaysDKK: 1200, WeeklyAllowanceDKK: 2820, TotalDKK: 4 * 2820}},
		{"2024 AVU 20 h counts as 37", CategoryAVU, "2024-03-04", "2024-03-29", 20, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 3760, TotalDKK: 4 * 3760}},
		{"2024 AVU 19 h pro rata", CategoryAVU, "2024-03-04", "2024-03-29", 19, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 1931, TotalDKK: 4 * 1931}},        // 3,760 × 19 / 37 = 1,930.8
		{"2024 diplom 30 h pro rata", CategoryDiplom, "2024-03-04", "2024-03-29", 30, Amounts{CitizenPaysDKK: 1200, WeeklyAllowanceDKK: 2286, TotalDKK: 4 * 2286}}, // 2,820 × 30 / 37 = 2,286.5
		{"2024 AVU 45 h capped at 37", CategoryAVU, "2024-03-04", "2024-03-29", 45, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 3760, TotalDKK: 4 * 3760}},
		// 2025: 973 kr./day.
		{"2025 FVU 100 %", CategoryFVU, "2025-03-03", "2025-03-28", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 4865, TotalDKK: 4 * 4865}},
		{"2025 HF 80 %", CategoryHFEnkeltfag, "2025-03-03", "2025-03-28", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 3892, TotalDKK: 4 * 3892}},
		{"2025 HF 10 h", CategoryHFEnkeltfag, "2025-03-03", "2025-03-28", 10, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 1052, TotalDKK: 4 * 1052}}, // 3,892 × 10 / 37 = 1,051.9
		// Weeks: 1 day is 1 week; 8 days are 2 weeks.
		{"one day is one week", CategoryFVU, "2024-03-04", "2024-03-04", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 4700, TotalDKK: 4700}},
		{"eight days are two weeks", CategoryFVU, "2024-03-04", "2024-03-11", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 4700, TotalDKK: 2 * 4700}},
		// 40 weeks of 37 hours at most: a 45-week full-time course is paid for 40 weeks …
		{"full time 45 weeks capped at 40", CategoryAVU, "2024-03-04", "2025-01-12", 37, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 3760, TotalDKK: 40 * 3760}},
		// … but a part-time course spreads the 40 weeks: 10 h for 45 weeks is 450 hours < 1,480.
		{"10 h for 45 weeks is not capped", CategoryAVU, "2024-03-04", "2025-01-12", 10, Amounts{FeeCoveredDKK: 1200, WeeklyAllowanceDKK: 1016, TotalDKK: 45 * 1016}}, // 3,760 × 10 / 37 = 1,016.2
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) {
				f.BirthDate = d("1980-01-01")
				f.Course.Category, f.Course.HoursPerWeek = tt.category, tt.hours
				f.Course.StartsOn, f.Course.EndsOn = d(tt.start), d(tt.end)
			})
			res := Evaluate(SchemeSVU, f, DefaultRates())
			if res.Outcome != SchemeEligible {
				for _, r := range res.Rules {
					if r.Outcome != OutcomeMet {
						t.Logf("%s %s: %s", r.ID, r.Outcome, r.Explanation)
					}
				}
				t.Fatalf("Outcome = %s, want eligible", res.Outcome)
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

func TestSVUNotEligibleHasNoAmounts(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeSVU, with(func(f *Facts) { f.Benefits = BenefitsDagpenge }), DefaultRates())
	if res.Outcome != SchemeNotEligible || res.Amounts != (Amounts{}) {
		t.Errorf("Outcome = %s, Amounts = %+v; want not_eligible with zero amounts", res.Outcome, res.Amounts)
	}
}

func TestSVUReviewKeepsProvisionalAmounts(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeSVU, with(func(f *Facts) { f.Course.Category = CategoryGymnasialSupplering }), DefaultRates())
	if res.Outcome != SchemeReviewRequired {
		t.Fatalf("Outcome = %s, want review_required", res.Outcome)
	}
	if res.Amounts.WeeklyAllowanceDKK != 3760 || res.Amounts.FeeCoveredDKK != 1200 {
		t.Errorf("Amounts = %+v", res.Amounts)
	}
}

func TestSVUApplicationDeadline(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) { f.Course.StartsOn, f.Course.EndsOn = d("2026-02-02"), d("2026-06-19") })
	r := checkRule(t, SchemeSVU, "svu.application_deadline", f, OutcomeMet)
	if r.Facts["must_be_received_by"] != "2026-02-02" || r.Facts["apply_from"] != "2025-11-03" {
		t.Errorf("Facts = %v", r.Facts)
	}
}

func TestSVURuleOrderStartsWithOfferedOnRun(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeSVU, with(func(f *Facts) { f.Course.Schemes = []string{SchemeSelf} }), DefaultRates())
	if res.Rules[0].ID != "svu.offered_on_run" || res.Rules[0].Outcome != OutcomeNotMet {
		t.Errorf("first rule = %s %s", res.Rules[0].ID, res.Rules[0].Outcome)
	}
	if res.Outcome != SchemeNotEligible {
		t.Errorf("Outcome = %s", res.Outcome)
	}
}

// TestSVUWeeksLeft: the 40 weeks of 37 hours per level across several enrolments.
func TestSVUWeeksLeft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		category  string
		hours     float64
		end       string // the course starts 2024-03-04
		used      map[string]float64
		want      Outcome
		weeksPaid int64
	}{
		{"nothing recorded", CategoryAVU, 37, "2024-04-07", nil, OutcomeMet, 5},
		{"none used", CategoryAVU, 37, "2024-04-07", map[string]float64{}, OutcomeMet, 5},
		{"38 used, 5-week course: 2 weeks paid", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 38}, OutcomeMet, 2},
		{"35 used, 5-week course fits exactly", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 35}, OutcomeMet, 5},
		{"39 used: one week left", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 39}, OutcomeMet, 1},
		{"39.5 used: less than a week left", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 39.5}, OutcomeNotMet, 0},
		{"40 used", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 40}, OutcomeNotMet, 0},
		{"more than 40 recorded", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 41}, OutcomeNotMet, 0},
		{"38 used, 10 hours a week: 2 × 37 / 10 = 7 weeks", CategoryAVU, 10, "2024-05-12", map[string]float64{SVULevelFolkeskoleGymnasial: 38}, OutcomeMet, 7},
		{"weeks at the other level do not count", CategoryAVU, 37, "2024-04-07", map[string]float64{SVULevelVideregaaende: 40}, OutcomeMet, 5},
		{"FVU counts at folkeskole level", CategoryFVU, 37, "2024-04-07", map[string]float64{SVULevelFolkeskoleGymnasial: 38}, OutcomeMet, 2},
		{"diplom uses the higher level", CategoryDiplom, 37, "2024-04-07", map[string]float64{SVULevelVideregaaende: 38, SVULevelFolkeskoleGymnasial: 40}, OutcomeMet, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) {
				f.Course.Category, f.Course.HoursPerWeek = tt.category, tt.hours
				f.Course.EndsOn = d(tt.end)
				f.Usage.SVUWeeksUsed = tt.used
			})
			r := checkRule(t, SchemeSVU, "svu.weeks_left", f, tt.want)
			if r.Facts["weeks_paid"] != tt.weeksPaid {
				t.Errorf("weeks_paid = %v, want %d; %s", r.Facts["weeks_paid"], tt.weeksPaid, r.Explanation)
			}
			res := Evaluate(SchemeSVU, f, DefaultRates())
			if tt.want == OutcomeNotMet {
				if res.Outcome != SchemeNotEligible {
					t.Errorf("Outcome = %s, want not_eligible", res.Outcome)
				}
				return
			}
			if res.Outcome != SchemeEligible || res.Amounts.TotalDKK != res.Amounts.WeeklyAllowanceDKK*tt.weeksPaid {
				t.Errorf("Outcome = %s, Amounts = %+v, want %d weeks paid", res.Outcome, res.Amounts, tt.weeksPaid)
			}
			if amount := mustRule(t, res, "svu.amount"); amount.Facts["earlier_svu_weeks_counted"] != (tt.used != nil) {
				t.Errorf("earlier_svu_weeks_counted = %v", amount.Facts["earlier_svu_weeks_counted"])
			}
		})
	}
}

func TestSVUWeeksLeftExplainsTheCap(t *testing.T) {
	t.Parallel()
	f := with(func(f *Facts) {
		f.Course.EndsOn = d("2024-04-07")
		f.Usage.SVUWeeksUsed = map[string]float64{SVULevelFolkeskoleGymnasial: 38}
	})
	r := checkRule(t, SchemeSVU, "svu.weeks_left", f, OutcomeMet)
	for _, want := range []string{"You have had 38 weeks, so 2 are left", "pays 2 of the course's 5 weeks"} {
		if !strings.Contains(r.Explanation, want) {
			t.Errorf("Explanation lacks %q: %s", want, r.Explanation)
		}
	}
	if !strings.Contains(r.ExplanationDA, "dækker det 2 af kursets 5 uger") {
		t.Errorf("ExplanationDA: %s", r.ExplanationDA)
	}
	if r.Facts["max_weeks_source"] == "" || r.Facts["max_weeks_status"] != RateStatusPublished {
		t.Errorf("Facts = %v", r.Facts)
	}
}

// TestSVUPaidToEmployer: the allowance goes to the employer as a refund when an employed citizen's
// salary continues; a self-employed citizen gets it.
func TestSVUPaidToEmployer(t *testing.T) {
	t.Parallel()
	res := Evaluate(SchemeSVU, baseFacts(), DefaultRates())
	if res.Amounts.EmployerRefundDKK != res.Amounts.TotalDKK || res.Amounts.TotalDKK == 0 {
		t.Errorf("employed: Amounts = %+v", res.Amounts)
	}
	if r := mustRule(t, res, "svu.amount"); r.Facts["employer_refund_dkk"] != res.Amounts.TotalDKK || !strings.Contains(r.Explanation, "paid to the employer as a refund") {
		t.Errorf("amount rule: %v, %s", r.Facts, r.Explanation)
	}
	self := Evaluate(SchemeSVU, with(func(f *Facts) { f.Employment.Status = StatusSelfEmployed }), DefaultRates())
	if self.Outcome != SchemeEligible || self.Amounts.EmployerRefundDKK != 0 {
		t.Errorf("self-employed: %s, Amounts = %+v", self.Outcome, self.Amounts)
	}
	veu := Evaluate(SchemeVEU, veuFacts(), DefaultRates())
	if veu.Amounts.EmployerRefundDKK != veu.Amounts.TotalDKK || mustRule(t, veu, "veu.amount").Facts["paid_to"] == "citizen" {
		t.Errorf("VEU: Amounts = %+v", veu.Amounts)
	}
}
