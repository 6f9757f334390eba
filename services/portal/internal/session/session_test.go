package session

import (
	"testing"
	"time"
)

func TestSessionsExpireWhenIdleOrOld(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	s := NewStore(30 * time.Minute)
	s.Now = func() time.Time { return now }
	a := s.New(time.Hour)
	if len(a.ID) < 40 || len(a.CSRF) < 40 || a.ID == a.CSRF {
		t.Fatalf("weak ids: %q %q", a.ID, a.CSRF)
	}
	now = now.Add(20 * time.Minute)
	if _, ok := s.Get(a.ID); !ok {
		t.Fatal("a used session ended early")
	}
	now = now.Add(25 * time.Minute) // 25 minutes after the last use
	if _, ok := s.Get(a.ID); !ok {
		t.Fatal("touching a session must extend it")
	}
	now = now.Add(20 * time.Minute) // past the hour
	if _, ok := s.Get(a.ID); ok {
		t.Fatal("a session outlived its maximum age")
	}
	b := s.New(time.Hour)
	now = now.Add(31 * time.Minute)
	s.Sweep()
	if _, ok := s.Get(b.ID); ok || s.Len() != 0 {
		t.Fatal("an idle session was kept")
	}
}

func TestFlashIsShownOnce(t *testing.T) {
	t.Parallel()
	s := NewStore(time.Minute)
	a := s.New(time.Hour)
	s.Update(a.ID, func(x *Session) { x.Flash = &Flash{Kind: "success", Key: "flash.saved"} })
	if f := s.TakeFlash(a.ID); f == nil || f.Key != "flash.saved" {
		t.Fatalf("flash %v", f)
	}
	if f := s.TakeFlash(a.ID); f != nil {
		t.Fatal("flash shown twice")
	}
}

func TestSecretIsShownOnceOnItsOwnPage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	s := NewStore(time.Hour)
	s.Now = func() time.Time { return now }
	a := s.New(time.Hour)
	s.Update(a.ID, func(x *Session) {
		x.Secret = &Secret{For: "wh-1", Value: "whsec_x", Expires: now.Add(10 * time.Minute)}
	})
	if sec := s.TakeSecret(a.ID, "wh-2"); sec != nil {
		t.Fatal("a secret shown on another endpoint's page")
	}
	if sec := s.TakeSecret(a.ID, "wh-1"); sec == nil || sec.Value != "whsec_x" {
		t.Fatalf("secret %v", sec)
	}
	if sec := s.TakeSecret(a.ID, "wh-1"); sec != nil {
		t.Fatal("secret shown twice")
	}
	s.Update(a.ID, func(x *Session) {
		x.Secret = &Secret{For: "wh-1", Value: "whsec_y", Expires: now.Add(10 * time.Minute)}
	})
	now = now.Add(11 * time.Minute)
	if sec := s.TakeSecret(a.ID, "wh-1"); sec != nil {
		t.Fatal("an expired secret was shown")
	}
}
