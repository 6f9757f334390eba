// Package smtptest is a small real SMTP server for tests: it speaks enough SMTP (RFC 5321) for
// net/smtp, keeps every message it accepts, and can refuse recipients — 550 (a bounce) for addresses
// marked bouncing, 451 (try again later) for addresses marked busy.
package smtptest

import (
	"bufio"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// Message is an accepted message.
type Message struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string // decoded
	Body    string // the decoded text part
	HTML    string // the decoded HTML part, if any
	Raw     string // as received
}

// Server receives mail on a loopback port until the test ends.
type Server struct {
	Addr string

	mu       sync.Mutex
	msgs     []Message
	bouncing map[string]bool
	busy     map[string]int // address → how many more RCPTs to answer 451
	refused  []string       // "550 addr" / "451 addr", in order
	hangUp   bool           // close the connection right after accepting a mail
	ln       net.Listener
	wg       sync.WaitGroup
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, bouncing: map[string]bool{}, busy: map[string]int{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// Bounce makes the server refuse mail to addr for good (550).
func (s *Server) Bounce(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bouncing[strings.ToLower(addr)] = true
}

// Busy makes the server answer 451 to the next n attempts to mail addr.
func (s *Server) Busy(addr string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy[strings.ToLower(addr)] = n
}

// HangUpAfterAccepting makes the server close the connection right after it accepted a mail ("250"
// after DATA), before the client's QUIT: the mail is delivered, the QUIT fails.
func (s *Server) HangUpAfterAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangUp = true
}

// Messages returns a copy of what was accepted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// To returns the accepted messages to addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Refused returns what was refused, "550 <addr>" or "451 <addr>", in order.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

// rcpt decides on one recipient: "" accepts it, else the refusal to send.
func (s *Server) rcpt(addr string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.bouncing[addr]:
		s.refused = append(s.refused, "550 "+addr)
		return fmt.Sprintf("550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table", addr)
	case s.busy[addr] > 0:
		s.busy[addr]--
		s.refused = append(s.refused, "451 "+addr)
		return "451 4.3.0 Mail server temporarily unavailable"
	}
	return ""
}

func (s *Server) serve(c net.Conn) {
	r := bufio.NewReader(c)
	reply := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	reply("220 smtptest ready")
	var m Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250 smtptest")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = Message{From: strings.Trim(strings.TrimSpace(line)[10:], "<> ")}
			reply("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			addr := strings.ToLower(strings.Trim(strings.TrimSpace(line)[8:], "<> "))
			if refusal := s.rcpt(addr); refusal != "" {
				reply("%s", refusal)
				continue
			}
			m.To = append(m.To, addr)
			reply("250 ok")
		case cmd == "DATA":
			if len(m.To) == 0 {
				reply("503 5.5.1 no valid recipients")
				continue
			}
			reply("354 end with .")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Raw = data.String()
			if parsed, err := mail.ReadMessage(strings.NewReader(m.Raw)); err == nil {
				m.Header = parsed.Header
			}
			if p, err := Decode(m.Raw); err == nil {
				m.Subject, m.Body, m.HTML = p.Subject, p.Text, p.HTML
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			hangUp := s.hangUp
			s.mu.Unlock()
			reply("250 queued")
			if hangUp {
				return
			}
		case cmd == "RSET", cmd == "NOOP":
			reply("250 ok")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}
