package rules

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestZZDump(t *testing.T) {
	f := with(func(f *Facts) {
		f.BirthDate = d("2001-02-03")
		f.Employment.Since = dp("2025-08-05")
		f.Education = Education{Level: LevelErhvervsuddannelse, CompletedYear: 2018}
		f.Course.StartsOn, f.Course.EndsOn = d("2026-02-02"), d("2026-06-19")
		f.Course.HoursPerWeek = 20
	})
	dec := Decide(SchemeSVU, f, DefaultRates())
	b, _ := json.MarshalIndent(dec.Rules, "", "  ")
	fmt.Println(dec.Outcome, string(b))
	v := Evaluate(SchemeVEU, veuFacts(func(f *Facts) { f.Education = Education{Level: LevelLangVideregaaende, CompletedYear: 2021}; f.Employment.Since = dp("2024-02-25") }), DefaultRates())
	b, _ = json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}
