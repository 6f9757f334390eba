package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"livslang.dk/pkg/httpapi"
)

// Verifier checks bearer tokens against an OIDC issuer's JWKS, fetched through its discovery document
// and cached; an unknown key id triggers a refresh (at most every 10 s), so keys can rotate.
type Verifier struct {
	Issuer string
	Client *http.Client
	Now    func() time.Time

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// NewVerifier makes a verifier for issuer (its base URL).
func NewVerifier(issuer string) *Verifier {
	return &Verifier{Issuer: strings.TrimRight(issuer, "/"), Client: &http.Client{Timeout: 5 * time.Second}, Now: time.Now}
}

// Verify checks a compact JWT and returns its claims.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	return parse(token, func(kid string) (*rsa.PublicKey, error) { return v.key(ctx, kid) }, v.Issuer, v.Now(), time.Minute)
}

func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if time.Since(v.fetched) < 10*time.Second && v.keys != nil {
		return nil, fmt.Errorf("%w: unknown key id", ErrInvalidToken)
	}
	keys, err := v.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch issuer keys: %w", err)
	}
	v.keys, v.fetched = keys, time.Now()
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown key id", ErrInvalidToken)
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
	return json.NewDecoder(resp.Body).Decode(out)
}

func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.Issuer+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != v.Issuer {
		return nil, fmt.Errorf("discovery names issuer %q, want %q", disc.Issuer, v.Issuer)
	}
	var set jwks
	if err := v.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
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

// Middleware verifies a bearer token when one is sent; a bad token is a 401. Routes decide with
// Require whether a token is needed.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			httpapi.WriteProblem(w, r, fmt.Errorf("%w: use the Bearer scheme", httpapi.ErrUnauthorized))
			return
		}
		c, err := v.Verify(r.Context(), strings.TrimSpace(token))
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) { // the issuer's keys could not be fetched
				httpapi.WriteProblem(w, r, fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err))
				return
			}
			httpapi.WriteProblem(w, r, fmt.Errorf("%w: %w", httpapi.ErrUnauthorized, err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
	})
}

// Require returns the caller's claims if it has one of the roles: no token is ErrUnauthorized and
// another role ErrForbidden.
func Require(r *http.Request, roles ...string) (Claims, error) {
	c, ok := FromContext(r.Context())
	if !ok {
		return Claims{}, fmt.Errorf("%w: no bearer token", httpapi.ErrUnauthorized)
	}
	for _, role := range roles {
		if c.Role == role {
			return c, nil
		}
	}
	return Claims{}, fmt.Errorf("%w: role %q may not do this", httpapi.ErrForbidden, c.Role)
}
