package decisions

import (
	"testing"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// BenchmarkFundedSchemes is the cost of one citizen × run evaluation behind funded_for_me: a run
// change costs it once per citizen, a profile change once per open run with a scheme but self.
func BenchmarkFundedSchemes(b *testing.B) {
	s := &Service{Rates: rules.DefaultRates(), Now: time.Now}
	start := time.Now().AddDate(0, 2, 0)
	course := events.CourseFacts{ID: "22a0d825-d4fb-40fd-9a4b-3be89f7ccefe", Code: "AMU 47583", Category: "amu",
		StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 0, 4).Format(time.DateOnly), HoursPerWeek: 37, FeeDKK: 1040,
		Schemes: []string{"self", "municipality", "veu", "employer", "regional_pulje"}}
	c := store.Citizen{ID: "mette", Facts: events.ProfileFacts{BirthDate: "1985-04-02", Municipality: "657", Language: "da",
		Education:  events.Education{Level: "erhvervsuddannelse", CompletedYear: 2008},
		Employment: events.Employment{Status: "employed", EmployerCVR: "12345674", Since: "2020-01-01", WeeklyHours: 37},
		Benefits:   "none"}}
	schemes, err := s.fundedSchemes(c, course, rules.Usage{})
	if err != nil || len(schemes) == 0 {
		b.Fatalf("funded %v, %v", schemes, err)
	}
	for b.Loop() {
		_, _ = s.fundedSchemes(c, course, rules.Usage{})
	}
}
