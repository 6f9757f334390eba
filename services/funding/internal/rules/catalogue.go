package rules

import (
	"fmt"
	"strconv"
)

// The scheme catalogue: every scheme with what it pays, how it is funded, who decides, its legal
// reference and its rules, as in force on a day (GET /v1/schemes?on=). Each scheme's entry is
// written next to its rules, in its own file (svuInfo in scheme_svu.go, and so on).

// What a scheme pays.
const (
	PaysFee       = "fee"       // (part of) the participant fee
	PaysAllowance = "allowance" // a weekly allowance while studying
	PaysBoth      = "both"      // the fee and an allowance
	PaysNothing   = "none"      // nothing: the citizen pays
)

// SchemeInfo describes one funding scheme.
type SchemeInfo struct {
	Code   string `json:"code"`
	NameDA string `json:"name_da"`
	NameEN string `json:"name_en"`
	Pays   string `json:"pays"` // PaysFee, PaysAllowance, PaysBoth or PaysNothing
	// Entitlement: a right when the conditions are met (not limited by a budget).
	Entitlement bool `json:"entitlement"`
	// BudgetLimited: paid from a limited pool, so approval needs a reservation in it.
	BudgetLimited bool   `json:"budget_limited"`
	BudgetOwner   string `json:"budget_owner,omitempty"` // "municipality" or "institution"
	PerCitizenCap bool   `json:"per_citizen_cap"`
	CapPeriod     string `json:"cap_period,omitempty"` // "calendar_year" or "12m"
	DecidedBy     string `json:"decided_by"`
	Reference     string `json:"reference"`
	DescriptionEN string `json:"description_en"`
	DescriptionDA string `json:"description_da"`
	// Parameters are the IDs of the rate-table parameters the scheme uses (see Rates.On).
	Parameters []string   `json:"parameters"`
	Rules      []RuleInfo `json:"rules"`
}

// RuleInfo describes one rule of a scheme.
type RuleInfo struct {
	ID            string `json:"id"`
	Reference     string `json:"reference"`
	DescriptionDA string `json:"description_da"`
	DescriptionEN string `json:"description_en"`
}

// SchemeCodes lists every scheme this package knows, in catalogue order.
var SchemeCodes = []string{
	SchemeSelf, SchemeSVU, SchemeVEU, SchemeEmployer, SchemeMunicipality,
	SchemeJobrettetUddannelse, SchemeRegionalPulje, SchemeOmstillingsfonden, SchemeKompetencefond,
}

// Schemes returns the catalogue on day with the figures of the embedded rate table.
func Schemes(day Date) []SchemeInfo { return DefaultRates().Schemes(day) }

// Schemes returns the catalogue on day, with the figures in force that day in the descriptions.
func (r Rates) Schemes(day Date) []SchemeInfo {
	c := catalogueDay{r: r, day: day}
	return []SchemeInfo{
		selfInfo(c), svuInfo(c), veuInfo(c), employerInfo(c), municipalityInfo(c),
		jobrettetInfo(c), regionalPuljeInfo(c), omstillingsfondenInfo(c), kompetencefondInfo(c),
	}
}

// catalogueDay formats figures in force on a day for the catalogue's descriptions.
type catalogueDay struct {
	r   Rates
	day Date
}

// n is a parameter's whole value, or "?" when none is in force.
func (c catalogueDay) n(id string) string {
	u, ok := c.r.Lookup(id, c.day)
	if !ok {
		return "?"
	}
	return strconv.FormatInt(u.Int(), 10)
}

// kr is an amount parameter for English and Danish text, or a note that none is in force.
func (c catalogueDay) kr(id string) (en, da string) {
	u, ok := c.r.Lookup(id, c.day)
	if !ok {
		return "(no figure in force)", "(intet tal gældende)"
	}
	return krEN(u.Int()), krDA(u.Int())
}

// ruleInfo builds a RuleInfo; name is the part of the ID after "<scheme>.".
func ruleInfo(scheme, name, ref, en, da string) RuleInfo {
	return RuleInfo{ID: scheme + "." + name, Reference: ref, DescriptionEN: en, DescriptionDA: tidyDA(da)}
}

// offeredInfo describes the offered_on_run rule every scheme has.
func offeredInfo(scheme string) RuleInfo {
	enName, daName := SchemeNames(scheme)
	noteEN, noteDA := offeredNote(scheme)
	return ruleInfo(scheme, "offered_on_run", "Holdets udbud: de finansieringsformer, uddannelsesstedet har angivet for holdet",
		fmt.Sprintf("The course run must list %s as a way to fund it.", enName)+noteEN,
		fmt.Sprintf("Holdet skal angive %s som en mulig finansiering.", daName)+noteDA)
}

// Rules shared by the allowance schemes.

func benefitsInfo(scheme, ref string) RuleInfo {
	return ruleInfo(scheme, "benefits", ref,
		"No other public support for living costs (dagpenge, kontanthjælp and the like) during the course.",
		"Ingen anden offentlig forsørgelse (dagpenge, kontanthjælp o.l.) under kurset.")
}

func periodInfo(scheme string) RuleInfo {
	return ruleInfo(scheme, "course_period", "Holdets start- og slutdato (uddannelsesstedets oplysninger)",
		"The course has a valid first and last day; its length in weeks is the calendar days divided by 7, rounded up.",
		"Kurset har en gyldig første og sidste dag; længden i uger er kalenderdagene divideret med 7, rundet op.")
}

func rateInfo(scheme string) RuleInfo {
	return ruleInfo(scheme, "rate", "Lov om arbejdsløshedsforsikring m.v. § 47, stk. 2 (dagpengenes højeste beløb)",
		"The maximum dagpenge in force on the first course day (max_dagpenge_monthly_dkk); daily = monthly × 7.4 / 160.33, rounded. A figure that is not published makes the amount provisional.",
		"Dagpengenes højeste beløb gældende på første kursusdag (max_dagpenge_monthly_dkk); dagsats = månedsbeløb × 7,4 / 160,33, afrundet. Et tal, der ikke er offentliggjort, gør beløbet foreløbigt.")
}
