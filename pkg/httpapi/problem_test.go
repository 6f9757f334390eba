package httpapi_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"livslang.dk/pkg/httpapi"
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
