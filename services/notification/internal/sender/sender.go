// Package sender delivers queued messages: it renders each in the recipient's language and hands it to
// its channel's provider, holds SMS over quiet hours, retries failures with backoff, and records a
// permanent failure so that a message that must arrive goes on to the next channel.
package sender

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/poll"
	"livslang.dk/services/notification/internal/channels"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/templates"
)

// Sender delivers due messages until its context ends. Several senders (instances) share the work
// through Store.Claim.
type Sender struct {
	Store     *store.Store
	Providers map[string]channels.Provider // by channel
	Log       *zap.Logger
	PortalURL string // for links in messages
	Quiet     policy.QuietHours
	Poll      time.Duration // how often to look for due messages when nothing wakes it; default 2s
	Wake      *poll.Waker   // woken when messages were queued (nil: Poll alone)
	Lease     time.Duration // how long a claimed message is held before it is tried again; default 2m
	// MaxAttempts is how many times a message is tried before it fails for good; default 8.
	MaxAttempts int
	Concurrency int // messages sent at once; default 8
	// BeforeRecord, if set, runs after a provider accepted a message and before it is recorded as sent.
	// An error leaves the message unrecorded, as if the process had died at that moment: it is tried
	// again when its lease ends. Tests use it to simulate that crash.
	BeforeRecord func(m store.Message) error
}

func (s *Sender) defaults() {
	if s.Poll == 0 {
		s.Poll = 2 * time.Second
	}
	if s.Lease == 0 {
		s.Lease = 2 * time.Minute
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 8
	}
	if s.Concurrency == 0 {
		s.Concurrency = 8
	}
}

// RetryDelay is the wait after the n-th failed attempt: 2^n seconds, at most 10 minutes.
func RetryDelay(attempt int) time.Duration { return min(time.Second<<min(attempt, 10), 10*time.Minute) }

// Run sends until ctx is done.
func (s *Sender) Run(ctx context.Context) error {
	s.defaults()
	return s.Wake.Run(ctx, s.Poll, func(ctx context.Context) bool {
		n, err := s.SendDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.Log.Warn("sending messages failed", zap.Error(err))
		}
		return n > 0 && err == nil
	})
}

// SendDue sends one batch of due messages at once and reports how many it claimed. It claims no
// more than it sends at once: a claimed message waiting for a free slot would use up its lease, and
// another sender could take it and send it too.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	s.defaults()
	msgs, err := s.Store.Claim(ctx, s.Concurrency, s.Lease)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { s.process(ctx, m) })
	}
	wg.Wait()
	return len(msgs), nil
}

// process makes one attempt at m and records the outcome. An attempt that has started finishes, and
// what happened is recorded, even when the sender is stopping meanwhile.
func (s *Sender) process(ctx context.Context, m store.Message) {
	log := s.Log.With(zap.String("message_id", m.ID.String()), zap.String("kind", m.Kind), zap.String("channel", m.Channel),
		zap.Int("attempt", m.Attempts))
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ctx = context.WithoutCancel(ctx) // what has started finishes; each provider bounds its own send
	if m.Channel == policy.SMS {
		if until, quiet := s.Quiet.Until(s.Store.Now()); quiet {
			note := "quiet hours: held until " + until.In(policy.Copenhagen).Format("2006-01-02 15:04 MST")
			if err := s.Store.Defer(rctx, m, until, note); err != nil {
				log.Warn("holding an SMS over quiet hours failed", zap.Error(err))
			}
			return
		}
	}
	out, err := s.render(ctx, m)
	if errors.Is(err, errRetry) && m.Attempts < s.MaxAttempts {
		next := s.Store.Now().Add(RetryDelay(m.Attempts))
		log.Info("message not rendered; retrying", zap.Error(err), zap.Time("next_attempt_at", next))
		if err := s.Store.Retry(rctx, m, err.Error(), next); err != nil {
			log.Warn("recording a failed attempt failed", zap.Error(err))
		}
		return
	}
	if err != nil {
		s.fail(rctx, log, m, err.Error(), true)
		return
	}
	provider, ok := s.Providers[m.Channel]
	if !ok {
		s.fail(rctx, log, m, "no provider for channel "+m.Channel, true)
		return
	}
	// A send under way finishes even when the sender is stopping: cut off after the server took the
	// mail, it would be sent again.
	ref, err := provider.Send(ctx, out)
	rctx, cancel = context.WithTimeout(ctx, 10*time.Second) // to record what happened
	defer cancel()
	switch {
	case err == nil:
	case channels.IsPermanent(err):
		s.fail(rctx, log, m, channels.Redact(err.Error()), true)
		return
	case m.Attempts >= s.MaxAttempts:
		s.fail(rctx, log, m, channels.Redact(err.Error()), false)
		return
	default:
		next := s.Store.Now().Add(RetryDelay(m.Attempts))
		log.Info("message not delivered; retrying", zap.Error(err), zap.Time("next_attempt_at", next))
		if err := s.Store.Retry(rctx, m, channels.Redact(err.Error()), next); err != nil {
			log.Warn("recording a failed attempt failed", zap.Error(err))
		}
		return
	}
	if s.BeforeRecord != nil {
		if err := s.BeforeRecord(m); err != nil {
			log.Warn("message sent but not recorded; it is tried again when its lease ends", zap.Error(err))
			return
		}
	}
	// The provider has it: record it, retrying a failing database for up to half the lease rather
	// than sending again (no other sender takes the message before its lease ends).
	recordCtx, cancelRecord := context.WithTimeout(ctx, s.Lease/2)
	defer cancelRecord()
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := s.Store.MarkSent(recordCtx, m, out.Subject, ref)
		if err == nil {
			break
		}
		select {
		case <-recordCtx.Done():
			log.Error("message sent but not recorded; it is tried again when its lease ends", zap.Error(err))
			return
		case <-time.After(wait):
		}
	}
	log.Info("message sent", zap.String("provider_ref", ref))
}

func (s *Sender) fail(ctx context.Context, log *zap.Logger, m store.Message, cause string, permanent bool) {
	next, err := s.Store.Fail(ctx, m, cause, permanent)
	if err != nil {
		log.Warn("recording a failed message failed", zap.Error(err))
		return
	}
	fields := []zap.Field{zap.String("error", cause), zap.Bool("permanent", permanent)}
	if next != "" {
		fields = append(fields, zap.String("fallback", next))
	}
	log.Warn("message failed for good", fields...)
}

// errRetry marks a failure to render that a later attempt may not meet (the database).
var errRetry = errors.New("try again")

// render writes the message in the recipient's language.
func (s *Sender) render(ctx context.Context, m store.Message) (channels.Message, error) {
	in, err := templates.Decode(m.Kind, m.Data)
	if err != nil {
		return channels.Message{}, err
	}
	if citizen := in.EmployeeCitizen(); citizen != "" { // a company's message: the employee's name
		name, err := s.Store.OpenEmployee(ctx, citizen, in.EmployeeSealed)
		if err != nil {
			if errors.Is(err, datakeys.ErrShredded) || errors.Is(err, pgx.ErrNoRows) {
				return channels.Message{}, errors.New("the employee's data was erased") // never readable again
			}
			return channels.Message{}, fmt.Errorf("%w: %w", errRetry, err)
		}
		in.SetEmployee(name)
	}
	lang := templates.Language(m.Language)
	v := templates.VarsFor(m.Kind, in, m.Name, lang, s.PortalURL)
	r, err := templates.Render(m.Kind, lang, v)
	if err != nil {
		return channels.Message{}, fmt.Errorf("render: %w", err)
	}
	return channels.Message{ID: m.ID.String(), Kind: m.Kind, RecipientID: m.RecipientID, Name: m.Name, Email: m.Email,
		Phone: m.Phone, Language: lang, Subject: r.Subject, Text: r.Text, HTML: r.HTML, SMS: r.SMS, Decision: v.Decision}, nil
}
