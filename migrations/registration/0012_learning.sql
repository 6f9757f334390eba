-- Learning over a lifetime: what a course gives (ECTS, skills, how long its certificate holds), a
-- citizen's learning record, and the certificates (Open Badges 3.0 credentials as VC-JWT) issued for
-- completed courses.
ALTER TABLE course_runs
    ADD COLUMN ects               numeric(5, 1) CHECK (ects > 0),
    ADD COLUMN skills             text[] NOT NULL DEFAULT '{}',
    ADD COLUMN certificate_months integer NOT NULL DEFAULT 0 CHECK (certificate_months >= 0);

-- The learning record: one entry per course the citizen started through Livslang (kept when the
-- enrolment itself is deleted by retention: the record is the citizen's own, for a lifetime, until
-- they delete it or ask for erasure) and per education they added themselves. Each entry is sealed
-- with the citizen's data key.
CREATE TABLE learning_entries (
    id           uuid PRIMARY KEY,
    citizen_id   text NOT NULL,
    source       text NOT NULL CHECK (source IN ('livslang', 'self')),
    enrolment_id uuid UNIQUE,
    sealed       bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'livslang') = (enrolment_id IS NOT NULL))
);
CREATE INDEX learning_entries_citizen ON learning_entries (citizen_id);

-- The keys that sign credentials (ES256). The private key is sealed with the service's master key;
-- the public key stays published in the JWKS after the key stops signing, so every credential it
-- signed can still be verified.
CREATE TABLE signing_keys (
    kid            text PRIMARY KEY,
    public_jwk     jsonb NOT NULL,
    private_sealed bytea NOT NULL,
    created_at     timestamptz NOT NULL,
    retired_at     timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((true)) WHERE retired_at IS NULL;

-- A credential per completed enrolment. The compact JWT is sealed with the citizen's data key (it is
-- theirs to share); its id, dates and revocation status are kept in the open for verification, and
-- stay after an erasure so a certificate the citizen already gave someone can still be checked.
CREATE TABLE credentials (
    id             uuid PRIMARY KEY,
    enrolment_id   uuid NOT NULL UNIQUE,
    citizen_id     text NOT NULL,
    institution_id uuid NOT NULL,
    kid            text NOT NULL REFERENCES signing_keys (kid),
    token_sealed   bytea,
    issued_at      timestamptz NOT NULL,
    valid_until    timestamptz,
    revoked_at     timestamptz,
    revoked_reason text NOT NULL DEFAULT ''
);
CREATE INDEX credentials_citizen ON credentials (citizen_id);

-- Links a citizen made to show one credential to someone: the token is kept as a hash (to find the
-- link) and sealed (so the citizen can copy the link again).
CREATE TABLE credential_shares (
    id            uuid PRIMARY KEY,
    credential_id uuid NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    token_sealed  bytea NOT NULL,
    show_name     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX credential_shares_credential ON credential_shares (credential_id);
