package businessday

import (
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, Copenhagen)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

func TestDeadlineAcrossEasterAndChristmas(t *testing.T) {
	t.Parallel()
	c := Denmark()
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-30", 5, "2026-12-07"}, // Monday + 5 business days: next Monday
		{"2026-11-27", 1, "2026-11-30"}, // Friday + 1: Monday
		// Easter 2026 is 5 April: Maundy Thursday 2 April, Good Friday 3 April, Easter Monday 6 April.
		{"2026-04-01", 1, "2026-04-07"},
		{"2026-03-31", 3, "2026-04-08"},
		// Christmas 2026: 25 (Friday) and 26 (Saturday) December; 24 and 31 December are working days.
		{"2026-12-23", 2, "2026-12-28"},
		{"2026-12-30", 2, "2027-01-04"}, // 1 January (Friday) is a holiday
		// Store bededag was abolished from 2024: 26 April 2024 is an ordinary Friday; 5 May 2023 was a holiday.
		{"2024-04-25", 1, "2024-04-26"},
		{"2023-05-04", 1, "2023-05-08"},
		// Ascension Day 2027 is Thursday 6 May; Whit Monday 17 May; Constitution Day 5 June is a Saturday.
		{"2027-05-05", 1, "2027-05-07"},
		{"2027-05-14", 1, "2027-05-18"},
	}
	for _, tt := range tests {
		got := c.Deadline(day(tt.from), tt.n)
		if got.Format(time.DateOnly) != tt.want || got.Hour() != 23 {
			t.Errorf("Deadline(%s, %d) = %s, want the end of %s", tt.from, tt.n, got, tt.want)
		}
	}
	if c.IsBusinessDay(day("2026-12-25")) || !c.IsBusinessDay(day("2026-12-24")) || c.IsBusinessDay(day("2026-06-06")) {
		t.Error("IsBusinessDay: 25 December is a holiday, 24 December a working day, Saturdays are not business days")
	}
}
