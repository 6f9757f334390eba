package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// Modes of the sinks the nemesis switches between.
const (
	sinkOK   = "ok"
	sinkSlow = "slow" // answers after three seconds
	sinkFail = "fail" // SMTP: 451 to every recipient; webhooks: 500
	// sinkDrop (SMTP only) accepts the mail ("250" after DATA) and then cuts the connection, so the
	// client's QUIT fails after the server has the mail.
	sinkDrop = "drop"
)

const sinkDelay = 3 * time.Second

// mailReceipt is one mail the SMTP sink accepted.
type mailReceipt struct {
	MessageID string
	To        string
	At        time.Time
}

// smtpSink is the e-mail server notification sends to: it keeps what it accepts and can be slow,
// refuse, or drop the connection after accepting.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	mode string
	got  []mailReceipt
}

func startSMTPSink() (*smtpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtp sink: %w", err)
	}
	s := &smtpSink{ln: ln, mode: sinkOK}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s, nil
}

func (s *smtpSink) addr() string { return s.ln.Addr().String() }

func (s *smtpSink) close() { s.ln.Close() }

func (s *smtpSink) setMode(m string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

func (s *smtpSink) currentMode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

func (s *smtpSink) receipts() []mailReceipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailReceipt(nil), s.got...)
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	reply := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	reply("220 chaos smtp sink")
	var to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"), strings.HasPrefix(cmd, "MAIL FROM:"),
			cmd == "RSET", cmd == "NOOP":
			reply("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			if s.currentMode() == sinkFail {
				reply("451 4.3.0 chaos: try again later")
				continue
			}
			to = strings.ToLower(strings.Trim(strings.TrimSpace(line)[8:], "<> "))
			reply("250 ok")
		case cmd == "DATA":
			reply("354 end with .")
			data, err := io.ReadAll(textproto.NewReader(r).DotReader()) // up to ".", dots unstuffed
			if err != nil {
				return
			}
			at, mode := time.Now(), s.currentMode() // the server has the whole mail from here on
			if mode == sinkSlow {
				time.Sleep(sinkDelay)
			}
			id := ""
			if m, err := mail.ReadMessage(strings.NewReader(string(data))); err == nil {
				id = strings.Trim(m.Header.Get("Message-Id"), "<>")
			}
			s.mu.Lock()
			s.got = append(s.got, mailReceipt{MessageID: id, To: to, At: at})
			s.mu.Unlock()
			reply("250 queued")
			if mode == sinkDrop {
				return // the mail is accepted; the connection goes before QUIT is answered
			}
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// hookReceipt is one webhook request the receiver answered 2xx.
type hookReceipt struct {
	Institution string
	WebhookID   string
	EventID     string
	At          time.Time
}

// hookSink is the institutions' webhook endpoint: it checks the Standard Webhooks signature, keeps
// what it accepted, and can be slow or fail.
type hookSink struct {
	srv *http.Server
	url string

	mu            sync.Mutex
	mode          string
	secrets       map[string]string // institution → whsec_ secret
	got           []hookReceipt
	badSignatures int
}

func startHookSink() (*hookSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook sink: %w", err)
	}
	h := &hookSink{url: "http://" + ln.Addr().String(), mode: sinkOK, secrets: map[string]string{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *hookSink) close() { h.srv.Close() }

func (h *hookSink) setMode(m string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode = m
}

func (h *hookSink) setSecret(institution, secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets[institution] = secret
}

func (h *hookSink) receipts() ([]hookReceipt, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookReceipt(nil), h.got...), h.badSignatures
}

// serve takes POST /hook/<institution id>.
func (h *hookSink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	institution := strings.TrimPrefix(r.URL.Path, "/hook/")
	h.mu.Lock()
	mode, secret := h.mode, h.secrets[institution]
	h.mu.Unlock()
	switch mode {
	case sinkSlow:
		time.Sleep(sinkDelay)
	case sinkFail:
		http.Error(w, "chaos: failing", http.StatusInternalServerError)
		return
	}
	id := r.Header.Get("webhook-id")
	if !validSignature(secret, id, r.Header.Get("webhook-timestamp"), body, r.Header.Get("webhook-signature")) {
		h.mu.Lock()
		h.badSignatures++
		h.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &e)
	h.mu.Lock()
	h.got = append(h.got, hookReceipt{Institution: institution, WebhookID: id, EventID: e.ID, At: time.Now()})
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// validSignature checks a Standard Webhooks signature header ("v1,<base64>" entries separated by
// spaces): HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed with the secret's base64 part.
func validSignature(secret, id, timestamp string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, timestamp)
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(header) {
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return true
		}
	}
	return false
}
