package learning

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/services/registration/internal/enrolment"
)

func TestOnlyCoursesTakenAreInTheRecord(t *testing.T) {
	for _, tc := range []struct {
		from, to enrolment.Status
		want     string
		in       bool
	}{
		{enrolment.Confirmed, enrolment.Started, InProgress, true},
		{enrolment.Started, enrolment.Completed, Completed, true},
		{enrolment.Confirmed, enrolment.Completed, Completed, true},
		{enrolment.Started, enrolment.Withdrawn, Withdrawn, true},
		{enrolment.Confirmed, enrolment.Cancelled, Cancelled, true},
		{enrolment.Started, enrolment.Cancelled, Cancelled, true},
		{enrolment.Pending, enrolment.Cancelled, Cancelled, false},
		{enrolment.Waitlisted, enrolment.Cancelled, Cancelled, false},
		{enrolment.Pending, enrolment.Confirmed, "", false},
		{enrolment.Confirmed, enrolment.Rejected, "", false},
	} {
		got, in := Status(tc.from, tc.to)
		if in != tc.in || (in && got != tc.want) {
			t.Errorf("%s → %s: %q, %v; want %q, %v", tc.from, tc.to, got, in, tc.want, tc.in)
		}
	}
}

func TestTheRecordIsNewestFirst(t *testing.T) {
	entries := []Entry{{Title: "HF", Year: 1998}, {Title: "AMU", Year: 2027, EndedOn: "2027-03-01"},
		{Title: "FVU", Year: 2027, EndedOn: "2027-05-01"}, {Title: "Svend", Year: 2004}}
	Sort(entries)
	var got []string
	for _, e := range entries {
		got = append(got, e.Title)
	}
	if want := "FVU AMU Svend HF"; strings.Join(got, " ") != want {
		t.Fatalf("order %q, want %q", strings.Join(got, " "), want)
	}
}

func TestSelfReportedEducationIsChecked(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := (Education{Level: "erhvervsuddannelse", Name: "Smed", Year: 2004, Institution: "Herning Tekniske Skole"}).Entry(uuid.New(), now); err != nil {
		t.Fatalf("a good entry is refused: %v", err)
	}
	for _, bad := range []Education{{Level: "phd", Name: "x", Year: 2000}, {Level: "gymnasial", Year: 2000},
		{Level: "gymnasial", Name: "HF", Year: 1850}, {Level: "gymnasial", Name: "HF", Year: 2040}} {
		if _, err := bad.Entry(uuid.New(), now); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
}
