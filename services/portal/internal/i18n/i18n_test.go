package i18n

import (
	"slices"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeysAndVerbs(t *testing.T) {
	t.Parallel()
	da, en := Keys(DA), Keys(EN)
	for _, k := range da {
		if !slices.Contains(en, k) {
			t.Errorf("%s is in Danish, not in English", k)
		}
	}
	for _, k := range en {
		if !slices.Contains(da, k) {
			t.Errorf("%s is in English, not in Danish", k)
		}
	}
	verbs := func(s string) int { return strings.Count(s, "%") - 2*strings.Count(s, "%%") }
	for _, k := range da {
		if verbs(DA.T(k)) != verbs(EN.T(k)) {
			t.Errorf("%s: %q and %q take different arguments", k, DA.T(k), EN.T(k))
		}
		if strings.TrimSpace(DA.T(k)) == "" || strings.TrimSpace(EN.T(k)) == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if DA.T("no.such.key") != "[no.such.key]" {
		t.Error("a missing key must show")
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want string }{
		{DA.Kroner(1040), "1.040 kr."},
		{EN.Kroner(1040), "DKK 1,040"},
		{DA.Kroner(1234567), "1.234.567 kr."},
		{EN.Kroner(0), "DKK 0"},
		{DA.Kroner(-500), "−500 kr."},
		{DA.Number(37.5), "37,5"},
		{EN.Number(37.5), "37.5"},
		{DA.Number(37), "37"},
		{DA.Number(1234.25), "1.234,25"},
		{DA.Date("2026-03-02"), "2. marts 2026"},
		{EN.Date("2026-03-02"), "2 March 2026"},
		{DA.DateTime("2026-07-01T12:05:00Z"), "1. juli 2026 kl. 14.05"}, // summer time in Copenhagen
		{EN.DateTime("2026-12-01T12:05:00Z"), "1 December 2026, 13:05"},
		{DA.Date("2026-12-31T23:30:00Z"), "1. januar 2027"},
		{DA.Date("not a date"), "not a date"},
		{ISO("2026-03-02"), "2026-03-02"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if l, ok := Parse("en"); !ok || l != EN || l.Other() != DA {
		t.Error("Parse en")
	}
	if _, ok := Parse("de"); ok {
		t.Error("Parse de")
	}
}
