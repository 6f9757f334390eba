package rules

import (
	"fmt"
	"slices"
	"strings"

	"livslang.dk/pkg/events"
)

// The employer's part. A plan that has the citizen's employer pay (part of) the fee, or pays an
// allowance to a wage earner (the employer decides whether the salary continues, which decides who
// gets the allowance, and for SVU signs the leave agreement), is final only when the company has
// answered: until then the decision is employer_required. The answer is a fact like any other: the
// rules evaluate again with it, so an approval makes the plan final as asked, and a decline or
// silence leaves out what needed the company (the preferred scheme's own rules then say whether
// anything is left, or reject, naming the company's answer).

// DecisionEmployerRequired: the plan waits for the citizen's employer.
const DecisionEmployerRequired = events.OutcomeEmployerRequired

// What a plan asks of the employer (the wire codes of events.Ask*).
const (
	AskPaysFee         = events.AskPaysFee
	AskSalaryContinues = events.AskSalaryContinues
	AskLeaveAgreement  = events.AskLeaveAgreement
)

// Employer answers: the answered statuses of a commitment (events.Commitment*).
const (
	EmployerApproved = events.CommitmentApproved
	EmployerDeclined = events.CommitmentDeclined
	EmployerExpired  = events.CommitmentExpired
)

// EmployerAnswer is the company's answer to what a plan asked of it.
type EmployerAnswer struct {
	Status          string // EmployerApproved, EmployerDeclined or EmployerExpired
	PaysFee         bool   // approved: the company pays what it was asked of the fee
	SalaryContinues bool   // approved: the salary continues, so an allowance goes to the company as a refund
	Reason          string // declined: the company's reason
	DueOn           Date   // expired: the day it had to answer by
	Company         string // the company's name, if known
}

const employerAnswerRef = "Virksomhedens tilsagn i Livslang (arbejdsgiverens del af ansøgningen: orlovsaftale, lønforhold og betaling)"

// EmployerAsks lists what the plan needs the citizen's employer (named by a valid CVR number) to
// answer; none when the citizen has no such employer or the company has answered.
func EmployerAsks(p Plan, f Facts) []string {
	if f.Employer != nil || f.Employment.Status != StatusEmployed || !validCVR(f.Employment.EmployerCVR) {
		return nil
	}
	var asks []string
	if p.EmployerPaysDKK > 0 {
		asks = append(asks, AskPaysFee)
	}
	if slices.Contains(allowanceSchemesForPlan, p.AllowanceScheme) && p.AllowanceTotalDKK > 0 {
		asks = append(asks, AskSalaryContinues)
		if p.AllowanceScheme == SchemeSVU {
			asks = append(asks, AskLeaveAgreement)
		}
	}
	return asks
}

// companyEN/DA name the company in a sentence.
func (a EmployerAnswer) companyEN() string {
	if a.Company != "" {
		return "Your employer, " + a.Company + ","
	}
	return "Your employer"
}

func (a EmployerAnswer) companyDA() string {
	if a.Company != "" {
		return "Din arbejdsgiver, " + a.Company + ","
	}
	return "Din arbejdsgiver"
}

// refusalText says why the company's part is missing: declined with its reason, or no answer.
func (a EmployerAnswer) refusalText() text {
	if a.Status == EmployerExpired {
		return text{en: fmt.Sprintf("%s did not answer by %s.", a.companyEN(), a.DueOn),
			da: fmt.Sprintf("%s svarede ikke senest %s.", a.companyDA(), a.DueOn)}
	}
	if a.Status == EmployerDeclined {
		reason := sentence(a.Reason)
		return text{en: fmt.Sprintf("%s declined: %s", a.companyEN(), reason),
			da: fmt.Sprintf("%s afviste: %s", a.companyDA(), reason)}
	}
	return text{en: a.companyEN() + " did not agree to pay the fee.", da: a.companyDA() + " ville ikke betale deltagerbetalingen."}
}

// sentence is the company's own words as a sentence, so the rule's next sentence does not run on.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

// employerPaysRule: once the company has answered, it pays the fee only if it approved paying it.
// None before the company is asked.
func employerPaysRule(scheme string, f Facts) []RuleResult {
	a := f.Employer
	if a == nil {
		return nil
	}
	facts := map[string]any{"employer_answer": a.Status, "pays_fee": a.PaysFee}
	if a.Status == EmployerApproved && a.PaysFee {
		return []RuleResult{rule(scheme, "employer_commitment", OutcomeMet, employerAnswerRef, text{
			en: a.companyEN() + " agreed to pay the fee.", da: a.companyDA() + " har givet tilsagn om at betale deltagerbetalingen.",
		}, facts)}
	}
	t := a.refusalText()
	return []RuleResult{rule(scheme, "employer_commitment", OutcomeNotMet, employerAnswerRef, text{
		en: t.en + " So it does not pay the fee.", da: t.da + " Arbejdsgiveren betaler derfor ikke deltagerbetalingen.",
	}, facts)}
}

// employerLeaveRule: an allowance to a wage earner needs the employer's agreement to the leave
// (SVU: the leave agreement; VEU: the course in working hours). None before the company is asked,
// and none for citizens who are not wage earners.
func employerLeaveRule(scheme string, f Facts) []RuleResult {
	a := f.Employer
	if a == nil || f.Employment.Status != StatusEmployed {
		return nil
	}
	nameEN, nameDA := SchemeNames(scheme)
	facts := map[string]any{"employer_answer": a.Status, "salary_continues": a.SalaryContinues}
	if a.Status == EmployerApproved {
		en, da := "the allowance is paid to you (unpaid leave)", "ydelsen udbetales til dig (orlov uden løn)"
		if a.SalaryContinues {
			en, da = "your salary continues, so the allowance is paid to the employer as a refund", "du får løn under kurset, så ydelsen udbetales til arbejdsgiveren som refusion"
		}
		return []RuleResult{rule(scheme, "employer_leave", OutcomeMet, employerAnswerRef, text{
			en: fmt.Sprintf("%s agreed to your leave for the course: %s.", a.companyEN(), en),
			da: fmt.Sprintf("%s har givet dig orlov til kurset: %s.", a.companyDA(), da),
		}, facts)}
	}
	t := a.refusalText()
	return []RuleResult{rule(scheme, "employer_leave", OutcomeNotMet, employerAnswerRef, text{
		en: fmt.Sprintf("%s %s needs your employer's agreement to the leave.", t.en, capitalise(nameEN)),
		da: fmt.Sprintf("%s %s kræver din arbejdsgivers aftale om orlov.", t.da, capitalise(nameDA)),
	}, facts)}
}

// refundToEmployer reports whether an allowance goes to the employer as a refund: a wage earner's,
// unless the company has said the salary does not continue.
func refundToEmployer(f Facts) bool {
	return f.Employment.Status == StatusEmployed && (f.Employer == nil || f.Employer.SalaryContinues)
}

// withRule inserts extra after the first rule (whether the run offers the scheme).
func withRule(rules, extra []RuleResult) []RuleResult {
	return slices.Insert(rules, min(1, len(rules)), extra...)
}
