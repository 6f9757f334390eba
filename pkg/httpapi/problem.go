// Package httpapi holds what every Livslang HTTP API shares: handlers that return errors, RFC 9457
// problem responses, strict JSON decoding, idempotency keys, and the health, readiness and metrics
// endpoints.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/tracing"
)

// Error kinds a handler returns: the kinds of package fault, under the names handlers have used.
// Handle maps them to status codes.
var (
	ErrNotFound     error = fault.NotFound
	ErrConflict     error = fault.Conflict
	ErrInvalid      error = fault.Invalid
	ErrUnauthorized error = fault.Unauthorized
	ErrForbidden    error = fault.Forbidden
	ErrUnsupported  error = fault.Unsupported
	// ErrUnprocessable is a well-formed request that cannot be applied, e.g. an idempotency key
	// reused with another body, or enrolling before a profile exists.
	ErrUnprocessable error = fault.Unprocessable
	// ErrUnavailable is a dependency that cannot be reached right now; the client may retry.
	ErrUnavailable error = fault.Unavailable
	// ErrGone is what existed and was removed for good, e.g. a citizen's data after their erasure.
	ErrGone error = fault.Gone
	// ErrTooMany is load shed or a rate limit hit: 429 with Retry-After.
	ErrTooMany error = fault.TooMany
)

// FieldError names one invalid field.
type FieldError = fault.FieldError

// ValidationError lists every invalid field of a request; it is ErrInvalid.
type ValidationError = fault.ValidationError

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// Extensions are members beside the standard ones (RFC 9457 § 3.2), from a *Report.
	Extensions map[string]any `json:"-"`
}

// MarshalJSON writes the standard members and the extensions; a standard member wins over an
// extension of the same name.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	var std map[string]json.RawMessage
	if err := json.Unmarshal(b, &std); err != nil {
		return nil, err
	}
	all := make(map[string]any, len(std)+len(p.Extensions))
	for k, v := range p.Extensions {
		all[k] = v
	}
	for k, v := range std {
		all[k] = v
	}
	return json.Marshal(all)
}

// Report is a failure answered with a problem type of its own and extension members, e.g. a CSV
// import's rejected lines. Err is the failure: its kind sets the status, its message the detail.
type Report struct {
	Err     error
	Slug    string         // the type's slug in place of the kind's, e.g. "csv-import"
	Title   string         // in place of the kind's title, if not ""
	Members map[string]any // the extension members, e.g. {"rejected": lines}
}

func (r *Report) Error() string { return r.Slug + ": " + r.Err.Error() }

// Unwrap is the failure, so the report has its kind.
func (r *Report) Unwrap() error { return r.Err }

// problemBase prefixes the slug of every problem type.
const problemBase = "https://livslang.dk/problems/"

// problems is the one table from error kinds to problem responses.
var problems = map[fault.Kind]struct {
	status int
	slug   string
	title  string
}{
	fault.Unprocessable: {http.StatusUnprocessableEntity, "unprocessable", "The request cannot be applied"},
	fault.Invalid:       {http.StatusBadRequest, "invalid-request", "The request is not valid"},
	fault.Unsupported:   {http.StatusUnsupportedMediaType, "unsupported-media-type", "Send application/json"},
	fault.Unauthorized:  {http.StatusUnauthorized, "unauthorized", "A valid bearer token is required"},
	fault.Forbidden:     {http.StatusForbidden, "forbidden", "Your role may not do this"},
	fault.NotFound:      {http.StatusNotFound, "not-found", "Not found"},
	fault.TooMany:       {http.StatusTooManyRequests, "too-many-requests", "Too many requests; try again shortly"},
	fault.Unavailable:   {http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable; try again shortly"},
	fault.Gone:          {http.StatusGone, "gone", "This no longer exists"},
	fault.Conflict:      {http.StatusConflict, "conflict", "The request conflicts with the current state"},
}

// KindOfType is the fault kind of a problem type URI (what ProblemFor answers for the kind), or 0 for
// a type this table does not know, such as about:blank. A client of a Livslang API reads problems with it.
func KindOfType(typ string) fault.Kind {
	slug, ok := strings.CutPrefix(typ, problemBase)
	if !ok {
		return 0
	}
	for kind, k := range problems {
		if k.slug == slug {
			return kind
		}
	}
	return 0
}

// InternalDetail is the detail of every 500: what failed is logged, not told.
const InternalDetail = "Something went wrong on our side; it has been logged. Try again later."

// ProblemFor maps an error to a problem: its fault kind gives the status and type, its message for
// the caller (fault.Message) the detail, never the error's text. A database that cannot be reached is
// 503; other unknown errors are 500s with a generic detail.
func ProblemFor(err error) Problem {
	kind := fault.KindOf(err)
	k, ok := problems[kind]
	if !ok {
		if pgdb.Unavailable(err) { // the database is down, restarting or cut off: retrying may work
			return Problem{Type: problemBase + "unavailable", Title: "Temporarily unavailable; try again shortly",
				Status: http.StatusServiceUnavailable, Detail: "the database cannot be reached right now"}
		}
		return Problem{Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: InternalDetail}
	}
	p := Problem{Type: problemBase + k.slug, Title: k.title, Status: k.status, Detail: fault.Message(err)}
	if p.Detail == "" {
		p.Detail = kind.Error()
	}
	var v *ValidationError
	if errors.As(err, &v) {
		p.Errors = v.Fields
	}
	var rep *Report
	if errors.As(err, &rep) {
		if rep.Slug != "" {
			p.Type = problemBase + rep.Slug
		}
		if rep.Title != "" {
			p.Title = rep.Title
		}
		p.Extensions = rep.Members
	}
	return p
}

// BearerError is a refused bearer token or a caller without the right (RFC 6750 § 3): Kind is
// ErrUnauthorized (Code invalid_token) or ErrForbidden (Code insufficient_scope), and WriteProblem
// puts Code and Description in the WWW-Authenticate header.
type BearerError struct {
	Kind        error
	Code        string
	Description string
}

func (e *BearerError) Error() string { return e.Kind.Error() + ": " + e.Description }

// Unwrap makes errors.Is(e, e.Kind) true.
func (e *BearerError) Unwrap() error { return e.Kind }

// challenge is the WWW-Authenticate value. error_description may hold only printable ASCII without
// '"' and '\\' (RFC 6750 § 3), so anything else becomes a space; it is cut at 200 bytes.
func (e *BearerError) challenge() string {
	desc := []byte(e.Description)
	if len(desc) > 200 {
		desc = desc[:200]
	}
	for i, c := range desc {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			desc[i] = ' '
		}
	}
	return fmt.Sprintf(`Bearer realm="livslang", error="%s", error_description="%s"`, e.Code, desc)
}

// RetryAfter is the Retry-After (seconds) of a 503 answer that sets none itself.
const RetryAfter = "2"

// WriteProblem writes err as application/problem+json. A 401 carries a WWW-Authenticate challenge:
// with the RFC 6750 error code when a token was refused, without one when none was sent. A 503 or
// 429 says when to try again (Retry-After), if the handler has not.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFor(err)
	p.Instance = r.URL.Path
	var bearer *BearerError
	switch {
	case errors.As(err, &bearer):
		w.Header().Set("WWW-Authenticate", bearer.challenge())
	case p.Status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="livslang"`)
	case p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "":
		w.Header().Set("Retry-After", RetryAfter)
	case p.Status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "":
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// HandlerFunc is an HTTP handler that returns an error instead of writing one.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts f: a returned error becomes a problem response; server errors are logged (503s as warnings).
func Handle(log *zap.Logger, f HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			fields := append(tracing.Fields(r.Context()), zap.String("method", r.Method), zap.String("route", r.Pattern), zap.Error(err))
			switch p := ProblemFor(err); {
			case p.Status == http.StatusServiceUnavailable:
				log.Warn("request refused: a dependency is unavailable", fields...)
			case p.Status >= 500:
				log.Error("request failed", fields...)
			}
			WriteProblem(w, r, err)
		}
	})
}

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
