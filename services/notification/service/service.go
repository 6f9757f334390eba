// Package service wires notification together: configuration, storage, the consumers of registration's
// and funding's events (referrals, decisions that wait for an employer, employers' commitments, refunds,
// contacts and offers from demand, staff invitations), the sender with its channels (e-mail, SMS, Digital Post), the reminders, the
// webhook worker and the HTTP API. cmd/notification calls Run.
package service

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"livslang.dk/migrations"
	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/poll"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/service"
	"livslang.dk/pkg/stream"
	"livslang.dk/services/notification/internal/api"
	"livslang.dk/services/notification/internal/channels"
	"livslang.dk/services/notification/internal/notify"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/sender"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/webhooks"
)

// Config is notification's configuration; see docs/configuration.md and ../README.md.
type Config struct {
	service.Config
	// SealingKeys (LIVSLANG_NOTIFICATION_PII_KEYS, id:base64(32 bytes)[,id:key…], the first seals,
	// all open) wrap the citizens' data keys and seal webhook signing secrets at rest.
	SealingKeys string
	SMTPAddr    string // LIVSLANG_SMTP_ADDR, default 127.0.0.1:1025
	MailFrom    string // LIVSLANG_MAIL_FROM, default livslang@herning.dk
	// SMSFile is where the development SMS provider appends one JSON line per SMS (LIVSLANG_SMS_FILE,
	// default $TMPDIR/livslang-notification/sms.jsonl; the local launcher puts it in its data folder).
	SMSFile string
	// DigitalPostDir is where the development Digital Post provider writes one MeMo XML file per
	// message (LIVSLANG_DIGITAL_POST_DIR, default $TMPDIR/livslang-notification/digital-post).
	DigitalPostDir string
	// DigitalPostSenderCVR and DigitalPostSenderName name the authority in Digital Post
	// (LIVSLANG_DIGITAL_POST_SENDER_CVR, default 29189854; LIVSLANG_DIGITAL_POST_SENDER_NAME, default
	// Herning Kommune).
	DigitalPostSenderCVR  string
	DigitalPostSenderName string
	// PortalURL is where links in messages point (LIVSLANG_PORTAL_URL, default http://127.0.0.1:8080).
	PortalURL string
	// QuietHours is when no SMS is sent (LIVSLANG_SMS_QUIET_HOURS, default 21:00-08:00 Copenhagen; "off").
	QuietHours policy.QuietHours
	// SendLease is how long a message being sent is held before it is tried again
	// (LIVSLANG_NOTIFICATION_SEND_LEASE, default 2m).
	SendLease time.Duration
	// IdlePoll is how often the sender, the webhook worker and the reminders look for work that no
	// event woke them for: retries and reminders falling due, another instance's expired leases
	// (LIVSLANG_NOTIFICATION_IDLE_POLL, default 2s).
	IdlePoll time.Duration
	Webhooks WebhookConfig
	// Retention: how long messages, reminders and webhook deliveries are kept
	// (LIVSLANG_NOTIFICATION_RETAIN_*), and the shared periods (LIVSLANG_RETAIN_*).
	Retention store.Retention
	Shared    retention.Shared
}

// WebhookConfig is how webhooks are delivered.
type WebhookConfig struct {
	Schedule      []time.Duration // LIVSLANG_WEBHOOK_RETRY_SCHEDULE, comma-separated; default 5s,30s,2m,10m,30m,1h,2h,4h,8h
	GiveUpAfter   time.Duration   // LIVSLANG_WEBHOOK_GIVE_UP_AFTER, default 72h
	SecretOverlap time.Duration   // LIVSLANG_WEBHOOK_SECRET_OVERLAP, default 24h
	Timeout       time.Duration   // LIVSLANG_WEBHOOK_TIMEOUT, default 10s
	Concurrency   int             // LIVSLANG_WEBHOOK_CONCURRENCY, default 16
	PerEndpoint   int             // LIVSLANG_WEBHOOK_PER_ENDPOINT, default 2
	// Lease is how long a delivery being sent is held before another worker may take it, so a
	// crashed worker's deliveries are sent again (LIVSLANG_WEBHOOK_LEASE, default 2m; longer than Timeout).
	Lease time.Duration
	// AllowLoopback lets endpoints be on this machine (LIVSLANG_WEBHOOK_ALLOW_LOOPBACK, default false:
	// only development, where the receivers run beside the services, sets it).
	AllowLoopback bool
}

// LoadConfig reads the configuration from getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := &service.Env{Getenv: getenv}
	parse := func(name, value string) time.Duration {
		d, err := time.ParseDuration(strings.TrimSpace(value))
		env.Check(err == nil && d > 0, name, "positive durations such as 30s or 24h", value)
		return d
	}
	duration := func(name, def string) time.Duration { return parse(name, env.String(name, def)) }
	positive := func(name string, def int) int {
		n := env.Int(name, def)
		env.Check(n >= 1, name, "at least 1", n)
		return n
	}
	devDir := filepath.Join(os.TempDir(), "livslang-notification")
	cfg := Config{
		Config:                service.Load(env, "notification", 8083),
		SealingKeys:           env.Required("LIVSLANG_NOTIFICATION_PII_KEYS"),
		SMTPAddr:              env.String("LIVSLANG_SMTP_ADDR", "127.0.0.1:1025"),
		MailFrom:              env.String("LIVSLANG_MAIL_FROM", "livslang@herning.dk"),
		SMSFile:               env.String("LIVSLANG_SMS_FILE", filepath.Join(devDir, "sms.jsonl")),
		DigitalPostDir:        env.String("LIVSLANG_DIGITAL_POST_DIR", filepath.Join(devDir, "digital-post")),
		DigitalPostSenderCVR:  env.String("LIVSLANG_DIGITAL_POST_SENDER_CVR", "29189854"),
		DigitalPostSenderName: env.String("LIVSLANG_DIGITAL_POST_SENDER_NAME", "Herning Kommune"),
		PortalURL:             env.URL("LIVSLANG_PORTAL_URL", "http://127.0.0.1:8080"),
		SendLease:             duration("LIVSLANG_NOTIFICATION_SEND_LEASE", "2m"),
		IdlePoll:              duration("LIVSLANG_NOTIFICATION_IDLE_POLL", "2s"),
		Shared:                retention.LoadShared(env),
		Webhooks: WebhookConfig{
			GiveUpAfter:   duration("LIVSLANG_WEBHOOK_GIVE_UP_AFTER", "72h"),
			SecretOverlap: duration("LIVSLANG_WEBHOOK_SECRET_OVERLAP", "24h"),
			Timeout:       duration("LIVSLANG_WEBHOOK_TIMEOUT", "10s"),
			Concurrency:   positive("LIVSLANG_WEBHOOK_CONCURRENCY", 16),
			PerEndpoint:   positive("LIVSLANG_WEBHOOK_PER_ENDPOINT", 2),
			Lease:         duration("LIVSLANG_WEBHOOK_LEASE", "2m"),
			AllowLoopback: env.Bool("LIVSLANG_WEBHOOK_ALLOW_LOOPBACK", false),
		},
	}
	env.Check(cfg.Webhooks.Lease > cfg.Webhooks.Timeout, "LIVSLANG_WEBHOOK_LEASE",
		fmt.Sprintf("longer than LIVSLANG_WEBHOOK_TIMEOUT (%s)", cfg.Webhooks.Timeout), cfg.Webhooks.Lease)
	for _, s := range strings.Split(env.String("LIVSLANG_WEBHOOK_RETRY_SCHEDULE", "5s,30s,2m,10m,30m,1h,2h,4h,8h"), ",") {
		cfg.Webhooks.Schedule = append(cfg.Webhooks.Schedule, parse("LIVSLANG_WEBHOOK_RETRY_SCHEDULE", s))
	}
	cfg.Retention = store.Retention{
		Messages:          retention.Env(env, "LIVSLANG_NOTIFICATION_RETAIN_MESSAGES", "6mo"),
		WebhookDeliveries: retention.Env(env, "LIVSLANG_NOTIFICATION_RETAIN_WEBHOOK_DELIVERIES", "90d"),
		Audit:             cfg.Shared.Audit,
	}
	var err error
	if cfg.QuietHours, err = policy.ParseQuietHours(env.String("LIVSLANG_SMS_QUIET_HOURS", "21:00-08:00")); err != nil {
		env.Fail(fmt.Errorf("LIVSLANG_SMS_QUIET_HOURS: %w", err))
	}
	env.Check(regexp.MustCompile(`^\d{8}$`).MatchString(cfg.DigitalPostSenderCVR), "LIVSLANG_DIGITAL_POST_SENDER_CVR",
		"a CVR number of 8 digits", cfg.DigitalPostSenderCVR)
	return cfg, env.Err()
}

// Options are what a test injects into the service; the zero value is production.
type Options struct {
	// Now is the clock of everything time-based: due times, retries, quiet hours, reminders, webhook
	// retries. Default time.Now.
	Now func() time.Time
	// BeforeRecord runs after a provider accepted a message and before it is recorded as sent; an error
	// leaves it unrecorded, as a crash at that moment would (see sender.Sender).
	BeforeRecord func(m store.Message) error
}

// Run starts notification and serves until ctx is done.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	return Options{}.Run(ctx, getenv, stdout)
}

// Run starts notification with the options and serves until ctx is done.
func (o Options) Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	keys, err := pii.ParseSealingKeys(cfg.SealingKeys)
	if err != nil {
		return fmt.Errorf("configuration: LIVSLANG_NOTIFICATION_PII_KEYS: %w", err)
	}
	svc, err := service.Start(ctx, cfg.Config, stdout, migrations.FS, "notification")
	if err != nil {
		return err
	}
	st := &store.Store{Pool: svc.Pool, Now: now, Keys: keys, Ring: datakeys.Keyring{Keys: keys}, Retention: cfg.Retention}
	resealed, err := st.SealStoredSecrets(ctx)
	if err != nil {
		return err
	}
	sealed, err := st.SealLegacyRecipients(ctx)
	if err != nil {
		return err
	}
	rewrapped, err := st.Ring.Rewrap(ctx, svc.Pool, now())
	if err != nil {
		return err
	}
	svc.Log.Info("personal data keys ready", zap.Int("webhook_secrets_resealed", resealed), zap.Int("recipients_sealed", sealed),
		zap.Int("data_keys_rewrapped", rewrapped))
	svc.Go(retention.Job{Steps: append(cfg.Shared.Steps(svc.Pool), st.RetentionSteps()...), Every: cfg.Shared.Every,
		Now: now, Log: svc.Log}.Run)
	n := &notify.Notifier{Store: st, Log: svc.Log}

	// Every consumer below may queue a message: its commit wakes the sender, which otherwise looks
	// for due messages (retries, quiet hours over, another instance's leases) every IdlePoll.
	var sending, delivering poll.Waker
	consume := func(c stream.Consumer) {
		c.AfterCommit = sending.Wake
		svc.Consume(c)
	}

	// Registration's events: profiles (the recipients), enrolments (messages, the state reminders
	// depend on), runs (changed dates) and citizens' data requests. The cancellations an erasure makes
	// say so and send nothing, whether they come before or after the erasure's request, so no
	// cancellation mail goes to the address being erased.
	consume(stream.Consumer{
		Stream:  events.StreamRegistration,
		Durable: "notification-registration",
		Subjects: []string{events.SubjectProfileUpdated, events.SubjectCourseUpdated, "livslang.registration.enrolment.>",
			events.SubjectDataRequestRequested},
		Routes: []stream.Route{
			stream.Handle(func(ctx context.Context, tx pgx.Tx, _ events.Envelope, p events.ProfileUpdated) error {
				return st.UpsertRecipient(ctx, tx, p)
			}, events.TypeProfileUpdated),
			stream.Handle(n.OnCourse, events.TypeCourseUpdated),
			stream.Handle(func(ctx context.Context, tx pgx.Tx, _ events.Envelope, req events.DataRequest) error {
				return n.OnDataRequest(ctx, tx, req)
			}, events.TypeDataRequestRequested),
			stream.Handle(n.OnEnrolment, events.EnrolmentTypes...),
		},
	})
	// Funding's referral events: a referral and its withdrawal are the municipality's decisions.
	consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "notification-referrals",
		Subjects: []string{events.SubjectReferrals},
		Routes:   []stream.Route{stream.Handle(n.OnReferral, events.ReferralTypes...)},
	})
	// Funding's decisions: registration's enrolment events tell the citizen of approvals and
	// rejections; a decision that waits for the citizen's employer leaves the enrolment pending, so it
	// is told from funding's own event.
	consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "notification-funding-decisions",
		Subjects: []string{events.SubjectFundingEmployer},
		Routes:   []stream.Route{stream.Handle(n.OnFundingDecision, events.TypeFundingEmployer)},
	})
	// Funding's commitment events: what a funding plan asks of the citizen's employer, by e-mail to
	// the company (a party other than the citizen, like the institutions' webhooks).
	consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "notification-commitments",
		Subjects: []string{events.SubjectCommitments},
		Routes:   []stream.Route{stream.Handle(n.OnCommitment, events.CommitmentTypes...)},
	})
	// Funding's company contacts: the copy a company's messages fall back on when their event carries
	// no e-mail address (an offer from demand never does).
	consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "notification-companies",
		Subjects: []string{events.SubjectCompanyUpdated},
		Routes:   []stream.Route{stream.Handle(n.OnCompanyUpdated, events.TypeCompanyUpdated)},
	})
	// Funding's refunds paid out: the company is told by e-mail.
	consume(stream.Consumer{
		Stream:   events.StreamFunding,
		Durable:  "notification-refunds",
		Subjects: []string{events.SubjectRefundPaid},
		Routes:   []stream.Route{stream.Handle(n.OnRefundPaid, events.TypeRefundPaid)},
	})
	// Registration's offers from demand: seats on a new run held for a company, told by e-mail.
	consume(stream.Consumer{
		Stream:   events.StreamRegistration,
		Durable:  "notification-demand-offers",
		Subjects: []string{events.SubjectDemandOffered},
		Routes:   []stream.Route{stream.Handle(n.OnDemandOffered, events.TypeDemandOffered)},
	})
	// Registration's staff invitations: an employee a company enrolled is asked to complete a profile.
	consume(stream.Consumer{
		Stream:   events.StreamRegistration,
		Durable:  "notification-staff-invitations",
		Subjects: []string{events.SubjectStaffInvited},
		Routes:   []stream.Route{stream.Handle(n.OnStaffInvited, events.TypeStaffInvited)},
	})
	// Webhooks: one delivery per (enrolment event, endpoint of the course's institution that wants it).
	const webhookConsumer = "notification-webhooks"
	svc.Consume(stream.Consumer{
		Stream:   events.StreamRegistration,
		Durable:  webhookConsumer,
		Subjects: []string{"livslang.registration.enrolment.>"},
		Types:    events.EnrolmentTypes,
		Handler: func(ctx context.Context, e events.Envelope) error {
			institution, body, err := webhooks.Payload(e)
			if err != nil {
				return err
			}
			// One statement, idempotent by its unique (endpoint, event): no inbox row, and no
			// commit to flush when the institution has no endpoint that wants the event.
			added, err := st.AddDeliveries(ctx, svc.Pool, institution, e.ID, e.Type, body)
			if err == nil && added > 0 {
				delivering.Wake()
			}
			return err
		},
	})
	beforeRecord := o.BeforeRecord
	if beforeRecord == nil {
		beforeRecord = func(store.Message) error { svc.Crash(service.CrashBeforeRecord); return nil }
	}
	wh := cfg.Webhooks
	targets := webhooks.Targets{AllowLoopback: wh.AllowLoopback}
	svc.Go((&webhooks.Worker{Store: st, Log: svc.Log, Now: now, Wake: &delivering, Poll: cfg.IdlePoll, Timeout: wh.Timeout, Concurrency: wh.Concurrency, Targets: targets,
		PerEndpoint: wh.PerEndpoint, Lease: wh.Lease, Policy: webhooks.Policy{Schedule: wh.Schedule, GiveUpAfter: wh.GiveUpAfter}}).Run)
	svc.Go((&sender.Sender{Store: st, Log: svc.Log, PortalURL: cfg.PortalURL, Quiet: cfg.QuietHours, Lease: cfg.SendLease,
		Wake: &sending, Poll: cfg.IdlePoll, BeforeRecord: beforeRecord,
		Providers: map[string]channels.Provider{
			policy.Email: channels.SMTP{Addr: cfg.SMTPAddr, From: cfg.MailFrom, Now: now},
			policy.SMS:   &channels.SMSFile{Path: cfg.SMSFile, Now: now},
			policy.DigitalPost: channels.DigitalPostDir{Dir: cfg.DigitalPostDir, SenderID: cfg.DigitalPostSenderCVR,
				SenderLabel: cfg.DigitalPostSenderName, Now: now},
		}}).Run)
	svc.Go(n.RunReminders(svc.Log, cfg.IdlePoll, &sending))
	return svc.Serve(ctx, (&api.API{Store: st, Log: svc.Log, SecretOverlap: wh.SecretOverlap, Targets: targets}).Routes())
}
