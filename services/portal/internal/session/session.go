// Package session keeps browser sessions in memory: the only place the user's token lives. Sessions
// are keyed by a random id in a cookie, expire after a period without use (and with the token), and
// are lost when the portal restarts, which only means signing in again.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// User is who signed in, with the token the portal calls the APIs with.
type User struct {
	Subject       string
	Role          string
	Name          string
	InstitutionID string
	Municipality  string
	Token         string
	Expires       time.Time
}

// Login is a sign-in under way: what the callback must match.
type Login struct {
	State, Nonce, Verifier, Back string
}

// Flash is a message shown once on the next page.
type Flash struct {
	Kind string // success or error
	Key  string // message catalogue key
	Args []any
}

// Secret is a secret to show once on the page of what it belongs to (a webhook endpoint's signing
// secret just after it was made or rotated), then forgotten.
type Secret struct {
	For     string // what it belongs to, e.g. the webhook endpoint's id
	Value   string
	Note    string // e.g. until when the previous secret still signs
	Expires time.Time
}

// Session is one browser's session.
type Session struct {
	ID       string
	CSRF     string
	User     *User
	Login    *Login
	Flash    *Flash
	Secret   *Secret
	lastSeen time.Time
	expires  time.Time
}

// Store holds the sessions.
type Store struct {
	Idle time.Duration
	Now  func() time.Time

	mu       sync.Mutex
	sessions map[string]*Session
}

// NewStore makes a store whose sessions end after idle without use.
func NewStore(idle time.Duration) *Store {
	return &Store{Idle: idle, Now: time.Now, sessions: map[string]*Session{}}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// New starts a session that lasts at most maxAge.
func (s *Store) New(maxAge time.Duration) Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	sess := &Session{ID: random(), CSRF: random(), lastSeen: now, expires: now.Add(maxAge)}
	s.sessions[sess.ID] = sess
	return *sess
}

// Get returns a copy of the session, touching it; an expired or unknown id is not found.
func (s *Store) Get(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return Session{}, false
	}
	now := s.Now()
	if now.After(sess.expires) || now.Sub(sess.lastSeen) > s.Idle {
		delete(s.sessions, id)
		return Session{}, false
	}
	sess.lastSeen = now
	return *sess, true
}

// Update changes a session in place; it reports whether the session exists.
func (s *Store) Update(id string, f func(*Session)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if ok {
		f(sess)
	}
	return ok
}

// TakeFlash returns and clears the session's flash message.
func (s *Store) TakeFlash(id string) *Flash {
	var f *Flash
	s.Update(id, func(sess *Session) { f, sess.Flash = sess.Flash, nil })
	return f
}

// TakeSecret returns the session's secret for what it belongs to and forgets it; a secret for
// something else, or older than its expiry, is not returned (an expired one is forgotten too).
func (s *Store) TakeSecret(id, forWhat string) *Secret {
	var out *Secret
	now := s.Now()
	s.Update(id, func(sess *Session) {
		sec := sess.Secret
		switch {
		case sec == nil:
		case now.After(sec.Expires):
			sess.Secret = nil
		case sec.For == forWhat:
			out, sess.Secret = sec, nil
		}
	})
	return out
}

// Delete ends a session.
func (s *Store) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

// Len is the number of sessions held.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Sweep removes expired sessions.
func (s *Store) Sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	for id, sess := range s.sessions {
		if now.After(sess.expires) || now.Sub(sess.lastSeen) > s.Idle {
			delete(s.sessions, id)
		}
	}
}

// Janitor sweeps every interval until ctx is done.
func (s *Store) Janitor(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep()
		}
	}
}
