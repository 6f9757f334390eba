package session

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func key(id string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return id + ":" + base64.StdEncoding.EncodeToString(b)
}

func sealer(t *testing.T, keys string, idle time.Duration, now *time.Time) *Sealer {
	t.Helper()
	s, err := NewSealer(keys, idle)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return *now }
	return s
}

func TestSessionsExpireWhenIdleOrOld(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	s := sealer(t, key("1"), 30*time.Minute, &now)
	a, b := s.New(time.Hour), s.New(time.Hour)
	if len(a.CSRF) < 40 || a.CSRF == b.CSRF {
		t.Fatalf("weak CSRF tokens: %q %q", a.CSRF, b.CSRF)
	}
	v, err := s.Seal(a)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute)
	got, ok := s.Open(v)
	if !ok || got.CSRF != a.CSRF {
		t.Fatal("a used session ended early")
	}
	if !s.Stale(got) {
		t.Fatal("a session last used 20 minutes ago is not written again")
	}
	got.Seen = now // what the portal does with a stale session
	if v, err = s.Seal(got); err != nil {
		t.Fatal(err)
	}
	now = now.Add(25 * time.Minute) // 25 minutes after the last use
	if _, ok := s.Open(v); !ok {
		t.Fatal("using a session must extend it")
	}
	now = now.Add(20 * time.Minute) // past the hour
	if _, ok := s.Open(v); ok {
		t.Fatal("a session outlived its maximum age")
	}
	c := s.New(time.Hour)
	v, _ = s.Seal(c)
	now = now.Add(31 * time.Minute)
	if _, ok := s.Open(v); ok {
		t.Fatal("an idle session was kept")
	}
}

func TestASessionOpensWithAnyKeyAndNothingElse(t *testing.T) {
	t.Parallel()
	now := time.Now()
	old, fresh := key("1"), key("2")
	before := sealer(t, old, time.Hour, &now)
	sess := before.New(time.Hour)
	sess.User = &User{Subject: "c-mette", Role: "citizen", Token: "token"}
	v, err := before.Seal(sess)
	if err != nil {
		t.Fatal(err)
	}
	// Rotation: the new key seals, the old one still opens the sessions it sealed.
	after := sealer(t, fresh+","+old, time.Hour, &now)
	got, ok := after.Open(v)
	if !ok || got.User == nil || got.User.Subject != "c-mette" {
		t.Fatalf("a session sealed with the previous key does not open: %+v", got)
	}
	if _, ok := sealer(t, fresh, time.Hour, &now).Open(v); ok {
		t.Fatal("a session opened without its key")
	}
	// Tampering, truncation and foreign values are refused.
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	raw[len(raw)-1] ^= 1
	for _, bad := range []string{base64.RawURLEncoding.EncodeToString(raw), v[:len(v)-8], "", "not base64!", strings.Repeat("A", MaxCookie+1)} {
		if _, ok := after.Open(bad); ok {
			t.Fatalf("%q opened", bad)
		}
	}
	// A value sealed under the same key for another use does not open as a session.
	foreign, _ := after.Keys.Seal([]byte(`{"csrf":"x","seen":"`+now.Format(time.RFC3339)+`","expires":"`+now.Add(time.Hour).Format(time.RFC3339)+`"}`), []byte("something else"))
	if _, ok := after.Open(base64.RawURLEncoding.EncodeToString(foreign)); ok {
		t.Fatal("a value sealed for another use opened as a session")
	}
}

// A signed-in session with a real-sized token, a flash and a webhook secret fits in a cookie.
func TestASessionFitsInACookie(t *testing.T) {
	t.Parallel()
	now := time.Now()
	s := sealer(t, key("1"), time.Hour, &now)
	sess := s.New(time.Hour)
	sess.User = &User{Subject: "c-" + strings.Repeat("x", 36), Role: "institution", Name: strings.Repeat("Æblegrød ", 10),
		InstitutionID: "d7151794-43da-493a-9bb0-dd8a8445f22e", Municipality: "657", Token: strings.Repeat("t", 1400), Expires: now.Add(time.Hour)}
	sess.Flash = &Flash{Kind: "success", Key: "flash.imported", Args: []any{1000, 10, 990}}
	sess.Secret = &Secret{For: "d7151794-43da-493a-9bb0-dd8a8445f22e", Value: "whsec_" + strings.Repeat("s", 43), Note: "until 12:00", Expires: now.Add(time.Minute)}
	v, err := s.Seal(sess)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) > 3000 {
		t.Errorf("a full session takes %d bytes of the cookie's 4096", len(v))
	}
	got, ok := s.Open(v)
	if !ok {
		t.Fatal("does not open")
	}
	// Whole numbers stay whole: the message's %d gets an integer.
	if f := got.TakeFlash(); f == nil || len(f.Args) != 3 || f.Args[0] != int64(1000) {
		t.Fatalf("flash %#v", got.Flash)
	}
	sess.User.Token = strings.Repeat("t", 5000)
	if _, err := s.Seal(sess); err == nil {
		t.Fatal("a session larger than a cookie was sealed")
	}
}

func TestFlashIsShownOnce(t *testing.T) {
	t.Parallel()
	a := &Session{Flash: &Flash{Kind: "success", Key: "flash.saved"}}
	if f := a.TakeFlash(); f == nil || f.Key != "flash.saved" {
		t.Fatalf("flash %v", f)
	}
	if f := a.TakeFlash(); f != nil {
		t.Fatal("flash shown twice")
	}
}

func TestSecretIsShownOnceOnItsOwnPage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	a := &Session{Secret: &Secret{For: "wh-1", Value: "whsec_x", Expires: now.Add(10 * time.Minute)}}
	if sec := a.TakeSecret("wh-2", now); sec != nil {
		t.Fatal("a secret shown on another endpoint's page")
	}
	if sec := a.TakeSecret("wh-1", now); sec == nil || sec.Value != "whsec_x" {
		t.Fatalf("secret %v", sec)
	}
	if sec := a.TakeSecret("wh-1", now); sec != nil {
		t.Fatal("secret shown twice")
	}
	a.Secret = &Secret{For: "wh-1", Value: "whsec_y", Expires: now.Add(10 * time.Minute)}
	if sec := a.TakeSecret("wh-1", now.Add(11*time.Minute)); sec != nil {
		t.Fatal("an expired secret was shown")
	}
}
