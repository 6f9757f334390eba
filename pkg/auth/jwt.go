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
	// RoleEmployer is a person acting for a company, named by its CVR number (production: MitID
	// Erhverv through the NemLog-in broker).
	RoleEmployer = "employer"
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
	// CVR is the company an employer user acts for.
	CVR  string `json:"cvr,omitempty"`
	Name string `json:"name,omitempty"`
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

// ErrInvalidToken is any token that fails verification; errors that are it say why (Reason).
var ErrInvalidToken = errors.New("invalid token")

// tokenError is a refused token and why.
type tokenError struct{ reason string }

func (e *tokenError) Error() string { return "invalid token: " + e.reason }

// Is makes errors.Is(e, ErrInvalidToken) true.
func (e *tokenError) Is(target error) bool { return target == ErrInvalidToken }

func invalid(format string, args ...any) error {
	return &tokenError{reason: fmt.Sprintf(format, args...)}
}

// Reason is why a token was refused, for the caller (no secret in it), or "" if err is not a refused token.
func Reason(err error) string {
	var te *tokenError
	if errors.As(err, &te) {
		return te.reason
	}
	return ""
}

var b64 = base64.RawURLEncoding

type header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ,omitempty"`
	Crit []string `json:"crit,omitempty"`
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

// checks are what a token's claims must satisfy besides its signature.
type checks struct {
	issuer   string
	audience string
	now      time.Time
	skew     time.Duration // allowed difference between the issuer's clock and ours
}

// header reads a compact JWT's header: only RS256 is accepted, so "none", HS256 made with the public
// key as its secret, and every other algorithm are refused before any key is looked at.
func readHeader(token string) (header, []string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return header{}, nil, invalid("not a JWT")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return header{}, nil, invalid("malformed header")
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return header{}, nil, invalid("malformed header")
	}
	switch {
	case h.Alg != "RS256":
		return header{}, nil, invalid("algorithm %s is not accepted, only RS256", h.Alg)
	case len(h.Crit) > 0:
		return header{}, nil, invalid("critical header parameters are not supported")
	case h.Typ != "" && !strings.EqualFold(h.Typ, "JWT") && !strings.EqualFold(h.Typ, "at+jwt"):
		return header{}, nil, invalid("type %s is not a JWT", h.Typ)
	}
	return h, parts, nil
}

// unverifiedIssuer is the iss claim of a token whose signature has not been checked yet: it only picks
// which issuer's keys to check it with.
func unverifiedIssuer(parts []string) (string, error) {
	pb, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", invalid("malformed payload")
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(pb, &c); err != nil {
		return "", invalid("malformed payload")
	}
	return c.Issuer, nil
}

// verify checks the signature of a token read by readHeader with pub, then the claims.
func verify(parts []string, pub *rsa.PublicKey, want checks) (Claims, error) {
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return Claims{}, invalid("malformed signature")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return Claims{}, invalid("bad signature")
	}
	pb, err := b64.DecodeString(parts[1])
	if err != nil {
		return Claims{}, invalid("malformed payload")
	}
	var c Claims
	if err := json.Unmarshal(pb, &c); err != nil {
		return Claims{}, invalid("malformed payload")
	}
	now := want.now
	switch {
	case c.Issuer != want.issuer:
		return Claims{}, invalid("issued by %s, not by %s", c.Issuer, want.issuer)
	case !slices.Contains(c.Audience, want.audience):
		return Claims{}, invalid("not issued for audience %s", want.audience)
	case c.Expiry == 0:
		return Claims{}, invalid("no expiry (exp)")
	case !now.Before(time.Unix(c.Expiry, 0).Add(want.skew)):
		return Claims{}, invalid("the token has expired")
	case c.NotBefore != 0 && now.Add(want.skew).Before(time.Unix(c.NotBefore, 0)):
		return Claims{}, invalid("the token is not valid yet (nbf)")
	case c.IssuedAt != 0 && now.Add(want.skew).Before(time.Unix(c.IssuedAt, 0)):
		return Claims{}, invalid("the token was issued in the future (iat)")
	case c.Subject == "":
		return Claims{}, invalid("no subject (sub)")
	}
	return c, nil
}
