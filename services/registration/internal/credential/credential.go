// Package credential makes and checks the certificates Livslang issues for completed courses: Open
// Badges 3.0 credentials (W3C Verifiable Credentials Data Model 2.0) secured as VC-JWT, a compact JWS
// signed with ES256 (ECDSA P-256, SHA-256) whose header names the key by kid. The public keys are
// published as a JWKS; a key that stops signing stays published, so what it signed stays verifiable.
// The package is pure: keys, claims, signing and verification; the store keeps them.
package credential

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// MediaType is the media type of a credential secured as a JWT (VC-JOSE-COSE).
const MediaType = "application/vc+jwt"

var b64 = base64.RawURLEncoding

// Key is a signing key.
type Key struct {
	ID      string // the kid: the key's JWK thumbprint (RFC 7638)
	Private *ecdsa.PrivateKey
}

// NewKey makes a fresh P-256 signing key.
func NewKey() (Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("generate signing key: %w", err)
	}
	return keyOf(priv)
}

// ParseKey reads a private key as Raw wrote it.
func ParseKey(raw []byte) (Key, error) {
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return Key{}, fmt.Errorf("parse signing key: %w", err)
	}
	return keyOf(priv)
}

func keyOf(priv *ecdsa.PrivateKey) (Key, error) {
	jwk, err := publicJWK("", &priv.PublicKey)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: jwk.Thumbprint(), Private: priv}, nil
}

// Raw is the private key's bytes, to be sealed.
func (k Key) Raw() ([]byte, error) { return k.Private.Bytes() }

// Public is the key's public half as a JWK.
func (k Key) Public() JWK {
	jwk, _ := publicJWK(k.ID, &k.Private.PublicKey) // the key was checked when it was made
	return jwk
}

// JWK is a public EC key (RFC 7517).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS is a key set, as served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

func publicJWK(kid string, pub *ecdsa.PublicKey) (JWK, error) {
	raw, err := pub.Bytes() // 0x04 || X || Y
	if err != nil || len(raw) != 65 {
		return JWK{}, fmt.Errorf("encode public key: %v", err)
	}
	return JWK{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(raw[1:33]), Y: b64.EncodeToString(raw[33:]),
		Kid: kid, Alg: "ES256", Use: "sig"}, nil
}

// Thumbprint is the key's RFC 7638 thumbprint (SHA-256 of its required members in order), base64url.
func (j JWK) Thumbprint() string {
	sum := sha256.Sum256([]byte(`{"crv":"` + j.Crv + `","kty":"` + j.Kty + `","x":"` + j.X + `","y":"` + j.Y + `"}`))
	return b64.EncodeToString(sum[:])
}

// PublicKey decodes the key.
func (j JWK) PublicKey() (*ecdsa.PublicKey, error) {
	x, errX := b64.DecodeString(j.X)
	y, errY := b64.DecodeString(j.Y)
	if j.Kty != "EC" || j.Crv != "P-256" || errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, errors.New("not a P-256 public key")
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
}

// Credential is an OpenBadgeCredential with the JWT claims VC-JOSE-COSE allows beside it (iss, jti,
// sub, iat, nbf, exp), so generic JWT libraries check its dates as the credential states them.
type Credential struct {
	Context           []string   `json:"@context"`
	ID                string     `json:"id"`
	Type              []string   `json:"type"`
	Name              string     `json:"name"`
	Issuer            Profile    `json:"issuer"`
	ValidFrom         string     `json:"validFrom"`
	ValidUntil        string     `json:"validUntil,omitempty"`
	CredentialSubject Subject    `json:"credentialSubject"`
	CredentialStatus  *Status    `json:"credentialStatus,omitempty"`
	CredentialSchema  []Schema   `json:"credentialSchema"`
	Iss               string     `json:"iss"`
	Jti               string     `json:"jti"`
	Sub               string     `json:"sub,omitempty"`
	Iat               int64      `json:"iat"`
	Nbf               int64      `json:"nbf"`
	Exp               int64      `json:"exp,omitempty"`
	Evidence          []Evidence `json:"evidence,omitempty"`
}

// Profile is the issuer: the institution that taught the course.
type Profile struct {
	ID    string   `json:"id"`
	Type  []string `json:"type"`
	Name  string   `json:"name"`
	URL   string   `json:"url,omitempty"`
	Email string   `json:"email,omitempty"`
}

// Subject is the holder and what they achieved. The holder is named only by a salted hash of their
// name (OB IdentityObject), never by a CPR number.
type Subject struct {
	Type              []string         `json:"type"`
	Identifier        []IdentityObject `json:"identifier"`
	Achievement       Achievement      `json:"achievement"`
	ActivityStartDate string           `json:"activityStartDate,omitempty"`
	ActivityEndDate   string           `json:"activityEndDate,omitempty"`
	CreditsEarned     *float64         `json:"creditsEarned,omitempty"`
}

// IdentityObject is a hashed identity (OB 3.0).
type IdentityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt"`
}

// Achievement is the course as an achievement.
type Achievement struct {
	ID               string   `json:"id"`
	Type             []string `json:"type"`
	AchievementType  string   `json:"achievementType"`
	Name             string   `json:"name"`
	Description      string   `json:"description"`
	Criteria         Criteria `json:"criteria"`
	HumanCode        string   `json:"humanCode"`
	FieldOfStudy     string   `json:"fieldOfStudy,omitempty"`
	CreditsAvailable *float64 `json:"creditsAvailable,omitempty"`
	Tag              []string `json:"tag,omitempty"`
}

// Criteria says what earns the achievement.
type Criteria struct {
	Narrative string `json:"narrative"`
}

// Evidence is what the institution reported.
type Evidence struct {
	Type      []string `json:"type"`
	Narrative string   `json:"narrative"`
}

// Status points at the credential's revocation list (1EdTech Revocation List).
type Status struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Schema is a JSON schema the credential follows.
type Schema struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Course is what Build needs to know of a completed course.
type Course struct {
	CredentialID  string // urn:uuid:…
	AchievementID string // a URL naming the course (not the run)
	StatusURL     string
	Code          string
	Title         string
	Description   string
	Category      string
	ECTS          *float64
	Skills        []string
	StartsOn      time.Time
	EndsOn        time.Time
	PlannedHours  float64
	AttendedHours float64
	Institution   Profile
	IssuedAt      time.Time
	ValidUntil    *time.Time
}

// Build makes the credential for a completed course; holderName is hashed with a fresh salt.
func Build(c Course, holderName string) (Credential, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Credential{}, fmt.Errorf("salt: %w", err)
	}
	issued := c.IssuedAt.UTC().Truncate(time.Second)
	cred := Credential{
		Context:   []string{"https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"},
		ID:        c.CredentialID,
		Type:      []string{"VerifiableCredential", "OpenBadgeCredential"},
		Name:      c.Title,
		Issuer:    c.Institution,
		ValidFrom: issued.Format(time.RFC3339),
		CredentialSubject: Subject{
			Type:       []string{"AchievementSubject"},
			Identifier: []IdentityObject{HashName(holderName, hex.EncodeToString(salt))},
			Achievement: Achievement{ID: c.AchievementID, Type: []string{"Achievement"}, AchievementType: "Course",
				Name: c.Title, Description: c.Description, HumanCode: c.Code, FieldOfStudy: c.Category,
				CreditsAvailable: c.ECTS, Tag: c.Skills,
				Criteria: Criteria{Narrative: "Completed the course " + c.Code + " " + c.Title + " as reported by " + c.Institution.Name + "."}},
			ActivityStartDate: c.StartsOn.Format(time.DateOnly), ActivityEndDate: c.EndsOn.Format(time.DateOnly),
			CreditsEarned: c.ECTS,
		},
		CredentialStatus: &Status{ID: c.StatusURL, Type: "1EdTechRevocationList"},
		CredentialSchema: []Schema{{ID: "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
			Type: "1EdTechJsonSchemaValidator2019"}},
		Evidence: []Evidence{{Type: []string{"Evidence"},
			Narrative: fmt.Sprintf("Attended %.1f of %.1f planned hours, %s to %s.", c.AttendedHours, c.PlannedHours,
				c.StartsOn.Format(time.DateOnly), c.EndsOn.Format(time.DateOnly))}},
		Iss: c.Institution.ID, Jti: c.CredentialID, Iat: issued.Unix(), Nbf: issued.Unix(),
	}
	if c.ValidUntil != nil {
		cred.ValidUntil = c.ValidUntil.UTC().Format(time.RFC3339)
		cred.Exp = c.ValidUntil.Unix()
	}
	return cred, nil
}

// HashName is the OB IdentityObject of a name: sha256$hex(SHA-256(name || salt)).
func HashName(name, salt string) IdentityObject {
	sum := sha256.Sum256([]byte(name + salt))
	return IdentityObject{Type: "IdentityObject", IdentityHash: "sha256$" + hex.EncodeToString(sum[:]),
		IdentityType: "name", Hashed: true, Salt: salt}
}

type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Cty string `json:"cty,omitempty"`
	Kid string `json:"kid"`
}

// Sign secures the credential as a compact JWS.
func Sign(k Key, c Credential) (string, error) {
	h, err := json.Marshal(header{Alg: "ES256", Typ: "vc+jwt", Cty: "vc", Kid: k.ID})
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode credential: %w", err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.Private, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign credential: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64.EncodeToString(sig), nil
}

// Decode reads a compact JWS without checking it: the header and the payload as sent.
func Decode(token string) (kid string, payload json.RawMessage, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", nil, errors.New("not a compact JWS: want three base64url parts separated by dots")
	}
	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return "", nil, errors.New("the header is not base64url")
	}
	var h header
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return "", nil, errors.New("the header is not JSON")
	}
	if h.Alg != "ES256" {
		return "", nil, fmt.Errorf("the algorithm %q is not accepted (only ES256)", h.Alg)
	}
	if h.Kid == "" {
		return "", nil, errors.New("the header names no key (kid)")
	}
	p, err := b64.DecodeString(parts[1])
	if err != nil || !json.Valid(p) {
		return "", nil, errors.New("the payload is not base64url-encoded JSON")
	}
	return h.Kid, bytes.TrimSpace(p), nil
}

// validSignature checks the JWS signature with pub.
func validSignature(token string, pub *ecdsa.PublicKey) bool {
	i := strings.LastIndexByte(token, '.')
	sig, err := b64.DecodeString(token[i+1:])
	if err != nil || len(sig) != 64 {
		return false
	}
	digest := sha256.Sum256([]byte(token[:i]))
	return ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}
