// Package tracing sets up OpenTelemetry tracing for a service from the standard OTEL_* variables and
// carries W3C trace context across HTTP, the outbox and NATS message headers.
//
// Tracing is on only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT) and OTEL_SDK_DISABLED is not true; otherwise every tracer is a no-op,
// nothing is exported and no traceparent is written anywhere. Spans are exported over OTLP/HTTP with
// protobuf (the collector's port 4318); gRPC is not supported.
//
// Each service gets its own TracerProvider (not the global one), so several services can run in one
// process, as they do in the tests.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// Provider is a service's tracer provider and the propagator it uses.
type Provider struct {
	trace.TracerProvider
	Propagator propagation.TextMapPropagator
	enabled    bool
	shutdown   func(context.Context) error
}

// Disabled is a provider that records nothing.
func Disabled() *Provider {
	return &Provider{TracerProvider: noop.NewTracerProvider(), Propagator: propagation.NewCompositeTextMapPropagator(),
		shutdown: func(context.Context) error { return nil }}
}

// New wraps an SDK tracer provider (e.g. one with a test span recorder) as an enabled Provider
// using W3C trace context.
func New(tp *sdktrace.TracerProvider) *Provider {
	return &Provider{TracerProvider: tp, Propagator: propagation.TraceContext{}, enabled: true, shutdown: tp.Shutdown}
}

// Enabled reports whether spans are recorded and exported.
func (p *Provider) Enabled() bool { return p != nil && p.enabled }

// Shutdown flushes the spans not yet exported and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error { return p.shutdown(ctx) }

// Setup reads the OpenTelemetry variables through getenv and returns the service's provider:
//
//   - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/traces"):
//     where spans go, e.g. http://otel-collector:4318. Neither set: tracing is off.
//   - OTEL_SDK_DISABLED=true: tracing is off.
//   - OTEL_EXPORTER_OTLP_PROTOCOL / _TRACES_PROTOCOL: only http/protobuf (the default) is supported.
//   - OTEL_SERVICE_NAME: the service.name resource attribute (default livslang-<service>);
//     OTEL_RESOURCE_ATTRIBUTES adds more (key=value,…).
//   - OTEL_BSP_SCHEDULE_DELAY: milliseconds between exports (default 5000).
//   - OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as in the specification (default
//     parentbased_always_on). OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION and _CERTIFICATE are
//     read by the exporter itself from the process environment.
func Setup(ctx context.Context, getenv func(string) string, service string) (*Provider, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return Disabled(), nil
	}
	endpoint := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if endpoint == "" {
		if base := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); base != "" {
			endpoint = strings.TrimRight(base, "/") + "/v1/traces"
		}
	}
	if endpoint == "" {
		return Disabled(), nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: want an http(s) URL such as http://otel-collector:4318, got %q", endpoint)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := strings.TrimSpace(getenv(name)); v != "" && v != "http/protobuf" {
			return nil, fmt.Errorf("%s: only http/protobuf is supported, got %q", name, v)
		}
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))
	if name == "" {
		name = "livslang-" + service
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name), attribute.String("service.namespace", "livslang")}
	for _, kv := range strings.Split(getenv("OTEL_RESOURCE_ATTRIBUTES"), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k != "" && k != "service.name" {
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			attrs = append(attrs, attribute.String(strings.TrimSpace(k), strings.TrimSpace(v)))
		}
	}
	res, err := sdkresource.Merge(sdkresource.Default(), sdkresource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	batch := []sdktrace.BatchSpanProcessorOption{}
	if v := strings.TrimSpace(getenv("OTEL_BSP_SCHEDULE_DELAY")); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("OTEL_BSP_SCHEDULE_DELAY: want milliseconds, got %q", v)
		}
		batch = append(batch, sdktrace.WithBatchTimeout(time.Duration(ms)*time.Millisecond))
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithBatcher(exp, batch...)}
	if s, err := sampler(getenv); err != nil {
		return nil, err
	} else if s != nil {
		opts = append(opts, sdktrace.WithSampler(s))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Provider{TracerProvider: tp, Propagator: propagation.TraceContext{}, enabled: true, shutdown: tp.Shutdown}, nil
}

// sampler reads OTEL_TRACES_SAMPLER through getenv (the SDK would read only the process environment).
func sampler(getenv func(string) string) (sdktrace.Sampler, error) {
	arg := func() (float64, error) {
		v := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
		if v == "" {
			return 1, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: want a ratio from 0 to 1, got %q", v)
		}
		return f, nil
	}
	switch s := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")); s {
	case "":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := arg()
		if err != nil {
			return nil, err
		}
		if s == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	default:
		return nil, errors.New("OTEL_TRACES_SAMPLER: want always_on, always_off, traceidratio or their parentbased_ forms, got " + strconv.Quote(s))
	}
}

// TraceParent returns the W3C traceparent of the span in ctx, or "" when there is none.
func TraceParent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}

// ContextWithTraceParent returns ctx carrying the remote span context of traceparent (ignored when
// it is empty or malformed).
func ContextWithTraceParent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// Log returns log with trace_id and span_id when ctx carries a valid span, else log itself.
func Log(ctx context.Context, log *zap.Logger) *zap.Logger {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return log
	}
	return log.With(zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String()))
}

// Fields returns trace_id and span_id fields for ctx's span (none without one).
func Fields(ctx context.Context) []zap.Field {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	return []zap.Field{zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String())}
}

// HeaderCarrier adapts NATS-style headers (map[string][]string with case-sensitive keys) to the
// propagator; keys are the W3C lower-case names traceparent and tracestate.
type HeaderCarrier map[string][]string

// Get returns the first value of key.
func (h HeaderCarrier) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces key's values.
func (h HeaderCarrier) Set(key, value string) { h[key] = []string{value} }

// Keys lists the keys.
func (h HeaderCarrier) Keys() []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	return out
}

// Handler traces each request to next as a server span continuing the caller's traceparent; the
// span is named "METHOD route" once the route is known (see httpapi.Metrics.InstrumentRoutes). The
// health, readiness and metrics endpoints are not traced. Without tracing next is returned as is.
func (p *Provider) Handler(next http.Handler) http.Handler {
	if !p.Enabled() {
		return next
	}
	return otelhttp.NewHandler(next, "http.server",
		otelhttp.WithTracerProvider(p), otelhttp.WithPropagators(p.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}))
}

// Transport wraps base (nil: http.DefaultTransport) so outgoing requests are client spans that send
// traceparent. Without tracing base is returned as is.
func (p *Provider) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if !p.Enabled() {
		return base
	}
	return otelhttp.NewTransport(base, otelhttp.WithTracerProvider(p), otelhttp.WithPropagators(p.Propagator))
}
