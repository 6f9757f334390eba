// Package rules decides which funding scheme applies to an enrolment on a course run.
//
// It is pure: no I/O, no clock, no database. Callers pass the facts (Facts), the rate table (Rates)
// and the scheme codes, and get back every rule's outcome with its legal reference, the facts it
// used and a plain-language explanation in English and Danish.
//
// Entry points:
//
//   - Evaluate checks one scheme and returns a SchemeResult (eligible, not_eligible or
//     review_required) with its rules, amounts, the budget pool and per-citizen cap it draws on,
//     and the rate-table entries it used.
//   - Decide evaluates the citizen's preferred scheme, turns its outcome into a decision
//     (approved, rejected or review_required), builds the funding plan (which scheme pays the fee,
//     which the allowance, what the citizen and the employer pay; see plan.go) and lists the other
//     schemes on the run that would be eligible.
//   - Rates.On gives the rate sheet in force on a day; Schemes gives the scheme catalogue.
//
// Schemes: self (scheme_self.go, with the Danish-course deposit), SVU, VEU-godtgørelse, employer,
// municipality, 6 ugers jobrettet uddannelse, the regional training pool, Omstillingsfonden and
// Den Kommunale Kompetencefond, one file each.
//
// A scheme's outcome follows from its rules: any rule not_met makes it not_eligible; otherwise any
// rule needs_evidence makes it review_required; otherwise it is eligible. Every rule of a scheme is
// always evaluated, so the citizen sees every reason, not just the first.
//
// # Dated rates
//
// Every figure (maximum dagpenge, percentages, caps, deposits, time limits) is a parameter in the
// embedded rates.json with dated entries, each with its source and status (published, derived,
// unverified, not_found). A rule uses the entry in force on the course's first day: the one with
// the latest effective date on or before it. Results and decisions list the entries they used, so
// a later change to the table (Rates.WithEntry, a new rates.json) does not change what an earlier
// decision was based on.
//
// # Budgets and caps
//
// Schemes paid from a limited pool (the regional pool and the municipality's own pool, owned by the
// municipality; Omstillingsfonden's drawing right, owned by the institution) set
// SchemeResult.Budget; schemes with a per-citizen cap (Omstillingsfonden per calendar year, the
// competence fund per 12 months) set SchemeResult.CitizenCap. Evaluation takes what the citizen has
// already used from Facts.Usage; reserving the money is the caller's job.
//
// # Money and rounding
//
// All amounts are whole Danish kroner (int64). Computations use integer arithmetic; each step that
// divides rounds half up to whole kroner before the next step uses the result:
//
//	daily max dagpenge   = round(monthly × 7.4 / 160.33)            (lov om arbejdsløshedsforsikring § 47, stk. 2)
//	weekly at 100 %      = 5 × daily
//	weekly at the level  = round(weekly at 100 % × percent / 100)   (rates.json: SVU 100, 80 or 60; VEU 100)
//	weekly allowance     = round(weekly at the level × hours / 37)  (hours in hundredths of an hour)
//	total                = weekly allowance × weeks
//
// Rounding at each step reproduces the published rates (2024: 940 kr./day, 4,700 / 3,760 / 2,820
// kr./week; 20 of 37 hours at 80 % = 2,032 kr./week).
//
// # Sources
//
// Rules, references and figures come from the research notes in /work/shared/domain/funding-rules-dk.md
// (with their source URLs). Where the notes leave a gap, the rule answers needs_evidence rather than
// guessing, and says so in its explanation.
package rules
