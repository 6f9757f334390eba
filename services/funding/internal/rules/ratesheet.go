package rules

import "fmt"

// The rate sheet: every parameter in force on a day, with its source and status, and the weekly
// rates computed from them (GET /v1/rates?on=).

// RateSheet is the rate table as it stands on one day.
type RateSheet struct {
	On         Date             `json:"on"`
	Version    string           `json:"version"`
	Parameters []SheetParameter `json:"parameters"`
	// Computed are figures the rules compute from the parameters with a formula in code (the
	// daily maximum dagpenge and the weekly SVU and VEU rates).
	Computed []ComputedRate `json:"computed"`
}

// SheetParameter is one parameter's entry in force on the sheet's day. Value and EffectiveFrom are
// null when no figure is in force (no entry yet, or an entry saying it was not found).
type SheetParameter struct {
	ID            string   `json:"id"`
	Value         *float64 `json:"value"`
	Unit          string   `json:"unit"`
	EffectiveFrom *Date    `json:"effective_from"`
	Source        string   `json:"source"`
	Status        string   `json:"status"`
	Note          string   `json:"note,omitempty"`
	DescriptionEN string   `json:"description_en"`
	DescriptionDA string   `json:"description_da"`
}

// ComputedRate is a figure computed from parameters. Its status is derived, or unverified when an
// input is unverified.
type ComputedRate struct {
	ID            string   `json:"id"`
	Value         int64    `json:"value"`
	Unit          string   `json:"unit"`
	Formula       string   `json:"formula"`
	Inputs        []string `json:"inputs"`
	Status        string   `json:"status"`
	DescriptionEN string   `json:"description_en"`
	DescriptionDA string   `json:"description_da"`
}

// On returns every parameter in force on day, in the table's order, and the weekly rates computed
// from them.
func (r Rates) On(day Date) RateSheet {
	sheet := RateSheet{On: day, Version: r.Version, Parameters: []SheetParameter{}, Computed: []ComputedRate{}}
	ids := make([]string, 0, len(r.Parameters)+1)
	for _, p := range r.Parameters {
		ids = append(ids, p.ID)
	}
	if _, ok := r.find(ParamMaxDagpengeMonthly); !ok && len(r.Years) > 0 {
		ids = append([]string{ParamMaxDagpengeMonthly}, ids...)
	}
	for _, id := range ids {
		p, _ := r.Parameter(id)
		sheet.Parameters = append(sheet.Parameters, sheetParameter(p, day))
	}
	sheet.Computed = r.computed(day)
	return sheet
}

func sheetParameter(p Parameter, day Date) SheetParameter {
	sp := SheetParameter{ID: p.ID, Unit: p.Unit, DescriptionEN: p.DescriptionEN, DescriptionDA: p.DescriptionDA}
	e, ok := p.entryOn(day)
	if !ok {
		sp.Status = RateStatusNotFound
		sp.Source = "none"
		sp.Note = fmt.Sprintf("No entry in force on %s.", day)
		return sp
	}
	sp.Source, sp.Status, sp.Note = e.Source, e.Status, e.Note
	from := e.EffectiveFrom
	sp.EffectiveFrom = &from
	if e.Status != RateStatusNotFound {
		v := e.Value
		sp.Value = &v
	}
	return sp
}

// computed lists the daily maximum dagpenge and the weekly rates for 37 hours on day, where the
// inputs are in force.
func (r Rates) computed(day Date) []ComputedRate {
	out := []ComputedRate{}
	monthly, ok := r.Lookup(ParamMaxDagpengeMonthly, day)
	if !ok {
		return out
	}
	daily := dailyFromMonthly(monthly.Int())
	status := computedStatus(monthly)
	out = append(out,
		ComputedRate{ID: "max_dagpenge_daily_dkk", Value: daily, Unit: "DKK/day", Status: status,
			Formula: "round(max_dagpenge_monthly_dkk × 7.4 / 160.33)", Inputs: []string{ParamMaxDagpengeMonthly},
			DescriptionEN: "Maximum dagpenge a day (lov om arbejdsløshedsforsikring § 47, stk. 2).",
			DescriptionDA: "Dagpengenes højeste beløb pr. dag (lov om arbejdsløshedsforsikring § 47, stk. 2)."},
		ComputedRate{ID: "max_dagpenge_weekly_dkk", Value: daysPerWeek * daily, Unit: "DKK/week", Status: status,
			Formula: "5 × max_dagpenge_daily_dkk", Inputs: []string{ParamMaxDagpengeMonthly},
			DescriptionEN: "Maximum dagpenge for a week of 5 days.",
			DescriptionDA: "Dagpengenes højeste beløb for en uge à 5 dage."},
	)
	weekly := []struct {
		id, param, en, da string
	}{
		{"svu_weekly_fvu_obu_dkk", ParamSVUPercentFVUOBU, "SVU a full-time week (37 hours) for FVU and OBU.", "SVU pr. fuldtidsuge (37 timer) til FVU og OBU."},
		{"svu_weekly_folkeskole_gymnasial_dkk", ParamSVUPercentGeneral, "SVU a full-time week (37 hours) at folkeskole or gymnasial level.", "SVU pr. fuldtidsuge (37 timer) på folkeskole- eller gymnasialt niveau."},
		{"svu_weekly_videregaaende_dkk", ParamSVUPercentHigher, "SVU a full-time week (37 hours) at higher education level.", "SVU pr. fuldtidsuge (37 timer) på videregående niveau."},
		{"veu_weekly_dkk", ParamVEUPercent, "VEU-godtgørelse for a week of 37 hours.", "VEU-godtgørelse for en uge à 37 timer."},
	}
	for _, w := range weekly {
		pct, ok := r.Lookup(w.param, day)
		if !ok {
			continue
		}
		out = append(out, ComputedRate{ID: w.id, Value: weeklyAtPercent(daily, pct.Int()), Unit: "DKK/week",
			Status:  worstStatus(status, computedStatus(pct)),
			Formula: "round(5 × max_dagpenge_daily_dkk × " + w.param + " / 100)", Inputs: []string{ParamMaxDagpengeMonthly, w.param},
			DescriptionEN: w.en, DescriptionDA: w.da})
	}
	return out
}

// computedStatus is the status of a figure computed from u: unverified if u is, else derived.
func computedStatus(u ParameterUse) string {
	if u.Status == RateStatusUnverified {
		return RateStatusUnverified
	}
	return RateStatusDerived
}

func worstStatus(a, b string) string {
	if a == RateStatusUnverified || b == RateStatusUnverified {
		return RateStatusUnverified
	}
	return RateStatusDerived
}
