package api

import (
	"testing"

	"github.com/google/uuid"
)

// FuzzParseCourseCSV: any upload is parsed into runs and rejected lines, or refused as a whole,
// without panicking; every accepted run is valid.
func FuzzParseCourseCSV(f *testing.F) {
	f.Add("code;title;category;starts_on;ends_on;hours_per_week;fee_dkk;seats_total\nAMU 1;Truck;amu;2027-01-04;2027-01-08;37;1040;16\n")
	f.Add("code,title,category,starts_on,ends_on,hours_per_week,fee_dkk,seats_total\n\"a,b\",x,amu,2027-01-04,2027-01-03,0,-1,0\n")
	f.Add("\xef\xbb\xbfcode\n")
	f.Add("")
	inst := uuid.New()
	f.Fuzz(func(t *testing.T, body string) {
		runs, lines, bad, err := parseCourseCSV([]byte(body), inst)
		if err != nil {
			return
		}
		if len(runs) > maxImportRuns || len(lines) != len(runs) {
			t.Fatalf("%d runs on %d lines accepted", len(runs), len(lines))
		}
		for _, c := range runs {
			if c.Code == "" || c.SeatsTotal < 1 || c.EndsOn.Before(c.StartsOn) || c.InstitutionID != inst {
				t.Fatalf("accepted an invalid run %+v from %q", c, body)
			}
		}
		for _, b := range bad {
			if b.Line < 2 || len(b.Errors) == 0 {
				t.Fatalf("a rejected line without a line number or reason: %+v", b)
			}
		}
	})
}
