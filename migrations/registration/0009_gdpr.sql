-- GDPR: sealed profiles, and citizens' data requests (export and erasure), which registration
-- coordinates across the services.

-- The per-citizen data keys (citizen_keys) and the audit log (audit_log) this version created now
-- live once in shared/0002_gdpr.sql, applied to every schema before its own migrations.

-- A profile is sealed with the citizen's data key (profile_sealed: the CPR number, birth date,
-- municipality, name, contact details and facts). The plaintext columns only hold rows written before
-- this migration, until the service seals them at start.
ALTER TABLE citizens
    ADD COLUMN profile_sealed bytea,
    ALTER COLUMN cpr_sealed DROP NOT NULL,
    ALTER COLUMN birth_date DROP NOT NULL,
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN phone DROP NOT NULL,
    ALTER COLUMN education_level DROP NOT NULL,
    ALTER COLUMN education_year DROP NOT NULL,
    ALTER COLUMN employment_status DROP NOT NULL,
    ALTER COLUMN employer_cvr DROP NOT NULL,
    ALTER COLUMN weekly_hours DROP NOT NULL,
    ALTER COLUMN benefits DROP NOT NULL,
    ALTER COLUMN municipality DROP NOT NULL;

-- An erased citizen's completed or withdrawn enrolments are kept (the documentation of funding's
-- payouts) after the profile is deleted.
ALTER TABLE enrolments DROP CONSTRAINT enrolments_citizen_id_fkey;
CREATE INDEX enrolments_ended ON enrolments (updated_at) WHERE status IN ('cancelled', 'rejected', 'completed', 'withdrawn');

-- A citizen's request for their data (export) or its erasure. An export's sections are sealed by each
-- service to a one-time key (pii.NewExportKey) whose private half is kept here sealed with the
-- citizen's data key until the export expires.
CREATE TABLE data_requests (
    id                uuid PRIMARY KEY,
    citizen_id        text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('export', 'erasure')),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'expired')),
    export_key_sealed bytea,
    requested_at      timestamptz NOT NULL,
    completed_at      timestamptz,
    expires_at        timestamptz
);
CREATE INDEX data_requests_citizen ON data_requests (citizen_id, requested_at DESC);
CREATE UNIQUE INDEX data_requests_one_erasure ON data_requests (citizen_id) WHERE kind = 'erasure';

-- Each service's part of a request: its export section (sealed with the citizen's data key) or its
-- erasure report (what it deleted, and what it kept and why).
CREATE TABLE data_request_parts (
    request_id   uuid NOT NULL REFERENCES data_requests (id) ON DELETE CASCADE,
    service      text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
    section      bytea,
    report       jsonb,
    completed_at timestamptz,
    PRIMARY KEY (request_id, service)
);

-- A section that arrives in several events, chunk by chunk, until every chunk is there.
CREATE TABLE data_request_chunks (
    request_id uuid NOT NULL REFERENCES data_requests (id) ON DELETE CASCADE,
    service    text NOT NULL,
    chunk      integer NOT NULL,
    chunks     integer NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (request_id, service, chunk)
);
