package rules

import (
	"slices"
	"strings"
	"testing"
)

// veuEmployerFacts: VEU on an AMU course with the employer on the run (fee 1,200 kr., 4 weeks at 4,700 kr.).
func veuEmployerFacts(a *EmployerAnswer) Facts {
	return veuFacts(func(f *Facts) {
		f.Course.Schemes = []string{SchemeSelf, SchemeVEU, SchemeEmployer}
		f.Employer = a
	})
}

// TestEmployerAsks: what a plan asks of the citizen's employer, and who is never asked.
func TestEmployerAsks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pref  string
		facts Facts
		want  []string
	}{
		{"VEU with the employer paying the fee", SchemeVEU, veuEmployerFacts(nil), []string{AskPaysFee, AskSalaryContinues}},
		{"VEU, the citizen pays the fee", SchemeVEU, veuFacts(func(f *Facts) { f.Course.Schemes = []string{SchemeSelf, SchemeVEU} }), []string{AskSalaryContinues}},
		{"SVU: the leave agreement too", SchemeSVU, svuAkademiFacts(func(f *Facts) { f.Course.Schemes = []string{SchemeSVU} }),
			[]string{AskSalaryContinues, AskLeaveAgreement}},
		{"self-employed: nobody to ask", SchemeVEU, veuFacts(func(f *Facts) {
			f.Employment.Status = StatusSelfEmployed
			f.Course.Schemes = []string{SchemeSelf, SchemeVEU}
		}), nil},
		{"paying oneself asks nothing", SchemeSelf, veuEmployerFacts(nil), nil},
		{"answered: not asked again", SchemeVEU, veuEmployerFacts(&EmployerAnswer{Status: EmployerApproved, PaysFee: true, SalaryContinues: true}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := Decide(tt.pref, tt.facts, DefaultRates())
			if !slices.Equal(dec.Plan.EmployerAsks, tt.want) {
				t.Fatalf("asks = %v, want %v (outcome %s)", dec.Plan.EmployerAsks, tt.want, dec.Outcome)
			}
			wantOutcome := DecisionApproved
			if len(tt.want) > 0 {
				wantOutcome = DecisionEmployerRequired
			}
			if dec.Outcome != wantOutcome {
				t.Errorf("outcome = %s, want %s", dec.Outcome, wantOutcome)
			}
			if len(tt.want) > 0 && (dec.Plan.EmployerCVR != "12345674" || !strings.Contains(dec.Plan.ExplanationDA, "Din arbejdsgiver skal give tilsagn")) {
				t.Errorf("plan = %+v", dec.Plan)
			}
		})
	}
}

// TestEmployerAnswerMakesThePlanFinal: an approval makes the plan final as asked; a decline or silence
// leaves out what needed the company, and the rejection names the company's answer.
func TestEmployerAnswerMakesThePlanFinal(t *testing.T) {
	t.Parallel()
	const total = 4 * 4700
	tests := []struct {
		name        string
		pref        string
		answer      EmployerAnswer
		outcome     string
		fee, refund int64 // what the employer pays, and gets back
		citizenPays int64
		notMet      string // the rule that names the company's answer
		reasonDA    string
	}{
		{"approved, salary continues", SchemeVEU, EmployerAnswer{Status: EmployerApproved, PaysFee: true, SalaryContinues: true},
			DecisionApproved, 1200, total, 0, "", ""},
		{"approved, unpaid leave: the allowance goes to the citizen", SchemeVEU, EmployerAnswer{Status: EmployerApproved, PaysFee: true},
			DecisionApproved, 1200, 0, 0, "", ""},
		{"approved without paying the fee: the citizen pays it", SchemeVEU, EmployerAnswer{Status: EmployerApproved, SalaryContinues: true},
			DecisionApproved, 0, total, 1200, "", ""},
		{"employer payment preferred, fee refused", SchemeEmployer, EmployerAnswer{Status: EmployerApproved, SalaryContinues: true},
			DecisionRejected, 0, 0, 0, "employer.employer_commitment", "ville ikke betale"},
		{"declined", SchemeVEU, EmployerAnswer{Status: EmployerDeclined, Reason: "travlt i produktionen", Company: "Herning Stål A/S"},
			DecisionRejected, 0, 0, 0, "veu.employer_leave", "Din arbejdsgiver, Herning Stål A/S, afviste: travlt i produktionen. VEU-godtgørelse kræver"},
		{"no answer by the deadline", SchemeVEU, EmployerAnswer{Status: EmployerExpired, DueOn: d("2024-02-16")},
			DecisionRejected, 0, 0, 0, "veu.employer_leave", "svarede ikke senest 2024-02-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := tt.answer
			dec := Decide(tt.pref, veuEmployerFacts(&a), DefaultRates())
			if dec.Outcome != tt.outcome {
				t.Fatalf("outcome = %s, want %s; rules %+v", dec.Outcome, tt.outcome, dec.Rules)
			}
			if tt.outcome == DecisionApproved {
				p := dec.Plan
				if p.EmployerPaysDKK != tt.fee || p.EmployerRefundDKK != tt.refund || p.CitizenPaysDKK != tt.citizenPays || p.AllowanceTotalDKK != total ||
					len(p.EmployerAsks) != 0 {
					t.Errorf("plan = %+v", p)
				}
				return
			}
			r, ok := Decision{Rules: dec.Rules}.rule(tt.notMet)
			if !ok || r.Outcome != OutcomeNotMet || !strings.Contains(r.ExplanationDA, tt.reasonDA) {
				t.Errorf("rule %s = %+v, want not met with %q", tt.notMet, r, tt.reasonDA)
			}
			if dec.Rules[1].ID != tt.notMet {
				t.Errorf("the company's answer is not the first reason: %s", dec.Rules[1].ID)
			}
		})
	}
}

// TestEmployerDeclineKeepsWhatDoesNotNeedIt: Omstillingsfonden pays the fee whatever the employer
// says; a decline only takes SVU (which needs the leave agreement) out of the plan.
func TestEmployerDeclineKeepsWhatDoesNotNeedIt(t *testing.T) {
	t.Parallel()
	f := svuAkademiFacts(func(f *Facts) { f.Employer = &EmployerAnswer{Status: EmployerDeclined, Reason: "nej"} })
	dec := Decide(SchemeOmstillingsfonden, f, DefaultRates())
	if dec.Outcome != DecisionApproved || dec.Plan.FeeScheme != SchemeOmstillingsfonden || dec.Plan.AllowanceScheme != "" {
		t.Fatalf("outcome %s, plan %+v", dec.Outcome, dec.Plan)
	}
}

func (d Decision) rule(id string) (RuleResult, bool) {
	for _, r := range d.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return RuleResult{}, false
}
