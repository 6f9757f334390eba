package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"livslang.dk/pkg/httpapi"
)

// testIssuer is a development issuer served over HTTP that counts the JWKS fetches.
type testIssuer struct {
	*DevIssuer
	fetches atomic.Int64
}

func startIssuer(t *testing.T) *testIssuer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	iss, err := NewDevIssuer("http://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{DevIssuer: iss}
	h := iss.Handler()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jwks" {
			ti.fetches.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return ti
}

// signed is a token with exactly these claims, signed by the issuer's current key.
func (ti *testIssuer) signed(t *testing.T, c Claims) string {
	t.Helper()
	k := ti.signer()
	tok, err := sign(k.key, k.kid, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// valid is claims that pass every check at now.
func (ti *testIssuer) valid(now time.Time) Claims {
	return Claims{Issuer: ti.URL, Subject: "s1", Audience: Audiences{Audience}, Role: RoleCitizen,
		IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(time.Hour).Unix()}
}

func TestVerifyAgainstIssuersJWKS(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
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
	now := time.Now()
	other, _ := NewDevIssuer(iss.URL) // same name, another key
	forged, _ := other.Issue(Claims{Subject: "s1", Role: RoleAdmin})
	stranger, _ := NewDevIssuer("http://127.0.0.1:1")
	untrusted, _ := stranger.Issue(Claims{Subject: "s1", Role: RoleAdmin})
	with := func(change func(*Claims)) string {
		c := iss.valid(now)
		change(&c)
		return iss.signed(t, c)
	}
	for _, tc := range []struct{ name, token, reason string }{
		{"expired", with(func(c *Claims) { c.Expiry = now.Add(-2 * time.Minute).Unix() }), "expired"},
		{"no expiry", with(func(c *Claims) { c.Expiry = 0 }), "no expiry"},
		{"not yet valid", with(func(c *Claims) { c.NotBefore = now.Add(5 * time.Minute).Unix() }), "not valid yet"},
		{"issued in the future", with(func(c *Claims) { c.IssuedAt = now.Add(5 * time.Minute).Unix() }), "issued in the future"},
		{"wrong audience", with(func(c *Claims) { c.Audience = Audiences{"account"} }), "audience"},
		{"no subject", with(func(c *Claims) { c.Subject = "" }), "no subject"},
		{"untrusted issuer", untrusted, "not a trusted issuer"},
		{"trusted issuer's name, another key", forged, "unknown key id"},
		{"not a JWT", "abc", "not a JWT"},
		{"tampered signature", tok[:len(tok)-3] + "abc", "bad signature"},
		{"critical header", fakeToken(t, map[string]any{"alg": "RS256", "kid": iss.signer().kid, "crit": []string{"exp"}}, iss.valid(now), nil), "critical"},
	} {
		_, err := v.Verify(ctx, tc.token)
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(Reason(err), tc.reason) {
			t.Errorf("%s: err = %v, want ErrInvalidToken saying %q", tc.name, err, tc.reason)
		}
	}
	// Within the allowed skew a token just expired, or valid in a moment, still passes.
	for name, tok := range map[string]string{
		"expired 30 s ago":   with(func(c *Claims) { c.Expiry = now.Add(-30 * time.Second).Unix() }),
		"valid in 30 s":      with(func(c *Claims) { c.NotBefore = now.Add(30 * time.Second).Unix() }),
		"audience in a list": with(func(c *Claims) { c.Audience = Audiences{"account", Audience} }),
	} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The skew is bounded whatever is configured.
	v.Skew = time.Hour
	if _, err := v.Verify(ctx, with(func(c *Claims) { c.Expiry = now.Add(-10 * time.Minute).Unix() })); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a skew over MaxSkew was used: %v", err)
	}
}

// fakeToken builds a JWT from a header and claims with the given signature bytes (nil: none).
func fakeToken(t *testing.T, header map[string]any, c Claims, sig []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(c)
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	if sig == nil {
		return input + "."
	}
	return input + "." + b64.EncodeToString(sig)
}

// A token signed with "none", or with HS256 using the issuer's public key as the HMAC secret (the
// classic algorithm confusion), is refused before any key is used.
func TestAlgorithmConfusionIsRefused(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v := NewVerifier(iss.URL)
	c := iss.valid(time.Now())
	c.Role = RoleAdmin
	kid := iss.signer().kid
	none := fakeToken(t, map[string]any{"alg": "none", "kid": kid}, c, nil)
	pub := x509.MarshalPKCS1PublicKey(&iss.signer().key.PublicKey)
	unsigned := fakeToken(t, map[string]any{"alg": "HS256", "kid": kid}, c, nil)
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(strings.TrimSuffix(unsigned, ".")))
	hs256 := fakeToken(t, map[string]any{"alg": "HS256", "kid": kid}, c, mac.Sum(nil))
	for name, tok := range map[string]string{"alg none": none, "alg None": strings.Replace(none, b64.EncodeToString([]byte(`{"alg":"none"`)), b64.EncodeToString([]byte(`{"alg":"None"`)), 1), "HS256 with the public key": hs256} {
		_, err := v.Verify(context.Background(), tok)
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(Reason(err), "algorithm") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := iss.fetches.Load(); n != 0 {
		t.Errorf("%d JWKS fetches for tokens refused by their header", n)
	}
}

// After the issuer rotates its key, a token with the new key id makes the verifier fetch the keys
// again; unknown key ids do not make it fetch more than once per Refresh; and a key the issuer
// dropped is refused once the cached keys are older than MaxAge.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v := NewVerifier(iss.URL)
	now := time.Now()
	v.Now = func() time.Time { return now }
	ctx := context.Background()
	first := iss.signed(t, iss.valid(now))
	if _, err := v.Verify(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := iss.RotateKey(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	second := iss.signed(t, iss.valid(now))
	for _, tok := range []string{second, first, second} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if n := iss.fetches.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (the first token, then the new key id)", n)
	}
	// Forged key ids: one fetch, then refused from the cache until Refresh has passed.
	now = now.Add(v.Refresh)
	for i := range 5 {
		tok := fakeToken(t, map[string]any{"alg": "RS256", "kid": "forged-" + string(rune('a'+i))}, iss.valid(now), []byte("x"))
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) || !strings.Contains(Reason(err), "unknown key id") {
			t.Fatalf("forged kid: %v", err)
		}
	}
	if n := iss.fetches.Load(); n != 3 {
		t.Fatalf("%d JWKS fetches after forged key ids, want 3", n)
	}
	// A second rotation drops the first key from the JWKS; once the cache is older than MaxAge the
	// keys are fetched again and the first key's tokens are refused.
	if err := iss.RotateKey(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(v.MaxAge)
	if _, err := v.Verify(ctx, first); !errors.Is(err, ErrInvalidToken) || !strings.Contains(Reason(err), "unknown key id") {
		t.Fatalf("a dropped key still verifies: %v", err)
	}
	if _, err := v.Verify(ctx, second); err != nil {
		t.Fatalf("the key still published: %v", err)
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

// The answers a client sees: 401 with an RFC 6750 challenge naming the problem for a refused token,
// 401 with a bare challenge without a token, 403 with insufficient_scope for the wrong role.
func TestChallenges(t *testing.T) {
	t.Parallel()
	iss := startIssuer(t)
	v := NewVerifier(iss.URL)
	mux := http.NewServeMux()
	Handle(mux, []Route{{Pattern: "GET /v1/reviews", Access: Roles(RoleCaseworker), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]string{"sub": Caller(r).Subject})
	})}})
	h := v.Middleware(mux)
	expired := iss.valid(time.Now().Add(-3 * time.Hour))
	citizen, _ := iss.Issue(Claims{Subject: "c", Role: RoleCitizen})
	nameless, _ := iss.Issue(Claims{Subject: "w", Role: RoleCaseworker})
	caseworker, _ := iss.Issue(Claims{Subject: "w", Role: RoleCaseworker, Municipality: "657"})
	for _, tc := range []struct {
		name, auth string
		status     int
		challenge  string
	}{
		{"no token", "", 401, `Bearer realm="livslang"`},
		{"another scheme", "Basic dTpw", 401, `Bearer realm="livslang"`},
		{"expired", "Bearer " + iss.signed(t, expired), 401, `Bearer realm="livslang", error="invalid_token", error_description="the token has expired"`},
		{"garbage", "Bearer x.y.z", 401, `Bearer realm="livslang", error="invalid_token", error_description="malformed header"`},
		{"wrong role", "Bearer " + citizen, 403, `Bearer realm="livslang", error="insufficient_scope", error_description="role citizen may not do this; it needs caseworker"`},
		{"no municipality", "Bearer " + nameless, 403, `Bearer realm="livslang", error="insufficient_scope", error_description="the token names no municipality"`},
		{"allowed", "bearer " + caseworker, 200, ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v1/reviews", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || rec.Header().Get("WWW-Authenticate") != tc.challenge {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Header().Get("WWW-Authenticate"), tc.status, tc.challenge)
		}
		if tc.status != 200 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s", tc.name, rec.Header().Get("Content-Type"))
		}
	}
}
