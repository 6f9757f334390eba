package rules

import (
	"fmt"
	"slices"

	"livslang.dk/pkg/events"
)

// Scheme codes.
const (
	SchemeSelf                = "self"
	SchemeSVU                 = "svu"
	SchemeVEU                 = "veu"
	SchemeEmployer            = "employer"
	SchemeMunicipality        = "municipality"
	SchemeJobrettetUddannelse = "jobrettet_uddannelse"
	SchemeRegionalPulje       = "regional_pulje"
	SchemeOmstillingsfonden   = "omstillingsfonden"
	SchemeKompetencefond      = "kompetencefond"
)

// Decision outcomes: the wire codes of events.Outcome*.
const (
	DecisionApproved       = events.OutcomeApproved
	DecisionRejected       = events.OutcomeRejected
	DecisionReviewRequired = events.OutcomeReviewRequired
)

// Evaluate checks one scheme against the facts. An unknown scheme code is not eligible. The
// result lists the rate-table entries the rules used.
func Evaluate(scheme string, f Facts, r Rates) SchemeResult {
	p := newParamLog(r)
	res := evaluate(scheme, f, p)
	res.Parameters = p.used
	return res
}

func evaluate(scheme string, f Facts, p *paramLog) SchemeResult {
	switch scheme {
	case SchemeSelf:
		return evaluateSelf(f, p)
	case SchemeSVU:
		return evaluateSVU(f, p)
	case SchemeVEU:
		return evaluateVEU(f, p)
	case SchemeEmployer:
		return evaluateEmployer(f)
	case SchemeMunicipality:
		return evaluateMunicipality(f)
	case SchemeJobrettetUddannelse:
		return evaluateJobrettet(f, p)
	case SchemeRegionalPulje:
		return evaluateRegionalPulje(f, p)
	case SchemeOmstillingsfonden:
		return evaluateOmstillingsfonden(f, p)
	case SchemeKompetencefond:
		return evaluateKompetencefond(f, p)
	}
	return evaluateUnknown(scheme, f)
}

// Decision is the funding decision for one enrolment.
type Decision struct {
	Outcome string // DecisionApproved, DecisionRejected, DecisionReviewRequired or DecisionEmployerRequired
	Scheme  string // the preferred scheme
	// Amounts are those of the whole plan: the fee covered by any scheme, what is left for the
	// citizen, and the allowance from the plan's allowance scheme. Zero when rejected.
	Amounts      Amounts
	Rules        []RuleResult // the preferred scheme's rules
	RatesVersion string
	RateYear     RateYear // the maximum-dagpenge entry in force on the course's first day (zero if none)
	// Alternatives are the other schemes the run lists that would be eligible, in the run's order.
	Alternatives []SchemeResult
	// Plan is how the enrolment is funded when several schemes combine: which pays the fee, which
	// the allowance, what the citizen and the employer pay, and the budgets and caps it draws on.
	Plan Plan
	// Parameters are the rate-table entries used by the schemes in the plan (by the preferred
	// scheme when rejected): a later change to the rates does not change what this decision used.
	Parameters []ParameterUse
}

// Decide evaluates the preferred scheme: eligible → approved, review_required → review_required,
// not_eligible → rejected, with the rules that explain why. It builds the funding plan with the
// other schemes the run lists (see buildPlan) and lists those that would be eligible.
func Decide(preference string, f Facts, r Rates) Decision {
	res := Evaluate(preference, f, r)
	others := evaluateOthers(preference, f, r)
	plan, members := buildPlan(res, others, f)
	_, used, _ := r.DailyMaxDagpengeOn(f.Course.StartsOn)

	params := slices.Clone(res.Parameters)
	for _, m := range members {
		params = mergeUses(params, m.Parameters)
	}
	outcome := decisionOutcome(res.Outcome)
	if outcome != DecisionRejected && (plan.EmployerPaysDKK > 0 || plan.EmployerRefundDKK > 0) {
		plan.EmployerCVR = f.Employment.EmployerCVR
	}
	if asks := EmployerAsks(plan, f); outcome == DecisionApproved && len(asks) > 0 {
		outcome, plan.EmployerAsks = DecisionEmployerRequired, asks
		plan.Explanation += " Your employer must agree before this plan is final."
		plan.ExplanationDA += " Din arbejdsgiver skal give tilsagn, før planen er endelig."
	}
	return Decision{
		Outcome:      outcome,
		Scheme:       preference,
		Amounts:      plan.amounts(),
		Rules:        res.Rules,
		RatesVersion: r.Version,
		RateYear:     used,
		Alternatives: eligibleOnly(others),
		Plan:         plan,
		Parameters:   params,
	}
}

func decisionOutcome(o SchemeOutcome) string {
	switch o {
	case SchemeEligible:
		return DecisionApproved
	case SchemeReviewRequired:
		return DecisionReviewRequired
	}
	return DecisionRejected
}

// evaluateOthers evaluates every other scheme the run lists, each once, in the run's order.
func evaluateOthers(preference string, f Facts, r Rates) []SchemeResult {
	var out []SchemeResult
	var seen []string
	for _, s := range f.Course.Schemes {
		if s == preference || slices.Contains(seen, s) {
			continue
		}
		seen = append(seen, s)
		out = append(out, Evaluate(s, f, r))
	}
	return out
}

// eligibleOnly keeps the eligible results.
func eligibleOnly(results []SchemeResult) []SchemeResult {
	var out []SchemeResult
	for _, res := range results {
		if res.Outcome == SchemeEligible {
			out = append(out, res)
		}
	}
	return out
}

// offeredRule checks that the course run lists the scheme; every scheme checks this first.
func offeredRule(scheme string, c Course) RuleResult {
	const ref = "Holdets udbud: de finansieringsformer, uddannelsesstedet har angivet for holdet"
	enName, daName := SchemeNames(scheme)
	facts := map[string]any{"scheme": scheme, "schemes_on_run": slices.Clone(c.Schemes)}
	if c.Offers(scheme) {
		noteEN, noteDA := offeredNote(scheme)
		return rule(scheme, "offered_on_run", OutcomeMet, ref, text{
			en: fmt.Sprintf("The course run lists %s as a way to fund it.", enName) + noteEN,
			da: fmt.Sprintf("Holdet angiver %s som en mulig finansiering.", daName) + noteDA,
		}, facts)
	}
	return rule(scheme, "offered_on_run", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("The course run does not list %s as a way to fund it.", enName),
		da: fmt.Sprintf("Holdet angiver ikke %s som en mulig finansiering.", daName),
	}, facts)
}

// offeredNote says what listing a scheme means where it implies a positive list.
func offeredNote(scheme string) (en, da string) {
	switch scheme {
	case SchemeRegionalPulje:
		return " The institution lists it only for courses on the regional positive list (regional positivliste) of the area.",
			" Uddannelsesstedet angiver den kun for kurser på områdets regionale positivliste."
	case SchemeJobrettetUddannelse:
		return " The institution lists it only for courses on the national positive list for 6 weeks' job-oriented training.",
			" Uddannelsesstedet angiver den kun for kurser på den landsdækkende positivliste for 6 ugers jobrettet uddannelse."
	}
	return "", ""
}

// SchemeNames returns a scheme's name for English and Danish text.
func SchemeNames(scheme string) (en, da string) {
	switch scheme {
	case SchemeSelf:
		return "paying yourself", "egenbetaling"
	case SchemeSVU:
		return "SVU (Statens Voksenuddannelsesstøtte)", "SVU (Statens Voksenuddannelsesstøtte)"
	case SchemeVEU:
		return "VEU-godtgørelse (VEU allowance)", "VEU-godtgørelse"
	case SchemeEmployer:
		return "payment by your employer", "betaling fra din arbejdsgiver"
	case SchemeMunicipality:
		return "funding from the municipality", "finansiering fra kommunen"
	case SchemeJobrettetUddannelse:
		return "6 weeks' job-oriented training (6 ugers jobrettet uddannelse)", "6 ugers jobrettet uddannelse"
	case SchemeRegionalPulje:
		return "the regional training pool (den regionale uddannelsespulje)", "den regionale uddannelsespulje"
	case SchemeOmstillingsfonden:
		return "Omstillingsfonden (VEU-omstillingsfonden)", "Omstillingsfonden (VEU-omstillingsfonden)"
	case SchemeKompetencefond:
		return "Den Kommunale Kompetencefond (the municipal competence fund)", "Den Kommunale Kompetencefond"
	}
	return fmt.Sprintf("the scheme %q", scheme), fmt.Sprintf("ordningen %q", scheme)
}
