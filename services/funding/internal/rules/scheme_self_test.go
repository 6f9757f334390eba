package rules

import "testing"

// TestDanishDeposit: Danish courses are free; a self-supporting learner pays a refundable deposit
// (1,250 kr. from 2017-07-01, 2,000 kr. from 2020-07-01); others pay none.
func TestDanishDeposit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		category       string
		selfSupporting bool
		start          string
		wantDeposit    int64
		wantRule       Outcome // "" when the rule should not be there
	}{
		{"self-supporting, 2024", CategoryDanskuddannelse, true, "2024-03-04", 2000, OutcomeMet},
		{"self-supporting, first day of 2,000", CategoryDanskuddannelse, true, "2020-07-01", 2000, OutcomeMet},
		{"self-supporting, last day of 1,250", CategoryDanskuddannelse, true, "2020-06-30", 1250, OutcomeMet},
		{"self-supporting, before any deposit in the table", CategoryDanskuddannelse, true, "2017-06-30", 0, OutcomeNeedsEvidence},
		{"not self-supporting (e.g. a refugee)", CategoryDanskuddannelse, false, "2024-03-04", 0, OutcomeMet},
		{"not a Danish course", CategoryAVU, true, "2024-03-04", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := with(func(f *Facts) {
				f.Course.Category, f.SelfSupporting, f.Course.FeeDKK = tt.category, tt.selfSupporting, 0
				f.Course.StartsOn = d(tt.start)
				f.Course.EndsOn = f.Course.StartsOn.AddDays(60)
			})
			res := Evaluate(SchemeSelf, f, DefaultRates())
			if res.Amounts.DepositDKK != tt.wantDeposit || res.Amounts.CitizenPaysDKK != 0 {
				t.Errorf("Amounts = %+v, want deposit %d", res.Amounts, tt.wantDeposit)
			}
			r, ok := res.Rule("self.deposit")
			if tt.wantRule == "" {
				if ok {
					t.Errorf("deposit rule on a %s course", tt.category)
				}
				return
			}
			if !ok || r.Outcome != tt.wantRule {
				t.Fatalf("self.deposit = %v %s, want %s", ok, r.Outcome, tt.wantRule)
			}
		})
	}
	dec := Decide(SchemeSelf, with(func(f *Facts) {
		f.Course.Category, f.SelfSupporting, f.Course.FeeDKK = CategoryDanskuddannelse, true, 0
	}), DefaultRates())
	if dec.Outcome != DecisionApproved || dec.Amounts.DepositDKK != 2000 || dec.Plan.DepositDKK != 2000 || dec.Plan.FeeScheme != "" {
		t.Errorf("Decision = %s, Amounts = %+v, Plan = %+v", dec.Outcome, dec.Amounts, dec.Plan)
	}
}
