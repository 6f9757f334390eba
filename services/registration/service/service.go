// Package service wires registration together: configuration, storage, the HTTP API and the consumer
// of funding decisions. cmd/registration calls Run; tests start the service in-process the same way.
package service

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"livslang.dk/migrations"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/service"
	"livslang.dk/pkg/stream"
	"livslang.dk/services/registration/internal/api"
	"livslang.dk/services/registration/internal/demo"
	"livslang.dk/services/registration/internal/feedwatch"
	"livslang.dk/services/registration/internal/store"
)

// Config is registration's configuration; see docs/configuration.md.
type Config struct {
	service.Config
	SealingKeys string // LIVSLANG_REGISTRATION_PII_KEYS: id:base64(32 bytes)[,id:key…], first is current
	IndexKey    string // LIVSLANG_CPR_INDEX_KEY: base64, at least 32 bytes
	SeedDemo    bool   // LIVSLANG_REGISTRATION_SEED_DEMO
	// AnswerDays and AnswerDefault: an institution answers a confirmed enrolment within
	// LIVSLANG_REGISTRATION_ANSWER_DAYS Danish business days (default 5), else
	// LIVSLANG_REGISTRATION_ANSWER_DEFAULT happens (accept or reject; default accept).
	AnswerDays    int
	AnswerDefault string
	// HoldHours: a seat held for funding is released after LIVSLANG_REGISTRATION_HOLD_HOURS (default 168).
	HoldHours int
	// Limits on POST /v1/enrolments: LIVSLANG_REGISTRATION_MAX_IN_FLIGHT (64),
	// LIVSLANG_REGISTRATION_RATE_PER_CITIZEN (2/s, burst 5×), LIVSLANG_REGISTRATION_RATE_PER_ADDRESS (500/s, burst 2×).
	Limits api.Limits
	// TimerInterval: how often deadlines, offers, holds and ballots are checked
	// (LIVSLANG_REGISTRATION_TIMER_SECONDS, default 15).
	TimerInterval time.Duration
	// Retention: how long registration keeps what it holds (LIVSLANG_REGISTRATION_RETAIN_*), and the
	// shared periods of the messaging tables and the audit log (LIVSLANG_RETAIN_*).
	Retention store.Retention
	Shared    retention.Shared
	// Issuing: certificates name registration by LIVSLANG_REGISTRATION_PUBLIC_URL (default
	// http://<addr>), share links point at LIVSLANG_PORTAL_URL, and a signing key signs for
	// LIVSLANG_REGISTRATION_SIGNING_KEY_DAYS (default 90) before the next takes over.
	Issuing store.CredentialPolicy
}

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := &service.Env{Getenv: getenv}
	cfg := Config{
		Config:        service.Load(env, "registration", 8081),
		SealingKeys:   env.Required("LIVSLANG_REGISTRATION_PII_KEYS"),
		IndexKey:      env.Required("LIVSLANG_CPR_INDEX_KEY"),
		SeedDemo:      env.Bool("LIVSLANG_REGISTRATION_SEED_DEMO", false),
		AnswerDays:    env.Int("LIVSLANG_REGISTRATION_ANSWER_DAYS", 5),
		AnswerDefault: env.String("LIVSLANG_REGISTRATION_ANSWER_DEFAULT", "accept"),
		HoldHours:     env.Int("LIVSLANG_REGISTRATION_HOLD_HOURS", 168),
		TimerInterval: time.Duration(env.Int("LIVSLANG_REGISTRATION_TIMER_SECONDS", 15)) * time.Second,
		Shared:        retention.LoadShared(env),
	}
	cfg.Retention = store.Retention{
		EndedEnrolments: retention.Env(env, "LIVSLANG_REGISTRATION_RETAIN_ENDED_ENROLMENTS", "3y"),
		CompletedYears:  env.Int("LIVSLANG_REGISTRATION_RETAIN_COMPLETED_YEARS", 5),
		Exports:         retention.Env(env, "LIVSLANG_REGISTRATION_RETAIN_EXPORTS", "7d"),
		DataRequests:    retention.Env(env, "LIVSLANG_REGISTRATION_RETAIN_DATA_REQUESTS", "3y"),
		Audit:           cfg.Shared.Audit,
	}
	cfg.Issuing = store.CredentialPolicy{
		BaseURL:   strings.TrimRight(env.URL("LIVSLANG_REGISTRATION_PUBLIC_URL", "http://"+cfg.HTTPAddr), "/"),
		PortalURL: strings.TrimRight(env.URL("LIVSLANG_PORTAL_URL", "http://127.0.0.1:8080"), "/"),
		KeyDays:   env.Int("LIVSLANG_REGISTRATION_SIGNING_KEY_DAYS", 90),
	}
	env.Check(cfg.Issuing.KeyDays >= 1 && cfg.Issuing.KeyDays <= 3650, "LIVSLANG_REGISTRATION_SIGNING_KEY_DAYS", "1 to 3650", cfg.Issuing.KeyDays)
	env.Check(cfg.Retention.CompletedYears >= 1, "LIVSLANG_REGISTRATION_RETAIN_COMPLETED_YEARS", "at least 1", cfg.Retention.CompletedYears)
	perCitizen := env.Int("LIVSLANG_REGISTRATION_RATE_PER_CITIZEN", 2)
	perAddress := env.Int("LIVSLANG_REGISTRATION_RATE_PER_ADDRESS", 500)
	inFlight := env.Int("LIVSLANG_REGISTRATION_MAX_IN_FLIGHT", 64)
	cfg.Limits = api.Limits{InFlight: inFlight, MaxWaiting: env.Int("LIVSLANG_REGISTRATION_MAX_WAITING", inFlight),
		PerCitizen: float64(perCitizen), CitizenBurst: 5 * perCitizen, PerAddress: float64(perAddress), AddrBurst: 2 * perAddress}
	env.Check(cfg.AnswerDefault == "accept" || cfg.AnswerDefault == "reject", "LIVSLANG_REGISTRATION_ANSWER_DEFAULT", "accept or reject", cfg.AnswerDefault)
	env.Check(cfg.AnswerDays >= 1 && cfg.AnswerDays <= 60, "LIVSLANG_REGISTRATION_ANSWER_DAYS", "1 to 60", cfg.AnswerDays)
	return cfg, env.Err()
}

// Run starts registration and serves until ctx is done.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	keys, err := pii.ParseKeys(cfg.SealingKeys, cfg.IndexKey)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	svc, err := service.Start(ctx, cfg.Config, stdout, migrations.FS, "registration")
	if err != nil {
		return err
	}
	st := store.New(svc.Pool, keys, time.Now)
	st.Answer = store.AnswerPolicy{Days: cfg.AnswerDays, Default: cfg.AnswerDefault}
	st.HoldHours = cfg.HoldHours
	st.Retention = cfg.Retention
	st.Issuing = cfg.Issuing
	n, err := st.SealLegacyProfiles(ctx)
	if err != nil {
		return err
	}
	rewrapped, err := st.RewrapKeys(ctx)
	if err != nil {
		return err
	}
	svc.Log.Info("personal data keys ready", zap.Int("profiles_sealed", n), zap.Int("data_keys_rewrapped", rewrapped))
	svc.Go(retention.Job{Steps: append(cfg.Shared.Steps(svc.Pool), st.RetentionSteps()...), Every: cfg.Shared.Every,
		Now: time.Now, Log: svc.Log}.Run)
	svc.Go(func(ctx context.Context) error {
		return st.RunTimers(ctx, cfg.TimerInterval, func(err error) { svc.Log.Warn("timed rule failed; retrying", zap.Error(err)) })
	})
	if cfg.SeedDemo {
		n, err := demo.Seed(ctx, st, st.Today())
		if err != nil {
			return err
		}
		svc.Log.Info("demo catalogue seeded", zap.Int("new_course_runs", n))
	}
	svc.Consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "registration-funding-decisions",
		Subjects: []string{"livslang.funding.decision.>", events.SubjectReferrals},
		// One event per transaction: each confirmation appends to its institution's feed, whose head
		// row the enrolment requests of that institution also take, and a batch would hold it for the
		// whole batch (measured: requests queued behind it, p99 5.6 s at 50/s). Batching here waits
		// for the feed to be numbered outside the transactions.
		Batch: 1,
		Routes: []stream.Route{
			stream.Handle(func(ctx context.Context, tx pgx.Tx, _ events.Envelope, d events.FundingDecided) error {
				return st.ApplyFunding(ctx, tx, d)
			}, events.FundingDecisionTypes...),
			stream.Handle(func(ctx context.Context, tx pgx.Tx, e events.Envelope, r events.Referral) error {
				if e.Type == events.TypeReferralCreated {
					return st.HoldForReferral(ctx, tx, r)
				}
				return st.ApplyReferral(ctx, tx, e.Type, r)
			}, events.ReferralTypes...),
		},
	})
	// What funding found each citizen can get funded, for the search's funded_for_me=true.
	svc.Consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "registration-funded-courses",
		Subjects: []string{events.SubjectFundedCourses},
		Routes: []stream.Route{stream.Handle(func(ctx context.Context, tx pgx.Tx, _ events.Envelope, l events.FundedCourses) error {
			return st.ApplyFundedCourses(ctx, tx, l)
		}, events.TypeFundedCourses)},
	})
	// The other services' parts of citizens' data requests.
	answered := stream.Handle(func(ctx context.Context, tx pgx.Tx, _ events.Envelope, a events.DataRequestAnswered) error {
		return st.ApplyDataAnswer(ctx, tx, a)
	}, events.TypeDataRequestAnswered)
	for _, from := range []struct{ stream, service string }{{events.StreamFunding, "funding"}, {events.StreamNotification, "notification"}} {
		svc.Consume(stream.Consumer{
			Stream:   from.stream,
			Durable:  "registration-" + from.service + "-data-requests",
			Subjects: []string{events.DataRequestAnsweredSubject(from.service)},
			Routes:   []stream.Route{answered},
		})
	}
	feeds := &feedwatch.Watcher{Heads: st.FeedHeads, Log: svc.Log}
	svc.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livslang_feed_polls_waiting",
		Help: "Long polls of institution feeds (wait=N) waiting on this instance for their feed to grow."},
		func() float64 { return float64(feeds.Waiting()) }))
	svc.Go(feeds.Run)
	return svc.Serve(ctx, (&api.API{Store: st, Pool: svc.Pool, Log: svc.Log, Limits: cfg.Limits, Feeds: feeds}).Routes())
}
