package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// roundDiv returns num / den rounded half up to a whole number (num ≥ 0, den > 0).
func roundDiv(num, den int64) int64 { return (2*num + den) / (2 * den) }

// centiHours converts hours to hundredths of an hour, rounded to the nearest hundredth; never
// negative. Hours are compared and multiplied in this unit so that money stays in integer math.
func centiHours(h float64) int64 {
	if h <= 0 || math.IsNaN(h) {
		return 0
	}
	return int64(math.Round(h * 100))
}

// hoursEN formats hundredths of an hour for English text: 250 → "2.5".
func hoursEN(centi int64) string { return strconv.FormatFloat(float64(centi)/100, 'f', -1, 64) }

// hoursDA formats hundredths of an hour for Danish text: 250 → "2,5".
func hoursDA(centi int64) string { return strings.Replace(hoursEN(centi), ".", ",", 1) }

// hoursFact is hundredths of an hour as a number for Facts: 250 → 2.5.
func hoursFact(centi int64) float64 { return float64(centi) / 100 }

// groupThousands formats n with sep between groups of three digits.
func groupThousands(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}

// krEN formats kroner for English text: 4700 → "DKK 4,700".
func krEN(n int64) string { return "DKK " + groupThousands(n, ",") }

// krDA formats kroner for Danish text: 4700 → "4.700 kr.".
func krDA(n int64) string { return groupThousands(n, ".") + " kr." }

// weeksEN formats a number of days as weeks and days: 181 → "25 weeks and 6 days".
func weeksEN(days int) string {
	if days < 0 {
		return fmt.Sprintf("%d days", days)
	}
	return fmt.Sprintf("%d weeks and %d days", days/7, days%7)
}

// weeksDA is weeksEN in Danish: 181 → "25 uger og 6 dage".
func weeksDA(days int) string {
	if days < 0 {
		return fmt.Sprintf("%d dage", days)
	}
	return fmt.Sprintf("%d uger og %d dage", days/7, days%7)
}

// dateFact is a date for a rule's facts: "" when not known.
func dateFact(d Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// Kroner formats kroner for English and Danish text: 4700 → "DKK 4,700", "4.700 kr.".
func Kroner(n int64) (en, da string) { return krEN(n), krDA(n) }
