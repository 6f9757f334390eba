package credential

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Revocation is a credential's status as its issuer keeps it.
type Revocation struct {
	Known     bool // issued here
	Revoked   bool
	Reason    string
	RevokedAt time.Time
}

// Lookup is what verification needs from the issuer's records.
type Lookup interface {
	// PublicKey is the key with the kid; nil when there is none.
	PublicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error)
	// IssuerKnown reports whether the issuer id names an institution credentials are issued for.
	IssuerKnown(ctx context.Context, issuerID string) (bool, error)
	// Status is the credential's revocation status.
	Status(ctx context.Context, credentialID string) (Revocation, error)
}

// The checks a verification makes, in order.
const (
	CheckFormat    = "format"
	CheckSignature = "signature"
	CheckIssuer    = "issuer"
	CheckDates     = "dates"
	CheckStatus    = "status"
)

// Check is the answer to one check.
type Check struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason"`
}

// Result is a verification: valid only when every check holds. Credential is the payload as sent
// (present once the token could be read, even when a check failed).
type Result struct {
	Valid      bool            `json:"valid"`
	Checks     []Check         `json:"checks"`
	Credential json.RawMessage `json:"credential,omitempty"`
}

func (r *Result) add(name string, ok bool, reason string) bool {
	r.Checks = append(r.Checks, Check{Check: name, OK: ok, Reason: reason})
	return ok
}

// Verify checks a VC-JWT at the time at: its form, its signature with the key its header names, its
// issuer, its dates (validFrom, validUntil) and its revocation status. An error is only a failure to
// look something up; a credential that does not hold is a Result with Valid false and the reasons.
// Nothing in the payload is trusted before the signature holds.
func Verify(ctx context.Context, token string, at time.Time, l Lookup) (Result, error) {
	var res Result
	kid, payload, err := Decode(token)
	if err != nil {
		res.add(CheckFormat, false, err.Error())
		return res, nil
	}
	res.Credential = payload
	var c Credential
	if err := json.Unmarshal(payload, &c); err != nil || !slices.Contains(c.Type, "OpenBadgeCredential") ||
		!slices.Contains(c.Type, "VerifiableCredential") || c.ID == "" {
		res.add(CheckFormat, false, "the payload is not an OpenBadgeCredential (type VerifiableCredential and OpenBadgeCredential, with an id)")
		return res, nil
	}
	res.add(CheckFormat, true, "a compact JWS (ES256) carrying an OpenBadgeCredential")
	pub, err := l.PublicKey(ctx, kid)
	if err != nil {
		return res, err
	}
	if pub == nil {
		res.add(CheckSignature, false, fmt.Sprintf("the key %q is not one of the issuer's published keys", kid))
		return res, nil
	}
	if !validSignature(token, pub) {
		res.add(CheckSignature, false, "the signature does not match: the credential was changed after it was signed, or not signed by this key")
		return res, nil
	}
	res.add(CheckSignature, true, fmt.Sprintf("signed with the published key %s", kid))
	ok := true
	known, err := l.IssuerKnown(ctx, c.Issuer.ID)
	if err != nil {
		return res, err
	}
	switch {
	case c.Issuer.ID == "" || c.Issuer.ID != c.Iss:
		ok = res.add(CheckIssuer, false, "the issuer's id and the token's iss claim differ") && ok
	case !known:
		ok = res.add(CheckIssuer, false, fmt.Sprintf("the issuer %s is not an institution known here", c.Issuer.ID)) && ok
	default:
		res.add(CheckIssuer, true, fmt.Sprintf("issued by %s (%s)", c.Issuer.Name, c.Issuer.ID))
	}
	datesOK, why := datesHold(c, at)
	ok = res.add(CheckDates, datesOK, why) && ok
	st, err := l.Status(ctx, c.ID)
	if err != nil {
		return res, err
	}
	switch {
	case !st.Known:
		ok = res.add(CheckStatus, false, "the issuer has no record of this credential") && ok
	case st.Revoked:
		ok = res.add(CheckStatus, false, fmt.Sprintf("revoked on %s: %s", st.RevokedAt.UTC().Format(time.DateOnly), st.Reason)) && ok
	default:
		res.add(CheckStatus, true, "not revoked")
	}
	res.Valid = ok
	return res, nil
}

// datesHold checks validFrom and validUntil at the time at.
func datesHold(c Credential, at time.Time) (bool, string) {
	from, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil {
		return false, "validFrom is not a date and time"
	}
	if at.Before(from) {
		return false, "not valid before " + from.UTC().Format(time.RFC3339)
	}
	if c.ValidUntil == "" {
		return true, "valid from " + from.UTC().Format(time.DateOnly) + ", with no end"
	}
	until, err := time.Parse(time.RFC3339, c.ValidUntil)
	if err != nil {
		return false, "validUntil is not a date and time"
	}
	if !at.Before(until) {
		return false, "expired on " + until.UTC().Format(time.DateOnly)
	}
	return true, "valid from " + from.UTC().Format(time.DateOnly) + " until " + until.UTC().Format(time.DateOnly)
}
