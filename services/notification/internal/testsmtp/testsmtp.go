// Package testsmtp is a tiny SMTP server for notification's tests that, unlike pkg/smtptest, can refuse
// recipients: it answers 550 (mailbox unavailable: a bounce) to RCPT TO for addresses marked bouncing
// and 451 (try again later) for addresses marked busy, and keeps the raw mail it accepts.
package testsmtp

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// Mail is an accepted mail.
type Mail struct {
	From   string
	To     string
	Header mail.Header
	Raw    string
}

// Server receives mail on a loopback port until the test ends.
type Server struct {
	Addr string

	mu       sync.Mutex
	mails    []Mail
	bouncing map[string]bool
	busy     map[string]int // address → how many more RCPTs to answer 451
	refused  []string       // "550 addr" / "451 addr", in order
	ln       net.Listener
	wg       sync.WaitGroup
}

// Start runs a server until t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testsmtp: %v", err)
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

// Mails returns the accepted mails.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// To returns the accepted mails to addr.
func (s *Server) To(addr string) []Mail {
	var out []Mail
	for _, m := range s.Mails() {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
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

func (s *Server) serve(c net.Conn) {
	r := bufio.NewReader(c)
	reply := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	reply("220 testsmtp ready")
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250 testsmtp")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			from, to = strings.Trim(strings.TrimSpace(line)[10:], "<> "), ""
			reply("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			addr := strings.ToLower(strings.Trim(strings.TrimSpace(line)[8:], "<> "))
			s.mu.Lock()
			bounce, busy := s.bouncing[addr], s.busy[addr] > 0
			if bounce {
				s.refused = append(s.refused, "550 "+addr)
			} else if busy {
				s.busy[addr]--
				s.refused = append(s.refused, "451 "+addr)
			}
			s.mu.Unlock()
			switch {
			case bounce:
				reply("550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table", addr)
			case busy:
				reply("451 4.3.0 Mail server temporarily unavailable")
			default:
				to = addr
				reply("250 ok")
			}
		case cmd == "DATA":
			if to == "" {
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
			m := Mail{From: from, To: to, Raw: data.String()}
			if parsed, err := mail.ReadMessage(strings.NewReader(m.Raw)); err == nil {
				m.Header = parsed.Header
			}
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			reply("250 queued")
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

// Parts is a mail's decoded subject and its text and HTML parts.
type Parts struct {
	Subject, Text, HTML string
}

// Decode reads a multipart/alternative mail (or a single-part one) from its raw form.
func Decode(raw string) (Parts, error) {
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return Parts{}, err
	}
	var p Parts
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return Parts{}, err
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return Parts{}, err
	}
	read := func(r io.Reader, encoding, contentType string) error {
		if strings.EqualFold(encoding, "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if strings.HasPrefix(contentType, "text/html") {
			p.HTML = string(b)
		} else {
			p.Text = string(b)
		}
		return nil
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		return p, read(m.Body, m.Header.Get("Content-Transfer-Encoding"), mediaType)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return Parts{}, err
		}
		if err := read(part, part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Type")); err != nil {
			return Parts{}, err
		}
	}
}
