package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/logging"
	"livslang.dk/pkg/outbox"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/stream"
)

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

	migrations fs.FS
	dir        string
	workers    []func(context.Context) error
}

// Start connects to Postgres (applying the service's migrations from dir in files) and to JetStream
// (ensuring the streams).
func Start(ctx context.Context, cfg Config, stdout io.Writer, files fs.FS, dir string) (*Service, error) {
	log := logging.New(cfg.Name, stdout, cfg.Debug)
	pool, err := pgdb.Connect(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	n, err := pgdb.Migrate(ctx, pool, files, dir)
	if err != nil {
		pool.Close()
		return nil, err
	}
	log.Info("migrations applied", zap.Int("new", n))
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("livslang-"+cfg.Name), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		nc.Close()
		pool.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := stream.EnsureStreams(ctx, js); err != nil {
		nc.Close()
		pool.Close()
		return nil, err
	}
	s := &Service{
		Config: cfg, Log: log, Pool: pool, NC: nc, JS: js,
		Metrics:    httpapi.NewMetrics(cfg.Name),
		Verifier:   auth.NewVerifier(cfg.IssuerURL),
		Parker:     inbox.Parker{Pool: pool},
		migrations: files, dir: dir,
	}
	s.Go((&outbox.Relay{Pool: pool, JS: js, Log: log, Poll: cfg.Poll}).Run)
	return s, nil
}

// Go adds a worker that runs until the service stops.
func (s *Service) Go(w func(context.Context) error) { s.workers = append(s.workers, w) }

// Consume adds a durable consumer.
func (s *Service) Consume(c stream.Consumer) {
	c.Log, c.Parker = s.Log, s.Parker
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

// Serve runs the HTTP API (with /healthz, /readyz, /metrics added to mux) and every worker until ctx
// is done or one fails, then shuts down: HTTP first, then workers, then NATS and Postgres.
func (s *Service) Serve(ctx context.Context, mux *http.ServeMux) error {
	defer s.Pool.Close()
	defer s.NC.Close()
	httpapi.Ops(mux, s.Metrics, s.Ready)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteProblem(w, r, fmt.Errorf("%w: no such resource", httpapi.ErrNotFound))
	})
	ln, err := net.Listen("tcp", s.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.Config.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           s.Metrics.Instrument(s.Verifier.Middleware(mux)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
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
	s.Log.Info("service started", zap.String("addr", ln.Addr().String()))
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		s.Log.Error("service failed", zap.Error(runErr))
	}
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdownCtx)
	cancel()
	wg.Wait()
	s.Log.Info("service stopped")
	return runErr
}
