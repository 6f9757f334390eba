package rules

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestRateSheetByDay: the sheet on 2024-06-01 and 2025-06-01 shows each year's maximum dagpenge
// with its own source and status, and the weekly rates computed from it.
func TestRateSheetByDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		on                 string
		monthly            float64
		from, source, stat string
		daily, svuGeneral  int64
		computedStatus     string
	}{
		{"2024-06-01", 20359, "2024-01-01", "https://dlfa.dk/medlem/satser/", RateStatusPublished, 940, 3760, RateStatusDerived},
		{"2025-06-01", 21092, "2025-01-01", "https://bm.dk/satser/satser-for-2025/dagpenge", RateStatusPublished, 973, 3892, RateStatusDerived},
		{"2026-06-01", 22041, "2026-01-01", "https://beraknare.se/dagpenge", RateStatusUnverified, 1017, 4068, RateStatusUnverified},
	}
	for _, tt := range tests {
		t.Run(tt.on, func(t *testing.T) {
			t.Parallel()
			sheet := DefaultRates().On(d(tt.on))
			if sheet.On != d(tt.on) || sheet.Version != "2026-11-29" {
				t.Errorf("On = %s, Version = %s", sheet.On, sheet.Version)
			}
			p := sheetParam(t, sheet, ParamMaxDagpengeMonthly)
			if p.Value == nil || *p.Value != tt.monthly || p.EffectiveFrom == nil || *p.EffectiveFrom != d(tt.from) ||
				!strings.Contains(p.Source, tt.source) || p.Status != tt.stat || p.Unit != "DKK/month" {
				t.Errorf("max dagpenge = %+v", p)
			}
			if c := computed(t, sheet, "max_dagpenge_daily_dkk"); c.Value != tt.daily || c.Status != tt.computedStatus {
				t.Errorf("daily = %+v", c)
			}
			if c := computed(t, sheet, "svu_weekly_folkeskole_gymnasial_dkk"); c.Value != tt.svuGeneral {
				t.Errorf("SVU 80 %% = %+v", c)
			}
		})
	}
}

func TestRateSheetEntries(t *testing.T) {
	t.Parallel()
	sheet2024 := DefaultRates().On(d("2024-06-01"))
	// Every parameter of the table is on the sheet, with descriptions in both languages.
	if len(sheet2024.Parameters) != len(DefaultRates().Parameters) {
		t.Errorf("%d parameters on the sheet, %d in the table", len(sheet2024.Parameters), len(DefaultRates().Parameters))
	}
	for _, p := range sheet2024.Parameters {
		if p.DescriptionEN == "" || p.DescriptionDA == "" || p.Unit == "" || p.Source == "" || p.Status == "" {
			t.Errorf("incomplete: %+v", p)
		}
	}
	// The deposit changed on 2020-07-01.
	if p := sheetParam(t, DefaultRates().On(d("2020-06-30")), ParamDanishDeposit); *p.Value != 1250 {
		t.Errorf("deposit 2020-06-30 = %v", *p.Value)
	}
	if p := sheetParam(t, DefaultRates().On(d("2020-07-01")), ParamDanishDeposit); *p.Value != 2000 {
		t.Errorf("deposit 2020-07-01 = %v", *p.Value)
	}
	// The AMU fee range is known for 2022 but not found for later years.
	if p := sheetParam(t, DefaultRates().On(d("2022-06-01")), ParamAMUFeeWeeklyMax); p.Value == nil || *p.Value != 960 {
		t.Errorf("AMU fee 2022 = %+v", p)
	}
	if p := sheetParam(t, sheet2024, ParamAMUFeeWeeklyMax); p.Value != nil || p.Status != RateStatusNotFound || p.EffectiveFrom == nil {
		t.Errorf("AMU fee 2024 = %+v, want null and not_found", p)
	}
	// Before any entry: null, not_found, no effective date.
	p := sheetParam(t, DefaultRates().On(d("2023-06-01")), ParamMaxDagpengeMonthly)
	if p.Value != nil || p.EffectiveFrom != nil || p.Status != RateStatusNotFound {
		t.Errorf("2023 max dagpenge = %+v", p)
	}
	if c := DefaultRates().On(d("2023-06-01")).Computed; len(c) != 0 {
		t.Errorf("computed without inputs: %+v", c)
	}
}

func TestRateSheetJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(DefaultRates().On(d("2025-06-01")))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		On         string           `json:"on"`
		Version    string           `json:"version"`
		Parameters []map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.On != "2025-06-01" || raw.Version != "2026-11-29" || len(raw.Parameters) == 0 {
		t.Fatalf("sheet = %s", b)
	}
	for _, key := range []string{"id", "value", "unit", "effective_from", "source", "status", "description_en", "description_da"} {
		if _, ok := raw.Parameters[0][key]; !ok {
			t.Errorf("parameter has no %q: %v", key, raw.Parameters[0])
		}
	}
	if raw.Parameters[0]["effective_from"] != "2025-01-01" {
		t.Errorf("effective_from = %v", raw.Parameters[0]["effective_from"])
	}
}

// TestRateChangeDoesNotRewriteDecisions: a new entry from 2025-07-01 changes decisions for courses
// starting from that day when made with the new table; the old table and the decisions made with
// it are unchanged, and each decision records the entries it used.
func TestRateChangeDoesNotRewriteDecisions(t *testing.T) {
	t.Parallel()
	old := DefaultRates()
	after := with(func(f *Facts) { f.Course.StartsOn, f.Course.EndsOn = d("2025-07-01"), d("2025-07-25") }) // 4 weeks
	before := with(func(f *Facts) { f.Course.StartsOn, f.Course.EndsOn = d("2025-06-30"), d("2025-07-24") })
	decOld := Decide(SchemeSVU, after, old)

	changed, err := old.WithEntry(ParamMaxDagpengeMonthly, RateEntry{EffectiveFrom: d("2025-07-01"), Value: 21500, Source: "https://example.test/satser", Status: RateStatusPublished})
	if err != nil {
		t.Fatal(err)
	}
	changed.Version = "2025-07-01"

	if again := Decide(SchemeSVU, after, old); !reflect.DeepEqual(again, decOld) {
		t.Errorf("the old table changed: %+v\nvs %+v", again.Amounts, decOld.Amounts)
	}
	if decOld.Amounts.WeeklyAllowanceDKK != 3892 || decOld.RatesVersion != "2026-11-29" {
		t.Errorf("old decision = %+v, %s", decOld.Amounts, decOld.RatesVersion)
	}
	used := findParam(t, decOld.Parameters, ParamMaxDagpengeMonthly)
	if used != (ParameterUse{ID: ParamMaxDagpengeMonthly, Value: 21092, Unit: "DKK/month", EffectiveFrom: d("2025-01-01"),
		Source: "https://bm.dk/satser/satser-for-2025/dagpenge", Status: RateStatusPublished}) {
		t.Errorf("old decision used %+v", used)
	}
	if pct := findParam(t, decOld.Parameters, ParamSVUPercentGeneral); pct.Value != 80 || pct.EffectiveFrom != d("2016-07-01") {
		t.Errorf("percent used = %+v", pct)
	}

	// 21,500 / 160.33 × 7.4 = 992.3 → 992 a day; 80 % of 4,960 = 3,968 a week.
	decNew := Decide(SchemeSVU, after, changed)
	if decNew.Amounts.WeeklyAllowanceDKK != 3968 || decNew.RatesVersion != "2025-07-01" || decNew.RateYear.EffectiveFrom != d("2025-07-01") {
		t.Errorf("new decision = %+v, %s, %+v", decNew.Amounts, decNew.RatesVersion, decNew.RateYear)
	}
	if u := findParam(t, decNew.Parameters, ParamMaxDagpengeMonthly); u.Value != 21500 || u.EffectiveFrom != d("2025-07-01") {
		t.Errorf("new decision used %+v", u)
	}
	// The day before the effective date, the new table gives the old amount.
	if a, b := Decide(SchemeSVU, before, old), Decide(SchemeSVU, before, changed); a.Amounts != b.Amounts || a.Amounts.WeeklyAllowanceDKK != 3892 {
		t.Errorf("2025-06-30: old %+v, new %+v", a.Amounts, b.Amounts)
	}
	// Lookups at the boundary.
	if u, _ := changed.Lookup(ParamMaxDagpengeMonthly, d("2025-06-30")); u.Value != 21092 {
		t.Errorf("2025-06-30 = %v", u.Value)
	}
	if u, _ := changed.Lookup(ParamMaxDagpengeMonthly, d("2025-07-01")); u.Value != 21500 {
		t.Errorf("2025-07-01 = %v", u.Value)
	}
	if u, _ := old.Lookup(ParamMaxDagpengeMonthly, d("2025-07-01")); u.Value != 21092 {
		t.Errorf("WithEntry changed the old table: %v", u.Value)
	}
}

func TestDefaultRatesAreCopies(t *testing.T) {
	t.Parallel()
	r := DefaultRates()
	r.Parameters[0].Entries[0].Value = 1
	r.Years[0].MaxDagpengeMonthlyDKK = 1
	if u, _ := DefaultRates().Lookup(r.Parameters[0].ID, r.Parameters[0].Entries[0].EffectiveFrom); u.Value == 1 {
		t.Error("changing one copy changed DefaultRates")
	}
	if DefaultRates().Years[0].MaxDagpengeMonthlyDKK == 1 {
		t.Error("changing Years changed DefaultRates")
	}
}

func TestParseRatesChecks(t *testing.T) {
	t.Parallel()
	const ok = `{"version": "v", "parameters": [{"id": "p", "unit": "u", "description_en": "e", "description_da": "d",
		"entries": [{"effective_from": "2024-01-01", "value": 1, "source": "s", "status": "published"}]}]}`
	if _, err := ParseRates([]byte(ok)); err != nil {
		t.Fatalf("valid table: %v", err)
	}
	bad := map[string]string{
		"no version":     strings.Replace(ok, `"version": "v"`, `"version": ""`, 1),
		"unknown status": strings.Replace(ok, `"published"`, `"guessed"`, 1),
		"no value":       strings.Replace(ok, `"value": 1, `, ``, 1),
		"no source":      strings.Replace(ok, `"source": "s"`, `"source": ""`, 1),
		"no unit":        strings.Replace(ok, `"unit": "u"`, `"unit": ""`, 1),
		"negative value": strings.Replace(ok, `"value": 1`, `"value": -1`, 1),
		"bad date":       strings.Replace(ok, `2024-01-01`, `2024-13-01`, 1),
		"no entries":     `{"version": "v", "parameters": [{"id": "p", "unit": "u", "description_en": "e", "description_da": "d", "entries": []}]}`,
		"duplicate date": strings.Replace(ok, `"status": "published"}]`, `"status": "published"}, {"effective_from": "2024-01-01", "value": 2, "source": "s", "status": "published"}]`, 1),
		"duplicate id":   strings.Replace(ok, `}]}`, `}]}, {"id": "p", "unit": "u", "description_en": "e", "description_da": "d", "entries": [{"effective_from": "2024-01-01", "value": 1, "source": "s", "status": "published"}]}`, 1),
		"not JSON":       `{`,
	}
	for name, doc := range bad {
		if _, err := ParseRates([]byte(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	notFound := strings.Replace(strings.Replace(ok, `"value": 1, `, ``, 1), `"published"`, `"not_found"`, 1)
	r, err := ParseRates([]byte(notFound))
	if err != nil {
		t.Fatalf("not_found without a value: %v", err)
	}
	if _, found := r.Lookup("p", d("2025-01-01")); found {
		t.Error("a not_found entry gave a value")
	}
	if _, err := DefaultRates().WithEntry("nope", RateEntry{EffectiveFrom: d("2025-01-01"), Source: "s", Status: RateStatusPublished}); err == nil {
		t.Error("WithEntry accepted an unknown parameter")
	}
	if _, err := DefaultRates().WithEntry(ParamVEUPercent, RateEntry{EffectiveFrom: d("2025-01-01"), Value: 90, Source: "s", Status: "maybe"}); err == nil {
		t.Error("WithEntry accepted an unknown status")
	}
}

// TestEveryFigureIsData: the figures the issue lists are parameters, each with a source and status.
func TestEveryFigureIsData(t *testing.T) {
	t.Parallel()
	r := DefaultRates()
	for _, id := range []string{ParamMaxDagpengeMonthly, ParamSVUPercentFVUOBU, ParamSVUPercentGeneral, ParamSVUPercentHigher,
		ParamSVUMaxWeeks, ParamVEUPercent, ParamOmstillingsfondenCap, ParamOmstillingsfondenMonthsBefore, ParamKompetencefondPercent,
		ParamKompetencefondCap, ParamKompetencefondMonthsBefore, ParamDanishDeposit, ParamJobrettetMaxWeeks, ParamJobrettetMonths25AndOver,
		ParamJobrettetMonthsUnder25, ParamRegionalRefundPercent, ParamAMUFeeWeeklyMin, ParamAMUFeeWeeklyMax} {
		p, ok := r.Parameter(id)
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		for _, e := range p.Entries {
			if e.Source == "" || e.Status == "" || e.EffectiveFrom.IsZero() {
				t.Errorf("%s: incomplete entry %+v", id, e)
			}
		}
	}
	want := map[string]float64{ParamSVUPercentFVUOBU: 100, ParamSVUPercentGeneral: 80, ParamSVUPercentHigher: 60, ParamVEUPercent: 100,
		ParamOmstillingsfondenCap: 10000, ParamKompetencefondPercent: 80, ParamKompetencefondCap: 30000, ParamSVUMaxWeeks: 40,
		ParamOmstillingsfondenMonthsBefore: 4, ParamDanishDeposit: 2000, ParamRegionalRefundPercent: 80, ParamJobrettetMaxWeeks: 6}
	for id, v := range want {
		if u, ok := r.Lookup(id, d("2026-06-01")); !ok || u.Value != v {
			t.Errorf("%s on 2026-06-01 = %v, %v; want %v", id, u.Value, ok, v)
		}
	}
	if u, _ := r.Lookup(ParamKompetencefondCap, d("2026-06-01")); u.Status != RateStatusUnverified {
		t.Errorf("kompetencefond cap status = %s (older pages say 25,000)", u.Status)
	}
}

func sheetParam(t *testing.T, s RateSheet, id string) SheetParameter {
	t.Helper()
	for _, p := range s.Parameters {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("%s not on the sheet", id)
	return SheetParameter{}
}

func computed(t *testing.T, s RateSheet, id string) ComputedRate {
	t.Helper()
	for _, c := range s.Computed {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("%s not computed", id)
	return ComputedRate{}
}

func findParam(t *testing.T, uses []ParameterUse, id string) ParameterUse {
	t.Helper()
	for _, u := range uses {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("%s not used: %+v", id, uses)
	return ParameterUse{}
}
