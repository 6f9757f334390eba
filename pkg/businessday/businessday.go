// Package businessday counts Danish business days: weekdays that are not Danish public holidays
// (computed, Easter-based ones included, and Store bededag only until 2023, when it was abolished).
package businessday

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/dk"
)

// Copenhagen is the time zone deadlines are counted in.
var Copenhagen = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// Calendar is the Danish business calendar.
type Calendar struct{ c *cal.BusinessCalendar }

// Denmark returns a calendar with the Danish public holidays.
func Denmark() Calendar {
	c := cal.NewBusinessCalendar()
	c.AddHoliday(dk.Holidays...)
	return Calendar{c: c}
}

// IsBusinessDay reports whether the civil day of t (in Copenhagen) is a business day.
func (c Calendar) IsBusinessDay(t time.Time) bool {
	y, m, d := t.In(Copenhagen).Date()
	return c.c.IsWorkday(time.Date(y, m, d, 12, 0, 0, 0, Copenhagen))
}

// Deadline is the end (23:59:59.999 Copenhagen time) of the n-th business day after from's day.
func (c Calendar) Deadline(from time.Time, n int) time.Time {
	y, m, d := from.In(Copenhagen).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, Copenhagen)
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, 1)
		if c.c.IsWorkday(day) {
			counted++
		}
	}
	y, m, d = day.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, Copenhagen).Add(-time.Millisecond)
}
