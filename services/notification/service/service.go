// Package service wires notification together: configuration, storage, the consumers of registration's
// events, the e-mail sender, the webhook worker and the HTTP API. cmd/notification calls Run.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"livslang.dk/migrations"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/service"
	"livslang.dk/pkg/stream"
	"livslang.dk/services/notification/internal/api"
	"livslang.dk/services/notification/internal/sender"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/templates"
	"livslang.dk/services/notification/internal/webhooks"
)

// Config is notification's configuration; see docs/configuration.md.
type Config struct {
	service.Config
	SMTPAddr string // LIVSLANG_SMTP_ADDR, default 127.0.0.1:1025
	MailFrom string // LIVSLANG_MAIL_FROM, default livslang@herning.dk
	Webhooks WebhookConfig
}

// WebhookConfig is how webhooks are delivered.
type WebhookConfig struct {
	Schedule      []time.Duration // LIVSLANG_WEBHOOK_RETRY_SCHEDULE, comma-separated; default 5s,30s,2m,10m,30m,1h,2h,4h,8h
	GiveUpAfter   time.Duration   // LIVSLANG_WEBHOOK_GIVE_UP_AFTER, default 72h
	SecretOverlap time.Duration   // LIVSLANG_WEBHOOK_SECRET_OVERLAP, default 24h
	Timeout       time.Duration   // LIVSLANG_WEBHOOK_TIMEOUT, default 10s
	Concurrency   int             // LIVSLANG_WEBHOOK_CONCURRENCY, default 16
	PerEndpoint   int             // LIVSLANG_WEBHOOK_PER_ENDPOINT, default 2
}

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := &service.Env{Getenv: getenv}
	var errs []error
	parse := func(name, value string) time.Duration {
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: want positive durations such as 30s or 24h, got %q", name, value))
		}
		return d
	}
	duration := func(name, def string) time.Duration { return parse(name, env.String(name, def)) }
	positive := func(name string, def int) int {
		n := env.Int(name, def)
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s: want at least 1", name))
		}
		return n
	}
	cfg := Config{
		Config:   service.Load(env, "notification", 8083),
		SMTPAddr: env.String("LIVSLANG_SMTP_ADDR", "127.0.0.1:1025"),
		MailFrom: env.String("LIVSLANG_MAIL_FROM", "livslang@herning.dk"),
		Webhooks: WebhookConfig{
			GiveUpAfter:   duration("LIVSLANG_WEBHOOK_GIVE_UP_AFTER", "72h"),
			SecretOverlap: duration("LIVSLANG_WEBHOOK_SECRET_OVERLAP", "24h"),
			Timeout:       duration("LIVSLANG_WEBHOOK_TIMEOUT", "10s"),
			Concurrency:   positive("LIVSLANG_WEBHOOK_CONCURRENCY", 16),
			PerEndpoint:   positive("LIVSLANG_WEBHOOK_PER_ENDPOINT", 2),
		},
	}
	for _, s := range strings.Split(env.String("LIVSLANG_WEBHOOK_RETRY_SCHEDULE", "5s,30s,2m,10m,30m,1h,2h,4h,8h"), ",") {
		cfg.Webhooks.Schedule = append(cfg.Webhooks.Schedule, parse("LIVSLANG_WEBHOOK_RETRY_SCHEDULE", s))
	}
	return cfg, errors.Join(append([]error{env.Err()}, errs...)...)
}

// Run starts notification and serves until ctx is done.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	svc, err := service.Start(ctx, cfg.Config, stdout, migrations.FS, "notification")
	if err != nil {
		return err
	}
	st := &store.Store{Pool: svc.Pool, Now: time.Now}
	const consumer = "notification-registration"
	svc.Consume(stream.Consumer{
		Stream:  events.StreamRegistration,
		Durable: consumer,
		Subjects: []string{events.SubjectProfileUpdated, events.SubjectEnrolmentWaitlisted, events.SubjectEnrolmentConfirmed,
			events.SubjectEnrolmentRejected, events.SubjectEnrolmentCancelled, events.SubjectEnrolmentOffered,
			events.SubjectEnrolmentAccepted},
		Handler: func(ctx context.Context, e events.Envelope) error {
			if e.Type == events.TypeProfileUpdated {
				var p events.ProfileUpdated
				if err := e.Decode(&p); err != nil {
					return err
				}
				_, err := inbox.Apply(ctx, svc.Pool, consumer, e.ID, func(tx pgx.Tx) error { return st.UpsertRecipient(ctx, tx, p) })
				return err
			}
			kind, ok := templates.KindForEvent(e.Type)
			if !ok {
				return nil // a type this version does not turn into messages
			}
			var en events.Enrolment
			if err := e.Decode(&en); err != nil {
				return err
			}
			_, err := inbox.Apply(ctx, svc.Pool, consumer, e.ID, func(tx pgx.Tx) error {
				return st.AddMessage(ctx, tx, e.ID, en.CitizenID, "email", kind, en)
			})
			return err
		},
	})
	const referrals = "notification-referrals"
	svc.Consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  referrals,
		Subjects: []string{events.ReferralSubject("created")},
		Handler: func(ctx context.Context, e events.Envelope) error {
			var r events.Referral
			if err := e.Decode(&r); err != nil {
				return err
			}
			_, err := inbox.Apply(ctx, svc.Pool, referrals, e.ID, func(tx pgx.Tx) error {
				return st.AddMessage(ctx, tx, e.ID, r.CitizenID, "email", templates.ReferralReceived, r)
			})
			return err
		},
	})
	// Webhooks: one delivery per (enrolment event, endpoint of the course's institution that wants it).
	const webhookConsumer = "notification-webhooks"
	svc.Consume(stream.Consumer{
		Stream:   events.StreamRegistration,
		Durable:  webhookConsumer,
		Subjects: []string{"livslang.registration.enrolment.>"},
		Handler: func(ctx context.Context, e events.Envelope) error {
			institution, body, err := webhooks.Payload(e)
			if err != nil {
				return err
			}
			_, err = inbox.Apply(ctx, svc.Pool, webhookConsumer, e.ID, func(tx pgx.Tx) error {
				_, err := st.AddDeliveries(ctx, tx, institution, e.ID, e.Type, body)
				return err
			})
			return err
		},
	})
	wh := cfg.Webhooks
	svc.Go((&webhooks.Worker{Store: st, Log: svc.Log, Timeout: wh.Timeout, Concurrency: wh.Concurrency, PerEndpoint: wh.PerEndpoint,
		Policy: webhooks.Policy{Schedule: wh.Schedule, GiveUpAfter: wh.GiveUpAfter}}).Run)
	svc.Go((&sender.Sender{Store: st, Mailer: sender.SMTP{Addr: cfg.SMTPAddr, From: cfg.MailFrom}, Log: svc.Log}).Run)
	mux := http.NewServeMux()
	(&api.API{Store: st, Log: svc.Log, SecretOverlap: wh.SecretOverlap}).Routes(mux)
	return svc.Serve(ctx, mux)
}
