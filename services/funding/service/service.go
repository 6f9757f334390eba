// Package service wires funding together: configuration, storage, the consumer of enrolment events
// and the HTTP API. cmd/funding calls Run.
package service

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/migrations"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/inbox"
	"livslang.dk/pkg/service"
	"livslang.dk/pkg/stream"
	"livslang.dk/services/funding/internal/api"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// Run starts funding and serves until ctx is done.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	env := &service.Env{Getenv: getenv}
	cfg := service.Load(env, "funding", 8082)
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	svc, err := service.Start(ctx, cfg, stdout, migrations.FS, "funding")
	if err != nil {
		return err
	}
	st := &store.Store{Pool: svc.Pool, Now: time.Now}
	rates := rules.DefaultRates()
	const consumer = "funding-enrolments"
	svc.Consume(stream.Consumer{
		Stream:   events.StreamRegistration,
		Durable:  consumer,
		Subjects: []string{events.SubjectEnrolmentRequested, events.SubjectEnrolmentCancelled, events.SubjectEnrolmentRejected},
		Handler: func(ctx context.Context, e events.Envelope) error {
			var en events.Enrolment
			if err := e.Decode(&en); err != nil {
				return err
			}
			if e.Type != events.TypeEnrolmentRequested {
				id, err := uuid.Parse(en.EnrolmentID)
				if err != nil {
					return fmt.Errorf("%w: enrolment_id", events.ErrMalformed)
				}
				_, err = inbox.Apply(ctx, svc.Pool, consumer, e.ID, func(tx pgx.Tx) error { return st.Release(ctx, tx, id) })
				return err
			}
			rec, err := decide.Enrolment(en, rates, time.Now())
			if err != nil {
				return err
			}
			_, err = inbox.Apply(ctx, svc.Pool, consumer, e.ID, func(tx pgx.Tx) error { return st.Save(ctx, tx, rec) })
			return err
		},
	})
	mux := http.NewServeMux()
	(&api.API{Store: st, Log: svc.Log}).Routes(mux)
	return svc.Serve(ctx, mux)
}
