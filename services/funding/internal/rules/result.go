package rules

import "strings"

// Outcome is the result of one rule.
type Outcome string

// Rule outcomes.
const (
	OutcomeMet           Outcome = "met"
	OutcomeNotMet        Outcome = "not_met"
	OutcomeNeedsEvidence Outcome = "needs_evidence" // a caseworker or the scheme's administrator must check documents
)

// RuleResult is one rule's outcome, why, and on which facts.
type RuleResult struct {
	ID            string // "<scheme>.<rule>", e.g. "svu.age"
	Scheme        string
	Outcome       Outcome
	Reference     string         // legal reference or source, e.g. "SVU-loven § 2, stk. 1, nr. 1 (LBK nr. 53 af 23/01/2020)"
	Explanation   string         // English, plain language, with the concrete numbers
	ExplanationDA string         // the same in Danish
	Facts         map[string]any // the facts the rule used, e.g. {"age_on_start": 24, "minimum_age": 25}
}

// Amounts are what a scheme pays and what the citizen pays, in whole kroner.
type Amounts struct {
	FeeCoveredDKK      int64 // participant fee paid by the scheme (by the employer, for "employer")
	CitizenPaysDKK     int64 // participant fee paid by the citizen
	WeeklyAllowanceDKK int64 // allowance per week (SVU, VEU-godtgørelse)
	TotalDKK           int64 // allowance for the whole course: weekly × weeks paid
	// EmployerPaysDKK is the part of the fee the employer pays: all of it for "employer", the
	// workplace's share for Den Kommunale Kompetencefond.
	EmployerPaysDKK int64
	// EmployerRefundDKK is the allowance paid to the employer instead of the citizen when the
	// employer continues the salary during the course (SVU, VEU-godtgørelse; employed citizens).
	// It is the same money as TotalDKK, not an extra amount.
	EmployerRefundDKK int64
	// DepositDKK is a refundable deposit the citizen pays (Danish courses, self-supporting learners).
	DepositDKK int64
}

// BudgetNeed is money a scheme draws from a limited pool: approving the decision needs a
// reservation of AmountDKK in the owner's pool for the year, and funding must not approve without
// it. The regional pool's owner is the municipality and the amount is the refund drawn from the
// pool (80 % of the fee); the municipality's own pool is drawn by the whole fee; Omstillingsfonden's
// owner is the institution (its drawing right) and the amount is the fee it covers.
type BudgetNeed struct {
	Scheme    string `json:"scheme"`
	Owner     string `json:"owner"` // municipality code or institution id; empty when not known
	Year      int    `json:"year"`  // the course's start year
	AmountDKK int64  `json:"amount_dkk"`
}

// PeriodRolling12m is the period of a cap on any 12 months in a row (Den Kommunale Kompetencefond).
const PeriodRolling12m = "12m"

// CapNeed is room a decision needs under a per-citizen cap: AmountDKK of LimitDKK for the period
// ("2027" for a calendar year; PeriodRolling12m for every 12 months in a row that include StartsOn,
// the course's first day).
type CapNeed struct {
	Scheme    string `json:"scheme"`
	Period    string `json:"period"`
	AmountDKK int64  `json:"amount_dkk"`
	LimitDKK  int64  `json:"limit_dkk"`
	StartsOn  string `json:"starts_on,omitempty"` // a rolling period's course start
}

// SchemeOutcome is the result of checking one scheme.
type SchemeOutcome string

// Scheme outcomes.
const (
	SchemeEligible       SchemeOutcome = "eligible"
	SchemeNotEligible    SchemeOutcome = "not_eligible"
	SchemeReviewRequired SchemeOutcome = "review_required"
)

// SchemeResult is the result of checking one scheme. Amounts are zero when the scheme is not
// eligible; when review is required they are what the scheme pays if it is approved.
type SchemeResult struct {
	Scheme  string
	Outcome SchemeOutcome
	Amounts Amounts
	Rules   []RuleResult
	// Budget is set when the scheme draws on a limited pool (nil when not eligible).
	Budget *BudgetNeed
	// CitizenCap is set when the scheme has a per-citizen cap (nil when not eligible).
	CitizenCap *CapNeed
	// Parameters are the rate-table entries the rules used.
	Parameters []ParameterUse
}

// Rule returns the result of the rule with the given ID.
func (s SchemeResult) Rule(id string) (RuleResult, bool) {
	for _, r := range s.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return RuleResult{}, false
}

// combine derives a scheme's outcome from its rules: any not_met → not_eligible; else any
// needs_evidence → review_required; else eligible.
func combine(rules []RuleResult) SchemeOutcome {
	outcome := SchemeEligible
	for _, r := range rules {
		switch r.Outcome {
		case OutcomeNotMet:
			return SchemeNotEligible
		case OutcomeNeedsEvidence:
			outcome = SchemeReviewRequired
		}
	}
	return outcome
}

// result builds a SchemeResult from rules; amounts are dropped when the scheme is not eligible.
func result(scheme string, rules []RuleResult, amounts Amounts) SchemeResult {
	res := SchemeResult{Scheme: scheme, Outcome: combine(rules), Rules: rules}
	if res.Outcome != SchemeNotEligible {
		res.Amounts = amounts
	}
	return res
}

// withBudget sets the pool the scheme draws on, unless it is not eligible.
func (s SchemeResult) withBudget(b BudgetNeed) SchemeResult {
	if s.Outcome != SchemeNotEligible {
		s.Budget = &b
	}
	return s
}

// withCap sets the per-citizen cap the scheme uses, unless it is not eligible.
func (s SchemeResult) withCap(c CapNeed) SchemeResult {
	if s.Outcome != SchemeNotEligible {
		s.CitizenCap = &c
	}
	return s
}

// text is an explanation in both languages.
type text struct{ en, da string }

// rule builds a RuleResult; name is the part of the ID after "<scheme>.".
func rule(scheme, name string, o Outcome, ref string, t text, facts map[string]any) RuleResult {
	return RuleResult{
		ID:            scheme + "." + name,
		Scheme:        scheme,
		Outcome:       o,
		Reference:     ref,
		Explanation:   t.en,
		ExplanationDA: tidyDA(t.da),
		Facts:         facts,
	}
}

// tidyDA drops the full stop doubled when a Danish sentence ends in an amount ("1.200 kr..").
func tidyDA(s string) string { return strings.ReplaceAll(s, "kr..", "kr.") }

// outcomeIf returns met when ok, otherwise not_met.
func outcomeIf(ok bool) Outcome {
	if ok {
		return OutcomeMet
	}
	return OutcomeNotMet
}
