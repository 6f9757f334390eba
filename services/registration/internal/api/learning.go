package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/services/registration/internal/credential"
	"livslang.dk/services/registration/internal/learning"
	"livslang.dk/services/registration/internal/nextstep"
	"livslang.dk/services/registration/internal/store"
)

// keyedID is the id a create request makes: the same Idempotency-Key from the same caller makes the
// same id, so a retried request finds what the first one made.
func keyedID(r *http.Request, kind string) (uuid.UUID, error) {
	key, err := idempotency.Key(r)
	if err != nil {
		return uuid.Nil, err
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("livslang:"+kind+"\x00"+auth.Caller(r).Subject+"\x00"+key)), nil
}

type learningRecordJSON struct {
	Entries     []learning.Entry `json:"entries"`
	GeneratedAt string           `json:"generated_at"`
}

// learningRecord is the citizen's learning record: ?download=true serves it as a file.
func (a *API) learningRecord(w http.ResponseWriter, r *http.Request) error {
	entries, err := a.Store.LearningRecord(r.Context(), auth.Caller(r).Subject)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("download") == "true" {
		w.Header().Set("Content-Disposition", `attachment; filename="livslang-learning-record.json"`)
	}
	return httpapi.WriteJSON(w, http.StatusOK, learningRecordJSON{Entries: entries, GeneratedAt: time.Now().UTC().Format(time.RFC3339)})
}

// addEducation adds an education the citizen reports themselves (201; the same Idempotency-Key again: 200).
func (a *API) addEducation(w http.ResponseWriter, r *http.Request) error {
	id, err := keyedID(r, "learning-entry")
	if err != nil {
		return err
	}
	return a.saveEducation(w, r, id, false)
}

// putEducation replaces an education the citizen added.
func (a *API) putEducation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return a.saveEducation(w, r, id, true)
}

func (a *API) saveEducation(w http.ResponseWriter, r *http.Request, id uuid.UUID, replace bool) error {
	claims := auth.Caller(r)
	var in learning.Education
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	entry, err := in.Entry(id, time.Now().UTC())
	if err != nil {
		return err
	}
	stored, created, err := a.Store.SaveEducation(r.Context(), claims.Subject, entry, replace)
	if err != nil {
		return err
	}
	if created || replace {
		if err := a.record(r, claims.Subject, audit.Change, "learning_record", id.String(), "the citizen saved an education in their learning record"); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/me/learning-record/entries/"+id.String())
	}
	return httpapi.WriteJSON(w, status, stored)
}

func (a *API) deleteEducation(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.Store.DeleteEducation(r.Context(), claims.Subject, id); err != nil {
		return err
	}
	if err := a.record(r, claims.Subject, audit.Change, "learning_record", id.String(), "the citizen deleted an education from their learning record"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type credentialJSON struct {
	ID            string          `json:"id"`
	EnrolmentID   string          `json:"enrolment_id"`
	MediaType     string          `json:"media_type"`
	JWT           string          `json:"jwt"`
	Credential    json.RawMessage `json:"credential"`
	Status        string          `json:"status"` // valid, expired or revoked
	IssuedAt      string          `json:"issued_at"`
	ValidUntil    *string         `json:"valid_until"`
	RevokedAt     *string         `json:"revoked_at,omitempty"`
	RevokedReason string          `json:"revoked_reason,omitempty"`
}

func toCredentialJSON(c store.Credential) credentialJSON {
	out := credentialJSON{ID: c.ID.String(), EnrolmentID: c.EnrolmentID.String(), MediaType: credential.MediaType, JWT: c.Token,
		Status: "valid", IssuedAt: c.IssuedAt.UTC().Format(time.RFC3339), ValidUntil: timeString(c.ValidUntil),
		RevokedAt: timeString(c.RevokedAt), RevokedReason: c.RevokedReason}
	if _, payload, err := credential.Decode(c.Token); err == nil {
		out.Credential = payload
	}
	switch {
	case c.RevokedAt != nil:
		out.Status = "revoked"
	case c.ValidUntil != nil && !time.Now().Before(*c.ValidUntil):
		out.Status = "expired"
	}
	return out
}

func (a *API) myCredentials(w http.ResponseWriter, r *http.Request) error {
	creds, err := a.Store.Credentials(r.Context(), auth.Caller(r).Subject)
	if err != nil {
		return err
	}
	out := list[credentialJSON]{Items: []credentialJSON{}}
	for _, c := range creds {
		out.Items = append(out.Items, toCredentialJSON(c))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// myCredential is one credential: JSON with the compact JWT and the decoded credential, or the JWT
// alone for Accept: application/vc+jwt.
func (a *API) myCredential(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.Store.GetCredential(r.Context(), auth.Caller(r).Subject, id)
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), credential.MediaType) {
		w.Header().Set("Content-Type", credential.MediaType)
		_, err := w.Write([]byte(c.Token))
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toCredentialJSON(c))
}

type shareRequest struct {
	ExpiresAt     string `json:"expires_at"`      // RFC 3339; or
	ExpiresInDays int    `json:"expires_in_days"` // default 30
	ShowName      bool   `json:"show_name"`       // the link shows the holder's name beside the credential
}

type shareJSON struct {
	ID           string  `json:"id"`
	CredentialID string  `json:"credential_id"`
	URL          string  `json:"url"`
	ShowName     bool    `json:"show_name"`
	CreatedAt    string  `json:"created_at"`
	ExpiresAt    string  `json:"expires_at"`
	RevokedAt    *string `json:"revoked_at,omitempty"`
	Active       bool    `json:"active"`
}

func (a *API) toShareJSON(s store.Share) shareJSON {
	return shareJSON{ID: s.ID.String(), CredentialID: s.CredentialID.String(), URL: a.Store.Issuing.PortalURL + "/shared/" + s.Token,
		ShowName: s.ShowName, CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339), ExpiresAt: s.ExpiresAt.UTC().Format(time.RFC3339),
		RevokedAt: timeString(s.RevokedAt), Active: s.RevokedAt == nil && time.Now().Before(s.ExpiresAt)}
}

const maxShareDays = 366

// shareCredential makes a link that shows the credential until it expires (at most a year) or is revoked.
func (a *API) shareCredential(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	credID, err := pathID(r)
	if err != nil {
		return err
	}
	id, err := keyedID(r, "credential-share")
	if err != nil {
		return err
	}
	var req shareRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	now := time.Now()
	expires := now.AddDate(0, 0, 30)
	v := &httpapi.ValidationError{}
	switch {
	case req.ExpiresAt != "":
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil || !t.After(now) || t.After(now.AddDate(0, 0, maxShareDays)) {
			v.Add("expires_at", "must be a time like 2027-06-30T23:59:59+02:00, in the future and within %d days", maxShareDays)
		}
		expires = t
	case req.ExpiresInDays != 0:
		if req.ExpiresInDays < 1 || req.ExpiresInDays > maxShareDays {
			v.Add("expires_in_days", "must be from 1 to %d", maxShareDays)
		}
		expires = now.AddDate(0, 0, req.ExpiresInDays)
	}
	if err := v.Err(); err != nil {
		return err
	}
	sh, err := a.Store.ShareCredential(r.Context(), claims.Subject, credID, id, expires.Truncate(time.Second), req.ShowName)
	if err != nil {
		return err
	}
	if err := a.record(r, claims.Subject, audit.Change, "credential_share", sh.ID.String(), "the citizen shared a certificate"); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/me/credentials/"+credID.String()+"/shares/"+sh.ID.String())
	return httpapi.WriteJSON(w, http.StatusCreated, a.toShareJSON(sh))
}

func (a *API) credentialShares(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	credID, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := a.Store.GetCredential(r.Context(), claims.Subject, credID); err != nil {
		return err
	}
	shares, err := a.Store.Shares(r.Context(), claims.Subject, credID)
	if err != nil {
		return err
	}
	out := list[shareJSON]{Items: []shareJSON{}}
	for _, s := range shares {
		out.Items = append(out.Items, a.toShareJSON(s))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

func (a *API) revokeShare(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	credID, err := pathID(r)
	if err != nil {
		return err
	}
	shareID, err := uuid.Parse(r.PathValue("share"))
	if err != nil {
		return httpapi.ErrNotFound
	}
	if err := a.Store.RevokeShare(r.Context(), claims.Subject, credID, shareID); err != nil {
		return err
	}
	if err := a.record(r, claims.Subject, audit.Change, "credential_share", shareID.String(), "the citizen revoked a share link"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sharedJSON struct {
	Credential   credentialJSON      `json:"credential"`
	Verification credential.Result   `json:"verification"`
	HolderName   string              `json:"holder_name,omitempty"`
	ExpiresAt    string              `json:"expires_at"`
	Issuer       *credential.Profile `json:"issuer"`
}

// shared is what a share link shows (public): the credential, its verification now, and the
// holder's name when they chose to show it. An ended link is 410 Gone.
func (a *API) shared(w http.ResponseWriter, r *http.Request) error {
	sh, err := a.Store.OpenShare(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	res, err := a.Store.Verify(r.Context(), sh.Credential.Token, time.Now())
	if err != nil {
		return err
	}
	issuer, err := a.Store.Issuer(r.Context(), sh.Credential.InstitutionID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex")
	return httpapi.WriteJSON(w, http.StatusOK, sharedJSON{Credential: toCredentialJSON(sh.Credential), Verification: res,
		HolderName: sh.HolderName, ExpiresAt: sh.Share.ExpiresAt.UTC().Format(time.RFC3339), Issuer: &issuer})
}

// verify answers whether a credential holds (public): GET ?credential=<jwt>[&at=<RFC 3339>], or POST
// {"credential": "<jwt>", "at": …} for a long one. The answer is 200 with valid and every check's reason.
func (a *API) verify(w http.ResponseWriter, r *http.Request) error {
	token, at := r.URL.Query().Get("credential"), r.URL.Query().Get("at")
	if r.Method == http.MethodPost {
		var req struct {
			Credential string `json:"credential"`
			At         string `json:"at"`
		}
		if err := httpapi.DecodeJSON(w, r, &req); err != nil {
			return err
		}
		token, at = req.Credential, req.At
	}
	v := &httpapi.ValidationError{}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 64<<10 {
		v.Add("credential", "is required: the compact VC-JWT (at most 64 KiB)")
	}
	when := time.Now()
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			v.Add("at", "must be a time like 2027-06-30T12:00:00Z")
		}
		when = t
	}
	if err := v.Err(); err != nil {
		return err
	}
	res, err := a.Store.Verify(r.Context(), token, when)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpapi.WriteJSON(w, http.StatusOK, res)
}

// jwks publishes every key that signed credentials (public).
func (a *API) jwks(w http.ResponseWriter, r *http.Request) error {
	set, err := a.Store.JWKS(r.Context())
	if err != nil {
		return err
	}
	if set.Keys == nil {
		set.Keys = []credential.JWK{}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return httpapi.WriteJSON(w, http.StatusOK, set)
}

type revocationListJSON struct {
	ID                 string        `json:"id"`
	Issuer             string        `json:"issuer,omitempty"`
	RevokedCredentials []revokedJSON `json:"revokedCredentials"`
	Revoked            bool          `json:"revoked"`
	Reason             string        `json:"reason,omitempty"`
	RevokedAt          *string       `json:"revoked_at,omitempty"`
}

type revokedJSON struct {
	ID               string `json:"id"`
	RevocationReason string `json:"revocationReason"`
}

// credentialStatus is a credential's revocation status (public), as a 1EdTech revocation list of the
// one credential.
func (a *API) credentialStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	st, err := a.Store.CredentialStatus(r.Context(), id)
	if err != nil {
		return err
	}
	if !st.Known {
		return httpapi.ErrNotFound
	}
	out := revocationListJSON{ID: a.Store.Issuing.BaseURL + r.URL.Path, RevokedCredentials: []revokedJSON{}, Revoked: st.Revoked}
	if st.Revoked {
		out.RevokedCredentials = append(out.RevokedCredentials, revokedJSON{ID: "urn:uuid:" + id.String(), RevocationReason: st.Reason})
		out.Reason, out.RevokedAt = st.Reason, timeString(&st.RevokedAt)
	}
	w.Header().Set("Cache-Control", "no-cache")
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// issuerProfile is an institution as credentials name it (public; an Open Badges Profile).
func (a *API) issuerProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := a.Store.Issuer(r.Context(), id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, struct {
		Context []string `json:"@context"`
		credential.Profile
	}{[]string{"https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"}, p})
}

// revokeCredential is the institution revoking the credential of one of its enrolments (it
// corrected the completion); the reason is shown to whoever verifies it.
func (a *API) revokeCredential(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" || len(req.Reason) > 500 {
		return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "reason", Message: "is required (at most 500 characters): it is shown to whoever verifies the certificate"}}}
	}
	c, err := a.Store.RevokeCredential(r.Context(), id, ownStaff(r), req.Reason)
	if err != nil {
		return err
	}
	out := toCredentialJSON(c)
	out.Status = "revoked"
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// rotateSigningKey makes a new key sign credentials from now on (an administrator).
func (a *API) rotateSigningKey(w http.ResponseWriter, r *http.Request) error {
	jwk, err := a.Store.RotateSigningKey(r.Context())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, jwk)
}

type nextStepJSON struct {
	Course  courseJSON        `json:"course"`
	Reasons []nextstep.Reason `json:"reasons"`
}

func writeNextSteps(w http.ResponseWriter, steps []store.NextStep) error {
	out := list[nextStepJSON]{Items: []nextStepJSON{}}
	for _, s := range steps {
		out.Items = append(out.Items, nextStepJSON{Course: toCourseJSON(s.Course), Reasons: s.Reasons})
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// nextSteps suggests what follows the citizen's learning record, each with why.
func (a *API) nextSteps(w http.ResponseWriter, r *http.Request) error {
	steps, err := a.Store.NextSteps(r.Context(), auth.Caller(r).Subject)
	if err != nil {
		return err
	}
	return writeNextSteps(w, steps)
}

// courseNextSteps suggests what follows a run (public, for its course page).
func (a *API) courseNextSteps(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	steps, err := a.Store.CourseNextSteps(r.Context(), id)
	if err != nil {
		return err
	}
	return writeNextSteps(w, steps)
}
