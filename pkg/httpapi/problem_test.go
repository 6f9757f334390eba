package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
)

// A database that cannot be reached is a 503 with Retry-After, never a 500; other unknown errors stay
// 500 without details.
func TestUnreachableDatabaseIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"refused", fmt.Errorf("get course: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), http.StatusServiceUnavailable},
		{"cut", fmt.Errorf("list: %w", io.ErrUnexpectedEOF), http.StatusServiceUnavailable},
		{"closed", fmt.Errorf("list: %w", pgconn.ErrConnClosed), http.StatusServiceUnavailable},
		{"terminated", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, http.StatusServiceUnavailable},
		{"starting", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, http.StatusServiceUnavailable},
		{"connection exception", &pgconn.PgError{Code: "08006"}, http.StatusServiceUnavailable},
		{"a bug", &pgconn.PgError{Code: "42703", Message: "column does not exist"}, http.StatusInternalServerError},
		{"unknown", errors.New("boom"), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpapi.WriteProblem(w, httptest.NewRequest(http.MethodGet, "/v1/courses", nil), tc.err)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if ra := w.Header().Get("Retry-After"); (tc.want == http.StatusServiceUnavailable) != (ra != "") {
				t.Fatalf("Retry-After %q with status %d", ra, w.Code)
			}
			if w.Code == http.StatusServiceUnavailable && w.Body.String() == "" {
				t.Fatal("no problem document")
			}
		})
	}
}

// Every fault kind has one status and one problem type, and every error of a kind (bare, wrapped, with
// a message, with field errors) gets them.
func TestKindsToProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind   fault.Kind
		status int
		slug   string
	}{
		{fault.NotFound, http.StatusNotFound, "not-found"},
		{fault.Conflict, http.StatusConflict, "conflict"},
		{fault.Invalid, http.StatusBadRequest, "invalid-request"},
		{fault.Unprocessable, http.StatusUnprocessableEntity, "unprocessable"},
		{fault.Unauthorized, http.StatusUnauthorized, "unauthorized"},
		{fault.Forbidden, http.StatusForbidden, "forbidden"},
		{fault.Gone, http.StatusGone, "gone"},
		{fault.TooMany, http.StatusTooManyRequests, "too-many-requests"},
		{fault.Unavailable, http.StatusServiceUnavailable, "unavailable"},
		{fault.Unsupported, http.StatusUnsupportedMediaType, "unsupported-media-type"},
	} {
		for _, err := range []error{
			tc.kind,
			fmt.Errorf("get thing: %w", tc.kind),
			fault.New(tc.kind, "what the caller did"),
			fmt.Errorf("op: %w", fault.Wrap(tc.kind, "what the caller did", errors.New("internal"))),
			fmt.Errorf("%w: what the caller did", tc.kind),
		} {
			p := httpapi.ProblemFor(err)
			if k := httpapi.KindOfType(p.Type); k != tc.kind {
				t.Errorf("KindOfType(%q) = %v, want %v", p.Type, k, tc.kind)
			}
			if p.Status != tc.status || p.Type != "https://livslang.dk/problems/"+tc.slug || p.Title == "" || p.Detail == "" {
				t.Errorf("%v (%q): %+v, want %d %s", tc.kind, err, p, tc.status, tc.slug)
			}
			if strings.Contains(p.Detail, "get thing") || strings.Contains(p.Detail, "op:") || strings.Contains(p.Detail, "internal") {
				t.Errorf("%v: detail %q holds the error's text", tc.kind, p.Detail)
			}
		}
	}
	for _, k := range fault.Kinds {
		if p := httpapi.ProblemFor(k); p.Status == http.StatusInternalServerError {
			t.Errorf("kind %v has no problem", k)
		}
	}
	if k := httpapi.KindOfType("about:blank"); k != 0 {
		t.Errorf("about:blank is %v", k)
	}
	p := httpapi.ProblemFor(fmt.Errorf("create: %w", fault.InvalidField("cpr", "must be 10 digits")))
	if p.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "cpr" {
		t.Errorf("a validation error: %+v", p)
	}
	// The older names are the same kinds.
	for _, pair := range [][2]error{{httpapi.ErrNotFound, fault.NotFound}, {pgdb.ErrNotFound, fault.NotFound},
		{httpapi.ErrConflict, fault.Conflict}, {pgdb.ErrConflict, fault.Conflict}, {httpapi.ErrTooMany, fault.TooMany}} {
		if pair[0] != pair[1] {
			t.Errorf("%v is not %v", pair[0], pair[1])
		}
	}
}

// A wrapped internal error's text never reaches the client: a handler that fails with a driver error
// answers 500 with a generic detail, and the log keeps the whole chain. A unique violation is a 409
// that names neither the operation nor the constraint.
func TestErrorTextNeverReachesTheClient(t *testing.T) {
	t.Parallel()
	secret := []string{"store: insert", "enrolments_run_citizen_key", "SQLSTATE", "create course", "duplicate key"}
	for _, tc := range []struct {
		name   string
		err    error
		status int
	}{
		{"a driver error", fmt.Errorf("store: insert: %w", &pgconn.PgError{Code: "42703", Message: "column does not exist",
			ConstraintName: "enrolments_run_citizen_key"}), http.StatusInternalServerError},
		{"a unique violation", fmt.Errorf("create course: %w", pgdb.Translate(&pgconn.PgError{Code: "23505",
			Message: "duplicate key value violates unique constraint", ConstraintName: "enrolments_run_citizen_key"})), http.StatusConflict},
		{"an unreachable dependency", fmt.Errorf("store: insert: %w", fmt.Errorf("%w: %w", httpapi.ErrUnavailable,
			errors.New("create course: enrolments_run_citizen_key"))), http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			h := httpapi.Handle(zap.New(core), func(http.ResponseWriter, *http.Request) error { return tc.err })
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/enrolments", nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Detail == "" {
				t.Fatalf("problem %q: %v", w.Body, err)
			}
			for _, s := range secret {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("the answer holds %q: %s", s, w.Body)
				}
			}
			if tc.status == http.StatusInternalServerError {
				if p.Detail != httpapi.InternalDetail {
					t.Errorf("detail %q, want the generic one", p.Detail)
				}
				if logged := logs.All(); len(logged) != 1 || !strings.Contains(logged[0].ContextMap()["error"].(string), "store: insert") {
					t.Errorf("logged %v, want the chain", logged)
				}
			}
		})
	}
}

// A report is a problem of its own type whose kind still sets the status, with its extension members
// beside the standard ones (which an extension cannot replace).
func TestReportAddsMembers(t *testing.T) {
	t.Parallel()
	rep := &httpapi.Report{Err: fault.New(fault.Unprocessable, "nothing was imported"), Slug: "csv-import",
		Title:   "Some lines are not valid; nothing was imported",
		Members: map[string]any{"rejected": []map[string]any{{"line": 3, "code": "LED 1"}}, "lines": 4, "status": 200}}
	w := httptest.NewRecorder()
	httpapi.WriteProblem(w, httptest.NewRequest(http.MethodPost, "/v1/institutions/x/courses/import", nil), fmt.Errorf("import: %w", rep))
	var got struct {
		Type, Title, Detail string
		Status, Lines       int
		Rejected            []struct{ Line int }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusUnprocessableEntity || got.Status != 422 || got.Type != "https://livslang.dk/problems/csv-import" ||
		got.Title != rep.Title || got.Detail != "nothing was imported" || got.Lines != 4 || len(got.Rejected) != 1 || got.Rejected[0].Line != 3 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if b, _ := json.Marshal(httpapi.ProblemFor(fault.NotFound)); strings.Contains(string(b), "Extensions") {
		t.Fatalf("a problem without extensions: %s", b)
	}
}
