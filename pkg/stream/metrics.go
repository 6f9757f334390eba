package stream

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are a service's consumer metrics, labelled by durable consumer name.
//
//	livslang_consumer_deliveries_total{consumer,outcome}     deliveries handled: outcome ok, retry or parked
//	livslang_consumer_redeliveries_total{consumer}           deliveries that were not the first
//	livslang_consumer_handle_duration_seconds{consumer}      time to handle and acknowledge one delivery
//	livslang_consumer_pending_messages{consumer}             stream messages not yet delivered (the lag)
//	livslang_consumer_ack_pending_messages{consumer}         delivered but not yet acknowledged
//
// Several instances share a durable consumer, so the pending gauges are the same on each: aggregate
// them with max, and the counters with sum.
type Metrics struct {
	deliveries   *prometheus.CounterVec
	redeliveries *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	pendingG     *prometheus.GaugeVec
	ackPendingG  *prometheus.GaugeVec
}

// NewMetrics registers the consumer metrics of service on reg.
func NewMetrics(reg prometheus.Registerer, service string) *Metrics {
	l := prometheus.Labels{"service": service}
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livslang_consumer_deliveries_total",
			Help: "Event deliveries handled by a durable consumer, by outcome (ok, retry, parked).", ConstLabels: l},
			[]string{"consumer", "outcome"}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livslang_consumer_redeliveries_total",
			Help: "Deliveries that were not an event's first (after a failure, a timeout or a crash).", ConstLabels: l},
			[]string{"consumer"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "livslang_consumer_handle_duration_seconds",
			Help: "Time to handle one delivery, acknowledgement included.", ConstLabels: l,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"consumer"}),
		pendingG: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "livslang_consumer_pending_messages",
			Help: "Messages on the stream the durable consumer has not been delivered yet (consumer lag).", ConstLabels: l},
			[]string{"consumer"}),
		ackPendingG: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "livslang_consumer_ack_pending_messages",
			Help: "Messages delivered to the durable consumer and not acknowledged yet.", ConstLabels: l},
			[]string{"consumer"}),
	}
	reg.MustRegister(m.deliveries, m.redeliveries, m.duration, m.pendingG, m.ackPendingG)
	return m
}

func (m *Metrics) observe(consumer, outcome string, deliveries int, d time.Duration) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(consumer, outcome).Inc()
	if deliveries > 1 {
		m.redeliveries.WithLabelValues(consumer).Inc()
	}
	m.duration.WithLabelValues(consumer).Observe(d.Seconds())
}

func (m *Metrics) pending(consumer string, n uint64) {
	if m == nil {
		return
	}
	m.pendingG.WithLabelValues(consumer).Set(float64(n))
}

func (m *Metrics) lag(consumer string, pending, ackPending uint64) {
	if m == nil {
		return
	}
	m.pendingG.WithLabelValues(consumer).Set(float64(pending))
	m.ackPendingG.WithLabelValues(consumer).Set(float64(ackPending))
}

// Init makes the consumer's series exist (at zero) before its first delivery, so alerts and
// dashboards see them.
func (m *Metrics) Init(consumer string) {
	if m == nil {
		return
	}
	for _, o := range []string{"ok", "retry", "parked"} {
		m.deliveries.WithLabelValues(consumer, o)
	}
	m.redeliveries.WithLabelValues(consumer)
	m.pendingG.WithLabelValues(consumer)
	m.ackPendingG.WithLabelValues(consumer)
}
