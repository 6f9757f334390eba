package rules

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestSchemesCatalogue(t *testing.T) {
	t.Parallel()
	schemes := Schemes(d("2025-06-01"))
	var codes []string
	for _, s := range schemes {
		codes = append(codes, s.Code)
		if s.NameDA == "" || s.NameEN == "" || s.Reference == "" || s.DecidedBy == "" || s.DescriptionEN == "" || s.DescriptionDA == "" {
			t.Errorf("%s: incomplete %+v", s.Code, s)
		}
		switch s.Pays {
		case PaysFee, PaysAllowance, PaysBoth, PaysNothing:
		default:
			t.Errorf("%s: pays %q", s.Code, s.Pays)
		}
		if s.Entitlement && s.BudgetLimited {
			t.Errorf("%s is both an entitlement and budget-limited", s.Code)
		}
		if s.BudgetLimited != (s.BudgetOwner != "") || s.PerCitizenCap != (s.CapPeriod != "") {
			t.Errorf("%s: budget owner %q, cap period %q", s.Code, s.BudgetOwner, s.CapPeriod)
		}
		for _, r := range s.Rules {
			if !strings.HasPrefix(r.ID, s.Code+".") || r.Reference == "" || r.DescriptionEN == "" || r.DescriptionDA == "" {
				t.Errorf("%s: incomplete rule %+v", s.Code, r)
			}
		}
		for _, id := range s.Parameters {
			if _, ok := DefaultRates().Parameter(id); !ok {
				t.Errorf("%s: unknown parameter %s", s.Code, id)
			}
		}
	}
	if !equal(codes, SchemeCodes) {
		t.Errorf("codes = %v, want %v", codes, SchemeCodes)
	}
	info := func(code string) SchemeInfo { return schemes[slices.Index(codes, code)] }
	for code, want := range map[string]struct {
		pays                     string
		entitlement, budget, cap bool
	}{
		SchemeSVU:                 {PaysBoth, true, false, false},
		SchemeVEU:                 {PaysAllowance, true, false, false},
		SchemeOmstillingsfonden:   {PaysFee, false, true, true},
		SchemeRegionalPulje:       {PaysFee, false, true, false},
		SchemeMunicipality:        {PaysFee, false, true, false},
		SchemeKompetencefond:      {PaysFee, false, false, true},
		SchemeJobrettetUddannelse: {PaysFee, true, false, false},
		SchemeSelf:                {PaysNothing, false, false, false},
	} {
		s := info(code)
		if s.Pays != want.pays || s.Entitlement != want.entitlement || s.BudgetLimited != want.budget || s.PerCitizenCap != want.cap {
			t.Errorf("%s = pays %s, entitlement %v, budget %v, cap %v", code, s.Pays, s.Entitlement, s.BudgetLimited, s.PerCitizenCap)
		}
	}
	// The descriptions carry the figures in force on the day.
	if s := info(SchemeOmstillingsfonden); !strings.Contains(s.DescriptionEN, "DKK 10,000") || !strings.Contains(s.DescriptionDA, "10.000 kr.") {
		t.Errorf("Omstillingsfonden 2025: %s", s.DescriptionEN)
	}
	if s := Schemes(d("2023-06-01"))[slices.Index(codes, SchemeOmstillingsfonden)]; !strings.Contains(s.DescriptionEN, "no figure in force") {
		t.Errorf("Omstillingsfonden 2023: %s", s.DescriptionEN)
	}
}

func TestSchemesJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Schemes(d("2025-06-01")))
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"code", "name_da", "name_en", "pays", "entitlement", "budget_limited", "per_citizen_cap", "reference", "rules"} {
		if _, ok := raw[0][key]; !ok {
			t.Errorf("no %q in %v", key, raw[0])
		}
	}
	rule := raw[0]["rules"].([]any)[0].(map[string]any)
	for _, key := range []string{"id", "reference", "description_da", "description_en"} {
		if _, ok := rule[key]; !ok {
			t.Errorf("rule has no %q: %v", key, rule)
		}
	}
}

// TestCatalogueMatchesRules: every rule an evaluation can produce is in the catalogue, and every
// rule in the catalogue is produced by some evaluation.
func TestCatalogueMatchesRules(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, s := range Schemes(d("2025-06-01")) {
		for _, r := range s.Rules {
			if listed[r.ID] {
				t.Errorf("%s listed twice", r.ID)
			}
			listed[r.ID] = true
		}
	}
	seen := map[string]bool{}
	categories := []string{CategoryAMU, CategoryFVU, CategoryAVU, CategoryAkademi, CategoryDiplom, CategoryDanskuddannelse, CategoryAftenskole}
	for _, cat := range categories {
		for i, selfSupporting := range []bool{false, true} {
			answer := []*EmployerAnswer{nil, {Status: EmployerApproved, PaysFee: true}}[i] // and the company's answer's rules
			f := with(func(f *Facts) {
				f.Course.Category, f.SelfSupporting, f.Employer = cat, selfSupporting, answer
				f.Course.StartsOn, f.Course.EndsOn = d("2025-09-01"), d("2025-09-26")
				f.Course.Schemes = SchemeCodes
				f.Today, f.UnemployedSince = d("2025-06-01"), dp("2025-05-01")
			})
			for _, s := range SchemeCodes {
				for _, r := range Evaluate(s, f, DefaultRates()).Rules {
					seen[r.ID] = true
					if !listed[r.ID] {
						t.Errorf("%s is not in the catalogue", r.ID)
					}
				}
			}
		}
	}
	for id := range listed {
		if !seen[id] {
			t.Errorf("%s is in the catalogue but no evaluation produced it", id)
		}
	}
}
