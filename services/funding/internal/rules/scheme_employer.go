package rules

import (
	"fmt"
	"livslang.dk/pkg/cvr"
)

// Employer payment: the employer, identified by its CVR number, pays the participant fee.
// This is an agreement between the citizen and the employer, not a public scheme.

const employerRef = "Aftale mellem deltager og arbejdsgiver (ingen offentlig ordning); uddannelsesstedet fakturerer arbejdsgiverens CVR-nummer"

// validCVR reports whether s is a CVR number (8 digits, modulus 11).
func validCVR(s string) bool { return cvr.Valid(s) }

func evaluateEmployer(f Facts) SchemeResult {
	c := f.Course
	rules := []RuleResult{
		offeredRule(SchemeEmployer, c),
		employerEmployed(f.Employment),
		employerCVR(f.Employment),
	}
	rules = withRule(rules, employerPaysRule(SchemeEmployer, f))
	// The scheme is the employer: the fee it covers is what the employer pays.
	return result(SchemeEmployer, rules, Amounts{FeeCoveredDKK: c.fee(), EmployerPaysDKK: c.fee()})
}

// employerEmployed: only a wage earner has an employer to pay.
func employerEmployed(e Employment) RuleResult {
	facts := map[string]any{"employment_status": e.Status}
	if e.Status == StatusEmployed {
		return rule(SchemeEmployer, "employed", OutcomeMet, employerRef, text{
			en: "You are employed, so your employer can pay the fee.",
			da: "Du er ansat, så din arbejdsgiver kan betale deltagerbetalingen.",
		}, facts)
	}
	return rule(SchemeEmployer, "employed", OutcomeNotMet, employerRef, text{
		en: fmt.Sprintf("Employer payment needs an employer, and your employment status is %s.", employmentStatusEN(e.Status)),
		da: fmt.Sprintf("Betaling fra arbejdsgiver kræver en arbejdsgiver, og din beskæftigelsesstatus er %s.", employmentStatusDA(e.Status)),
	}, facts)
}

// employerCVR: the employer must be identified by an 8-digit CVR number so it can be invoiced.
func employerCVR(e Employment) RuleResult {
	facts := map[string]any{"employer_cvr": e.EmployerCVR}
	if validCVR(e.EmployerCVR) {
		return rule(SchemeEmployer, "employer_cvr", OutcomeMet, employerRef, text{
			en: fmt.Sprintf("Your employer has CVR number %s; the fee is invoiced to the employer.", e.EmployerCVR),
			da: fmt.Sprintf("Din arbejdsgiver har CVR-nummer %s; deltagerbetalingen faktureres til arbejdsgiveren.", e.EmployerCVR),
		}, facts)
	}
	if e.EmployerCVR == "" {
		return rule(SchemeEmployer, "employer_cvr", OutcomeNotMet, employerRef, text{
			en: "No employer CVR number is given, so there is no one to invoice the fee to.",
			da: "Der er ikke angivet et CVR-nummer for arbejdsgiveren, så deltagerbetalingen kan ikke faktureres.",
		}, facts)
	}
	return rule(SchemeEmployer, "employer_cvr", OutcomeNotMet, employerRef, text{
		en: fmt.Sprintf("The employer CVR number %q is not a CVR number (8 digits with a valid check digit).", e.EmployerCVR),
		da: fmt.Sprintf("Arbejdsgiverens CVR-nummer %q er ikke et CVR-nummer (8 cifre med gyldigt kontrolciffer).", e.EmployerCVR),
	}, facts)
}

// employerInfo is the catalogue entry for payment by the employer.
func employerInfo(catalogueDay) SchemeInfo {
	return SchemeInfo{
		Code: SchemeEmployer, NameEN: "Payment by your employer", NameDA: "Betaling fra arbejdsgiver", Pays: PaysFee,
		DecidedBy: "the employer", Reference: employerRef,
		DescriptionEN: "Your employer pays the participant fee; the institution invoices the employer's CVR number. An allowance (SVU, VEU-godtgørelse) may come on top.",
		DescriptionDA: "Din arbejdsgiver betaler deltagerbetalingen; uddannelsesstedet fakturerer arbejdsgiverens CVR-nummer. En ydelse (SVU, VEU-godtgørelse) kan komme oveni.",
		Parameters:    []string{},
		Rules: []RuleInfo{
			offeredInfo(SchemeEmployer),
			ruleInfo(SchemeEmployer, "employed", employerRef, "You are employed (a wage earner).", "Du er ansat (lønmodtager)."),
			ruleInfo(SchemeEmployer, "employer_cvr", employerRef, "The employer is identified by a CVR number (8 digits, modulus 11).", "Arbejdsgiveren er angivet med et CVR-nummer (8 cifre, modulus 11)."),
			ruleInfo(SchemeEmployer, "employer_commitment", employerAnswerRef,
				"The company has agreed to pay the fee (its user answered the request in Livslang, or enrolled the employee itself). Until it answers the decision is employer_required.",
				"Virksomheden har givet tilsagn om at betale deltagerbetalingen (dens bruger har svaret i Livslang eller selv tilmeldt medarbejderen). Indtil den svarer, afventer afgørelsen arbejdsgiveren."),
		},
	}
}
