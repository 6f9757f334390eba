package rules

import "fmt"

// paramLog looks parameters up for one evaluation and records every entry used, so that the
// result (and a decision) can say exactly which figures it was based on. One is made per
// Evaluate call and never shared.
type paramLog struct {
	r    Rates
	used []ParameterUse
}

func newParamLog(r Rates) *paramLog { return &paramLog{r: r} }

// get returns the entry of id in force on day and records it.
func (p *paramLog) get(id string, day Date) (ParameterUse, bool) {
	u, ok := p.r.Lookup(id, day)
	if ok {
		p.record(u)
	}
	return u, ok
}

// int returns the value of id in force on day as a whole number, and records it.
func (p *paramLog) int(id string, day Date) (int64, ParameterUse, bool) {
	u, ok := p.get(id, day)
	return u.Int(), u, ok
}

// dailyMaxDagpenge is the daily maximum dagpenge in force on day, recording the monthly entry.
func (p *paramLog) dailyMaxDagpenge(day Date) (int64, ParameterUse, bool) {
	u, ok := p.get(ParamMaxDagpengeMonthly, day)
	if !ok {
		return 0, u, false
	}
	return dailyFromMonthly(u.Int()), u, true
}

func (p *paramLog) record(u ParameterUse) {
	for _, have := range p.used {
		if have.ID == u.ID && have.EffectiveFrom == u.EffectiveFrom {
			return
		}
	}
	p.used = append(p.used, u)
}

// mergeUses appends the uses in more that are not yet in uses.
func mergeUses(uses []ParameterUse, more []ParameterUse) []ParameterUse {
	log := paramLog{used: uses}
	for _, u := range more {
		log.record(u)
	}
	return log.used
}

// paramFacts adds the entry used for a parameter to a rule's facts: "<key>_effective_from",
// "<key>_source" and "<key>_status".
func paramFacts(facts map[string]any, key string, u ParameterUse) {
	facts[key+"_effective_from"] = u.EffectiveFrom.String()
	facts[key+"_source"] = u.Source
	facts[key+"_status"] = u.Status
}

// provisionalEN/DA say that a figure is not published, for explanations; empty when it is.
func provisionalEN(u ParameterUse) string {
	if u.Status == RateStatusPublished {
		return ""
	}
	return fmt.Sprintf(" (the figure is %s, source: %s)", u.Status, u.Source)
}

func provisionalDA(u ParameterUse) string {
	if u.Status == RateStatusPublished {
		return ""
	}
	return fmt.Sprintf(" (tallet er %s, kilde: %s)", rateStatusDA(u.Status), u.Source)
}

// missingParamRule is the rule's answer when the rate table has no figure in force for a
// parameter it needs: the check cannot be made, so it needs evidence.
func missingParamRule(scheme, name, ref, id string, day Date, r Rates) RuleResult {
	return rule(scheme, name, OutcomeNeedsEvidence, ref, text{
		en: fmt.Sprintf("The rate table (version %s) has no figure for %s in force on %s, so this cannot be checked.", r.Version, id, day),
		da: fmt.Sprintf("Satstabellen (version %s) har intet tal for %s gældende den %s, så dette kan ikke kontrolleres.", r.Version, id, day),
	}, map[string]any{"parameter": id, "on": day.String(), "rates_version": r.Version})
}
