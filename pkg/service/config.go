// Package service is the runtime every Livslang service shares: configuration from the environment,
// the Postgres pool with migrations applied, the JetStream connection and streams, the outbox relay,
// durable consumers and the HTTP server with health, readiness and metrics, all stopped cleanly.
package service

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"livslang.dk/pkg/httpapi"
)

// Config is what every service reads from the environment (prefix LIVSLANG_, then the service name).
type Config struct {
	Name        string
	HTTPAddr    string // LIVSLANG_<NAME>_ADDR, default 127.0.0.1:<port>
	DatabaseURL string // LIVSLANG_<NAME>_DATABASE_URL (its own role and schema)
	NATSURL     string // LIVSLANG_NATS_URL: one URL or several, comma-separated (a cluster's seed servers)
	// NATSReplicas is how many servers store each stream (LIVSLANG_NATS_REPLICAS, default 1; 3 on a
	// three-node JetStream cluster).
	NATSReplicas int
	IssuerURL    string // LIVSLANG_ISSUER_URL: the OIDC issuers whose tokens are accepted, comma-separated
	// Audience is the aud a token must name (LIVSLANG_TOKEN_AUDIENCE, default livslang) and ClockSkew
	// the difference allowed between an issuer's clock and ours (LIVSLANG_TOKEN_CLOCK_SKEW, default
	// 60s, at most 5m).
	Audience  string
	ClockSkew time.Duration
	// RatePerCaller is how many requests a second one caller may make of this instance
	// (LIVSLANG_RATE_PER_CALLER, default 50, bursts of twice that): a signed-in caller by its token's
	// subject, anyone else by client address. Over it: 429 with Retry-After.
	RatePerCaller int
	// TrustedProxies may say whom they forward for (LIVSLANG_TRUSTED_PROXIES, addresses and CIDR
	// ranges, default none): the ingress, and the portal, whose calls for a visitor carry the
	// visitor's address. Rate limits by address then count the client, not the proxy.
	TrustedProxies httpapi.Proxies
	Debug          bool  // LIVSLANG_DEBUG
	MaxConns       int32 // LIVSLANG_<NAME>_DB_MAX_CONNS, default 20
	// PprofAddr serves net/http/pprof on its own listener when set (LIVSLANG_<NAME>_PPROF_ADDR, e.g.
	// 127.0.0.1:6061); never on the API's address, and off by default.
	PprofAddr string
	// ConsumerLanes is how many events each durable consumer handles at once, a citizen's events
	// always in order (LIVSLANG_<NAME>_CONSUMER_LANES, default 4).
	ConsumerLanes int
	Poll          time.Duration
	// CrashChance is for the fault-injection suite only (docs/chaos.md): with this probability the
	// process exits at once, as a kill -9 would, at each point where a crash is hardest to survive
	// (see Crash). LIVSLANG_CHAOS_CRASH, 0 to 1, default 0: never.
	CrashChance float64

	getenv func(string) string // for the OTEL_* variables (package tracing)
}

// Env reads variables and collects field-named errors: every problem with the configuration is
// reported at once (Err), each naming its variable. Read a variable with a method of Env, then check
// what it must be with Check; Fail records a problem found another way.
type Env struct {
	Getenv func(string) string
	errs   []error
}

// String returns the variable or def.
func (e *Env) String(name, def string) string {
	if v := e.Getenv(name); v != "" {
		return v
	}
	return def
}

// Required returns the variable, recording an error when it is empty.
func (e *Env) Required(name string) string {
	v := e.Getenv(name)
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is required", name))
	}
	return v
}

// Int returns the variable as an int, or def.
func (e *Env) Int(name string, def int) int {
	v := e.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: want a whole number, got %q", name, v))
	}
	return n
}

// Bool returns the variable as a bool (true, 1, yes), or def.
func (e *Env) Bool(name string, def bool) bool {
	switch strings.ToLower(e.Getenv(name)) {
	case "":
		return def
	case "1", "true", "yes":
		return true
	case "0", "false", "no":
		return false
	default:
		e.errs = append(e.errs, fmt.Errorf("%s: want true or false", name))
		return def
	}
}

// URL returns the variable, recording an error if it is not an absolute URL.
func (e *Env) URL(name, def string) string {
	v := e.String(name, def)
	if u, err := url.Parse(v); v != "" && (err != nil || u.Scheme == "" || u.Host == "") {
		e.errs = append(e.errs, fmt.Errorf("%s: want an absolute URL", name))
	}
	return v
}

// URLs returns the comma-separated list of absolute URLs in the variable, or def, unchanged.
func (e *Env) URLs(name, def string) string {
	v := e.String(name, def)
	for _, one := range strings.Split(v, ",") {
		if u, err := url.Parse(strings.TrimSpace(one)); v != "" && (err != nil || u.Scheme == "" || u.Host == "") {
			e.errs = append(e.errs, fmt.Errorf("%s: want an absolute URL or several separated by commas", name))
			break
		}
	}
	return v
}

// Duration returns the variable as a Go duration (e.g. 90s), or def.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v := e.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: want a duration such as 90s or 2m, got %q", name, v))
	}
	return d
}

// Fail records an error found while checking a value; it names the variable.
func (e *Env) Fail(err error) { e.errs = append(e.errs, err) }

// Check records "name: want …, got …" unless ok: want says what the variable must be, got is what it
// is (nil: not shown).
func (e *Env) Check(ok bool, name, want string, got any) {
	switch {
	case ok:
	case got == nil:
		e.Fail(fmt.Errorf("%s: want %s", name, want))
	case isString(got):
		e.Fail(fmt.Errorf("%s: want %s, got %q", name, want, got))
	default:
		e.Fail(fmt.Errorf("%s: want %s, got %v", name, want, got))
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }

// Float returns the variable as a number, or def.
func (e *Env) Float(name string, def float64) float64 {
	v := e.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: want a number, got %q", name, v))
	}
	return f
}

// Proxies reads a list of trusted proxies (httpapi.ParseProxies); unset is none.
func (e *Env) Proxies(name string) httpapi.Proxies {
	p, err := httpapi.ParseProxies(e.Getenv(name))
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", name, err))
	}
	return p
}

// Err joins the recorded errors.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// Load reads the shared configuration of service name, whose default port is port.
func Load(env *Env, name string, port int) Config {
	up := strings.ToUpper(name)
	cfg := Config{
		Name:          name,
		HTTPAddr:      env.String("LIVSLANG_"+up+"_ADDR", fmt.Sprintf("127.0.0.1:%d", port)),
		DatabaseURL:   env.Required("LIVSLANG_" + up + "_DATABASE_URL"),
		NATSURL:       env.URLs("LIVSLANG_NATS_URL", "nats://127.0.0.1:4222"),
		IssuerURL:     env.URLs("LIVSLANG_ISSUER_URL", "http://127.0.0.1:8090"),
		Audience:      env.String("LIVSLANG_TOKEN_AUDIENCE", "livslang"),
		ClockSkew:     env.Duration("LIVSLANG_TOKEN_CLOCK_SKEW", time.Minute),
		RatePerCaller: env.Int("LIVSLANG_RATE_PER_CALLER", 50),
		Debug:         env.Bool("LIVSLANG_DEBUG", false),
		MaxConns:      int32(env.Int("LIVSLANG_"+up+"_DB_MAX_CONNS", 20)),
		PprofAddr:     env.String("LIVSLANG_"+up+"_PPROF_ADDR", ""),
		ConsumerLanes: env.Int("LIVSLANG_"+up+"_CONSUMER_LANES", 4),
		getenv:        env.Getenv,
	}
	cfg.TrustedProxies = env.Proxies("LIVSLANG_TRUSTED_PROXIES")
	env.Check(cfg.ClockSkew >= 0 && cfg.ClockSkew <= 5*time.Minute, "LIVSLANG_TOKEN_CLOCK_SKEW", "0s to 5m", cfg.ClockSkew)
	env.Check(cfg.RatePerCaller >= 1, "LIVSLANG_RATE_PER_CALLER", "at least 1", cfg.RatePerCaller)
	cfg.CrashChance = env.Float("LIVSLANG_CHAOS_CRASH", 0)
	env.Check(cfg.CrashChance >= 0 && cfg.CrashChance <= 1, "LIVSLANG_CHAOS_CRASH", "0 to 1", cfg.CrashChance)
	cfg.NATSReplicas = env.Int("LIVSLANG_NATS_REPLICAS", 1)
	env.Check(cfg.NATSReplicas >= 1 && cfg.NATSReplicas <= 5, "LIVSLANG_NATS_REPLICAS", "1 to 5", cfg.NATSReplicas)
	return cfg
}
