// Package service wires funding together: configuration, storage, the consumer of registration's
// events and the HTTP API. cmd/funding calls Run.
package service

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"livslang.dk/migrations"
	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/service"
	"livslang.dk/pkg/stream"
	"livslang.dk/services/funding/internal/api"
	"livslang.dk/services/funding/internal/decisions"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// Config is funding's configuration; see docs/configuration.md.
type Config struct {
	service.Config
	CPRIndexKey string // LIVSLANG_CPR_INDEX_KEY: the key registration hashes CPR numbers with (base64)
	SeedDemo    bool   // LIVSLANG_FUNDING_SEED_DEMO: create the demo budget pools
	// SealingKeys (LIVSLANG_FUNDING_PII_KEYS: id:base64(32 bytes)[,…], the first current) wrap the
	// citizens' data keys.
	SealingKeys string
	// Retention: how long decisions and referrals are kept (LIVSLANG_FUNDING_RETAIN_DECISION_YEARS),
	// and the shared periods (LIVSLANG_RETAIN_*).
	Retention store.Retention
	Shared    retention.Shared
	// Employer: the business days a company has to answer what a funding plan asks of it
	// (LIVSLANG_FUNDING_EMPLOYER_DAYS, default 5; LIVSLANG_FUNDING_EMPLOYER_DAYS_SVU, default 10).
	Employer decisions.Deadlines
}

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := &service.Env{Getenv: getenv}
	cfg := Config{
		Config:      service.Load(env, "funding", 8082),
		CPRIndexKey: env.Required("LIVSLANG_CPR_INDEX_KEY"),
		SeedDemo:    env.Bool("LIVSLANG_FUNDING_SEED_DEMO", false),
		SealingKeys: env.Required("LIVSLANG_FUNDING_PII_KEYS"),
		Shared:      retention.LoadShared(env),
	}
	cfg.Retention = store.Retention{DecisionYears: env.Int("LIVSLANG_FUNDING_RETAIN_DECISION_YEARS", 5), Audit: cfg.Shared.Audit}
	cfg.Employer = decisions.Deadlines{Days: env.Int("LIVSLANG_FUNDING_EMPLOYER_DAYS", 5), SVUDays: env.Int("LIVSLANG_FUNDING_EMPLOYER_DAYS_SVU", 10)}
	env.Check(cfg.Employer.Days >= 1 && cfg.Employer.Days <= 60, "LIVSLANG_FUNDING_EMPLOYER_DAYS", "1 to 60 business days", cfg.Employer.Days)
	env.Check(cfg.Employer.SVUDays >= 1 && cfg.Employer.SVUDays <= 60, "LIVSLANG_FUNDING_EMPLOYER_DAYS_SVU", "1 to 60 business days", cfg.Employer.SVUDays)
	env.Check(cfg.Retention.DecisionYears >= 1, "LIVSLANG_FUNDING_RETAIN_DECISION_YEARS", "at least 1", cfg.Retention.DecisionYears)
	return cfg, env.Err()
}

// Run starts funding and serves until ctx is done.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	indexKey, err := base64.StdEncoding.DecodeString(cfg.CPRIndexKey)
	if err != nil || len(indexKey) < 32 {
		return fmt.Errorf("configuration: LIVSLANG_CPR_INDEX_KEY: want at least 32 bytes in base64 (the key registration hashes CPR numbers with): %v", err)
	}
	keys, err := pii.ParseSealingKeys(cfg.SealingKeys)
	if err != nil {
		return fmt.Errorf("configuration: LIVSLANG_FUNDING_PII_KEYS: %w", err)
	}
	svc, err := service.Start(ctx, cfg.Config, stdout, migrations.FS, "funding")
	if err != nil {
		return err
	}
	st := &store.Store{Pool: svc.Pool, Now: time.Now, Ring: datakeys.Keyring{Keys: keys}, Retention: cfg.Retention}
	sealed, err := st.SealLegacy(ctx)
	if err != nil {
		return err
	}
	rewrapped, err := st.Ring.Rewrap(ctx, svc.Pool, time.Now())
	if err != nil {
		return err
	}
	svc.Log.Info("personal data keys ready", zap.Int("rows_sealed", sealed), zap.Int("data_keys_rewrapped", rewrapped))
	svc.Go(retention.Job{Steps: append(cfg.Shared.Steps(svc.Pool), st.RetentionSteps()...), Every: cfg.Shared.Every,
		Now: time.Now, Log: svc.Log}.Run)
	svc.Gauge("livslang_funding_pool_remaining_dkk", "Budget left in a pool (amount - reserved - paid).", []string{"scheme", "owner", "year"}, `SELECT scheme, owner, year::text, amount_dkk - reserved_dkk - paid_dkk FROM budget_pools`)
	if cfg.SeedDemo {
		n, err := seedPools(ctx, st, time.Now().Year())
		if err != nil {
			return err
		}
		svc.Log.Info("demo budget pools ready", zap.Int("pools", n))
		if err := seedCompanies(ctx, st); err != nil {
			return err
		}
	}
	d := &decisions.Service{DB: svc.Pool, Store: st, Rates: rules.DefaultRates(), Now: time.Now, Deadlines: cfg.Employer}
	svc.Consume(stream.Consumer{
		Stream:  events.StreamRegistration,
		Durable: "funding-registration",
		// Data requests come through the same consumer, in the citizen's lane; nothing here relies on
		// the order (docs/architecture.md, "Delivery and order"): after an erasure nothing of the
		// citizen is kept, and its cancellations release like any other.
		Subjects: []string{"livslang.registration.enrolment.>", events.SubjectProfileUpdated, events.SubjectCourseUpdated,
			events.SubjectDataRequestRequested},
		Routes: d.Routes(),
	})
	svc.Go(func(ctx context.Context) error {
		return d.RunTimers(ctx, 15*time.Second, func(err error) { svc.Log.Warn("timer failed; retrying", zap.Error(err)) })
	})
	return svc.Serve(ctx, (&api.API{Decisions: d, Store: st, Log: svc.Log, CPRIndexKey: indexKey}).Routes())
}
