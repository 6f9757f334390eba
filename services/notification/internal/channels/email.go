package channels

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"time"
)

// SMTP sends e-mail through an SMTP server without authentication (a local relay or Mailpit), as
// multipart/alternative with a plain-text and an HTML part.
//
// Deduplication: the Message-ID is the message's id, the same on every attempt. SMTP itself cannot
// tell a resend: if the process dies after the server accepted a mail and before the mail is recorded
// as sent, the mail is sent again with the same Message-ID. Mailboxes that deduplicate by Message-ID
// (Gmail, Exchange Online) show it once; others show it twice. The window is the few milliseconds
// between the server's "250" after DATA and the commit of the sent mark.
type SMTP struct {
	Addr    string // host:port
	From    string
	Timeout time.Duration    // of one whole SMTP conversation; default 30s
	Now     func() time.Time // the Date header; default time.Now
}

// MessageID is the Message-ID header (without angle brackets) of the message with id.
func MessageID(id string) string { return id + "@livslang.herning.dk" }

// Send delivers m. A 5xx answer (the server refuses the recipient or the mail) is permanent; a 4xx
// answer or a network failure is retried by the caller.
func (s SMTP) Send(ctx context.Context, m Message) (string, error) {
	to, err := mail.ParseAddress(m.Email)
	if m.Email == "" {
		return "", Permanent(errors.New("no e-mail address on the profile"))
	} else if err != nil {
		return "", Permanent(errors.New("the e-mail address on the profile is not valid"))
	}
	msg, err := s.compose(m, to.Address)
	if err != nil {
		return "", err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.deliver(ctx, to.Address, msg); err != nil {
		var code *textproto.Error
		if errors.As(err, &code) && code.Code >= 500 && code.Code < 600 {
			return "", Permanent(fmt.Errorf("smtp: the server refused the mail: %d %s", code.Code, code.Msg))
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("smtp: %w", ctx.Err())
		}
		return "", fmt.Errorf("smtp: %w", err)
	}
	return "<" + MessageID(m.ID) + ">", nil
}

func (s SMTP) deliver(ctx context.Context, to string, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("livslang.herning.dk"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if err := c.Mail(s.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The server has taken the mail once it answered the end of DATA: a QUIT that fails now (the
	// server hung up first) must not make the mail be sent again.
	_ = c.Quit()
	return nil
}

// compose builds the mail: headers, then multipart/alternative with text/plain and text/html, both
// UTF-8 and quoted-printable.
func (s SMTP) compose(m Message, to string) ([]byte, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ contentType, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(map[string][]string{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	var msg bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&msg, "%s: %s\r\n", k, v) }
	header("From", (&mail.Address{Name: "Livslang, Herning Kommune", Address: s.From}).String())
	header("To", (&mail.Address{Name: m.Name, Address: to}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Message-ID", "<"+MessageID(m.ID)+">")
	header("Date", now().Format(time.RFC1123Z))
	header("Content-Language", m.Language)
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies, please
	header("MIME-Version", "1.0")
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}
