// Package i18n holds the portal's two message catalogues (Danish, the default, and English) and
// formats dates, numbers and kroner the way each language writes them.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Copenhagen without the system's zone files
)

// Lang is a language the portal speaks.
type Lang string

// The languages; Danish is the default.
const (
	DA Lang = "da"
	EN Lang = "en"
)

// Langs are the languages, the default first.
var Langs = []Lang{DA, EN}

//go:embed messages/*.json
var files embed.FS

var catalogues = map[Lang]map[string]string{}

func init() {
	for _, l := range Langs {
		raw, err := files.ReadFile("messages/" + string(l) + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("messages/%s.json: %v", l, err))
		}
		catalogues[l] = m
	}
}

// Parse returns the language named s, or false.
func Parse(s string) (Lang, bool) {
	for _, l := range Langs {
		if string(l) == s {
			return l, true
		}
	}
	return DA, false
}

// Other is the language to offer switching to.
func (l Lang) Other() Lang {
	if l == EN {
		return DA
	}
	return EN
}

// String is the language code.
func (l Lang) String() string { return string(l) }

// Has reports whether the catalogue has key.
func (l Lang) Has(key string) bool {
	_, ok := catalogues[l][key]
	return ok
}

// T is the message key in l, formatted with args (fmt verbs). A missing key shows as [key] so it is
// noticed, and the catalogue tests fail on it.
func (l Lang) T(key string, args ...any) string {
	m, ok := catalogues[l][key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Keys lists the catalogue's keys, sorted.
func Keys(l Lang) []string {
	out := make([]string, 0, len(catalogues[l]))
	for k := range catalogues[l] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// group writes a whole number with the language's thousands separator.
func (l Lang) group(n int64) string {
	sep := "."
	if l == EN {
		sep = ","
	}
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// Int writes a whole number: 1.040 (da) or 1,040 (en).
func (l Lang) Int(n int) string { return l.group(int64(n)) }

// Number writes a number with at most two decimals: 37,5 (da) or 37.5 (en).
func (l Lang) Number(f float64) string {
	whole := math.Trunc(f)
	s := l.group(int64(whole))
	frac := math.Round(math.Abs(f-whole) * 100)
	if frac == 0 {
		return s
	}
	dec := strings.TrimRight(fmt.Sprintf("%02d", int(frac)), "0")
	if l == EN {
		return s + "." + dec
	}
	return s + "," + dec
}

// Kroner writes an amount in whole kroner: "1.040 kr." (da) or "DKK 1,040" (en).
func (l Lang) Kroner(n int64) string {
	if l == EN {
		return "DKK " + l.group(n)
	}
	return l.group(n) + " kr."
}

// KronerPtr is Kroner of an optional amount; nil is empty.
func (l Lang) KronerPtr(n *int64) string {
	if n == nil {
		return ""
	}
	return l.Kroner(*n)
}

var (
	copenhagen = mustZone("Europe/Copenhagen")
	monthsDA   = []string{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"}
	monthsEN   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// Copenhagen is the time zone the portal shows times in.
var Copenhagen = copenhagen

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// parseTime reads a civil date (YYYY-MM-DD) or an RFC 3339 time.
func parseTime(s string) (time.Time, bool, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(copenhagen), false, true
	}
	return time.Time{}, false, false
}

func (l Lang) date(t time.Time) string {
	if l == EN {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsEN[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d. %s %d", t.Day(), monthsDA[t.Month()-1], t.Year())
}

// Date writes a date (YYYY-MM-DD, or the date of an RFC 3339 time in Copenhagen): "2. marts 2026"
// or "2 March 2026". Anything else is returned as it is.
func (l Lang) Date(s string) string {
	t, _, ok := parseTime(s)
	if !ok {
		return s
	}
	return l.date(t)
}

// DateTime writes a time in Copenhagen: "2. marts 2026 kl. 14.05" or "2 March 2026, 14:05".
func (l Lang) DateTime(s string) string {
	t, dateOnly, ok := parseTime(s)
	if !ok {
		return s
	}
	if dateOnly {
		return l.date(t)
	}
	if l == EN {
		return fmt.Sprintf("%s, %02d:%02d", l.date(t), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%s kl. %02d.%02d", l.date(t), t.Hour(), t.Minute())
}

// ISO is the machine-readable form for <time datetime>.
func ISO(s string) string {
	t, dateOnly, ok := parseTime(s)
	if !ok {
		return ""
	}
	if dateOnly {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// Today is today's date in Copenhagen (YYYY-MM-DD).
func Today(now time.Time) string { return now.In(copenhagen).Format(time.DateOnly) }
