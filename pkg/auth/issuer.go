package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/httpapi"
)

var nopLog = zap.NewNop()

// DevIssuer is the development identity provider: it issues signed tokens for any role on request.
// Never expose it beyond a developer's machine.
type DevIssuer struct {
	URL string
	TTL time.Duration
	key *rsa.PrivateKey
	kid string
	now func() time.Time
}

// NewDevIssuer makes an issuer with a fresh 2048-bit key.
func NewDevIssuer(url string) (*DevIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	sum := sha256.Sum256(key.PublicKey.N.Bytes())
	return &DevIssuer{URL: strings.TrimRight(url, "/"), TTL: 8 * time.Hour, key: key, kid: hex.EncodeToString(sum[:8]), now: time.Now}, nil
}

// Issue signs a token with the given claims; issuer, audience and times are filled in.
func (d *DevIssuer) Issue(c Claims) (string, error) {
	now := d.now()
	c.Issuer, c.Audience = d.URL, Audiences{Audience}
	c.IssuedAt, c.NotBefore, c.Expiry = now.Unix(), now.Unix(), now.Add(d.TTL).Unix()
	return sign(d.key, d.kid, c)
}

// TokenRequest is the body of POST /token.
type TokenRequest struct {
	Role          string `json:"role"`
	Sub           string `json:"sub"`
	CPR           string `json:"cpr,omitempty"`
	InstitutionID string `json:"institution_id,omitempty"`
	Municipality  string `json:"municipality,omitempty"`
	Name          string `json:"name,omitempty"`
}

var subPattern = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,128}$`)

// Validate checks a token request field by field.
func (t TokenRequest) Validate() error {
	v := &httpapi.ValidationError{}
	switch t.Role {
	case RoleCitizen:
		if _, err := cpr.Parse(t.CPR); err != nil {
			v.Add("cpr", "a citizen needs a CPR number DDMMYYSSSS: %v", err)
		}
	case RoleInstitution:
		if t.InstitutionID == "" {
			v.Add("institution_id", "an institution user needs institution_id")
		}
	case RoleCaseworker:
		if t.Municipality == "" {
			v.Add("municipality", "a caseworker needs a municipality code, e.g. 657")
		}
	case RoleAdmin:
	default:
		v.Add("role", "must be one of citizen, caseworker, institution, admin")
	}
	if !subPattern.MatchString(t.Sub) {
		v.Add("sub", "must be 1-128 characters of letters, digits and ._:@-")
	}
	return v.Err()
}

// Handler serves POST /token, the discovery document and the JWKS.
func (d *DevIssuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /token", httpapi.Handle(nopLog, func(w http.ResponseWriter, r *http.Request) error {
		var req TokenRequest
		if err := httpapi.DecodeJSON(w, r, &req); err != nil {
			return err
		}
		if err := req.Validate(); err != nil {
			return err
		}
		c := Claims{Subject: req.Sub, Role: req.Role, InstitutionID: req.InstitutionID, Municipality: req.Municipality, Name: req.Name}
		if req.Role == RoleCitizen {
			p, _ := cpr.Parse(req.CPR)
			c.CPR = p.Digits()
		}
		tok, err := d.Issue(c)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(d.TTL.Seconds())})
	}))
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]any{
			"issuer":                                d.URL,
			"jwks_uri":                              d.URL + "/jwks",
			"token_endpoint":                        d.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"token"},
			"subject_types_supported":               []string{"public"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		pub := d.key.PublicKey
		_ = httpapi.WriteJSON(w, http.StatusOK, jwks{Keys: []jwk{{
			Kty: "RSA", Kid: d.kid, Use: "sig", Alg: "RS256",
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}
