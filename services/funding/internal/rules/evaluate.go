package rules

import (
	"fmt"
	"slices"
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

// Decision outcomes.
const (
	DecisionApproved       = "approved"
	DecisionRejected       = "rejected"
	DecisionReviewRequired = "review_required"
)

// Evaluate checks one scheme against the facts. An unknown scheme code is not eligible.
func Evaluate(scheme string, f Facts, r Rates) SchemeResult {
	switch scheme {
	case SchemeSelf:
		return evaluateSelf(f)
	case SchemeSVU:
		return evaluateSVU(f, r)
	case SchemeVEU:
		return evaluateVEU(f, r)
	case SchemeEmployer:
		return evaluateEmployer(f)
	case SchemeMunicipality:
		return evaluateMunicipality(f)
	}
	if d, ok := externalDeciders[scheme]; ok {
		return evaluateExternal(scheme, d, f)
	}
	return evaluateUnknown(scheme, f)
}

// Decision is the funding decision for one enrolment.
type Decision struct {
	Outcome      string // DecisionApproved, DecisionRejected or DecisionReviewRequired
	Scheme       string // the preferred scheme
	Amounts      Amounts
	Rules        []RuleResult // the preferred scheme's rules
	RatesVersion string
	RateYear     RateYear // the rate row for the course's start year (zero if none)
	// Alternatives are the other schemes the run lists that would be eligible, in the run's order.
	Alternatives []SchemeResult
}

// Decide evaluates the preferred scheme: eligible → approved, review_required → review_required,
// not_eligible → rejected, with the rules that explain why. It always lists the other schemes the
// run offers that would be eligible.
func Decide(preference string, f Facts, r Rates) Decision {
	res := Evaluate(preference, f, r)
	_, used, _ := r.DailyMaxDagpenge(f.Course.StartsOn.Year)
	return Decision{
		Outcome:      decisionOutcome(res.Outcome),
		Scheme:       preference,
		Amounts:      res.Amounts,
		Rules:        res.Rules,
		RatesVersion: r.Version,
		RateYear:     used,
		Alternatives: alternatives(preference, f, r),
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

// alternatives evaluates every other scheme the run lists (each once) and keeps the eligible ones.
func alternatives(preference string, f Facts, r Rates) []SchemeResult {
	var out []SchemeResult
	var seen []string
	for _, s := range f.Course.Schemes {
		if s == preference || slices.Contains(seen, s) {
			continue
		}
		seen = append(seen, s)
		if res := Evaluate(s, f, r); res.Outcome == SchemeEligible {
			out = append(out, res)
		}
	}
	return out
}

// offeredRule checks that the course run lists the scheme; every scheme checks this first.
func offeredRule(scheme string, c Course) RuleResult {
	const ref = "Holdets udbud: de finansieringsformer, uddannelsesstedet har angivet for holdet"
	enName, daName := schemeNames(scheme)
	facts := map[string]any{"scheme": scheme, "schemes_on_run": slices.Clone(c.Schemes)}
	if c.Offers(scheme) {
		return rule(scheme, "offered_on_run", OutcomeMet, ref, text{
			en: fmt.Sprintf("The course run lists %s as a way to fund it.", enName),
			da: fmt.Sprintf("Holdet angiver %s som en mulig finansiering.", daName),
		}, facts)
	}
	return rule(scheme, "offered_on_run", OutcomeNotMet, ref, text{
		en: fmt.Sprintf("The course run does not list %s as a way to fund it.", enName),
		da: fmt.Sprintf("Holdet angiver ikke %s som en mulig finansiering.", daName),
	}, facts)
}

// schemeNames returns a scheme's name for English and Danish text.
func schemeNames(scheme string) (en, da string) {
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
		return "a competence development fund (kompetencefond)", "en kompetencefond"
	}
	return fmt.Sprintf("the scheme %q", scheme), fmt.Sprintf("ordningen %q", scheme)
}
