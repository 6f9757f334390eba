package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/logging"
	"livslang.dk/pkg/natsembed"
	"livslang.dk/pkg/pgcluster"
	"livslang.dk/pkg/service"
	"livslang.dk/pkg/stream"
)

// config is the launcher's configuration (see docs/configuration.md).
type config struct {
	DataDir     string // LIVSLANG_DATA_DIR, default .data
	BinDir      string // LIVSLANG_BIN_DIR, default bin
	DatabaseURL string // LIVSLANG_DATABASE_URL: an admin URL of an existing server instead of the private cluster
	NATSURL     string // LIVSLANG_NATS_URL: an existing NATS server instead of the embedded one
	PGPort      int    // LIVSLANG_PG_PORT, default 54329
	NATSPort    int    // LIVSLANG_NATS_PORT, default 4222
	Ports       map[string]int
}

var services = []string{"registration", "funding", "notification"}

func loadConfig(getenv func(string) string) (config, error) {
	env := &service.Env{Getenv: getenv}
	c := config{
		DataDir:     env.String("LIVSLANG_DATA_DIR", ".data"),
		BinDir:      env.String("LIVSLANG_BIN_DIR", "bin"),
		DatabaseURL: env.String("LIVSLANG_DATABASE_URL", ""),
		NATSURL:     env.String("LIVSLANG_NATS_URL", ""),
		PGPort:      env.Int("LIVSLANG_PG_PORT", 54329),
		NATSPort:    env.Int("LIVSLANG_NATS_PORT", 4222),
		Ports: map[string]int{
			"portal":       env.Int("LIVSLANG_PORTAL_PORT", 8080),
			"registration": env.Int("LIVSLANG_REGISTRATION_PORT", 8081),
			"funding":      env.Int("LIVSLANG_FUNDING_PORT", 8082),
			"notification": env.Int("LIVSLANG_NOTIFICATION_PORT", 8083),
			"idp":          env.Int("LIVSLANG_IDP_PORT", 8090),
			"mailpit":      env.Int("LIVSLANG_MAILPIT_PORT", 8025),
			"smtp":         env.Int("LIVSLANG_SMTP_PORT", 1025),
		},
	}
	return c, env.Err()
}

// secrets are generated on the first run and kept in the data folder.
type secrets struct {
	DBPasswords map[string]string `json:"db_passwords"`
	PIIKeys     string            `json:"pii_keys"` // registration's master key
	IndexKey    string            `json:"index_key"`
	// The master keys funding and notification wrap citizens' data keys with (added to an older
	// secrets.json on the next run).
	FundingPIIKeys      string `json:"funding_pii_keys"`
	NotificationPIIKeys string `json:"notification_pii_keys"`
	// The key the embedded NATS encrypts its streams with on disk (added to an older secrets.json on
	// the next run, which then encrypts the existing store).
	NATSStoreKey string `json:"nats_store_key"`
	// The keys the portal seals its sessions into their cookies with (added to an older
	// secrets.json on the next run).
	PortalSessionKeys string `json:"portal_session_keys"`
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func loadSecrets(path string) (secrets, error) {
	var s secrets
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return s, fmt.Errorf("read %s: %w", path, err)
		}
		if s.FundingPIIKeys != "" && s.NotificationPIIKeys != "" && s.NATSStoreKey != "" && s.PortalSessionKeys != "" {
			return s, nil
		}
	} else {
		s = secrets{DBPasswords: map[string]string{}, PIIKeys: "1:" + randomB64(32), IndexKey: randomB64(32)}
		for _, svc := range services {
			s.DBPasswords[svc] = strings.NewReplacer("+", "", "/", "", "=", "").Replace(randomB64(18))
		}
	}
	for _, k := range []*string{&s.FundingPIIKeys, &s.NotificationPIIKeys, &s.PortalSessionKeys} {
		if *k == "" {
			*k = "1:" + randomB64(32)
		}
	}
	if s.NATSStoreKey == "" {
		s.NATSStoreKey = randomB64(32)
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	return s, os.WriteFile(path, b, 0o600)
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := logging.New("local", stdout, false)
	started := time.Now()
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	sec, err := loadSecrets(filepath.Join(cfg.DataDir, "secrets.json"))
	if err != nil {
		return err
	}
	for name, port := range cfg.Ports {
		if err := portFree(port); err != nil {
			return fmt.Errorf("%s port: %w (set LIVSLANG_%s_PORT to another port)", name, err, strings.ToUpper(name))
		}
	}

	// PostgreSQL: the private cluster unless a server is given.
	adminURL, pgDir := cfg.DatabaseURL, ""
	if adminURL == "" {
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(cfg.DataDir, "postgres"), Port: cfg.PGPort, Fsync: true, Log: log})
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		defer cluster.Stop() //nolint:errcheck
		adminURL, pgDir = cluster.AdminURL("postgres"), cluster.Dir()
	}
	dbURLs, err := pgcluster.Bootstrap(ctx, adminURL, "livslang", services, func(svc string) string { return sec.DBPasswords[svc] })
	if err != nil {
		return fmt.Errorf("bootstrap database: %w", err)
	}

	// NATS with JetStream: embedded unless a server is given.
	natsURL := cfg.NATSURL
	if natsURL == "" {
		ns, err := natsembed.Start("127.0.0.1", cfg.NATSPort, filepath.Join(cfg.DataDir, "nats"), sec.NATSStoreKey)
		if err != nil {
			return fmt.Errorf("nats: %w", err)
		}
		defer ns.Shutdown()
		natsURL = ns.ClientURL()
	}
	// The streams exist before the services start, so no service updates a stream while another
	// creates its consumers on it (nats-server races on that).
	if err := ensureStreams(ctx, natsURL); err != nil {
		return err
	}

	// Development identity provider.
	idpURL := fmt.Sprintf("http://127.0.0.1:%d", cfg.Ports["idp"])
	idp, err := auth.NewDevIssuer(idpURL)
	if err != nil {
		return err
	}
	if err := offerDemoUsers(idp); err != nil {
		return err
	}
	idpSrv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", cfg.Ports["idp"]), Handler: idp.Handler(),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10}
	go func() {
		if err := idpSrv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Error("identity provider stopped", zap.Error(err))
		}
	}()
	defer idpSrv.Close()

	var procs []*process
	defer func() { stopAll(procs) }()
	mailpit, err := startProcess("mailpit", filepath.Join(cfg.BinDir, "mailpit"), []string{
		"--listen", fmt.Sprintf("127.0.0.1:%d", cfg.Ports["mailpit"]),
		"--smtp", fmt.Sprintf("127.0.0.1:%d", cfg.Ports["smtp"]),
		"--database", filepath.Join(cfg.DataDir, "mailpit.db"),
		"--quiet",
	}, nil, stdout)
	if err != nil {
		return err
	}
	procs = append(procs, mailpit)

	common := []string{
		"LIVSLANG_NATS_URL=" + natsURL,
		"LIVSLANG_ISSUER_URL=" + idpURL,
		fmt.Sprintf("LIVSLANG_SMTP_ADDR=127.0.0.1:%d", cfg.Ports["smtp"]),
		"LIVSLANG_REGISTRATION_PII_KEYS=" + sec.PIIKeys,
		"LIVSLANG_FUNDING_PII_KEYS=" + sec.FundingPIIKeys,
		"LIVSLANG_NOTIFICATION_PII_KEYS=" + sec.NotificationPIIKeys,
		"LIVSLANG_CPR_INDEX_KEY=" + sec.IndexKey,
		"LIVSLANG_REGISTRATION_SEED_DEMO=true",
		"LIVSLANG_FUNDING_SEED_DEMO=true",
		"LIVSLANG_WEBHOOK_ALLOW_LOOPBACK=true", // development: an institution's test receiver may run here
		// The portal runs here: its calls for a visitor name the visitor, so each is limited alone.
		"LIVSLANG_TRUSTED_PROXIES=127.0.0.1,::1",
	}
	for _, svc := range services {
		up := strings.ToUpper(svc)
		env := append([]string{
			fmt.Sprintf("LIVSLANG_%s_ADDR=127.0.0.1:%d", up, cfg.Ports[svc]),
			fmt.Sprintf("LIVSLANG_%s_DATABASE_URL=%s", up, dbURLs[svc]),
		}, common...)
		if svc == "registration" { // share links of certificates point at the portal
			env = append(env, fmt.Sprintf("LIVSLANG_PORTAL_URL=http://127.0.0.1:%d", cfg.Ports["portal"]))
		}
		if svc == "notification" { // the development SMS and Digital Post providers write here; links point at the portal
			env = append(env, "LIVSLANG_SMS_FILE="+smsFile(cfg), "LIVSLANG_DIGITAL_POST_DIR="+digitalPostDir(cfg),
				fmt.Sprintf("LIVSLANG_PORTAL_URL=http://127.0.0.1:%d", cfg.Ports["portal"]))
		}
		p, err := startProcess(svc, filepath.Join(cfg.BinDir, svc), nil, env, stdout)
		if err != nil {
			return err
		}
		procs = append(procs, p)
	}
	for _, svc := range services {
		if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", cfg.Ports[svc]), procs); err != nil {
			return fmt.Errorf("%s did not become ready: %w", svc, err)
		}
	}
	if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/livez", cfg.Ports["mailpit"]), procs); err != nil {
		return fmt.Errorf("mailpit did not become ready: %w", err)
	}

	// The portal calls the three APIs with the signed-in user's token.
	portal, err := startProcess("portal", filepath.Join(cfg.BinDir, "portal"), nil, []string{
		fmt.Sprintf("LIVSLANG_PORTAL_ADDR=127.0.0.1:%d", cfg.Ports["portal"]),
		"LIVSLANG_PORTAL_SESSION_KEYS=" + sec.PortalSessionKeys,
		"LIVSLANG_ISSUER_URL=" + idpURL,
		fmt.Sprintf("LIVSLANG_REGISTRATION_URL=http://127.0.0.1:%d", cfg.Ports["registration"]),
		fmt.Sprintf("LIVSLANG_FUNDING_URL=http://127.0.0.1:%d", cfg.Ports["funding"]),
		fmt.Sprintf("LIVSLANG_NOTIFICATION_URL=http://127.0.0.1:%d", cfg.Ports["notification"]),
	}, stdout)
	if err != nil {
		return err
	}
	procs = append(procs, portal)
	if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", cfg.Ports["portal"]), procs); err != nil {
		return fmt.Errorf("portal did not become ready: %w", err)
	}
	n, err := seedProfiles(ctx, idp, fmt.Sprintf("http://127.0.0.1:%d", cfg.Ports["registration"]))
	if err != nil {
		return fmt.Errorf("seed demo profiles: %w", err)
	}
	printTable(stdout, cfg, idpURL, natsURL, pgDir, n, time.Since(started))

	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "stopping…")
		return nil
	case p := <-exited(procs):
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	}
}

// smsFile is where notification's development SMS provider appends one JSON line per SMS.
func smsFile(cfg config) string { return filepath.Join(cfg.DataDir, "notification", "sms.jsonl") }

// digitalPostDir is where notification's development Digital Post provider writes one MeMo XML file
// per message.
func digitalPostDir(cfg config) string {
	return filepath.Join(cfg.DataDir, "notification", "digital-post")
}

func portFree(port int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return fmt.Errorf("127.0.0.1:%d is in use", port)
	}
	return ln.Close()
}

func waitReady(ctx context.Context, url string, procs []*process) error {
	deadline := time.Now().Add(90 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		for _, p := range procs {
			if p.done() {
				return fmt.Errorf("%s exited: %v", p.name, p.err)
			}
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after 90 s", url)
}

// ensureStreams creates the event streams on the NATS server at url.
func ensureStreams(ctx context.Context, url string) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return fmt.Errorf("connect to nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return stream.EnsureStreams(ctx, js)
}
