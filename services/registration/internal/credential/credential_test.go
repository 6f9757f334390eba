package credential

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type lookup struct {
	keys    map[string]*ecdsa.PublicKey
	issuers map[string]bool
	status  map[string]Revocation
}

func (l lookup) PublicKey(_ context.Context, kid string) (*ecdsa.PublicKey, error) {
	return l.keys[kid], nil
}
func (l lookup) IssuerKnown(_ context.Context, id string) (bool, error)  { return l.issuers[id], nil }
func (l lookup) Status(_ context.Context, id string) (Revocation, error) { return l.status[id], nil }

func failed(r Result) string {
	for _, c := range r.Checks {
		if !c.OK {
			return c.Check + ": " + c.Reason
		}
	}
	return ""
}

func TestVerifyRefusesWhatDoesNotHold(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewKey()
	issued := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	until := issued.AddDate(2, 0, 0)
	course := Course{CredentialID: "urn:uuid:7a1b", AchievementID: "https://x/achievements/amu/40125", StatusURL: "https://x/status",
		Code: "40125", Title: "Førstehjælp", Institution: Profile{ID: "https://x/issuers/1", Type: []string{"Profile"}, Name: "AMU Herning"},
		StartsOn: issued.AddDate(0, 0, -2), EndsOn: issued, PlannedHours: 15, AttendedHours: 15, IssuedAt: issued, ValidUntil: &until}
	cred, err := Build(course, "Mette Hansen")
	if err != nil {
		t.Fatal(err)
	}
	token, err := Sign(key, cred)
	if err != nil {
		t.Fatal(err)
	}
	good := lookup{keys: map[string]*ecdsa.PublicKey{key.ID: &key.Private.PublicKey}, issuers: map[string]bool{"https://x/issuers/1": true},
		status: map[string]Revocation{"urn:uuid:7a1b": {Known: true}}}
	parts := strings.Split(token, ".")
	tamper := func(f func(*Credential)) string {
		c := cred
		f(&c)
		p, _ := json.Marshal(c)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+key.ID+`"}`)) + "." + parts[1] + "."
	otherKey, _ := Sign(other, cred)
	for _, tc := range []struct {
		name, token string
		at          time.Time
		l           lookup
		want        string // the first failed check, "" when valid
	}{
		{"as issued", token, issued.Add(time.Hour), good, ""},
		{"tampered name", tamper(func(c *Credential) { c.Name = "Svejsning" }), issued.Add(time.Hour), good, "signature"},
		{"tampered dates", tamper(func(c *Credential) { c.ValidUntil = "2099-01-01T00:00:00Z" }), issued.Add(time.Hour), good, "signature"},
		{"alg none", none, issued.Add(time.Hour), good, "format"},
		{"not a JWT", "abc", issued, good, "format"},
		{"unknown key", otherKey, issued.Add(time.Hour), good, "signature"},
		{"before validFrom", token, issued.Add(-time.Hour), good, "dates"},
		{"expired", token, until.Add(time.Second), good, "dates: expired on 2029-03-01"},
		{"revoked", token, issued.Add(time.Hour), lookup{keys: good.keys, issuers: good.issuers,
			status: map[string]Revocation{"urn:uuid:7a1b": {Known: true, Revoked: true, Reason: "completion corrected", RevokedAt: issued}}}, "status: revoked on 2027-03-01: completion corrected"},
		{"unknown credential", token, issued.Add(time.Hour), lookup{keys: good.keys, issuers: good.issuers}, "status"},
		{"unknown issuer", token, issued.Add(time.Hour), lookup{keys: good.keys, status: good.status}, "issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(context.Background(), tc.token, tc.at, tc.l)
			if err != nil {
				t.Fatal(err)
			}
			got := failed(res)
			if res.Valid != (tc.want == "") || !strings.HasPrefix(got, tc.want) || (tc.want == "" && got != "") {
				t.Fatalf("valid %v, first failed check %q; want %q", res.Valid, got, tc.want)
			}
		})
	}
}

func TestKeysSurviveTheirRawForm(t *testing.T) {
	key, _ := NewKey()
	raw, err := key.Raw()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(raw)
	if err != nil || back.ID != key.ID {
		t.Fatalf("parsed %q, %v; want kid %q", back.ID, err, key.ID)
	}
	pub, err := key.Public().PublicKey()
	if err != nil || !pub.Equal(&key.Private.PublicKey) {
		t.Fatalf("public key from JWK differs: %v", err)
	}
}

func TestTheHolderIsNamedOnlyByASaltedHash(t *testing.T) {
	c, _ := Build(Course{CredentialID: "urn:uuid:1", Institution: Profile{ID: "i"}}, "Mette Hansen")
	p, _ := json.Marshal(c)
	if strings.Contains(string(p), "Mette") {
		t.Fatalf("the name is in the credential: %s", p)
	}
	id := c.CredentialSubject.Identifier[0]
	if HashName("Mette Hansen", id.Salt) != id || HashName("Mette Jensen", id.Salt) == id {
		t.Fatalf("the hash does not name the holder: %+v", id)
	}
}
