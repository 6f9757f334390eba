package enrolment

import (
	"errors"
	"testing"
	"time"

	"livslang.dk/pkg/fault"
)

func TestTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to Status
		ok       bool
	}{
		{Pending, Confirmed, true},
		{Pending, Rejected, true},
		{Pending, Cancelled, true},
		{Waitlisted, Pending, true},
		{Waitlisted, Cancelled, true},
		{Waitlisted, Confirmed, false}, // must go through funding first
		{Confirmed, Cancelled, true},
		{Confirmed, Pending, false},
		{Cancelled, Pending, false},
		{Rejected, Confirmed, false},
		{Started, Completed, true},
		{Completed, Withdrawn, false},
	}
	for _, tt := range tests {
		if got := CanMove(tt.from, tt.to); got != tt.ok {
			t.Errorf("CanMove(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
	for _, s := range []Status{Rejected, Cancelled, Completed, Withdrawn} {
		if !Final(s) {
			t.Errorf("%s should be final", s)
		}
	}
	if !HoldsSeat(Pending) || !HoldsSeat(Confirmed) || HoldsSeat(Waitlisted) || HoldsSeat(Cancelled) {
		t.Error("HoldsSeat: pending and confirmed hold seats, waitlisted and cancelled do not")
	}
}

func TestProfileValidate(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	good := Profile{Name: "Mette", Email: "mette@example.dk", Language: "da", Education: "gymnasial", EduYear: 2005,
		Employment: "employed", EmployerCVR: "12345674", Since: &since, WeeklyHours: 37, Benefits: "none"}
	if err := good.Validate(today); err != nil {
		t.Fatalf("valid profile refused: %v", err)
	}
	bad := good
	bad.Email, bad.Language, bad.EmployerCVR, bad.EduYear = "not-an-email", "sv", "123", 2030
	err := bad.Validate(today)
	var v *fault.ValidationError
	if !errors.As(err, &v) || !errors.Is(err, fault.Invalid) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	fields := map[string]bool{}
	for _, f := range v.Fields {
		fields[f.Field] = true
	}
	for _, f := range []string{"email", "language", "employment.employer_cvr", "education.completed_year"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, v.Fields)
		}
	}
}
