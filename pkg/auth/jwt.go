// Package auth verifies bearer tokens (RS256 JWTs from an OIDC issuer's JWKS), carries the caller's
// identity in the request context, and, for development, issues such tokens.
package auth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Roles.
const (
	RoleCitizen     = "citizen"
	RoleCaseworker  = "caseworker"
	RoleInstitution = "institution"
	RoleAdmin       = "admin"
)

// Audience is the audience every Livslang token is issued for.
const Audience = "livslang"

// Claims are the token claims Livslang uses. CPR is personal data: never log it.
type Claims struct {
	Issuer        string    `json:"iss"`
	Subject       string    `json:"sub"`
	Audience      Audiences `json:"aud"`
	Expiry        int64     `json:"exp"`
	NotBefore     int64     `json:"nbf,omitempty"`
	IssuedAt      int64     `json:"iat,omitempty"`
	Role          string    `json:"role"`
	CPR           string    `json:"cpr,omitempty"`
	InstitutionID string    `json:"institution_id,omitempty"`
	Municipality  string    `json:"municipality,omitempty"`
	Name          string    `json:"name,omitempty"`
}

// Audiences is the aud claim: one string or a list of them (RFC 7519 § 4.1.3).
type Audiences []string

// MarshalJSON writes a single audience as a string.
func (a Audiences) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or a list of strings.
func (a *Audiences) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audiences{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// ErrInvalidToken is any token that fails verification.
var ErrInvalidToken = errors.New("invalid token")

var b64 = base64.RawURLEncoding

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// sign makes a compact RS256 JWT of any JSON payload (access tokens' Claims, the portal's ID token).
func sign(key *rsa.PrivateKey, kid string, payload any) (string, error) {
	h, _ := json.Marshal(header{Alg: "RS256", Kid: kid, Typ: "JWT"})
	p, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("marshal claims: %w", err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// parse checks the signature with the key named by the token's kid and the standard claims.
func parse(token string, key func(kid string) (*rsa.PublicKey, error), issuer string, now time.Time, skew time.Duration) (Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("%w: not a JWT", ErrInvalidToken)
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: header encoding", ErrInvalidToken)
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return Claims{}, fmt.Errorf("%w: header", ErrInvalidToken)
	}
	if h.Alg != "RS256" {
		return Claims{}, fmt.Errorf("%w: algorithm %q not accepted", ErrInvalidToken, h.Alg)
	}
	pub, err := key(h.Kid)
	if err != nil {
		return Claims{}, err
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature encoding", ErrInvalidToken)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	pb, err := b64.DecodeString(parts[1])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload encoding", ErrInvalidToken)
	}
	var c Claims
	if err := json.Unmarshal(pb, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: payload", ErrInvalidToken)
	}
	switch {
	case c.Issuer != issuer:
		return Claims{}, fmt.Errorf("%w: issuer", ErrInvalidToken)
	case !slices.Contains(c.Audience, Audience):
		return Claims{}, fmt.Errorf("%w: audience", ErrInvalidToken)
	case c.Expiry == 0 || now.After(time.Unix(c.Expiry, 0).Add(skew)):
		return Claims{}, fmt.Errorf("%w: expired", ErrInvalidToken)
	case c.NotBefore != 0 && now.Add(skew).Before(time.Unix(c.NotBefore, 0)):
		return Claims{}, fmt.Errorf("%w: not yet valid", ErrInvalidToken)
	case c.Subject == "":
		return Claims{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return c, nil
}
