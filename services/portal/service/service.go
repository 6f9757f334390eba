// Package service wires the portal together: configuration, the API and OIDC clients, the session
// sealer and the web handlers, with /healthz, /readyz and /metrics. cmd/portal calls Run.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/logging"
	"livslang.dk/pkg/service"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/oidc"
	"livslang.dk/services/portal/internal/session"
	"livslang.dk/services/portal/internal/web"
)

// Config is the portal's configuration (see README: Portal).
type Config struct {
	Addr            string // LIVSLANG_PORTAL_ADDR, default 127.0.0.1:8080
	PublicURL       string // LIVSLANG_PORTAL_URL, default http://<addr>: where browsers reach the portal
	ClientID        string // LIVSLANG_PORTAL_CLIENT_ID, default livslang-portal
	IssuerURL       string // LIVSLANG_ISSUER_URL, default http://127.0.0.1:8090
	RegistrationURL string // LIVSLANG_REGISTRATION_URL, default http://127.0.0.1:8081
	FundingURL      string // LIVSLANG_FUNDING_URL, default http://127.0.0.1:8082
	NotificationURL string // LIVSLANG_NOTIFICATION_URL, default http://127.0.0.1:8083
	SessionIdle     time.Duration
	TrustedProxies  httpapi.Proxies // LIVSLANG_TRUSTED_PROXIES: the ingress in front of the portal
	SessionKeys     string          // LIVSLANG_PORTAL_SESSION_KEYS, required: id:base64key[,...], the first seals sessions
	Debug           bool            // LIVSLANG_DEBUG
}

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := &service.Env{Getenv: getenv}
	cfg := Config{
		Addr:            env.String("LIVSLANG_PORTAL_ADDR", "127.0.0.1:8080"),
		ClientID:        env.String("LIVSLANG_PORTAL_CLIENT_ID", "livslang-portal"),
		IssuerURL:       strings.TrimRight(env.URL("LIVSLANG_ISSUER_URL", "http://127.0.0.1:8090"), "/"),
		RegistrationURL: strings.TrimRight(env.URL("LIVSLANG_REGISTRATION_URL", "http://127.0.0.1:8081"), "/"),
		FundingURL:      strings.TrimRight(env.URL("LIVSLANG_FUNDING_URL", "http://127.0.0.1:8082"), "/"),
		NotificationURL: strings.TrimRight(env.URL("LIVSLANG_NOTIFICATION_URL", "http://127.0.0.1:8083"), "/"),
		SessionIdle:     time.Duration(env.Int("LIVSLANG_PORTAL_SESSION_IDLE_MINUTES", 30)) * time.Minute,
		SessionKeys:     env.Required("LIVSLANG_PORTAL_SESSION_KEYS"),
		TrustedProxies:  env.Proxies("LIVSLANG_TRUSTED_PROXIES"),
		Debug:           env.Bool("LIVSLANG_DEBUG", false),
	}
	cfg.PublicURL = strings.TrimRight(env.URL("LIVSLANG_PORTAL_URL", "http://"+cfg.Addr), "/")
	env.Check(cfg.SessionIdle > 0, "LIVSLANG_PORTAL_SESSION_IDLE_MINUTES", "at least 1", nil)
	return cfg, env.Err()
}

// Run serves the portal until ctx is done.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	sessions, err := session.NewSealer(cfg.SessionKeys, cfg.SessionIdle)
	if err != nil {
		return fmt.Errorf("configuration: LIVSLANG_PORTAL_SESSION_KEYS: %w", err)
	}
	log := logging.New("portal", stdout, cfg.Debug)
	public, _ := url.Parse(cfg.PublicURL)
	client := &http.Client{Timeout: 35 * time.Second}
	srv := &web.Server{
		Log:      log,
		API:      &api.Client{Registration: cfg.RegistrationURL, Funding: cfg.FundingURL, Notification: cfg.NotificationURL, HTTP: client},
		OIDC:     &oidc.Client{Issuer: cfg.IssuerURL, ClientID: cfg.ClientID, RedirectURL: cfg.PublicURL + "/auth/callback", HTTP: client},
		Verifier: auth.NewVerifier(cfg.IssuerURL),
		Sessions: sessions,
		Secure:   public.Scheme == "https",
	}
	if err := srv.Init(); err != nil {
		return err
	}
	metrics := httpapi.NewMetrics("portal")
	mux := http.NewServeMux()
	httpapi.Ops(mux, metrics, ready(&http.Client{Timeout: 2 * time.Second}, cfg.RegistrationURL, cfg.FundingURL, cfg.NotificationURL))
	srv.Routes(mux)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler: metrics.InstrumentRoutes(mux, httpapi.LimitBodies(httpapi.MaxRequestBody,
			httpapi.WithClient(cfg.TrustedProxies, srv.Middleware(mux)))),
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	log.Info("service started", zap.String("addr", ln.Addr().String()), zap.String("public_url", cfg.PublicURL))
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		log.Error("service failed", zap.Error(runErr))
	}
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	_ = hs.Shutdown(shutdownCtx)
	log.Info("service stopped")
	return runErr
}

// ready checks that every API the portal calls answers /healthz.
func ready(client *http.Client, bases ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, base := range bases {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("%s: %w", base, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s/healthz: %s", base, resp.Status)
			}
		}
		return nil
	}
}
