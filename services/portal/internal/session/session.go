// Package session keeps a browser's session in the browser: the session is sealed (AES-256-GCM
// under the keys of LIVSLANG_PORTAL_SESSION_KEYS) into its cookie. No portal instance holds any state
// of it, so a session works on every instance behind the load balancer and survives a restart, and a
// sign-in under way (its state, nonce and PKCE verifier) costs the portal no memory either.
//
// A session ends after a period without use, and with the user's token. Signing out clears the
// cookie; a copy taken before stays as good as the token inside it until then (the identity
// provider's tokens cannot be revoked either), which is why the idle period is short.
package session

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"livslang.dk/pkg/pii"
)

// User is who signed in, with the token the portal calls the APIs with.
type User struct {
	Subject       string `json:"sub"`
	Role          string `json:"role"`
	Name          string `json:"name,omitempty"`
	InstitutionID string `json:"inst,omitempty"`
	Municipality  string `json:"muni,omitempty"`
	// CVR is the company an employer user acts for, from the access token's cvr claim.
	CVR     string    `json:"cvr,omitempty"`
	Token   string    `json:"tok"`
	Expires time.Time `json:"exp"`
}

// Login is a sign-in under way: what the callback must match.
type Login struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Back     string `json:"back,omitempty"`
}

// Flash is a message shown once on the next page.
type Flash struct {
	Kind string `json:"kind"` // success or error
	Key  string `json:"key"`  // message catalogue key
	Args []any  `json:"args,omitempty"`
}

// UnmarshalJSON keeps whole numbers whole: a message's %d needs an integer, not the float64 that
// JSON numbers decode to.
func (f *Flash) UnmarshalJSON(b []byte) error {
	type plain Flash
	var p plain
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return err
	}
	for i, a := range p.Args {
		if n, ok := a.(json.Number); ok {
			if v, err := n.Int64(); err == nil {
				p.Args[i] = v
			} else if v, err := n.Float64(); err == nil {
				p.Args[i] = v
			}
		}
	}
	*f = Flash(p)
	return nil
}

// Secret is a secret to show once on the page of what it belongs to (a webhook endpoint's signing
// secret just after it was made or rotated), then forgotten.
type Secret struct {
	For     string    `json:"for"` // what it belongs to, e.g. the webhook endpoint's id
	Value   string    `json:"value"`
	Note    string    `json:"note,omitempty"` // e.g. until when the previous secret still signs
	Expires time.Time `json:"exp"`
}

// Session is one browser's session.
type Session struct {
	CSRF    string    `json:"csrf"`
	User    *User     `json:"user,omitempty"`
	Login   *Login    `json:"login,omitempty"`
	Flash   *Flash    `json:"flash,omitempty"`
	Secret  *Secret   `json:"secret,omitempty"`
	Seen    time.Time `json:"seen"` // last use
	Expires time.Time `json:"expires"`
}

// TakeFlash returns and clears the flash message.
func (s *Session) TakeFlash() *Flash {
	f := s.Flash
	s.Flash = nil
	return f
}

// TakeSecret returns the secret for what it belongs to and forgets it; a secret for something
// else, or older than its expiry, is not returned (an expired one is forgotten too).
func (s *Session) TakeSecret(forWhat string, now time.Time) *Secret {
	sec := s.Secret
	switch {
	case sec == nil:
		return nil
	case now.After(sec.Expires):
		s.Secret = nil
		return nil
	case sec.For == forWhat:
		s.Secret = nil
		return sec
	}
	return nil
}

// MaxCookie is the most a sealed session may take: browsers keep cookies up to 4096 bytes.
const MaxCookie = 4000

// aad binds a sealed value to its use: a value sealed for anything else under the same keys does
// not open as a session.
var aad = []byte("livslang portal session")

// Sealer seals sessions into cookie values and opens them again.
type Sealer struct {
	Keys *pii.Keys // the first seals, every one opens: a new key goes first, the old one stays a while
	Idle time.Duration
	Now  func() time.Time
}

// NewSealer reads the keys ("id:base64key[,id:base64key...]", 32-byte keys) and makes a sealer
// whose sessions end after idle without use.
func NewSealer(keys string, idle time.Duration) (*Sealer, error) {
	k, err := pii.ParseSealingKeys(keys)
	if err != nil {
		return nil, err
	}
	return &Sealer{Keys: k, Idle: idle, Now: time.Now}, nil
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// New starts a session that lasts at most maxAge, with a fresh CSRF token.
func (s *Sealer) New(maxAge time.Duration) *Session {
	now := s.Now()
	return &Session{CSRF: random(), Seen: now, Expires: now.Add(maxAge)}
}

// ErrTooLarge is a session that does not fit in a cookie.
var ErrTooLarge = errors.New("session: too large for a cookie")

// Seal is the cookie value that holds the session.
func (s *Sealer) Seal(sess *Session) (string, error) {
	b, err := json.Marshal(sess)
	if err != nil {
		return "", fmt.Errorf("session: encode: %w", err)
	}
	sealed, err := s.Keys.Seal(b, aad)
	if err != nil {
		return "", fmt.Errorf("session: seal: %w", err)
	}
	v := base64.RawURLEncoding.EncodeToString(sealed)
	if len(v) > MaxCookie {
		return "", fmt.Errorf("%w: %d bytes", ErrTooLarge, len(v))
	}
	return v, nil
}

// Open returns the session a cookie value holds; a value that does not open under the keys, or a
// session past its expiry or idle too long, is not found.
func (s *Sealer) Open(value string) (*Session, bool) {
	if value == "" || len(value) > MaxCookie {
		return nil, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return nil, false
	}
	b, err := s.Keys.Open(sealed, aad)
	if err != nil {
		return nil, false
	}
	var sess Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, false
	}
	now := s.Now()
	if now.After(sess.Expires) || now.Sub(sess.Seen) > s.Idle {
		return nil, false
	}
	return &sess, true
}

// Stale reports whether the session's last use is old enough to be written again: the cookie is
// resealed at most once a minute to keep the idle clock, not on every request.
func (s *Sealer) Stale(sess *Session) bool {
	return s.Now().Sub(sess.Seen) >= time.Minute
}
