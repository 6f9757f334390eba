// Package oidc signs users in with the OpenID Connect authorization-code flow and PKCE (S256): it
// reads the issuer's discovery document, builds the authorization URL and exchanges the code.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client is the portal as an OIDC client (a public client: PKCE instead of a secret).
type Client struct {
	Issuer      string
	ClientID    string
	RedirectURL string
	HTTP        *http.Client

	mu      sync.Mutex
	disc    discovery
	fetched time.Time
}

type discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

func (c *Client) discover(ctx context.Context) (discovery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disc.AuthorizationEndpoint != "" && time.Since(c.fetched) < 10*time.Minute {
		return c.disc, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return discovery{}, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return discovery{}, fmt.Errorf("oidc discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return discovery{}, fmt.Errorf("oidc discovery: %s", resp.Status)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return discovery{}, fmt.Errorf("oidc discovery: %w", err)
	}
	if d.Issuer != c.Issuer || d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" {
		return discovery{}, fmt.Errorf("oidc discovery: issuer %q or endpoints do not match %q", d.Issuer, c.Issuer)
	}
	c.disc, c.fetched = d, time.Now()
	return d, nil
}

// Random returns n random bytes, base64url-encoded.
func Random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Challenge is the S256 PKCE challenge of a verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthURL is where the browser signs in; state, nonce and the verifier's challenge are bound to
// the browser's session by the caller.
func (c *Client) AuthURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	d, err := c.discover(ctx)
	if err != nil {
		return "", err
	}
	q := url.Values{"response_type": {"code"}, "client_id": {c.ClientID}, "redirect_uri": {c.RedirectURL},
		"scope": {"openid profile"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {Challenge(verifier)}, "code_challenge_method": {"S256"}}
	sep := "?"
	if strings.Contains(d.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	return d.AuthorizationEndpoint + sep + q.Encode(), nil
}

// Token is the token endpoint's answer.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	IDToken     string `json:"id_token"`
}

// Exchange trades the code and the PKCE verifier for tokens.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	d, err := c.discover(ctx)
	if err != nil {
		return Token{}, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURL},
		"client_id": {c.ClientID}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e)
		return Token{}, fmt.Errorf("token endpoint: %s: %s %s", resp.Status, e.Error, e.Description)
	}
	var t Token
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&t); err != nil {
		return Token{}, fmt.Errorf("token endpoint: %w", err)
	}
	if t.AccessToken == "" || !strings.EqualFold(t.TokenType, "Bearer") || t.IDToken == "" {
		return Token{}, errors.New("token endpoint: no bearer access token or id token")
	}
	return t, nil
}

// CheckIDToken checks the ID token's claims: issuer, audience, expiry, nonce and subject. It came
// straight from the token endpoint over the connection the client opened, so (OIDC Core 3.1.3.7) the
// signature need not be checked here; the access token, which the APIs rely on, is verified in full.
func (c *Client) CheckIDToken(idToken, nonce, subject string, now time.Time) error {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return errors.New("id token: not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New("id token: payload encoding")
	}
	var claims struct {
		Issuer  string          `json:"iss"`
		Subject string          `json:"sub"`
		Aud     json.RawMessage `json:"aud"`
		Expiry  int64           `json:"exp"`
		Nonce   string          `json:"nonce"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return errors.New("id token: payload")
	}
	var auds []string
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil {
		auds = []string{one}
	} else {
		_ = json.Unmarshal(claims.Aud, &auds)
	}
	audOK := false
	for _, a := range auds {
		audOK = audOK || a == c.ClientID
	}
	switch {
	case claims.Issuer != c.Issuer:
		return errors.New("id token: issuer")
	case !audOK:
		return errors.New("id token: audience")
	case claims.Expiry == 0 || now.After(time.Unix(claims.Expiry, 0).Add(time.Minute)):
		return errors.New("id token: expired")
	case claims.Nonce != nonce:
		return errors.New("id token: nonce")
	case claims.Subject != subject:
		return errors.New("id token: subject differs from the access token's")
	}
	return nil
}
