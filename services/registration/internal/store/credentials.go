package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pii"
	"livslang.dk/services/registration/internal/credential"
)

// CredentialPolicy is how certificates are issued: BaseURL is where registration is reached from
// outside (credentials name their issuer and status by it), PortalURL where share links point, and
// KeyDays how long a signing key signs before the next one takes over.
type CredentialPolicy struct {
	BaseURL   string
	PortalURL string
	KeyDays   int
}

// IssuerURL is the id of the institution as a credential's issuer.
func (p CredentialPolicy) IssuerURL(institution uuid.UUID) string {
	return p.BaseURL + "/v1/issuers/" + institution.String()
}

// querier is a transaction or a pool.
type querier interface {
	datakeys.Querier
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Credential is a certificate as the store keeps it.
type Credential struct {
	ID            uuid.UUID
	EnrolmentID   uuid.UUID
	InstitutionID uuid.UUID
	KeyID         string
	Token         string // the compact VC-JWT
	IssuedAt      time.Time
	ValidUntil    *time.Time
	RevokedAt     *time.Time
	RevokedReason string
}

const credentialColumns = `c.id, c.enrolment_id, c.institution_id, c.kid, c.token_sealed, c.issued_at, c.valid_until,
	c.revoked_at, c.revoked_reason`

func tokenAAD(id uuid.UUID) []byte { return []byte("credentials\x00" + id.String()) }

func signingKeyAAD(kid string) []byte { return []byte("livslang signing key\x00" + kid) }

// signingKey is the key that signs now: the current one, or a new one when it has signed for
// KeyDays (or there is none yet).
func (s *Store) signingKey(ctx context.Context, tx pgx.Tx) (credential.Key, error) {
	key, created, err := s.currentKey(ctx, tx)
	if err == nil && s.signs(created) {
		return key, nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return credential.Key{}, err
	}
	return s.rotateKey(ctx, tx, false)
}

// signs reports whether a key made at created still signs: for KeyDays.
func (s *Store) signs(created time.Time) bool {
	return s.now().Sub(created) < time.Duration(max(s.Issuing.KeyDays, 1))*24*time.Hour
}

func (s *Store) currentKey(ctx context.Context, tx pgx.Tx) (credential.Key, time.Time, error) {
	var kid string
	var sealed []byte
	var created time.Time
	if err := tx.QueryRow(ctx, `SELECT kid, private_sealed, created_at FROM signing_keys WHERE retired_at IS NULL`).Scan(&kid, &sealed, &created); err != nil {
		return credential.Key{}, time.Time{}, err
	}
	raw, err := s.keys.Open(sealed, signingKeyAAD(kid))
	if err != nil {
		return credential.Key{}, time.Time{}, fmt.Errorf("open signing key %s: %w", kid, err)
	}
	key, err := credential.ParseKey(raw)
	return key, created, err
}

// rotateKey makes a new signing key current; the old one stops signing and stays published. Unless
// forced, a key another instance made meanwhile is used instead.
func (s *Store) rotateKey(ctx context.Context, tx pgx.Tx, force bool) (credential.Key, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('livslang.signing_keys'))`); err != nil {
		return credential.Key{}, fmt.Errorf("lock signing keys: %w", err)
	}
	if !force {
		key, created, err := s.currentKey(ctx, tx)
		if err == nil && s.signs(created) {
			return key, nil
		}
	}
	key, err := credential.NewKey()
	if err != nil {
		return credential.Key{}, err
	}
	raw, err := key.Raw()
	if err != nil {
		return credential.Key{}, err
	}
	sealed, err := s.keys.Seal(raw, signingKeyAAD(key.ID))
	if err != nil {
		return credential.Key{}, fmt.Errorf("seal signing key: %w", err)
	}
	jwk, err := json.Marshal(key.Public())
	if err != nil {
		return credential.Key{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL`, s.now()); err != nil {
		return credential.Key{}, fmt.Errorf("retire signing key: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (kid, public_jwk, private_sealed, created_at) VALUES ($1, $2, $3, $4)`,
		key.ID, jwk, sealed, s.now()); err != nil {
		return credential.Key{}, fmt.Errorf("store signing key: %w", err)
	}
	return key, nil
}

// RotateSigningKey makes a new key sign from now on (an administrator's rotation); every credential
// signed before stays verifiable by the key it names.
func (s *Store) RotateSigningKey(ctx context.Context) (credential.JWK, error) {
	var jwk credential.JWK
	err := s.tx(ctx, func(tx pgx.Tx) error {
		key, err := s.rotateKey(ctx, tx, true)
		jwk = key.Public()
		return err
	})
	return jwk, translate("rotate signing key", err)
}

// JWKS is every key that ever signed, newest first.
func (s *Store) JWKS(ctx context.Context) (credential.JWKS, error) {
	rows, err := s.pool.Query(ctx, `SELECT public_jwk FROM signing_keys ORDER BY created_at DESC`)
	if err != nil {
		return credential.JWKS{}, translate("read signing keys", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[credential.JWK])
	return credential.JWKS{Keys: keys}, translate("read signing keys", err)
}

// issueCredential signs the credential of a completed enrolment and keeps it sealed with the
// citizen's data key, in the completion's transaction.
func (s *Store) issueCredential(ctx context.Context, tx pgx.Tx, dataKey pii.DataKey, e *Enrolment, c Citizen) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `SELECT id FROM credentials WHERE enrolment_id = $1`, e.ID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, fmt.Errorf("find credential: %w", err)
	}
	key, err := s.signingKey(ctx, tx)
	if err != nil {
		return uuid.Nil, err
	}
	issuer, err := s.issuer(ctx, tx, e.Course.InstitutionID)
	if err != nil {
		return uuid.Nil, err
	}
	id = uuid.New()
	course := e.Course
	issued := s.now().UTC().Truncate(time.Second)
	var until *time.Time
	if course.CertificateMonths > 0 {
		u := issued.AddDate(0, course.CertificateMonths, 0)
		until = &u
	}
	description := course.Description
	if c.Profile.Language == "en" {
		description = course.DescriptionEN
	}
	cred, err := credential.Build(credential.Course{CredentialID: "urn:uuid:" + id.String(),
		AchievementID: "urn:livslang:achievement:" + course.InstitutionID.String() + ":" + url.PathEscape(course.Code),
		StatusURL:     s.Issuing.BaseURL + "/v1/credentials/" + id.String() + "/status",
		Code:          course.Code, Title: course.Title, Description: description, Category: course.Category, ECTS: course.ECTS,
		Skills: course.Skills, StartsOn: course.StartsOn, EndsOn: course.EndsOn, PlannedHours: course.PlannedHours(),
		AttendedHours: e.AttendedHours, Institution: issuer, IssuedAt: issued, ValidUntil: until}, c.Profile.Name)
	if err != nil {
		return uuid.Nil, err
	}
	token, err := credential.Sign(key, cred)
	if err != nil {
		return uuid.Nil, err
	}
	sealed, err := dataKey.Seal([]byte(token), tokenAAD(id))
	if err != nil {
		return uuid.Nil, fmt.Errorf("seal credential: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO credentials (id, enrolment_id, citizen_id, institution_id, kid, token_sealed, issued_at, valid_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, e.ID, e.CitizenID, course.InstitutionID, key.ID, sealed, issued, until); err != nil {
		return uuid.Nil, fmt.Errorf("store credential: %w", err)
	}
	return id, nil
}

// Issuer is the institution as a credential's issuer (an Open Badges Profile).
func (s *Store) Issuer(ctx context.Context, id uuid.UUID) (credential.Profile, error) {
	p, err := s.issuer(ctx, s.pool, id)
	return p, translate("issuer", err)
}

func (s *Store) issuer(ctx context.Context, q datakeys.Querier, id uuid.UUID) (credential.Profile, error) {
	p := credential.Profile{ID: s.Issuing.IssuerURL(id), Type: []string{"Profile"}}
	err := q.QueryRow(ctx, `SELECT name, website, email FROM institutions WHERE id = $1`, id).Scan(&p.Name, &p.URL, &p.Email)
	if err != nil {
		return p, fmt.Errorf("read issuer: %w", err)
	}
	return p, nil
}

// scanCredentials reads credential rows; key (nil: not wanted) opens their tokens.
func scanCredentials(rows pgx.Rows, key *pii.DataKey) ([]Credential, error) {
	defer rows.Close()
	var out []Credential
	for rows.Next() {
		var c Credential
		var sealed []byte
		if err := rows.Scan(&c.ID, &c.EnrolmentID, &c.InstitutionID, &c.KeyID, &sealed, &c.IssuedAt, &c.ValidUntil,
			&c.RevokedAt, &c.RevokedReason); err != nil {
			return nil, fmt.Errorf("read credential: %w", err)
		}
		if sealed != nil && key != nil {
			plain, err := key.Open(sealed, tokenAAD(c.ID))
			if err != nil {
				return nil, fmt.Errorf("open credential: %w", err)
			}
			c.Token = string(plain)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Credentials are the citizen's credentials, newest first.
func (s *Store) Credentials(ctx context.Context, citizenID string) ([]Credential, error) {
	return s.credentials(ctx, s.pool, citizenID, uuid.Nil)
}

// GetCredential is one of the citizen's credentials; another's is not found.
func (s *Store) GetCredential(ctx context.Context, citizenID string, id uuid.UUID) (Credential, error) {
	list, err := s.credentials(ctx, s.pool, citizenID, id)
	if err != nil {
		return Credential{}, err
	}
	if len(list) == 0 {
		return Credential{}, pgdb.ErrNotFound
	}
	return list[0], nil
}

func (s *Store) credentials(ctx context.Context, q querier, citizenID string, only uuid.UUID) ([]Credential, error) {
	key, err := s.ring.ForReading(ctx, q, citizenID)
	if errors.Is(err, pgx.ErrNoRows) {
		return []Credential{}, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+credentialColumns+` FROM credentials c
		WHERE c.citizen_id = $1 AND ($2 = '00000000-0000-0000-0000-000000000000'::uuid OR c.id = $2)
		ORDER BY c.issued_at DESC, c.id`, citizenID, only)
	if err != nil {
		return nil, translate("list credentials", err)
	}
	list, err := scanCredentials(rows, &key)
	if list == nil {
		list = []Credential{}
	}
	return list, translate("list credentials", err)
}

// RevokeCredential revokes the credential of an enrolment on the institution's run (the institution
// corrected the completion); revoking again keeps the first reason.
func (s *Store) RevokeCredential(ctx context.Context, enrolmentID uuid.UUID, institutionID, reason string) (Credential, error) {
	rows, err := s.pool.Query(ctx, `UPDATE credentials c SET revoked_at = coalesce(revoked_at, $3),
			revoked_reason = CASE WHEN revoked_at IS NULL THEN $4 ELSE revoked_reason END
		WHERE enrolment_id = $1 AND institution_id::text = $2 RETURNING `+credentialColumns, enrolmentID, institutionID, s.now(), reason)
	if err != nil {
		return Credential{}, translate("revoke credential", err)
	}
	list, err := scanCredentials(rows, nil)
	if err != nil {
		return Credential{}, translate("revoke credential", err)
	}
	if len(list) == 0 {
		return Credential{}, pgdb.ErrNotFound
	}
	return list[0], nil
}

// Verify checks a VC-JWT against the keys, institutions and revocations kept here.
func (s *Store) Verify(ctx context.Context, token string, at time.Time) (credential.Result, error) {
	return credential.Verify(ctx, token, at, verifier{s})
}

type verifier struct{ s *Store }

func (v verifier) PublicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	var jwk credential.JWK
	err := v.s.pool.QueryRow(ctx, `SELECT public_jwk FROM signing_keys WHERE kid = $1`, kid).Scan(&jwk)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate("read signing key", err)
	}
	return jwk.PublicKey()
}

func (v verifier) IssuerKnown(ctx context.Context, issuerID string) (bool, error) {
	id, err := uuid.Parse(strings.TrimPrefix(issuerID, v.s.Issuing.BaseURL+"/v1/issuers/"))
	if err != nil || v.s.Issuing.IssuerURL(id) != issuerID {
		return false, nil
	}
	return v.s.InstitutionExists(ctx, id)
}

func (v verifier) Status(ctx context.Context, credentialID string) (credential.Revocation, error) {
	id, err := uuid.Parse(strings.TrimPrefix(credentialID, "urn:uuid:"))
	if err != nil {
		return credential.Revocation{}, nil
	}
	return v.s.CredentialStatus(ctx, id)
}

// CredentialStatus is whether a credential issued here was revoked, and why.
func (s *Store) CredentialStatus(ctx context.Context, id uuid.UUID) (credential.Revocation, error) {
	var r credential.Revocation
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT revoked_at, revoked_reason FROM credentials WHERE id = $1`, id).Scan(&at, &r.Reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, translate("credential status", err)
	}
	r.Known, r.Revoked = true, at != nil
	if at != nil {
		r.RevokedAt = *at
	}
	return r, nil
}

// Share is a link that shows one credential to whoever has it, until it expires or is revoked.
type Share struct {
	ID           uuid.UUID
	CredentialID uuid.UUID
	Token        string
	ShowName     bool
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    *time.Time
}

func shareAAD(id uuid.UUID) []byte { return []byte("credential_shares\x00" + id.String()) }

func shareHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ShareCredential makes a share link for one of the citizen's credentials; the same id again is the
// same link (the id comes from the request's Idempotency-Key).
func (s *Store) ShareCredential(ctx context.Context, citizenID string, credentialID, id uuid.UUID, expires time.Time, showName bool) (Share, error) {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var revoked *time.Time
		if err := tx.QueryRow(ctx, `SELECT revoked_at FROM credentials WHERE id = $1 AND citizen_id = $2`, credentialID, citizenID).Scan(&revoked); err != nil {
			return err
		}
		if revoked != nil {
			return fmt.Errorf("%w: the credential was revoked by its institution and cannot be shared", fault.Conflict)
		}
		key, err := s.ring.ForWriting(ctx, tx, citizenID)
		if err != nil {
			return err
		}
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		token := base64.RawURLEncoding.EncodeToString(raw)
		sealed, err := key.Seal([]byte(token), shareAAD(id))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO credential_shares (id, credential_id, token_hash, token_sealed, show_name, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, id, credentialID, shareHash(token), sealed, showName, s.now(), expires)
		return err
	})
	if err != nil {
		return Share{}, translate("share credential", err)
	}
	shares, err := s.shares(ctx, citizenID, credentialID, id)
	if err != nil {
		return Share{}, err
	}
	if len(shares) == 0 || shares[0].CredentialID != credentialID {
		return Share{}, pgdb.ErrNotFound
	}
	return shares[0], nil
}

// Shares are the links made for one of the citizen's credentials, newest first.
func (s *Store) Shares(ctx context.Context, citizenID string, credentialID uuid.UUID) ([]Share, error) {
	return s.shares(ctx, citizenID, credentialID, uuid.Nil)
}

func (s *Store) shares(ctx context.Context, citizenID string, credentialID, only uuid.UUID) ([]Share, error) {
	rows, err := s.pool.Query(ctx, `SELECT sh.id, sh.credential_id, sh.token_sealed, sh.show_name, sh.created_at, sh.expires_at,
			sh.revoked_at, k.wrapped
		FROM credential_shares sh JOIN credentials c ON c.id = sh.credential_id JOIN citizen_keys k ON k.citizen_id = c.citizen_id
		WHERE c.citizen_id = $1 AND c.id = $2 AND ($3 = '00000000-0000-0000-0000-000000000000'::uuid OR sh.id = $3)
		ORDER BY sh.created_at DESC, sh.id`, citizenID, credentialID, only)
	if err != nil {
		return nil, translate("list shares", err)
	}
	defer rows.Close()
	out := []Share{}
	for rows.Next() {
		var sh Share
		var sealed, wrapped []byte
		if err := rows.Scan(&sh.ID, &sh.CredentialID, &sealed, &sh.ShowName, &sh.CreatedAt, &sh.ExpiresAt, &sh.RevokedAt, &wrapped); err != nil {
			return nil, translate("list shares", err)
		}
		key, err := s.ring.Open(citizenID, wrapped)
		if err != nil {
			return nil, err
		}
		plain, err := key.Open(sealed, shareAAD(sh.ID))
		if err != nil {
			return nil, fmt.Errorf("open share: %w", err)
		}
		sh.Token = string(plain)
		out = append(out, sh)
	}
	return out, translate("list shares", rows.Err())
}

// RevokeShare ends a share link at once; revoking it again changes nothing.
func (s *Store) RevokeShare(ctx context.Context, citizenID string, credentialID, id uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, `UPDATE credential_shares sh SET revoked_at = coalesce(sh.revoked_at, $4)
		FROM credentials c WHERE c.id = sh.credential_id AND c.citizen_id = $1 AND c.id = $2 AND sh.id = $3`,
		citizenID, credentialID, id, s.now())
	if err != nil {
		return translate("revoke share", err)
	}
	if tag.RowsAffected() == 0 {
		return pgdb.ErrNotFound
	}
	return nil
}

// Shared is what a share link shows: the credential, and the holder's name when they chose to show it.
type Shared struct {
	Share      Share
	Credential Credential
	HolderName string
}

// ErrShareEnded is a share link that expired or was revoked.
var ErrShareEnded = fmt.Errorf("%w: the link expired or was revoked by the person who shared it", fault.Gone)

// OpenShare finds the credential a share link shows.
func (s *Store) OpenShare(ctx context.Context, token string) (Shared, error) {
	var out Shared
	var citizenID string
	err := s.pool.QueryRow(ctx, `SELECT sh.id, sh.credential_id, sh.show_name, sh.created_at, sh.expires_at, sh.revoked_at, c.citizen_id
		FROM credential_shares sh JOIN credentials c ON c.id = sh.credential_id WHERE sh.token_hash = $1`, shareHash(token)).Scan(
		&out.Share.ID, &out.Share.CredentialID, &out.Share.ShowName, &out.Share.CreatedAt, &out.Share.ExpiresAt, &out.Share.RevokedAt, &citizenID)
	if err != nil {
		return out, translate("open share", err)
	}
	if out.Share.RevokedAt != nil || !s.now().Before(out.Share.ExpiresAt) {
		return out, ErrShareEnded
	}
	if out.Credential, err = s.GetCredential(ctx, citizenID, out.Share.CredentialID); err != nil {
		return out, err
	}
	if out.Share.ShowName {
		c, err := s.GetCitizen(ctx, citizenID)
		if err != nil {
			return out, err
		}
		out.HolderName = c.Profile.Name
	}
	return out, nil
}
