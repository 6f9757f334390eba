package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestVerifyAgainstIssuersJWKS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(nil)
	iss, err := NewDevIssuer("http://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	defer srv.Close()
	v := NewVerifier(iss.URL)
	ctx := context.Background()

	tok, err := iss.Issue(Claims{Subject: "s1", Role: RoleCitizen, CPR: "0101801234"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(ctx, tok)
	if err != nil || c.Subject != "s1" || c.Role != RoleCitizen || c.CPR != "0101801234" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}

	other, _ := NewDevIssuer(iss.URL) // same name, another key
	forged, _ := other.Issue(Claims{Subject: "s1", Role: RoleAdmin})
	expired := func() string {
		old := iss.now
		iss.now = func() time.Time { return time.Now().Add(-10 * time.Hour) }
		defer func() { iss.now = old }()
		tok, _ := iss.Issue(Claims{Subject: "s1", Role: RoleCitizen})
		return tok
	}()
	for name, tok := range map[string]string{
		"another key":  forged,
		"expired":      expired,
		"not a JWT":    "abc",
		"alg none":     "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		"tampered sig": tok[:len(tok)-3] + "abc",
	} {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestAudienceMayBeAList(t *testing.T) {
	t.Parallel()
	var a Audiences
	if err := a.UnmarshalJSON([]byte(`["account","livslang"]`)); err != nil || len(a) != 2 || a[1] != Audience {
		t.Fatalf("list audience: %v %v", a, err)
	}
	if err := a.UnmarshalJSON([]byte(`"livslang"`)); err != nil || len(a) != 1 {
		t.Fatalf("string audience: %v %v", a, err)
	}
}

func TestIssuerUnreachableIs503(t *testing.T) {
	t.Parallel()
	v := NewVerifier("http://127.0.0.1:1") // nothing listens there
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/me/profile", nil)
	req.Header.Set("Authorization", "Bearer a.b.c")
	h.ServeHTTP(rec, req)
	// A token that is not even a JWT is refused before any key is needed.
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("malformed token: %d", rec.Code)
	}
	iss, _ := NewDevIssuer("http://127.0.0.1:1")
	tok, _ := iss.Issue(Claims{Subject: "s", Role: RoleCitizen})
	rec = httptest.NewRecorder()
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("issuer down: %d, want 503", rec.Code)
	}
}
