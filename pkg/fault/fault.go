// Package fault is the one vocabulary of failures every Livslang service shares: a few kinds (not
// found, conflict, invalid, …) that domain and storage code return without knowing HTTP, and an
// error that carries a message written for the caller apart from the cause kept for the log.
//
// Domain code says what went wrong for the caller and keeps the cause:
//
//	return fault.New(fault.Conflict, "the course run has no seats left")
//	return fault.Wrap(fault.Unavailable, "the key service cannot be reached", err)
//
// The edge (pkg/httpapi for HTTP) maps Kind to a status and problem type in one table and shows the
// caller only Message: never the cause, never the operation prefixes that wrap the error further up.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is a class of failure a caller can act on. A Kind is an error, so a bare kind can be returned
// or wrapped (fmt.Errorf("get course: %w", fault.NotFound)) and tested with errors.Is.
type Kind uint8

// The kinds. The zero Kind is no kind: an unknown failure (a bug, a driver error), which the edge
// answers as an internal error without details.
const (
	_ Kind = iota
	// NotFound is what does not exist, or what the caller may not know exists.
	NotFound
	// Conflict is a request that clashes with the current state (a duplicate, a state that moved on).
	Conflict
	// Invalid is a malformed request; a *ValidationError names the fields.
	Invalid
	// Unprocessable is a well-formed request that cannot be applied, e.g. an idempotency key reused
	// with another body, or enrolling before a profile exists.
	Unprocessable
	// Unauthorized is a caller without valid credentials.
	Unauthorized
	// Forbidden is a caller whose role or identity may not do this.
	Forbidden
	// Gone is what existed and was removed for good, e.g. a citizen's data after their erasure.
	Gone
	// TooMany is load shed or a rate limit hit; the caller may try again shortly.
	TooMany
	// Unavailable is a dependency that cannot be reached right now; the caller may try again.
	Unavailable
	// Unsupported is a request body in a media type the service does not read.
	Unsupported
)

// Kinds lists every kind, in the order a chain holding several is tested when none is found by
// walking it (see KindOf).
var Kinds = []Kind{Unprocessable, Invalid, Unsupported, Unauthorized, Forbidden, NotFound, TooMany, Unavailable, Gone, Conflict}

var names = [...]string{
	NotFound:      "not found",
	Conflict:      "conflict",
	Invalid:       "invalid request",
	Unprocessable: "unprocessable request",
	Unauthorized:  "unauthorized",
	Forbidden:     "forbidden",
	Gone:          "gone",
	TooMany:       "too many requests",
	Unavailable:   "temporarily unavailable",
	Unsupported:   "unsupported media type",
}

// Error is the kind's name, e.g. "not found".
func (k Kind) Error() string {
	if int(k) < len(names) && names[k] != "" {
		return names[k]
	}
	return "unknown failure"
}

// String is the kind's name.
func (k Kind) String() string { return k.Error() }

// Error is a failure of a Kind with a message for the caller and, optionally, its cause.
type Error struct {
	Kind Kind
	// Message is written for the caller: what is wrong and, where it helps, what to do. It holds no
	// Go error text, no internal names and no personal data the caller did not send.
	Message string
	// Cause is what went wrong underneath, for the log; it is never shown to the caller.
	Cause error
}

// New is a failure of kind with a message for the caller.
func New(kind Kind, message string) error { return &Error{Kind: kind, Message: message} }

// Newf is New with a formatted message; pass it values, never errors (their text is not for callers).
func Newf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap is a failure of kind with a message for the caller and the cause for the log.
func Wrap(kind Kind, message string, cause error) error {
	return &Error{Kind: kind, Message: message, Cause: cause}
}

// Error is the kind, the message and the cause, for the log.
func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Is makes errors.Is(e, e.Kind) true.
func (e *Error) Is(target error) bool { k, ok := target.(Kind); return ok && k == e.Kind }

// Unwrap is the cause, so errors.Is and errors.As see through to it.
func (e *Error) Unwrap() error { return e.Cause }

// FieldError names one invalid field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of a request; its kind is Invalid. The messages are for
// the caller.
type ValidationError struct{ Fields []FieldError }

// InvalidField is an Invalid failure of one field.
func InvalidField(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}

func (v *ValidationError) Error() string {
	if len(v.Fields) == 0 {
		return Invalid.Error()
	}
	return fmt.Sprintf("%s: %s: %s", Invalid, v.Fields[0].Field, v.Fields[0].Message)
}

// Is makes errors.Is(v, Invalid) true.
func (v *ValidationError) Is(target error) bool { return target == Invalid }

// Add records a field error.
func (v *ValidationError) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns v when it holds field errors, else nil.
func (v *ValidationError) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

// kinded is an error that names its own kind and message.
type kinded interface {
	error
	fault() (Kind, string)
}

func (e *Error) fault() (Kind, string)           { return e.Kind, e.Message }
func (v *ValidationError) fault() (Kind, string) { return Invalid, v.Error() }

// KindOf is the kind of err: the one nearest the top of its chain, or 0 for an unknown failure.
func KindOf(err error) Kind {
	k, _ := find(err)
	return k
}

// Message is what err says to the caller: the message of the failure nearest the top of the chain,
// without the operation prefixes wrapped around it and without its cause; "" when it has none (a
// bare kind, or an unknown failure).
//
// An error made the older way, fmt.Errorf("%w: the run is full", kind), says what follows the kind;
// one that wraps a second error besides the kind says nothing, as that error's text is not for callers.
func Message(err error) string {
	_, m := find(err)
	return m
}

// find walks err's chain depth first for the first kind, and the message that goes with it.
func find(err error) (Kind, string) {
	if k, m, ok := walk(err); ok {
		return k, m
	}
	for _, k := range Kinds { // an error that says it Is a kind without being found in the chain
		if errors.Is(err, k) {
			return k, ""
		}
	}
	return 0, ""
}

func walk(err error) (Kind, string, bool) {
	for err != nil {
		switch e := err.(type) {
		case Kind:
			return e, "", true
		case kinded:
			k, m := e.fault()
			return k, m, true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next := u.Unwrap()
			if k, ok := next.(Kind); ok { // fmt.Errorf("%w: message", kind), or a prefix on a bare kind
				m, _ := strings.CutPrefix(err.Error(), k.Error()+": ")
				if m == err.Error() {
					m = "" // "get course: not found" names an operation, not what the caller did wrong
				}
				return k, m, true
			}
			err = next
		case interface{ Unwrap() []error }:
			// fmt.Errorf("%w: …: %w", kind, err) holds err's text, which is not for callers: the
			// kind is kept, the message dropped.
			for _, e := range u.Unwrap() {
				if k, m, ok := walk(e); ok {
					return k, m, true
				}
			}
			return 0, "", false
		default:
			return 0, "", false
		}
	}
	return 0, "", false
}
