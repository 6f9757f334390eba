package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

type ctxKey struct{}

// A middleware that replaces the request (as auth does) must not hide the route from the metrics;
// livslang_ready follows the readiness check.
func TestInstrumentRoutesSeesThePatternBehindMiddlewares(t *testing.T) {
	m := NewMetrics("test")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	var ready atomic.Bool
	Ops(mux, m, func(context.Context) error {
		if !ready.Load() {
			return errors.New("not yet")
		}
		return nil
	})
	replace := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, 1)))
		})
	}
	h := m.InstrumentRoutes(mux, replace(mux))
	for _, path := range []string{"/v1/things/1", "/v1/things/2", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	counts := map[string]uint64{}
	readyValue := func() float64 {
		mfs, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		v := -1.0
		for _, mf := range mfs {
			for _, s := range mf.GetMetric() {
				switch mf.GetName() {
				case "livslang_http_request_duration_seconds":
					labels := map[string]string{}
					for _, l := range s.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					counts[labels["route"]+" "+labels["status"]] = s.GetHistogram().GetSampleCount()
				case "livslang_ready":
					v = s.GetGauge().GetValue()
				}
			}
		}
		return v
	}
	if v := readyValue(); v != 0 {
		t.Fatalf("livslang_ready %v while not ready", v)
	}
	if counts["GET /v1/things/{id} 418"] != 2 || counts["unmatched 404"] != 1 || len(counts) != 2 {
		t.Fatalf("request series %v", counts)
	}
	ready.Store(true)
	if v := readyValue(); v != 1 {
		t.Fatalf("livslang_ready %v when ready", v)
	}
}
