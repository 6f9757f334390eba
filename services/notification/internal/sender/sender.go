// Package sender delivers queued messages: it renders each in the recipient's language and sends it
// by e-mail over SMTP, retrying failures with backoff.
package sender

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/smtp"
	"time"

	"go.uber.org/zap"

	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/templates"
)

// Mailer sends one e-mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// Mail is an e-mail to send.
type Mail struct {
	MessageID string
	To        string
	ToName    string
	Subject   string
	Body      string
}

// SMTP sends mail through an SMTP server without authentication (a local relay or Mailpit).
type SMTP struct {
	Addr string // host:port
	From string
}

// Send delivers m. The Message-ID is the message's id, so a resend after a crash can be recognised.
func (s SMTP) Send(ctx context.Context, m Mail) error {
	var body bytes.Buffer
	qp := quotedprintable.NewWriter(&body)
	if _, err := qp.Write([]byte(m.Body)); err != nil {
		return err
	}
	if err := qp.Close(); err != nil {
		return err
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\n", mime.QEncoding.Encode("utf-8", "Livslang")+" <"+s.From+">")
	fmt.Fprintf(&msg, "To: %s <%s>\r\n", mime.QEncoding.Encode("utf-8", m.ToName), m.To)
	fmt.Fprintf(&msg, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&msg, "Message-ID: <%s@livslang.herning.dk>\r\n", m.MessageID)
	fmt.Fprintf(&msg, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	msg.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	msg.Write(body.Bytes())
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(s.Addr, nil, s.From, []string{m.To}, msg.Bytes()) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("smtp send: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return fmt.Errorf("smtp send: timed out")
	}
}

// Sender delivers due messages until its context ends.
type Sender struct {
	Store       *store.Store
	Mailer      Mailer
	Log         *zap.Logger
	Poll        time.Duration // default 200ms
	MaxAttempts int           // default 8
}

func retryDelay(attempt int) time.Duration { return min(time.Second<<min(attempt, 10), 10*time.Minute) }

// Run sends until ctx is done.
func (s *Sender) Run(ctx context.Context) error {
	if s.Poll == 0 {
		s.Poll = 200 * time.Millisecond
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 8
	}
	for {
		n, err := s.SendDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.Log.Warn("sending messages failed", zap.Error(err))
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.Poll):
		}
	}
}

// SendDue sends one batch of due messages and reports how many it tried.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	msgs, err := s.Store.Claim(ctx, 20, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		log := s.Log.With(zap.String("message_id", m.ID.String()), zap.String("kind", m.Kind), zap.Int("attempt", m.Attempts))
		subject, err := s.deliver(ctx, m)
		if err != nil {
			log.Warn("message not delivered", zap.Error(err))
			if err := s.Store.MarkFailed(ctx, m, err, s.MaxAttempts, retryDelay(m.Attempts)); err != nil {
				return len(msgs), err
			}
			continue
		}
		if err := s.Store.MarkSent(ctx, m, subject); err != nil {
			return len(msgs), err
		}
		log.Info("message sent", zap.String("channel", m.Channel))
	}
	return len(msgs), nil
}

func (s *Sender) deliver(ctx context.Context, m store.Message) (string, error) {
	vars, err := templates.VarsFromData(m.Kind, m.Name, m.Data)
	if err != nil {
		return "", err
	}
	rendered, err := templates.Render(m.Kind, m.Language, vars)
	if err != nil {
		return "", err
	}
	if m.Channel != "email" {
		return "", fmt.Errorf("channel %s not supported yet", m.Channel)
	}
	err = s.Mailer.Send(ctx, Mail{MessageID: m.ID.String(), To: m.Email, ToName: m.Name, Subject: rendered.Subject, Body: rendered.Body})
	return rendered.Subject, err
}
