package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/logging"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/stream"
	"livslang.dk/pkg/tracing"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT is set.
const defaultMemoryLimit = 80 << 20

// Service is a started service's shared infrastructure.
type Service struct {
	Config   Config
	Log      *zap.Logger
	Pool     *pgxpool.Pool
	NC       *nats.Conn
	JS       jetstream.JetStream
	Metrics  *httpapi.Metrics
	Verifier *auth.Verifier
	Parker   inbox.Parker
	Tracing  *tracing.Provider // spans of HTTP requests, outbox sends and consumed events
	Streams  *stream.Metrics   // consumer metrics on Metrics.Registry

	migrations fs.FS
	dir        string
	workers    []func(context.Context) error
	consumers  []string
}

// Start connects to Postgres (applying the service's migrations from dir in files) and to JetStream
// (ensuring the streams), and sets up tracing (OTEL_* variables) and the metrics of the outbox,
// the consumers and parked messages on the service's registry.
func Start(ctx context.Context, cfg Config, stdout io.Writer, files fs.FS, dir string) (*Service, error) {
	log := logging.New(cfg.Name, stdout, cfg.Debug)
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// A soft limit keeps a burst's garbage from doubling the heap (GOGC's default) and lingering;
		// GOMEMLIMIT overrides it (docs/configuration.md).
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	getenv := cfg.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	tp, err := tracing.Setup(ctx, getenv, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	pool, err := pgdb.Connect(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	n, err := pgdb.Migrate(ctx, pool, files, dir)
	if err != nil {
		pool.Close()
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	log.Info("migrations applied", zap.Int("new", n))
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("livslang-"+cfg.Name), nats.MaxReconnects(-1), nats.Timeout(5*time.Second),
		nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		pool.Close()
		_ = tp.Shutdown(ctx)
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024), jetstream.WithDefaultTimeout(10*time.Second))
	if err != nil {
		nc.Close()
		pool.Close()
		_ = tp.Shutdown(ctx)
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := stream.EnsureStreams(ctx, js, stream.WithReplicas(cfg.NATSReplicas)); err != nil {
		nc.Close()
		pool.Close()
		_ = tp.Shutdown(ctx)
		return nil, err
	}
	m := httpapi.NewMetrics(cfg.Name)
	s := &Service{
		Config: cfg, Log: log, Pool: pool, NC: nc, JS: js,
		Metrics:    m,
		Verifier:   verifier(cfg),
		Parker:     inbox.Parker{Pool: pool},
		Tracing:    tp,
		Streams:    stream.NewMetrics(m.Registry, cfg.Name),
		migrations: files, dir: dir,
	}
	s.Metrics.Registry.MustRegister(&parkedGauge{s: s, desc: prometheus.NewDesc("livslang_parked_messages",
		"Messages a consumer gave up on, kept in parked_messages until replayed or removed (docs/operations.md).",
		[]string{"consumer"}, prometheus.Labels{"service": cfg.Name})})
	s.Go((&outbox.Relay{Pool: pool, JS: js, Log: log, Poll: cfg.Poll,
		Metrics: outbox.NewMetrics(m.Registry, cfg.Name, pool), Tracing: tp,
		BeforePublish: func() { s.Crash(CrashBeforePublish) }}).Run)
	if tp.Enabled() {
		log.Info("tracing on: spans are exported over OTLP/HTTP")
	}
	return s, nil
}

// verifier trusts the configured issuers' tokens for the configured audience.
func verifier(cfg Config) *auth.Verifier {
	v := auth.NewVerifier(strings.Split(cfg.IssuerURL, ",")...)
	v.Audience, v.Skew = cfg.Audience, cfg.ClockSkew
	if v.Audience == "" {
		v.Audience = auth.Audience
	}
	return v
}

// Gauge registers a gauge read from the service's database whenever metrics are scraped: query
// returns one row per series, the label values (as text) in the order of labels, then the value.
// Every instance reports the same value, so aggregate with max. A failing query leaves the gauge
// out of that scrape.
func (s *Service) Gauge(name, help string, labels []string, query string) {
	s.Metrics.Registry.MustRegister(&sqlGauge{pool: s.Pool, query: query, labels: len(labels),
		desc: prometheus.NewDesc(name, help, labels, prometheus.Labels{"service": s.Config.Name})})
}

// parkedGauge reports the rows in parked_messages per consumer, 0 for the service's consumers with none.
type parkedGauge struct {
	s    *Service
	desc *prometheus.Desc
}

func (g *parkedGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *parkedGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := g.s.Pool.Query(ctx, `SELECT consumer, count(*) FROM parked_messages GROUP BY consumer`)
	if err != nil {
		return
	}
	counts := map[string]int64{}
	for _, c := range g.s.consumers {
		counts[c] = 0
	}
	for rows.Next() {
		var c string
		var n int64
		if rows.Scan(&c, &n) == nil {
			counts[c] = n
		}
	}
	if rows.Close(); rows.Err() != nil {
		return
	}
	for c, n := range counts {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n), c)
	}
}

type sqlGauge struct {
	pool   *pgxpool.Pool
	query  string
	labels int
	desc   *prometheus.Desc
}

func (g *sqlGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *sqlGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := g.pool.Query(ctx, g.query)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil || len(vals) != g.labels+1 {
			return
		}
		labels := make([]string, g.labels)
		for i := range labels {
			labels[i] = fmt.Sprint(vals[i])
		}
		var v float64
		switch x := vals[g.labels].(type) {
		case int64:
			v = float64(x)
		case int32:
			v = float64(x)
		case float64:
			v = x
		case float32:
			v = float64(x)
		default:
			if f, ok := x.(interface{ Float64Value() (pgtype.Float8, error) }); ok {
				if fv, err := f.Float64Value(); err == nil && fv.Valid {
					v = fv.Float64
					break
				}
			}
			return
		}
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v, labels...)
	}
}

// Go adds a worker that runs until the service stops.
func (s *Service) Go(w func(context.Context) error) { s.workers = append(s.workers, w) }

// Consume adds a durable consumer, with the service's metrics and tracing.
func (s *Service) Consume(c stream.Consumer) {
	c.Log, c.Parker = s.Log, s.Parker
	if c.DB == nil {
		c.DB = s.Pool
	}
	if c.Lanes == 0 {
		c.Lanes = s.Config.ConsumerLanes
	}
	c.Metrics, c.Tracing = s.Streams, s.Tracing
	c.BeforeAck = func() { s.Crash(CrashBeforeAck) }
	s.Streams.Init(c.Durable)
	s.consumers = append(s.consumers, c.Durable)
	s.Go(func(ctx context.Context) error { return c.Run(ctx, s.JS) })
}

// Ready reports whether Postgres and NATS are reachable and migrations applied.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.Pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	pending, err := pgdb.Pending(ctx, s.Pool, s.migrations, s.dir)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if pending {
		return errors.New("migrations not applied yet")
	}
	if !s.NC.IsConnected() {
		return errors.New("nats: not connected")
	}
	return nil
}

// perCaller limits each caller's requests (the health, readiness and metrics endpoints are not
// limited): a signed-in caller by its issuer and subject, anyone else by client address.
func (s *Service) perCaller(next http.Handler) http.Handler {
	limited := httpapi.NewLimiter(float64(s.Config.RatePerCaller), 2*s.Config.RatePerCaller).Limit(func(r *http.Request) string {
		if c, ok := auth.FromContext(r.Context()); ok {
			return "token " + c.Issuer + " " + c.Subject
		}
		return "address " + httpapi.ClientAddress(r)
	}, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	})
}

// requestDeadline bounds a request's work (its database queries are cancelled then); the longest
// request is the institution feed's long poll of up to 30 s.
const requestDeadline = 40 * time.Second

// Serve runs the HTTP API — the service's route table, each route behind its auth.Access, plus
// /healthz, /readyz and /metrics — and every worker until ctx is done or one fails, then shuts down:
// HTTP first, then workers, then NATS and Postgres.
func (s *Service) Serve(ctx context.Context, routes []auth.Route) error {
	workersStopped := true
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Tracing.Shutdown(ctx); err != nil {
			s.Log.Warn("flushing spans failed", zap.Error(err))
		}
		s.NC.Close()
		if workersStopped { // a worker still running holds connections, and Close would wait for it
			s.Pool.Close()
		}
	}()
	mux := http.NewServeMux()
	auth.Handle(mux, routes)
	httpapi.Ops(mux, s.Metrics, s.Ready)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteProblem(w, r, fmt.Errorf("%w: no such resource", httpapi.ErrNotFound))
	})
	ln, err := net.Listen("tcp", s.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.Config.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler: s.Tracing.Handler(s.Metrics.InstrumentRoutes(mux, httpapi.LimitBodies(httpapi.MaxRequestBody,
			httpapi.WithClient(s.Config.TrustedProxies, httpapi.Deadline(requestDeadline, s.Verifier.Middleware(s.perCaller(mux))))))),
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      requestDeadline + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(s.workers)+1)
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w(ctx); err != nil && ctx.Err() == nil {
				errc <- err
			}
		}()
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	if s.Config.PprofAddr != "" {
		stopProfiles, err := serveProfiles(s.Config.PprofAddr)
		if err != nil {
			return err
		}
		defer stopProfiles()
		s.Log.Info("profiles served", zap.String("addr", s.Config.PprofAddr))
	}
	s.Log.Info("service started", zap.String("addr", ln.Addr().String()))
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		s.Log.Error("service failed", zap.Error(runErr))
	}
	// Stop taking requests and let those in flight finish, then stop the workers: consumers hand
	// back what they have not started and finish what they have, the relay leaves unsent rows for
	// the next instance. Each step is bounded, so the process always exits.
	began := time.Now()
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.Log.Warn("requests still running when the shutdown time ran out", zap.Error(err))
	}
	cancel()
	workersDone := make(chan struct{})
	go func() { wg.Wait(); close(workersDone) }()
	select {
	case <-workersDone:
	case <-time.After(ShutdownTimeout):
		workersStopped = false
		s.Log.Error("workers still running when the shutdown time ran out; stopping anyway")
	}
	s.Log.Info("service stopped", zap.Duration("took", time.Since(began)))
	return runErr
}

// serveProfiles serves net/http/pprof's handlers on addr until the returned function is called.
func serveProfiles(addr string) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s for profiles: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile or trace lasts as long as its ?seconds= asks; no write timeout for those.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}

// Exit codes of Crash, one per point, so the fault-injection suite can tell where an instance died.
const (
	CrashBeforePublish = 71 // outbox rows claimed (their transactions committed), not yet published
	CrashBeforeAck     = 72 // a consumer's transaction committed, its message not yet acknowledged
	CrashBeforeRecord  = 73 // a message handed to its provider, not yet recorded as sent
)

// Crash exits the process at once with code, with the chance LIVSLANG_CHAOS_CRASH gives (by default
// never): the fault-injection suite's kill -9 at the moment a crash is hardest to survive.
func (s *Service) Crash(code int) {
	if s.Config.CrashChance > 0 && rand.Float64() < s.Config.CrashChance {
		os.Exit(code)
	}
}

// ShutdownTimeout bounds each step of a graceful stop: requests in flight, then workers. A service
// told to stop (SIGTERM) exits within twice this, plus flushing spans.
const ShutdownTimeout = 10 * time.Second
