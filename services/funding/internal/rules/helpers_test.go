package rules

import (
	"testing"
)

// d is MustParseDate, short for tables.
func d(s string) Date { return MustParseDate(s) }

// dp returns a pointer to the date, for Employment.Since.
func dp(s string) *Date { v := d(s); return &v }

// allSchemes is every scheme a run can list in these tests.
var allSchemes = []string{SchemeSelf, SchemeSVU, SchemeVEU, SchemeEmployer, SchemeMunicipality}

// baseFacts is an employed, short-educated 33-year-old on a full-time AVU course in spring 2024:
// eligible for SVU.
func baseFacts() Facts {
	return Facts{
		BirthDate: d("1990-05-10"),
		Education: Education{Level: LevelGrundskole},
		Employment: Employment{
			Status:      StatusEmployed,
			EmployerCVR: "12345674",
			Since:       dp("2020-01-01"),
			WeeklyHours: 37,
		},
		Benefits: BenefitsNone,
		Course: Course{
			Category:     CategoryAVU,
			StartsOn:     d("2024-03-04"),
			EndsOn:       d("2024-03-29"), // 26 days → 4 weeks
			HoursPerWeek: 37,
			FeeDKK:       1200,
			Schemes:      append([]string(nil), allSchemes...),
		},
	}
}

// with returns baseFacts changed by each function in turn.
func with(changes ...func(*Facts)) Facts {
	f := baseFacts()
	for _, change := range changes {
		change(&f)
	}
	return f
}

// mustRule returns the rule with the given ID or fails the test.
func mustRule(t *testing.T, res SchemeResult, id string) RuleResult {
	t.Helper()
	r, ok := res.Rule(id)
	if !ok {
		ids := make([]string, 0, len(res.Rules))
		for _, r := range res.Rules {
			ids = append(ids, r.ID)
		}
		t.Fatalf("rule %s not found in %s result; rules: %v", id, res.Scheme, ids)
	}
	return r
}

// checkRule evaluates the scheme and checks one rule's outcome.
func checkRule(t *testing.T, scheme, id string, f Facts, want Outcome) RuleResult {
	t.Helper()
	res := Evaluate(scheme, f, DefaultRates())
	r := mustRule(t, res, id)
	if r.Outcome != want {
		t.Errorf("%s = %s, want %s\n  en: %s\n  da: %s\n  facts: %v", id, r.Outcome, want, r.Explanation, r.ExplanationDA, r.Facts)
	}
	return r
}
