package rules

import "fmt"

// evaluateUnknown: a scheme code this package does not know is not eligible.
func evaluateUnknown(scheme string, f Facts) SchemeResult {
	rules := []RuleResult{
		offeredRule(scheme, f.Course),
		rule(scheme, "known_scheme", OutcomeNotMet, "Ingen: ukendt finansieringsordning", text{
			en: fmt.Sprintf("%q is not a funding scheme this system knows.", scheme),
			da: fmt.Sprintf("%q er ikke en finansieringsordning, som dette system kender.", scheme),
		}, map[string]any{"scheme": scheme}),
	}
	return result(scheme, rules, Amounts{})
}
