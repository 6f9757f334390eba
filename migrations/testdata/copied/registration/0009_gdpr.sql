-- GDPR: per-citizen data keys, the audit log, sealed profiles, and citizens' data requests (export and
-- erasure), which registration coordinates across the services.

-- Per-citizen data keys (pkg/datakeys): personal data is sealed with the citizen's key, which is
-- stored only wrapped by the service's master key. Erasure destroys it (wrapped NULL, shredded_at set);
-- erased_at stays as the mark that nothing may be stored for the citizen again.
CREATE TABLE citizen_keys (
    citizen_id   text PRIMARY KEY,
    wrapped      bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz,
    erased_at    timestamptz,
    shredded_at  timestamptz,
    CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL))
);

-- The audit log (pkg/audit): who read or changed whose personal data, when and why. Append-only: the
-- trigger refuses UPDATE, TRUNCATE and DELETE, except the retention job's deletion of old entries
-- (which sets livslang.audit_purge for its transaction), and stamps every entry with the database's
-- time; the service's role keeps no UPDATE or TRUNCATE privilege on it.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    citizen_id  text NOT NULL,
    actor_role  text NOT NULL,
    actor_id    text NOT NULL,
    action      text NOT NULL CHECK (action IN ('read', 'change')),
    resource    text NOT NULL,
    resource_id text NOT NULL DEFAULT '',
    purpose     text NOT NULL
);
CREATE INDEX audit_log_citizen ON audit_log (citizen_id, id DESC);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.at := now();
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('livslang.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
REVOKE UPDATE, TRUNCATE ON audit_log FROM CURRENT_USER;

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
