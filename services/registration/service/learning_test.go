package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/testenv"
)

type recordView struct {
	Entries []struct {
		ID                string
		Source            string
		SelfReported      bool `json:"self_reported"`
		Status            string
		Title             string
		Code              string
		Level             string
		Year              int
		Institution       struct{ ID, Name string }
		HoursAttended     float64 `json:"hours_attended"`
		ECTS              *float64
		Skills            []string
		Reason            string
		CredentialID      string `json:"credential_id"`
		CredentialRevoked bool   `json:"credential_revoked"`
	}
}

type verification struct {
	Valid  bool
	Checks []struct {
		Check  string
		OK     bool
		Reason string
	}
}

func (v verification) failed() string {
	for _, c := range v.Checks {
		if !c.OK {
			return c.Check + ": " + c.Reason
		}
	}
	return ""
}

// joseVerify checks a VC-JWT with go-jose against the published JWKS: a JOSE library that is not the
// code that signed it. It returns the payload and the key id.
func joseVerify(t *testing.T, b bundle, token string) (map[string]any, string, error) {
	t.Helper()
	var set jose.JSONWebKeySet
	testenv.Do(t, http.MethodGet, b.base+"/.well-known/jwks.json", "", nil).JSON(t, &set)
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, "", err
	}
	h := jws.Signatures[0].Header
	if h.ExtraHeaders[jose.HeaderType] != "vc+jwt" {
		t.Errorf("typ %v, want vc+jwt", h.ExtraHeaders[jose.HeaderType])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("the JWKS has %d keys with kid %q", len(keys), h.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		return nil, h.KeyID, err
	}
	var claims map[string]any
	return claims, h.KeyID, json.Unmarshal(payload, &claims)
}

// record is the citizen's learning record, decoded afresh.
func (b bundle) record(t *testing.T, tok string) recordView {
	t.Helper()
	var rec recordView
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/learning-record", tok, nil).JSON(t, &rec)
	return rec
}

func (b bundle) verify(t *testing.T, token string, at ...string) verification {
	t.Helper()
	url := b.base + "/v1/verify?credential=" + token
	if len(at) > 0 {
		url += "&at=" + at[0]
	}
	var v verification
	r := testenv.Do(t, http.MethodGet, url, "", nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &v)
	return v
}

// complete takes a citizen through an enrolment on the run to the institution's outcome.
func (b bundle) complete(t *testing.T, tok, staff string, run uuid.UUID, outcome map[string]any) string {
	t.Helper()
	var e struct{ ID string }
	b.enrol(t, tok, run, uuid.NewString()).JSON(t, &e)
	b.approve(t, tok, e.ID)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e.ID+"/outcome", staff, outcome), http.StatusOK)
	return e.ID
}

// A completion goes into the citizen's learning record with a certificate: an Open Badges 3.0
// credential as a VC-JWT that go-jose verifies with the published keys, that is refused after
// tampering, after it expires and after the institution revokes it, that survives a key rotation, and
// that the citizen shares by links they can revoke. A withdrawal is in the record as withdrawn.
func TestLearningRecordAndCertificatesAnyoneCanVerify(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	body := runBody("AK-LEDP", 5)
	body["ects"], body["skills"], body["certificate_months"] = 10, []string{"Ledelse", "Kommunikation"}, 24
	var run struct {
		ID                string
		ECTS              float64
		CertificateMonths int `json:"certificate_months"`
	}
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body)
	testenv.MustStatus(t, r, http.StatusCreated)
	r.JSON(t, &run)
	if run.ECTS != 10 || run.CertificateMonths != 24 {
		t.Fatalf("the run as published: %s", r)
	}
	runID := uuid.MustParse(run.ID)
	mette, withdrawn := b.citizen(t, 1), b.citizen(t, 2)
	done := b.complete(t, mette, staff, runID, map[string]any{"outcome": "completed", "attended_hours": 20})
	b.complete(t, withdrawn, staff, runID, map[string]any{"outcome": "withdrawn", "reason": "flyttet fra Herning"})

	// The record.
	rec := b.record(t, mette)
	if len(rec.Entries) != 1 {
		t.Fatalf("record: %+v", rec)
	}
	got := rec.Entries[0]
	if got.Status != "completed" || got.Source != "livslang" || got.SelfReported || got.Code != "AK-LEDP" ||
		got.Institution.Name != "Erhvervsakademi MidtVest" || got.HoursAttended != 20 || got.ECTS == nil || *got.ECTS != 10 ||
		len(got.Skills) != 2 || got.CredentialID == "" || got.Year < time.Now().Year() {
		t.Fatalf("the completed course in the record: %+v", got)
	}
	rec = b.record(t, withdrawn)
	if len(rec.Entries) != 1 || rec.Entries[0].Status != "withdrawn" || rec.Entries[0].Reason != "flyttet fra Herning" || rec.Entries[0].CredentialID != "" {
		t.Fatalf("a withdrawal in the record: %+v", rec)
	}

	// Education the citizen adds: idempotent per key, marked self-reported, newest first, editable, deletable.
	entries := b.base + "/v1/me/learning-record/entries"
	edu := map[string]any{"level": "erhvervsuddannelse", "name": "Smed", "year": 2004, "institution": "Herningsholm Erhvervsskole"}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, entries, mette, edu), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, entries, mette, map[string]any{"level": "phd", "name": "x", "year": 2004}, "Idempotency-Key", "e0"), http.StatusBadRequest)
	r = testenv.Do(t, http.MethodPost, entries, mette, edu, "Idempotency-Key", "e1")
	testenv.MustStatus(t, r, http.StatusCreated)
	var added struct{ ID string }
	r.JSON(t, &added)
	r = testenv.Do(t, http.MethodPost, entries, mette, edu, "Idempotency-Key", "e1")
	testenv.MustStatus(t, r, http.StatusOK)
	var again struct{ ID string }
	r.JSON(t, &again)
	if again.ID != added.ID {
		t.Fatalf("a repeat made another entry: %s vs %s", again.ID, added.ID)
	}
	edu["name"] = "Smed, svendebrev"
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, entries+"/"+added.ID, mette, edu), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, entries+"/"+added.ID, withdrawn, edu), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, entries+"/"+got.ID, mette, nil), http.StatusConflict)
	rec = b.record(t, mette)
	if len(rec.Entries) != 2 || rec.Entries[0].Source != "livslang" || !rec.Entries[1].SelfReported || rec.Entries[1].Title != "Smed, svendebrev" {
		t.Fatalf("record with a self-reported education: %+v", rec)
	}
	other := b.citizen(t, 3)
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, entries+"/"+added.ID, other, nil), http.StatusNoContent)
	rec = b.record(t, mette)
	if len(rec.Entries) != 2 {
		t.Fatalf("another citizen deleted an entry: %+v", rec)
	}

	// The credential, verified by go-jose with the published keys.
	var cred struct {
		ID, JWT, Status string
		MediaType       string `json:"media_type"`
		ValidUntil      string `json:"valid_until"`
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/me/credentials/"+got.CredentialID, withdrawn, nil), http.StatusNotFound)
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/credentials/"+got.CredentialID, mette, nil).JSON(t, &cred)
	raw := testenv.Do(t, http.MethodGet, b.base+"/v1/me/credentials/"+got.CredentialID, mette, nil, "Accept", "application/vc+jwt")
	if cred.MediaType != "application/vc+jwt" || cred.Status != "valid" || string(raw.Body) != cred.JWT || raw.Header.Get("Content-Type") != "application/vc+jwt" {
		t.Fatalf("the credential: %+v, raw %s", cred, raw)
	}
	claims, firstKid, err := joseVerify(t, b, cred.JWT)
	if err != nil {
		t.Fatalf("go-jose refuses the credential: %v", err)
	}
	subject := claims["credentialSubject"].(map[string]any)
	achievement := subject["achievement"].(map[string]any)
	issuer := claims["issuer"].(map[string]any)
	if !strings.Contains(strings.Join(anyStrings(claims["type"]), " "), "OpenBadgeCredential") || achievement["humanCode"] != "AK-LEDP" ||
		issuer["name"] != "Erhvervsakademi MidtVest" || claims["iss"] != issuer["id"] || claims["validFrom"] == nil || claims["validUntil"] == nil {
		t.Fatalf("the credential's claims: %v", claims)
	}
	if strings.Contains(cred.JWT, "0185") || strings.Contains(mustDecode(t, cred.JWT), "Mette") {
		t.Fatal("the credential carries the CPR number or the name")
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, issuer["id"].(string), "", nil), http.StatusOK)
	if v := b.verify(t, cred.JWT); !v.Valid {
		t.Fatalf("a fresh credential does not verify: %+v", v)
	}

	// Tampering: both go-jose and /v1/verify refuse it.
	parts := strings.Split(cred.JWT, ".")
	payload := strings.Replace(mustDecode(t, cred.JWT), "AK-LEDP", "AK-MSTR", 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + parts[2]
	if _, _, err := joseVerify(t, b, tampered); err == nil {
		t.Fatal("go-jose accepts a tampered credential")
	}
	if v := b.verify(t, tampered); v.Valid || !strings.HasPrefix(v.failed(), "signature") {
		t.Fatalf("a tampered credential: %+v", v)
	}
	// Expiry: valid until 24 months after issue.
	until, _ := time.Parse(time.RFC3339, cred.ValidUntil)
	if d := time.Until(until); d < 23*30*24*time.Hour || d > 25*31*24*time.Hour {
		t.Fatalf("valid until %s, want about 24 months from now", cred.ValidUntil)
	}
	if v := b.verify(t, cred.JWT, until.Add(time.Hour).Format(time.RFC3339)); v.Valid || !strings.HasPrefix(v.failed(), "dates: expired") {
		t.Fatalf("after its end: %+v", v)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/verify", "", nil), http.StatusBadRequest)

	// Share links: public, with the name only when the holder chose so, ended by revocation or expiry.
	shares := b.base + "/v1/me/credentials/" + got.CredentialID + "/shares"
	var share struct{ ID, URL string }
	r = testenv.Do(t, http.MethodPost, shares, mette, map[string]any{"expires_in_days": 7, "show_name": true}, "Idempotency-Key", "s1")
	testenv.MustStatus(t, r, http.StatusCreated)
	r.JSON(t, &share)
	token := share.URL[strings.LastIndex(share.URL, "/shared/")+len("/shared/"):]
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, shares, withdrawn, map[string]any{}, "Idempotency-Key", "s1"), http.StatusNotFound)
	var shown struct {
		HolderName   string `json:"holder_name"`
		Verification verification
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/shared/"+token, "", nil).JSON(t, &shown)
	if shown.HolderName != "Mette Nielsen" || !shown.Verification.Valid {
		t.Fatalf("the shared credential: %+v", shown)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, shares+"/"+share.ID, mette, nil), http.StatusNoContent)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/shared/"+token, "", nil), http.StatusGone)
	var expiring struct{ ID, URL string }
	testenv.Do(t, http.MethodPost, shares, mette, map[string]any{"expires_in_days": 1}, "Idempotency-Key", "s2").JSON(t, &expiring)
	if _, err := b.pool.Exec(context.Background(), `UPDATE credential_shares SET expires_at = now() - interval '1 second' WHERE id = $1`, expiring.ID); err != nil {
		t.Fatal(err)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/shared/"+expiring.URL[strings.LastIndex(expiring.URL, "/")+1:], "", nil), http.StatusGone)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/shared/not-a-token", "", nil), http.StatusNotFound)

	// Key rotation: a new key signs, the old one stays published, the old credential still verifies.
	admin := b.env.Token(t, auth.Claims{Subject: "admin", Role: auth.RoleAdmin})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/admin/signing-keys", mette, nil), http.StatusForbidden)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/admin/signing-keys", admin, nil), http.StatusCreated)
	later := b.citizen(t, 4)
	b.complete(t, later, staff, runID, map[string]any{"outcome": "completed", "attended_hours": 18})
	var laterCreds struct{ Items []struct{ JWT string } }
	testenv.Do(t, http.MethodGet, b.base+"/v1/me/credentials", later, nil).JSON(t, &laterCreds)
	if len(laterCreds.Items) != 1 {
		t.Fatalf("credentials after completion: %+v", laterCreds)
	}
	_, secondKid, err := joseVerify(t, b, laterCreds.Items[0].JWT)
	if err != nil || secondKid == firstKid {
		t.Fatalf("after rotation: kid %s (before %s), %v", secondKid, firstKid, err)
	}
	if _, _, err := joseVerify(t, b, cred.JWT); err != nil {
		t.Fatalf("the credential signed before the rotation no longer verifies: %v", err)
	}
	if v := b.verify(t, cred.JWT); !v.Valid {
		t.Fatalf("after rotation: %+v", v)
	}

	// Revocation by the institution: refused with the reason, shown in the record, no more shares.
	revoke := b.base + "/v1/enrolments/" + done + "/credential/revoke"
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, revoke, staff, map[string]any{}), http.StatusBadRequest)
	_, otherStaff := b.institution(t)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, revoke, otherStaff, map[string]any{"reason": "x"}), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, revoke, staff, map[string]any{"reason": "fremmøde fejlregistreret"}), http.StatusOK)
	if v := b.verify(t, cred.JWT); v.Valid || v.failed() != "status: revoked on "+time.Now().UTC().Format(time.DateOnly)+": fremmøde fejlregistreret" {
		t.Fatalf("a revoked credential: %+v", v)
	}
	var status struct {
		Revoked            bool
		RevokedCredentials []struct{ ID string } `json:"revokedCredentials"`
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/credentials/"+got.CredentialID+"/status", "", nil).JSON(t, &status)
	if !status.Revoked || len(status.RevokedCredentials) != 1 {
		t.Fatalf("status: %+v", status)
	}
	rec = b.record(t, mette)
	if rec.Entries[0].Status != "completed" || !rec.Entries[0].CredentialRevoked {
		t.Fatalf("record after revocation: %+v", rec.Entries[0])
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, shares, mette, map[string]any{}, "Idempotency-Key", "s3"), http.StatusConflict)

	// Erasure removes the record and the citizen's copy; the later credential still verifies.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/me/data-requests", later, map[string]string{"kind": "erasure"}, "Idempotency-Key", "gone"), http.StatusAccepted)
	if n := count(t, b.pool, `SELECT count(*) FROM learning_entries l JOIN credentials c ON c.enrolment_id = l.enrolment_id
		WHERE c.token_sealed IS NULL`); n != 0 {
		t.Fatalf("%d learning entries left for erased citizens", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM credentials WHERE citizen_id = '' AND token_sealed IS NULL`); n != 1 {
		t.Fatalf("%d credentials kept without their holder, want 1", n)
	}
	if v := b.verify(t, laterCreds.Items[0].JWT); !v.Valid {
		t.Fatalf("a credential of an erased citizen: %+v", v)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func mustDecode(t *testing.T, token string) string {
	t.Helper()
	p, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}
