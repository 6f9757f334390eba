package tracing

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestSetup(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		env     map[string]string
		enabled bool
		err     string
	}{
		{map[string]string{}, false, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/v1/traces"}, true, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, false, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, false, "want an http(s) URL"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, false, "only http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "sometimes"}, false, "OTEL_TRACES_SAMPLER"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}, true, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_BSP_SCHEDULE_DELAY": "soon"}, false, "OTEL_BSP_SCHEDULE_DELAY"},
	} {
		p, err := Setup(ctx, func(k string) string { return c.env[k] }, "funding")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err %v, want %q", c.env, err, c.err)
			}
			continue
		}
		if err != nil || p.Enabled() != c.enabled {
			t.Errorf("%v: enabled %v, err %v; want %v", c.env, p.Enabled(), err, c.enabled)
			continue
		}
		_ = p.Shutdown(ctx)
	}
}

func TestTraceParentRoundTrip(t *testing.T) {
	p := New(sdktrace.NewTracerProvider())
	ctx, span := p.Tracer("t").Start(context.Background(), "x")
	defer span.End()
	tp := TraceParent(ctx)
	if !strings.HasPrefix(tp, "00-"+span.SpanContext().TraceID().String()+"-") {
		t.Fatalf("traceparent %q", tp)
	}
	back := ContextWithTraceParent(context.Background(), tp)
	if TraceParent(back) != tp {
		t.Fatalf("round trip %q != %q", TraceParent(back), tp)
	}
	if TraceParent(context.Background()) != "" || TraceParent(ContextWithTraceParent(context.Background(), "garbage")) != "" {
		t.Fatal("a traceparent without a span")
	}
	h := HeaderCarrier{}
	p.Propagator.Inject(ctx, h)
	if h.Get("traceparent") != tp {
		t.Fatalf("header %v", h)
	}
}
