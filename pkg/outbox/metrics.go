package outbox

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are a service's outbox metrics.
//
//	livslang_outbox_published_total{subject}        events JetStream acknowledged
//	livslang_outbox_publish_failures_total          relay batches that stopped at a failed publish
//	livslang_outbox_backlog                         committed events not yet published (read at scrape)
//	livslang_outbox_oldest_unsent_age_seconds       age of the oldest of those, 0 when none (read at scrape)
//	livslang_outbox_relay_leading                   1 while this instance's relay holds the lock and relays, else 0
//
// The backlog gauges are read from the service's outbox table, so every instance reports the same
// value: aggregate with max. Summed over the instances, livslang_outbox_relay_leading is 1 (0 for
// longer than a takeover means no relay runs).
type Metrics struct {
	publishedC *prometheus.CounterVec
	failures   prometheus.Counter
	leader     prometheus.Gauge
}

// NewMetrics registers the outbox metrics of service on reg; the backlog is read from pool.
func NewMetrics(reg prometheus.Registerer, service string, pool *pgxpool.Pool) *Metrics {
	l := prometheus.Labels{"service": service}
	m := &Metrics{
		publishedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livslang_outbox_published_total",
			Help: "Outbox events published to JetStream and acknowledged, by NATS subject.", ConstLabels: l}, []string{"subject"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "livslang_outbox_publish_failures_total",
			Help: "Relay batches that stopped at a publish JetStream did not acknowledge (retried).", ConstLabels: l}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "livslang_outbox_relay_leading",
			Help: "1 while this instance's outbox relay holds the service's relay lock and publishes, 0 while it stands by.", ConstLabels: l}),
	}
	reg.MustRegister(m.publishedC, m.failures, m.leader, &backlog{pool: pool,
		count: prometheus.NewDesc("livslang_outbox_backlog", "Committed outbox events not yet published.", nil, l),
		age: prometheus.NewDesc("livslang_outbox_oldest_unsent_age_seconds",
			"Seconds since the oldest unpublished outbox event was committed (0 when none).", nil, l),
	})
	return m
}

func (m *Metrics) published(subject string) {
	if m != nil {
		m.publishedC.WithLabelValues(subject).Inc()
	}
}

func (m *Metrics) leading(on bool) {
	if m != nil {
		v := 0.0
		if on {
			v = 1
		}
		m.leader.Set(v)
	}
}

func (m *Metrics) failed() {
	if m != nil {
		m.failures.Inc()
	}
}

// backlog reads the unsent rows when scraped (the partial index outbox_unsent keeps it cheap).
type backlog struct {
	pool       *pgxpool.Pool
	count, age *prometheus.Desc
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) { ch <- b.count; ch <- b.age }

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var n int64
	var age float64
	err := b.pool.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
		FROM outbox WHERE sent_at IS NULL`).Scan(&n, &age)
	if err != nil {
		return // no sample rather than a failed scrape: livslang_ready tells that Postgres is gone
	}
	ch <- prometheus.MustNewConstMetric(b.count, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(b.age, prometheus.GaugeValue, max(age, 0))
}
