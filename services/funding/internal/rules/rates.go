package rules

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Rates and parameters are dated data, not constants: every figure a rule uses (the maximum
// dagpenge, the SVU and VEU percentages, caps, deposits, time limits) is a parameter in rates.json
// with a list of entries, each in force from its effective date, with its source and how sure we
// are of it. A rule looks a parameter up on the course's first day; the entry in force is the one
// with the latest effective date on or before that day. Formulas (the daily dagpenge, pro rata,
// rounding) stay in code.

// Rate statuses: how sure we are of an entry's figure.
const (
	RateStatusPublished  = "published"  // read in an official or several consistent sources
	RateStatusDerived    = "derived"    // computed from a statutory formula, not read in a source
	RateStatusUnverified = "unverified" // from a single secondary source, or with conflicting sources
	RateStatusNotFound   = "not_found"  // no figure found: the value is unknown from this date
)

// Parameter IDs in rates.json.
const (
	ParamMaxDagpengeMonthly            = "max_dagpenge_monthly_dkk"
	ParamSVUPercentFVUOBU              = "svu_percent_fvu_obu"
	ParamSVUPercentGeneral             = "svu_percent_folkeskole_gymnasial"
	ParamSVUPercentHigher              = "svu_percent_videregaaende"
	ParamSVUMaxWeeks                   = "svu_max_weeks_per_level"
	ParamVEUPercent                    = "veu_percent"
	ParamOmstillingsfondenCap          = "omstillingsfonden_cap_per_calendar_year_dkk"
	ParamOmstillingsfondenMonthsBefore = "omstillingsfonden_earliest_months_before_start"
	ParamKompetencefondPercent         = "kompetencefond_percent"
	ParamKompetencefondCap             = "kompetencefond_cap_per_12_months_dkk"
	ParamKompetencefondMonthsBefore    = "kompetencefond_earliest_months_before_start"
	ParamDanishDeposit                 = "danskuddannelse_deposit_dkk"
	ParamJobrettetMaxWeeks             = "jobrettet_max_weeks"
	ParamJobrettetMonths25AndOver      = "jobrettet_months_limit_25_and_over"
	ParamJobrettetMonthsUnder25        = "jobrettet_months_limit_under_25"
	ParamRegionalRefundPercent         = "regional_pulje_refund_percent"
	ParamAMUFeeWeeklyMin               = "amu_fee_weekly_min_dkk"
	ParamAMUFeeWeeklyMax               = "amu_fee_weekly_max_dkk"
)

//go:embed rates.json
var ratesJSON []byte

// RateEntry is one value of a parameter, in force from EffectiveFrom until the next entry.
type RateEntry struct {
	EffectiveFrom Date
	Value         float64 // no meaning when Status is RateStatusNotFound
	Source        string  // URL(s) the figure was read from, or where to look when not found
	Status        string  // RateStatusPublished, RateStatusDerived, RateStatusUnverified or RateStatusNotFound
	Note          string  // caveats, e.g. an assumed effective date
}

// Parameter is one dated figure, e.g. the maximum dagpenge a month.
type Parameter struct {
	ID            string
	Unit          string // e.g. "DKK/month", "percent", "months"
	DescriptionEN string
	DescriptionDA string
	Entries       []RateEntry // ascending by EffectiveFrom
}

// ParameterUse is the entry of a parameter that a rule used: what a decision records so that a
// later change to the rates does not change what it was based on.
type ParameterUse struct {
	ID            string  `json:"id"`
	Value         float64 `json:"value"`
	Unit          string  `json:"unit"`
	EffectiveFrom Date    `json:"effective_from"`
	Source        string  `json:"source"`
	Status        string  `json:"status"`
}

// RateYear is the maximum dagpenge (unemployment benefit) for full-time insured members in force
// in a year. SVU and VEU-godtgørelse are percentages of it. It is a view of the
// max_dagpenge_monthly_dkk parameter, kept for the decision record.
type RateYear struct {
	Year                  int // the year of the entry's effective date
	MaxDagpengeMonthlyDKK int64
	Source                string // URL(s) the figure was read from
	Status                string // RateStatusPublished, RateStatusDerived or RateStatusUnverified
	EffectiveFrom         Date   // the entry's effective date (zero for a row built by hand)
}

// Rates is a versioned table of dated parameters.
type Rates struct {
	Version string // date the table was last reviewed, e.g. "2026-11-29"
	// Years is the maximum dagpenge by year. DefaultRates fills it from Parameters; it is read only
	// when Parameters has no max_dagpenge_monthly_dkk (a table built by hand with rows by year).
	Years      []RateYear
	Parameters []Parameter
}

// defaultRates parses the embedded rates.json once.
var defaultRates = sync.OnceValue(func() Rates {
	r, err := ParseRates(ratesJSON)
	if err != nil {
		panic(fmt.Sprintf("rules: embedded rates.json: %v", err))
	}
	return r
})

// DefaultRates returns the rate table embedded in the package (rates.json). Each call returns its
// own copy, so a caller may change it without affecting others. The figures need review each
// January (bm.dk "Satser for <år>"); the 2026 maximum dagpenge comes from one secondary source.
func DefaultRates() Rates { return defaultRates().clone() }

// ratesFile is the JSON shape of rates.json.
type ratesFile struct {
	Version    string `json:"version"`
	Parameters []struct {
		ID            string `json:"id"`
		Unit          string `json:"unit"`
		DescriptionEN string `json:"description_en"`
		DescriptionDA string `json:"description_da"`
		Entries       []struct {
			EffectiveFrom Date     `json:"effective_from"`
			Value         *float64 `json:"value"`
			Source        string   `json:"source"`
			Status        string   `json:"status"`
			Note          string   `json:"note"`
		} `json:"entries"`
	} `json:"parameters"`
}

// ParseRates reads a rate table in the format of rates.json and checks it: every parameter has an
// ID, unit and descriptions; every entry a date, a source, a known status and a value unless it is
// not_found; no two entries of a parameter share a date.
func ParseRates(data []byte) (Rates, error) {
	var file ratesFile
	if err := json.Unmarshal(data, &file); err != nil {
		return Rates{}, fmt.Errorf("parse rates: %w", err)
	}
	r := Rates{Version: file.Version}
	if r.Version == "" {
		return Rates{}, errors.New("parse rates: no version")
	}
	for _, fp := range file.Parameters {
		p := Parameter{ID: fp.ID, Unit: fp.Unit, DescriptionEN: fp.DescriptionEN, DescriptionDA: fp.DescriptionDA}
		for _, fe := range fp.Entries {
			e := RateEntry{EffectiveFrom: fe.EffectiveFrom, Source: fe.Source, Status: fe.Status, Note: fe.Note}
			if fe.Value != nil {
				e.Value = *fe.Value
			} else if fe.Status != RateStatusNotFound {
				return Rates{}, fmt.Errorf("parse rates: %s %s: no value", fp.ID, fe.EffectiveFrom)
			}
			p.Entries = append(p.Entries, e)
		}
		if err := r.add(p); err != nil {
			return Rates{}, fmt.Errorf("parse rates: %w", err)
		}
	}
	r.syncYears()
	return r, nil
}

// add checks a parameter and appends it.
func (r *Rates) add(p Parameter) error {
	if p.ID == "" || p.Unit == "" || p.DescriptionEN == "" || p.DescriptionDA == "" {
		return fmt.Errorf("parameter %q: id, unit and descriptions are required", p.ID)
	}
	if _, dup := r.find(p.ID); dup {
		return fmt.Errorf("parameter %q: listed twice", p.ID)
	}
	if len(p.Entries) == 0 {
		return fmt.Errorf("parameter %q: no entries", p.ID)
	}
	for _, e := range p.Entries {
		if err := checkEntry(p.ID, e); err != nil {
			return err
		}
	}
	slices.SortFunc(p.Entries, func(a, b RateEntry) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
	for i := 1; i < len(p.Entries); i++ {
		if p.Entries[i].EffectiveFrom == p.Entries[i-1].EffectiveFrom {
			return fmt.Errorf("parameter %q: two entries from %s", p.ID, p.Entries[i].EffectiveFrom)
		}
	}
	r.Parameters = append(r.Parameters, p)
	return nil
}

func checkEntry(id string, e RateEntry) error {
	switch {
	case e.EffectiveFrom.IsZero():
		return fmt.Errorf("parameter %q: an entry has no effective_from", id)
	case e.Source == "":
		return fmt.Errorf("parameter %q %s: no source", id, e.EffectiveFrom)
	case math.IsNaN(e.Value) || math.IsInf(e.Value, 0) || e.Value < 0:
		return fmt.Errorf("parameter %q %s: bad value %v", id, e.EffectiveFrom, e.Value)
	}
	switch e.Status {
	case RateStatusPublished, RateStatusDerived, RateStatusUnverified, RateStatusNotFound:
		return nil
	}
	return fmt.Errorf("parameter %q %s: unknown status %q", id, e.EffectiveFrom, e.Status)
}

// WithEntry returns a copy of the table with the entry added to parameter id (replacing an entry
// from the same date). The receiver is not changed, so decisions and sheets made with it stay as
// they were. The caller sets the new table's Version.
func (r Rates) WithEntry(id string, e RateEntry) (Rates, error) {
	if err := checkEntry(id, e); err != nil {
		return Rates{}, err
	}
	out := r.clone()
	i := slices.IndexFunc(out.Parameters, func(p Parameter) bool { return p.ID == id })
	if i < 0 {
		return Rates{}, fmt.Errorf("unknown parameter %q", id)
	}
	p := &out.Parameters[i]
	p.Entries = slices.DeleteFunc(p.Entries, func(old RateEntry) bool { return old.EffectiveFrom == e.EffectiveFrom })
	p.Entries = append(p.Entries, e)
	slices.SortFunc(p.Entries, func(a, b RateEntry) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
	if id == ParamMaxDagpengeMonthly {
		out.syncYears()
	}
	return out, nil
}

// clone copies the table deeply.
func (r Rates) clone() Rates {
	out := Rates{Version: r.Version, Years: slices.Clone(r.Years), Parameters: slices.Clone(r.Parameters)}
	for i := range out.Parameters {
		out.Parameters[i].Entries = slices.Clone(out.Parameters[i].Entries)
	}
	return out
}

// syncYears rebuilds Years from the max_dagpenge_monthly_dkk entries.
func (r *Rates) syncYears() {
	p, ok := r.find(ParamMaxDagpengeMonthly)
	if !ok {
		return
	}
	r.Years = nil
	for _, e := range p.Entries {
		if e.Status != RateStatusNotFound {
			r.Years = append(r.Years, RateYear{Year: e.EffectiveFrom.Year, MaxDagpengeMonthlyDKK: int64(math.Round(e.Value)),
				Source: e.Source, Status: e.Status, EffectiveFrom: e.EffectiveFrom})
		}
	}
}

// find returns the parameter with the given ID from Parameters.
func (r Rates) find(id string) (Parameter, bool) {
	for _, p := range r.Parameters {
		if p.ID == id {
			return p, true
		}
	}
	return Parameter{}, false
}

// Parameter returns the parameter with the given ID. A table built by hand with only Years gives
// the maximum dagpenge from those rows, each in force from 1 January of its year.
func (r Rates) Parameter(id string) (Parameter, bool) {
	if p, ok := r.find(id); ok {
		return p, true
	}
	if id != ParamMaxDagpengeMonthly || len(r.Years) == 0 {
		return Parameter{}, false
	}
	p := Parameter{ID: id, Unit: "DKK/month", DescriptionEN: "Maximum dagpenge a month", DescriptionDA: "Dagpengenes højeste beløb pr. måned"}
	for _, ry := range r.Years {
		from := ry.EffectiveFrom
		if from.IsZero() {
			from = NewDate(ry.Year, 1, 1)
		}
		p.Entries = append(p.Entries, RateEntry{EffectiveFrom: from, Value: float64(ry.MaxDagpengeMonthlyDKK), Source: ry.Source, Status: ry.Status})
	}
	return p, true
}

// entryOn returns the entry in force on day: the one with the latest effective date on or before
// day, whatever the order of the entries.
func (p Parameter) entryOn(day Date) (RateEntry, bool) {
	var best RateEntry
	found := false
	for _, e := range p.Entries {
		if !e.EffectiveFrom.After(day) && (!found || e.EffectiveFrom.After(best.EffectiveFrom)) {
			best, found = e, true
		}
	}
	return best, found
}

// Lookup returns the entry of parameter id in force on day. ok is false when the table has no such
// parameter, no entry on or before day, or the entry in force says the figure was not found.
func (r Rates) Lookup(id string, day Date) (use ParameterUse, ok bool) {
	p, found := r.Parameter(id)
	if !found {
		return ParameterUse{ID: id}, false
	}
	e, found := p.entryOn(day)
	if !found || e.Status == RateStatusNotFound {
		return ParameterUse{ID: id, Unit: p.Unit}, false
	}
	return ParameterUse{ID: id, Value: e.Value, Unit: p.Unit, EffectiveFrom: e.EffectiveFrom, Source: e.Source, Status: e.Status}, true
}

// Int is the value rounded to a whole number (kroner, percent, weeks, months).
func (u ParameterUse) Int() int64 { return int64(math.Round(u.Value)) }

// rateYear is the maximum-dagpenge entry as a RateYear.
func (u ParameterUse) rateYear() RateYear {
	return RateYear{Year: u.EffectiveFrom.Year, MaxDagpengeMonthlyDKK: u.Int(), Source: u.Source, Status: u.Status, EffectiveFrom: u.EffectiveFrom}
}

// dailyFromMonthly is the daily maximum dagpenge: monthly / 160.33 × 7.4, rounded half up to whole
// kroner (lov om arbejdsløshedsforsikring § 47, stk. 2), in integers: monthly × 740 / 16033.
func dailyFromMonthly(monthly int64) int64 { return roundDiv(monthly*740, 16033) }

// DailyMaxDagpengeOn returns the highest daily dagpenge in force on day, from the monthly entry in
// force that day; used tells which entry. ok is false when no entry is in force.
func (r Rates) DailyMaxDagpengeOn(day Date) (dkk int64, used RateYear, ok bool) {
	use, ok := r.Lookup(ParamMaxDagpengeMonthly, day)
	if !ok {
		return 0, RateYear{}, false
	}
	return dailyFromMonthly(use.Int()), use.rateYear(), true
}

// DailyMaxDagpenge returns the highest daily dagpenge in force on 1 January of year: for a year
// not in the table, that of the latest earlier year. ok is false when the table has neither the
// year nor an earlier one.
func (r Rates) DailyMaxDagpenge(year int) (dkk int64, used RateYear, ok bool) {
	return r.DailyMaxDagpengeOn(NewDate(year, 1, 1))
}
