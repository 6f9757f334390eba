package rules

import (
	"fmt"
	"slices"
	"strings"
)

// The funding plan: when several schemes apply, one decision says which scheme pays the fee, which
// pays an allowance, what the citizen pays and what the employer pays or gets back.
//
// The preferred scheme comes first. If it pays only an allowance (VEU, SVU at higher level), the
// plan adds the eligible scheme on the run that leaves the citizen least to pay of the fee, among
// employer, Omstillingsfonden and Den Kommunale Kompetencefond (the run's order breaks ties). If it
// pays only the fee (employer, Omstillingsfonden, Den Kommunale Kompetencefond), the plan adds the
// eligible allowance scheme (SVU or VEU) with the largest total. Added schemes must be eligible on
// their own; schemes that need review (the municipality) are never added. A rejected preference
// gives an empty plan.

// Plan is how one enrolment is funded.
type Plan struct {
	FeeScheme          string       `json:"fee_scheme"` // the scheme that pays (part of) the fee; empty if none
	FeeCoveredDKK      int64        `json:"fee_covered_dkk"`
	AllowanceScheme    string       `json:"allowance_scheme"` // the scheme that pays an allowance; empty if none
	WeeklyAllowanceDKK int64        `json:"weekly_allowance_dkk"`
	AllowanceTotalDKK  int64        `json:"allowance_total_dkk"`
	CitizenPaysDKK     int64        `json:"citizen_pays_dkk"`
	EmployerPaysDKK    int64        `json:"employer_pays_dkk"`
	EmployerRefundDKK  int64        `json:"employer_refund_dkk"`
	DepositDKK         int64        `json:"deposit_dkk"`
	Budgets            []BudgetNeed `json:"budgets"` // reservations needed in limited pools
	Caps               []CapNeed    `json:"caps"`    // room needed under per-citizen caps
	Explanation        string       `json:"explanation"`
	ExplanationDA      string       `json:"explanation_da"`
	// EmployerCVR names the citizen's employer when the plan has it pay, or an allowance may go to it
	// as a refund: the company is a party to the decision.
	EmployerCVR string `json:"employer_cvr,omitempty"`
	// EmployerAsks is what the plan waits for the employer to answer (decision employer_required).
	EmployerAsks []string `json:"employer_asks,omitempty"`
}

// feeSchemesForPlan may pay the fee next to an allowance-only preference.
var feeSchemesForPlan = []string{SchemeEmployer, SchemeOmstillingsfonden, SchemeKompetencefond}

// allowanceSchemesForPlan may pay an allowance next to a fee-only preference.
var allowanceSchemesForPlan = []string{SchemeSVU, SchemeVEU}

// feeOnlySchemes get an allowance scheme added to their plan.
var feeOnlySchemes = []string{SchemeEmployer, SchemeOmstillingsfonden, SchemeKompetencefond}

// paysFee reports whether a scheme pays (part of) the participant fee for this course.
func paysFee(scheme string, f Facts) bool {
	switch scheme {
	case SchemeSVU:
		return svuLevelOf(f.Course.Category).coversFee()
	case SchemeEmployer, SchemeMunicipality, SchemeOmstillingsfonden, SchemeKompetencefond,
		SchemeRegionalPulje, SchemeJobrettetUddannelse:
		return true
	}
	return false
}

// paysAllowance reports whether a scheme pays an allowance for this course.
func paysAllowance(scheme string, f Facts) bool {
	switch scheme {
	case SchemeSVU:
		return svuLevelOf(f.Course.Category) != svuNone
	case SchemeVEU:
		return true
	}
	return false
}

// buildPlan combines the preferred scheme's result with eligible results of other schemes on the
// run. It returns the plan and the schemes in it, the preferred first.
func buildPlan(pref SchemeResult, others []SchemeResult, f Facts) (Plan, []SchemeResult) {
	if pref.Outcome == SchemeNotEligible {
		return Plan{Budgets: []BudgetNeed{}, Caps: []CapNeed{}}, nil
	}
	members := []SchemeResult{pref}
	feeAt, allowanceAt := -1, -1 // index in members of the scheme paying the fee / the allowance
	prefFee, prefAllowance := paysFee(pref.Scheme, f), paysAllowance(pref.Scheme, f)
	if prefFee {
		feeAt = 0
	}
	if prefAllowance {
		allowanceAt = 0
	}
	if prefAllowance && !prefFee {
		if best, ok := bestFeeScheme(others, f); ok {
			members, feeAt = append(members, best), len(members)
		}
	}
	if prefFee && !prefAllowance && slices.Contains(feeOnlySchemes, pref.Scheme) {
		if best, ok := bestAllowanceScheme(others, f); ok {
			members, allowanceAt = append(members, best), len(members)
		}
	}

	plan := Plan{Budgets: []BudgetNeed{}, Caps: []CapNeed{}, CitizenPaysDKK: pref.Amounts.CitizenPaysDKK, DepositDKK: pref.Amounts.DepositDKK}
	if feeAt >= 0 {
		m := members[feeAt]
		plan.FeeScheme = m.Scheme
		plan.FeeCoveredDKK, plan.CitizenPaysDKK, plan.EmployerPaysDKK = m.Amounts.FeeCoveredDKK, m.Amounts.CitizenPaysDKK, m.Amounts.EmployerPaysDKK
	}
	if allowanceAt >= 0 {
		m := members[allowanceAt]
		plan.AllowanceScheme = m.Scheme
		plan.WeeklyAllowanceDKK, plan.AllowanceTotalDKK, plan.EmployerRefundDKK = m.Amounts.WeeklyAllowanceDKK, m.Amounts.TotalDKK, m.Amounts.EmployerRefundDKK
	}
	for _, m := range members {
		if m.Budget != nil {
			plan.Budgets = append(plan.Budgets, *m.Budget)
		}
		if m.CitizenCap != nil {
			plan.Caps = append(plan.Caps, *m.CitizenCap)
		}
	}
	plan.Explanation, plan.ExplanationDA = plan.explain(f.Course.fee())
	return plan, members
}

// bestFeeScheme is the eligible fee scheme that leaves the citizen least to pay; the run's order
// breaks ties.
func bestFeeScheme(others []SchemeResult, f Facts) (SchemeResult, bool) {
	var best SchemeResult
	found := false
	for _, o := range others {
		if o.Outcome != SchemeEligible || !slices.Contains(feeSchemesForPlan, o.Scheme) || !paysFee(o.Scheme, f) {
			continue
		}
		if !found || o.Amounts.CitizenPaysDKK < best.Amounts.CitizenPaysDKK {
			best, found = o, true
		}
	}
	return best, found
}

// bestAllowanceScheme is the eligible allowance scheme with the largest total; the run's order
// breaks ties.
func bestAllowanceScheme(others []SchemeResult, f Facts) (SchemeResult, bool) {
	var best SchemeResult
	found := false
	for _, o := range others {
		if o.Outcome != SchemeEligible || !slices.Contains(allowanceSchemesForPlan, o.Scheme) || !paysAllowance(o.Scheme, f) {
			continue
		}
		if !found || o.Amounts.TotalDKK > best.Amounts.TotalDKK {
			best, found = o, true
		}
	}
	return best, found
}

// amounts are the plan's totals as the decision's Amounts.
func (p Plan) amounts() Amounts {
	return Amounts{
		FeeCoveredDKK:      p.FeeCoveredDKK,
		CitizenPaysDKK:     p.CitizenPaysDKK,
		WeeklyAllowanceDKK: p.WeeklyAllowanceDKK,
		TotalDKK:           p.AllowanceTotalDKK,
		EmployerPaysDKK:    p.EmployerPaysDKK,
		EmployerRefundDKK:  p.EmployerRefundDKK,
		DepositDKK:         p.DepositDKK,
	}
}

// explain summarises the plan in English and Danish.
func (p Plan) explain(fee int64) (en, da string) {
	var e, d []string
	if p.FeeScheme != "" {
		nEN, nDA := payerNames(p.FeeScheme)
		e = append(e, fmt.Sprintf("%s pays %s of the participant fee of %s.", capitalise(nEN), krEN(p.FeeCoveredDKK), krEN(fee)))
		d = append(d, fmt.Sprintf("%s dækker %s af deltagerbetalingen på %s.", capitalise(nDA), krDA(p.FeeCoveredDKK), krDA(fee)))
		if p.EmployerPaysDKK > 0 && p.FeeScheme != SchemeEmployer {
			e = append(e, fmt.Sprintf("Your workplace pays %s.", krEN(p.EmployerPaysDKK)))
			d = append(d, fmt.Sprintf("Din arbejdsplads betaler %s.", krDA(p.EmployerPaysDKK)))
		}
	}
	e = append(e, fmt.Sprintf("You pay %s of the fee.", krEN(p.CitizenPaysDKK)))
	d = append(d, fmt.Sprintf("Du betaler %s af deltagerbetalingen.", krDA(p.CitizenPaysDKK)))
	if p.DepositDKK > 0 {
		e = append(e, fmt.Sprintf("You also pay a refundable deposit of %s.", krEN(p.DepositDKK)))
		d = append(d, fmt.Sprintf("Du betaler desuden et depositum på %s, som du får tilbage.", krDA(p.DepositDKK)))
	}
	if p.AllowanceScheme != "" {
		nEN, nDA := SchemeNames(p.AllowanceScheme)
		e = append(e, fmt.Sprintf("%s pays an allowance of %s a week, %s in total.", capitalise(nEN), krEN(p.WeeklyAllowanceDKK), krEN(p.AllowanceTotalDKK)))
		d = append(d, fmt.Sprintf("%s giver en ydelse på %s om ugen, %s i alt.", capitalise(nDA), krDA(p.WeeklyAllowanceDKK), krDA(p.AllowanceTotalDKK)))
		if p.EmployerRefundDKK > 0 {
			e = append(e, "If your employer continues your salary during the course, the allowance is paid to the employer as a refund; otherwise to you.")
			d = append(d, "Hvis din arbejdsgiver betaler løn under kurset, udbetales ydelsen til arbejdsgiveren som refusion; ellers til dig.")
		}
	}
	for _, b := range p.Budgets {
		nEN, nDA := SchemeNames(b.Scheme)
		e = append(e, fmt.Sprintf("Before approval, %s must be reserved in the budget for %s held by %s for %d.", krEN(b.AmountDKK), nEN, ownerEN(b.Owner), b.Year))
		d = append(d, fmt.Sprintf("Før godkendelse skal %s reserveres i budgettet for %s hos %s for %d.", krDA(b.AmountDKK), nDA, ownerDA(b.Owner), b.Year))
	}
	for _, c := range p.Caps {
		nEN, nDA := SchemeNames(c.Scheme)
		e = append(e, fmt.Sprintf("%s counts towards your limit of %s from %s (period %s).", krEN(c.AmountDKK), krEN(c.LimitDKK), nEN, c.Period))
		d = append(d, fmt.Sprintf("%s tæller med i din grænse på %s fra %s (periode %s).", krDA(c.AmountDKK), krDA(c.LimitDKK), nDA, c.Period))
	}
	return strings.Join(e, " "), tidyDA(strings.Join(d, " "))
}

// payerNames names the scheme paying the fee as the subject of a sentence.
func payerNames(scheme string) (en, da string) {
	switch scheme {
	case SchemeEmployer:
		return "your employer", "din arbejdsgiver"
	case SchemeMunicipality:
		return "the municipality", "kommunen"
	}
	return SchemeNames(scheme)
}

func ownerEN(owner string) string {
	if owner == "" {
		return "(owner not known)"
	}
	return owner
}

func ownerDA(owner string) string {
	if owner == "" {
		return "(ejer ukendt)"
	}
	return owner
}
