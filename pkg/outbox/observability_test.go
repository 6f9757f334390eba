package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/stream"
	"livslang.dk/pkg/testenv"
	"livslang.dk/pkg/tracing"
)

// value finds one sample in reg by name and label values (name=value pairs).
func value(t *testing.T, reg *prometheus.Registry, name string, labels ...string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// An event enqueued inside a traced request carries the request's trace through the outbox, the
// NATS headers and the consumer, whose log lines name the trace; the outbox and consumer metrics
// count what happened.
func TestTraceAndMetricsFollowAnEventFromRequestToConsumer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	rec := tracetest.NewSpanRecorder()
	tp := tracing.New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	reg := prometheus.NewRegistry()
	core, logs := observer.New(zapcore.InfoLevel)

	// Nothing sent yet: the backlog gauge sees the committed row and its age.
	reqCtx, req := tp.Tracer("test").Start(ctx, "POST /v1/enrolments", trace.WithSpanKind(trace.SpanKindServer))
	e := event(t, 1)
	if err := pgx.BeginFunc(reqCtx, b.pool, func(tx pgx.Tx) error { return outbox.Enqueue(reqCtx, tx, e) }); err != nil {
		t.Fatal(err)
	}
	req.End()
	om := outbox.NewMetrics(reg, "svc", b.pool)
	time.Sleep(20 * time.Millisecond)
	if n, _ := value(t, reg, "livslang_outbox_backlog"); n != 1 {
		t.Fatalf("backlog %v, want 1", n)
	}
	if age, _ := value(t, reg, "livslang_outbox_oldest_unsent_age_seconds"); age <= 0 {
		t.Fatalf("oldest unsent age %v, want > 0", age)
	}
	var stored string
	if err := b.pool.QueryRow(ctx, `SELECT envelope->>'traceparent' FROM (SELECT convert_from(envelope, 'UTF8')::jsonb AS envelope FROM outbox) o`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := tracing.TraceParent(reqCtx); stored != want {
		t.Fatalf("stored traceparent %q, want the request's %q", stored, want)
	}

	sm := stream.NewMetrics(reg, "svc")
	var mu sync.Mutex
	var handled trace.SpanContext
	c := stream.Consumer{Stream: events.StreamRegistration, Durable: "traced", Subjects: []string{events.SubjectCourseUpdated},
		Log: zap.New(core), Parker: inbox.Parker{Pool: b.pool}, Metrics: sm, Tracing: tp, LagEvery: 50 * time.Millisecond,
		Handler: func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			handled = trace.SpanContextFromContext(ctx)
			mu.Unlock()
			if e.Subject == "2" {
				return stream.Permanent(fmt.Errorf("two is refused"))
			}
			return nil
		}}
	run(t, func(ctx context.Context) error { return c.Run(ctx, b.js) })
	run(t, (&outbox.Relay{Pool: b.pool, JS: b.js, Log: zap.NewNop(), Poll: 50 * time.Millisecond, Metrics: om, Tracing: tp}).Run)
	testenv.Eventually(t, 15*time.Second, "the event is handled", func() bool {
		n, _ := value(t, reg, "livslang_consumer_deliveries_total", "consumer", "traced", "outcome", "ok")
		return n == 1
	})
	mu.Lock()
	if handled.TraceID() != req.SpanContext().TraceID() {
		t.Fatalf("handler ran in trace %s, want the request's %s", handled.TraceID(), req.SpanContext().TraceID())
	}
	mu.Unlock()
	testenv.Eventually(t, 5*time.Second, "send and process spans ended", func() bool { return len(rec.Ended()) >= 3 })
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
	}
	send, process := byName["send "+events.SubjectCourseUpdated], byName["process "+events.SubjectCourseUpdated]
	if send == nil || process == nil {
		t.Fatalf("spans %v", byName)
	}
	if send.Parent().SpanID() != req.SpanContext().SpanID() || send.SpanKind() != trace.SpanKindProducer {
		t.Fatalf("send span's parent %s, want the request span %s", send.Parent().SpanID(), req.SpanContext().SpanID())
	}
	if process.Parent().SpanID() != send.SpanContext().SpanID() || process.SpanKind() != trace.SpanKindConsumer {
		t.Fatalf("process span's parent %s, want the send span %s", process.Parent().SpanID(), send.SpanContext().SpanID())
	}
	if n, _ := value(t, reg, "livslang_outbox_published_total", "subject", events.SubjectCourseUpdated); n != 1 {
		t.Fatalf("published %v, want 1", n)
	}
	if n, _ := value(t, reg, "livslang_outbox_backlog"); n != 0 {
		t.Fatalf("backlog %v after relaying, want 0", n)
	}
	if n, _ := value(t, reg, "livslang_consumer_handle_duration_seconds", "consumer", "traced"); n != 1 {
		t.Fatalf("handle duration observed %v times, want 1", n)
	}
	testenv.Eventually(t, 5*time.Second, "lag read from the server", func() bool {
		_, ok := value(t, reg, "livslang_consumer_ack_pending_messages", "consumer", "traced")
		p, _ := value(t, reg, "livslang_consumer_pending_messages", "consumer", "traced")
		return ok && p == 0
	})

	// A refused event is parked; its log line names the trace it belongs to.
	e2 := event(t, 2)
	if err := pgx.BeginFunc(reqCtx, b.pool, func(tx pgx.Tx) error { return outbox.Enqueue(reqCtx, tx, e2) }); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, "the refused event is parked", func() bool {
		n, _ := value(t, reg, "livslang_consumer_deliveries_total", "consumer", "traced", "outcome", "parked")
		return n == 1
	})
	parked := logs.FilterMessage("event parked").All()
	if len(parked) != 1 || !strings.Contains(fmt.Sprint(parked[0].ContextMap()["trace_id"]), req.SpanContext().TraceID().String()) {
		t.Fatalf("parked log lines %+v, want one naming trace %s", parked, req.SpanContext().TraceID())
	}
}

// Without a tracer nothing is recorded and no traceparent is written.
func TestNoTraceparentWithoutTracing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return outbox.Enqueue(ctx, tx, event(t, 3)) }); err != nil {
		t.Fatal(err)
	}
	var tp *string
	if err := b.pool.QueryRow(ctx, `SELECT convert_from(envelope, 'UTF8')::jsonb->>'traceparent' FROM outbox`).Scan(&tp); err != nil {
		t.Fatal(err)
	}
	if tp != nil {
		t.Fatalf("traceparent %q written without a span", *tp)
	}
	if got := tracing.Disabled().Handler(nil); got != nil {
		t.Fatal("a disabled provider wraps handlers")
	}
}
