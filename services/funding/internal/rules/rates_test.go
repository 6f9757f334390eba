package rules

import "testing"

func TestDailyMaxDagpenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		year       int
		wantDaily  int64
		wantUsed   int
		wantStatus string
		wantOK     bool
	}{
		{"2024 published", 2024, 940, 2024, RateStatusPublished, true},    // 20,359 / 160.33 × 7.4 = 939.66
		{"2025 published", 2025, 973, 2025, RateStatusPublished, true},    // 21,092 / 160.33 × 7.4 = 973.50 (just below .5)
		{"2026 unverified", 2026, 1017, 2026, RateStatusUnverified, true}, // 22,041 / 160.33 × 7.4 = 1,017.29
		{"2027 falls back to 2026", 2027, 1017, 2026, RateStatusUnverified, true},
		{"2031 falls back to 2026", 2031, 1017, 2026, RateStatusUnverified, true},
		{"2023 is before the table", 2023, 0, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			daily, used, ok := DefaultRates().DailyMaxDagpenge(tt.year)
			if daily != tt.wantDaily || used.Year != tt.wantUsed || used.Status != tt.wantStatus || ok != tt.wantOK {
				t.Errorf("DailyMaxDagpenge(%d) = %d, %d/%s, %v; want %d, %d/%s, %v",
					tt.year, daily, used.Year, used.Status, ok, tt.wantDaily, tt.wantUsed, tt.wantStatus, tt.wantOK)
			}
		})
	}
}

func TestDailyMaxDagpengeFallbackIgnoresOrder(t *testing.T) {
	t.Parallel()
	r := Rates{Version: "test", Years: []RateYear{
		{Year: 2026, MaxDagpengeMonthlyDKK: 22041},
		{Year: 2024, MaxDagpengeMonthlyDKK: 20359},
		{Year: 2025, MaxDagpengeMonthlyDKK: 21092},
	}}
	if daily, used, ok := r.DailyMaxDagpenge(2030); !ok || used.Year != 2026 || daily != 1017 {
		t.Errorf("fallback = %d, %d, %v", daily, used.Year, ok)
	}
	if daily, used, ok := r.DailyMaxDagpenge(2025); !ok || used.Year != 2025 || daily != 973 {
		t.Errorf("exact = %d, %d, %v", daily, used.Year, ok)
	}
}

func TestDefaultRatesHaveSources(t *testing.T) {
	t.Parallel()
	r := DefaultRates()
	if r.Version != "2026-11-29" {
		t.Errorf("Version = %q", r.Version)
	}
	want := map[int]int64{2024: 20359, 2025: 21092, 2026: 22041}
	for _, ry := range r.Years {
		if want[ry.Year] != ry.MaxDagpengeMonthlyDKK {
			t.Errorf("%d monthly = %d, want %d", ry.Year, ry.MaxDagpengeMonthlyDKK, want[ry.Year])
		}
		if ry.Source == "" || ry.Status == "" {
			t.Errorf("%d has no source or status: %+v", ry.Year, ry)
		}
	}
}

// TestWeeklyAmounts checks the arithmetic against the published 2024 SVU rates and the rates
// derived for 2025 in the research notes.
func TestWeeklyAmounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		daily   int64
		percent int64
		centi   int64
		want    int64
	}{
		{"2024 100 %", 940, 100, 3700, 4700},
		{"2024 80 %", 940, 80, 3700, 3760},
		{"2024 60 %", 940, 60, 3700, 2820},
		{"2024 20/37 h at 80 % (rk.dk example)", 940, 80, 2000, 2032}, // 3,760 × 20 / 37 = 2,032.4
		{"2024 20/37 h at 60 % (rk.dk example)", 940, 60, 2000, 1524}, // 2,820 × 20 / 37 = 1,524.3
		{"2025 100 %", 973, 100, 3700, 4865},
		{"2025 80 %", 973, 80, 3700, 3892},
		{"2025 60 %", 973, 60, 3700, 2919},
		{"2026 100 % (unverified input)", 1017, 100, 3700, 5085},
		{"2026 80 %", 1017, 80, 3700, 4068},
		{"2026 60 %", 1017, 60, 3700, 3051},
		{"2024 100 % 20 h rounds half up", 940, 100, 2000, 2541}, // 4,700 × 20 / 37 = 2,540.54
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := proRata(weeklyAtPercent(tt.daily, tt.percent), tt.centi); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRoundDivHalfUp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ num, den, want int64 }{
		{5, 2, 3}, {4, 2, 2}, {7, 3, 2}, {8, 3, 3}, {0, 7, 0}, {1, 2, 1}, {1, 3, 0},
	} {
		if got := roundDiv(tt.num, tt.den); got != tt.want {
			t.Errorf("roundDiv(%d, %d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}
