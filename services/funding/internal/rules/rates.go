package rules

// Rate statuses: how sure we are of a year's figure.
const (
	RateStatusPublished  = "published"  // read in an official or several consistent sources
	RateStatusDerived    = "derived"    // computed from a statutory formula, not read in a source
	RateStatusUnverified = "unverified" // from a single secondary source
)

// RateYear is the maximum dagpenge (unemployment benefit) for full-time insured members in one
// calendar year. SVU and VEU-godtgørelse are percentages of it.
type RateYear struct {
	Year                  int
	MaxDagpengeMonthlyDKK int64
	Source                string // URL(s) the figure was read from
	Status                string // RateStatusPublished, RateStatusDerived or RateStatusUnverified
}

// Rates is a versioned table of yearly rates.
type Rates struct {
	Version string // date the table was last reviewed, e.g. "2026-11-29"
	Years   []RateYear
}

// DefaultRates returns the rates known when this package was written. The 2026 figure comes from
// one secondary source only and should be checked against bm.dk "Satser for 2026", and a row for
// each new year added each January.
func DefaultRates() Rates {
	return Rates{
		Version: "2026-11-29",
		Years: []RateYear{
			{
				Year:                  2024,
				MaxDagpengeMonthlyDKK: 20359,
				Source:                "https://dlfa.dk/medlem/satser/ ; https://dag.dk/g-dagssats-og-dagpengesats/",
				Status:                RateStatusPublished,
			},
			{
				Year:                  2025,
				MaxDagpengeMonthlyDKK: 21092,
				Source:                "https://bm.dk/satser/satser-for-2025/dagpenge",
				Status:                RateStatusPublished,
			},
			{
				Year:                  2026,
				MaxDagpengeMonthlyDKK: 22041,
				Source:                "https://beraknare.se/dagpenge (cites bm.dk/satser/satser-for-2026; not checked against bm.dk)",
				Status:                RateStatusUnverified,
			},
		},
	}
}

// lookup returns the row for year, or else the row of the latest earlier year.
func (r Rates) lookup(year int) (RateYear, bool) {
	var best RateYear
	found := false
	for _, ry := range r.Years {
		if ry.Year == year {
			return ry, true
		}
		if ry.Year < year && (!found || ry.Year > best.Year) {
			best, found = ry, true
		}
	}
	return best, found
}

// DailyMaxDagpenge returns the highest daily dagpenge for year: monthly / 160.33 × 7.4, rounded
// half up to whole kroner (lov om arbejdsløshedsforsikring § 47, stk. 2). For a year not in the
// table it uses the latest earlier year; used tells which row was used. ok is false when the table
// has neither the year nor an earlier one.
func (r Rates) DailyMaxDagpenge(year int) (dkk int64, used RateYear, ok bool) {
	used, ok = r.lookup(year)
	if !ok {
		return 0, RateYear{}, false
	}
	// monthly × 7.4 / 160.33 = monthly × 740 / 16033, in integers.
	return roundDiv(used.MaxDagpengeMonthlyDKK*740, 16033), used, true
}
