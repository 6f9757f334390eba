package events

import "testing"

func TestPlannedHours(t *testing.T) {
	for _, tt := range []struct {
		starts, ends string
		perWeek      float64
		want         float64
	}{
		{"2027-01-04", "2027-01-08", 37, 37},   // a week
		{"2027-01-04", "2027-01-11", 37, 74},   // eight days: two weeks
		{"2027-01-04", "2027-01-04", 7.5, 7.5}, // one day
		{"2027-01-04", "", 37, 0},              // no end date
	} {
		c := CourseFacts{StartsOn: tt.starts, EndsOn: tt.ends, HoursPerWeek: tt.perWeek}
		if got := c.PlannedHours(); got != tt.want {
			t.Errorf("%s–%s at %v/week: %v hours, want %v", tt.starts, tt.ends, tt.perWeek, got, tt.want)
		}
	}
}
