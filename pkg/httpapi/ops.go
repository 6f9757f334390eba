package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Metrics holds a service's Prometheus registry and its HTTP request metrics.
type Metrics struct {
	Registry *prometheus.Registry
	Service  string
	requests *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewMetrics makes a registry with Go and process collectors and request metrics.
func NewMetrics(service string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	req := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:        "livslang_http_request_duration_seconds",
		Help:        "HTTP requests by route and status.",
		ConstLabels: prometheus.Labels{"service": service},
		Buckets:     prometheus.DefBuckets,
	}, []string{"method", "route", "status"})
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "livslang_http_requests_in_flight",
		Help:        "HTTP requests being served.",
		ConstLabels: prometheus.Labels{"service": service},
	})
	reg.MustRegister(req, inFlight)
	return &Metrics{Registry: reg, Service: service, requests: req, inFlight: inFlight}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing, deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Instrument records each request's duration by route pattern (never the raw path) and status. The
// route is r.Pattern as the mux left it on this request; a middleware between here and the mux that
// replaces the request (r.WithContext) hides it, so prefer InstrumentRoutes.
func (m *Metrics) Instrument(next http.Handler) http.Handler { return m.InstrumentRoutes(nil, next) }

// InstrumentRoutes is Instrument with the route looked up in mux before the request is served, so it
// is right whatever the middlewares in next do to the request. The active trace span (if any) is
// named "METHOD route" and gets the http.route attribute.
func (m *Metrics) InstrumentRoutes(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := ""
		if mux != nil {
			_, route = mux.Handler(r)
		}
		span := trace.SpanFromContext(r.Context())
		if route != "" && span.IsRecording() {
			span.SetName(r.Method + " " + routePath(route))
			span.SetAttributes(attribute.String("http.route", routePath(route)))
		}
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if route == "" {
			route = r.Pattern
		}
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	})
}

// routePath drops the method from a pattern such as "GET /v1/courses/{id}".
func routePath(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == ' ' {
			return pattern[i+1:]
		}
		if pattern[i] == '/' {
			break
		}
	}
	return pattern
}

// OpsPatterns are the routes Ops registers, public on every service.
var OpsPatterns = []string{"GET /healthz", "GET /readyz", "GET /metrics"}

// MaxRequestBody is the most any request may send (a CSV import is the largest); handlers limit
// their bodies further (MaxBody for JSON).
const MaxRequestBody = 8 << 20

// LimitBodies caps every request body at max bytes: reading past it fails and the handler answers
// 400 or 413, so a client cannot stream an endless body into a server.
func LimitBodies(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			WriteProblem(w, r, &ValidationError{Fields: []FieldError{{Field: "body", Message: fmt.Sprintf("larger than %d bytes", max)}}})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// Deadline gives each request's context a deadline, so the database work of a request whose client
// is long gone, or that hangs, is cancelled.
func Deadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Ops registers GET /healthz (process up), GET /readyz (ready returns nil) and GET /metrics, and the
// gauge livslang_ready (1 when ready returns nil at scrape time, else 0).
func Ops(mux *http.ServeMux, m *Metrics, ready func(context.Context) error) {
	mux.HandleFunc(OpsPatterns[0], func(w http.ResponseWriter, r *http.Request) {
		_ = WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc(OpsPatterns[1], func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			_ = WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
		_ = WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	_ = m.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "livslang_ready",
		Help:        "1 when the service is ready (what GET /readyz checks), 0 when not.",
		ConstLabels: prometheus.Labels{"service": m.Service},
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if ready(ctx) != nil {
			return 0
		}
		return 1
	}))
	mux.Handle(OpsPatterns[2], promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
}
