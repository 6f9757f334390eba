package rules

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	got, err := ParseDate("2026-01-31")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Date{Year: 2026, Month: time.January, Day: 31}); got != want {
		t.Errorf("ParseDate = %#v, want %#v", got, want)
	}
	if got.String() != "2026-01-31" {
		t.Errorf("String = %q", got.String())
	}
	for _, bad := range []string{"", "2026-02-30", "31-01-2026", "2026-1-31"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded, want error", bad)
		}
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct{ D Date }{d("2026-02-02")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"D":"2026-02-02"}` {
		t.Errorf("marshal = %s", b)
	}
	var back struct{ D Date }
	if err := json.Unmarshal(b, &back); err != nil || back.D != d("2026-02-02") {
		t.Errorf("unmarshal = %v, %v", back.D, err)
	}
}

func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	if got := d("2024-02-28").AddDays(1); got != d("2024-02-29") {
		t.Errorf("AddDays across leap day = %s", got)
	}
	if got := d("2026-02-02").AddDays(-182); got != d("2025-08-04") {
		t.Errorf("AddDays(-182) = %s", got)
	}
	if got := d("2025-08-04").DaysUntil(d("2026-02-02")); got != 182 {
		t.Errorf("DaysUntil = %d", got)
	}
	if got := d("2026-02-02").DaysUntil(d("2026-02-01")); got != -1 {
		t.Errorf("DaysUntil backwards = %d", got)
	}
	if !d("2026-02-01").Before(d("2026-02-02")) || d("2026-02-02").Before(d("2026-02-02")) {
		t.Error("Before is wrong")
	}
	if got := DateOf(time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)); got != d("2026-03-01") {
		t.Errorf("DateOf = %s", got)
	}
}

func TestAgeOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		birth, on string
		want      int
	}{
		{"2001-02-02", "2026-02-01", 24}, // the day before the 25th birthday
		{"2001-02-02", "2026-02-02", 25}, // the birthday itself
		{"2001-02-03", "2026-02-02", 24}, // 24 years and 364 days
		{"2000-02-29", "2025-02-28", 24}, // leap-day birthday, non-leap year
		{"2000-02-29", "2025-03-01", 25},
		{"2000-02-29", "2024-02-29", 24},
		{"1959-12-31", "2026-12-31", 67},
	}
	for _, tt := range tests {
		t.Run(tt.birth+"_"+tt.on, func(t *testing.T) {
			t.Parallel()
			if got := AgeOn(d(tt.birth), d(tt.on)); got != tt.want {
				t.Errorf("AgeOn(%s, %s) = %d, want %d", tt.birth, tt.on, got, tt.want)
			}
		})
	}
}

func TestAddMonths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from   string
		months int
		want   string
	}{
		{"2027-03-01", -4, "2026-11-01"},
		{"2027-06-30", -4, "2027-02-28"}, // 30 February does not exist: last day of February
		{"2028-06-30", -4, "2028-02-29"}, // leap year
		{"2025-08-31", 6, "2026-02-28"},
		{"2026-01-31", 1, "2026-02-28"},
		{"2026-01-01", 9, "2026-10-01"},
		{"2026-01-15", 0, "2026-01-15"},
		{"2026-01-15", -13, "2024-12-15"},
		{"2026-11-30", 3, "2027-02-28"},
	}
	for _, tt := range tests {
		if got := d(tt.from).AddMonths(tt.months); got != d(tt.want) {
			t.Errorf("%s + %d months = %s, want %s", tt.from, tt.months, got, tt.want)
		}
	}
}
