// Package service wires notification together: configuration, storage, the consumer of registration's
// events, the e-mail sender and the HTTP API. cmd/notification calls Run.
package service

import (
	"context"
	"fmt"
	"io"
	"net/http"
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
)

// Config is notification's configuration; see docs/configuration.md.
type Config struct {
	service.Config
	SMTPAddr string // LIVSLANG_SMTP_ADDR, default 127.0.0.1:1025
	MailFrom string // LIVSLANG_MAIL_FROM, default livslang@herning.dk
}

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := &service.Env{Getenv: getenv}
	cfg := Config{
		Config:   service.Load(env, "notification", 8083),
		SMTPAddr: env.String("LIVSLANG_SMTP_ADDR", "127.0.0.1:1025"),
		MailFrom: env.String("LIVSLANG_MAIL_FROM", "livslang@herning.dk"),
	}
	return cfg, env.Err()
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
	svc.Go((&sender.Sender{Store: st, Mailer: sender.SMTP{Addr: cfg.SMTPAddr, From: cfg.MailFrom}, Log: svc.Log}).Run)
	mux := http.NewServeMux()
	(&api.API{Store: st, Log: svc.Log}).Routes(mux)
	return svc.Serve(ctx, mux)
}
