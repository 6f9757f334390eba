package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"livslang.dk/pkg/fault"
)

// The kind of an error is the one nearest the top of its chain, and its message for the caller is
// what that failure says: never the operation prefixes wrapped around it, never its cause.
func TestKindAndMessage(t *testing.T) {
	t.Parallel()
	cause := errors.New("insert enrolment: ERROR: duplicate key value violates unique constraint \"enrolments_run_citizen_key\"")
	for _, tc := range []struct {
		name string
		err  error
		kind fault.Kind
		msg  string
	}{
		{"unknown", errors.New("boom"), 0, ""},
		{"nil", nil, 0, ""},
		{"bare kind", fault.NotFound, fault.NotFound, ""},
		{"bare kind under an operation", fmt.Errorf("get decision: %w", fault.NotFound), fault.NotFound, ""},
		{"new", fault.New(fault.Conflict, "the run has no seats left"), fault.Conflict, "the run has no seats left"},
		{"new under operations", fmt.Errorf("enrol: %w", fmt.Errorf("hold seat: %w", fault.New(fault.Conflict, "the run has no seats left"))),
			fault.Conflict, "the run has no seats left"},
		{"wrap keeps the cause out", fmt.Errorf("enrol: %w", fault.Wrap(fault.Conflict, "you are enrolled already", cause)),
			fault.Conflict, "you are enrolled already"},
		{"the outermost kind wins", fault.Wrap(fault.Unprocessable, "no profile yet", fault.NotFound), fault.Unprocessable, "no profile yet"},
		{"older style", fmt.Errorf("approve: %w", fmt.Errorf("%w: the budget has no room", fault.Conflict)), fault.Conflict, "the budget has no room"},
		{"older style wrapping an error", fmt.Errorf("%w: %w", fault.Unavailable, cause), fault.Unavailable, ""},
		{"validation", fmt.Errorf("create: %w", fault.InvalidField("cpr", "must be 10 digits")), fault.Invalid, "invalid request: cpr: must be 10 digits"},
		{"joined", errors.Join(errors.New("x"), fault.New(fault.Gone, "erased")), fault.Gone, "erased"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k := fault.KindOf(tc.err); k != tc.kind {
				t.Errorf("KindOf = %v, want %v", k, tc.kind)
			}
			if m := fault.Message(tc.err); m != tc.msg {
				t.Errorf("Message = %q, want %q", m, tc.msg)
			}
			if tc.kind != 0 && !errors.Is(tc.err, tc.kind) {
				t.Errorf("errors.Is(err, %v) is false", tc.kind)
			}
		})
	}
}

// The log keeps the whole chain: kind, message and cause.
func TestErrorTextKeepsTheCause(t *testing.T) {
	t.Parallel()
	cause := errors.New("dial tcp 10.0.0.1:443: connection refused")
	err := fault.Wrap(fault.Unavailable, "the key service cannot be reached", cause)
	if got, want := err.Error(), "temporarily unavailable: the key service cannot be reached: "+cause.Error(); got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Fatal("the cause is not in the chain")
	}
}

// Every kind has a name, and no two kinds share one.
func TestKindsAreNamed(t *testing.T) {
	t.Parallel()
	seen := map[string]fault.Kind{}
	for _, k := range fault.Kinds {
		name := k.Error()
		if name == "unknown failure" {
			t.Errorf("kind %d has no name", k)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("kinds %d and %d are both %q", k, other, name)
		}
		seen[name] = k
	}
}
