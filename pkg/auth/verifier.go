package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"livslang.dk/pkg/httpapi"
)

// Clock skew allowed between an issuer and us when checking exp, nbf and iat.
const (
	DefaultSkew = time.Minute
	MaxSkew     = 5 * time.Minute
)

// Verifier checks bearer tokens: RS256 JWTs signed by one of its issuers, for its audience, within
// their validity (exp, nbf) give or take the clock skew. Each issuer's keys come from its JWKS, found
// through its OIDC discovery document, and are cached: a key id not in the cache fetches them again
// (at most once per Refresh, so forged key ids cannot make us hammer the issuer), and keys older than
// MaxAge are fetched again before use, so keys rotate both ways.
type Verifier struct {
	Audience string        // the aud a token must name; Audience by default
	Skew     time.Duration // DefaultSkew from NewVerifier; at most MaxSkew is used
	Client   *http.Client
	Now      func() time.Time
	Refresh  time.Duration // 10 s by default
	MaxAge   time.Duration // 1 h by default

	issuers map[string]*keySet
}

// NewVerifier makes a verifier that trusts the issuers (their base URLs, as in their tokens' iss).
func NewVerifier(issuers ...string) *Verifier {
	v := &Verifier{Audience: Audience, Skew: DefaultSkew, Client: &http.Client{Timeout: 5 * time.Second}, Now: time.Now,
		Refresh: 10 * time.Second, MaxAge: time.Hour, issuers: map[string]*keySet{}}
	for _, iss := range issuers {
		iss = strings.TrimRight(strings.TrimSpace(iss), "/")
		v.issuers[iss] = &keySet{issuer: iss}
	}
	return v
}

func (v *Verifier) skew() time.Duration {
	switch {
	case v.Skew < 0:
		return 0
	case v.Skew > MaxSkew:
		return MaxSkew
	}
	return v.Skew
}

// Verify checks a compact JWT and returns its claims. A refused token is ErrInvalidToken (Reason says
// why); any other error means the issuer's keys could not be fetched.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	h, parts, err := readHeader(token)
	if err != nil {
		return Claims{}, err
	}
	iss, err := unverifiedIssuer(parts)
	if err != nil {
		return Claims{}, err
	}
	ks, ok := v.issuers[iss]
	if !ok {
		return Claims{}, invalid("issued by %s, which is not a trusted issuer", iss)
	}
	pub, err := ks.key(ctx, v, h.Kid)
	if err != nil {
		return Claims{}, err
	}
	return verify(parts, pub, checks{issuer: ks.issuer, audience: v.Audience, now: v.Now(), skew: v.skew()})
}

// keySet is one issuer's cached signing keys.
type keySet struct {
	issuer string

	fetching sync.Mutex // one fetch at a time

	mu      sync.RWMutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time // when keys were fetched
	tried   time.Time // the last fetch, successful or not
	failed  error     // why the last fetch failed, nil if it did not
}

func (k *keySet) cached(kid string, now time.Time, maxAge time.Duration) (pub *rsa.PublicKey, fresh bool, tried time.Time, failed error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	pub = k.keys[kid]
	return pub, pub != nil && now.Sub(k.fetched) < maxAge, k.tried, k.failed
}

// key returns the issuer's key kid, fetching the keys when kid is unknown or the keys are old. While
// the issuer cannot be reached, a known key is still used.
func (k *keySet) key(ctx context.Context, v *Verifier, kid string) (*rsa.PublicKey, error) {
	now := v.Now()
	if pub, fresh, _, _ := k.cached(kid, now, v.MaxAge); fresh {
		return pub, nil
	}
	k.fetching.Lock()
	defer k.fetching.Unlock()
	pub, fresh, tried, failed := k.cached(kid, now, v.MaxAge) // another request may have fetched meanwhile
	switch {
	case fresh:
		return pub, nil
	case now.Sub(tried) < v.Refresh && pub != nil:
		return pub, nil
	case now.Sub(tried) < v.Refresh && failed != nil:
		return nil, failed
	case now.Sub(tried) < v.Refresh:
		return nil, invalid("unknown key id %s", kid)
	}
	keys, err := v.fetch(ctx, k.issuer)
	k.mu.Lock()
	k.tried, k.failed = now, nil
	if err != nil {
		k.failed = fmt.Errorf("fetch the keys of %s: %w", k.issuer, err)
	} else {
		k.keys, k.fetched = keys, now
	}
	k.mu.Unlock()
	switch {
	case err != nil && pub != nil:
		return pub, nil
	case err != nil:
		return nil, k.failed
	case keys[kid] == nil:
		return nil, invalid("unknown key id %s", kid)
	}
	return keys[kid], nil
}

func (v *Verifier) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// fetch reads the issuer's discovery document and its JWKS: the RSA signing keys of at least 2048 bits.
func (v *Verifier) fetch(ctx context.Context, issuer string) (map[string]*rsa.PublicKey, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, issuer+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != issuer {
		return nil, fmt.Errorf("discovery names issuer %q, want %q", disc.Issuer, issuer)
	}
	var set jwks
	if err := v.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 {
			continue
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwks struct {
	Keys []jwk `json:"keys"`
}

type ctxKey struct{}

// FromContext returns the caller's claims, if the request carried a valid token.
func FromContext(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(Claims)
	return c, ok
}

// WithClaims returns ctx carrying c (for tests and in-process callers).
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// Middleware verifies a bearer token when one is sent: a refused token is a 401 whose
// WWW-Authenticate header says why (RFC 6750), and an issuer that cannot be reached a 503. Which
// routes need a token, and which roles, is each route's Access.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			httpapi.WriteProblem(w, r, fmt.Errorf("%w: use the Bearer authentication scheme", httpapi.ErrUnauthorized))
			return
		}
		c, err := v.Verify(r.Context(), strings.TrimSpace(token))
		switch {
		case errors.Is(err, ErrInvalidToken):
			httpapi.WriteProblem(w, r, &httpapi.BearerError{Kind: httpapi.ErrUnauthorized, Code: "invalid_token", Description: Reason(err)})
		case err != nil: // the issuer's keys could not be fetched
			httpapi.WriteProblem(w, r, fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err))
		default:
			next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
		}
	})
}
