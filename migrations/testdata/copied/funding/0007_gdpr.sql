-- GDPR: per-citizen data keys, the audit log, sealed personal data, and what funding must keep of an
-- erased citizen.

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

-- A citizen's facts are sealed with their data key (facts_sealed); facts only holds rows written
-- before this migration, until the service seals them at start.
ALTER TABLE citizens ADD COLUMN facts_sealed bytea, ALTER COLUMN facts DROP NOT NULL;

-- A decision's rules (with the facts they used) and the request it answered (with the citizen's
-- facts) are sealed with the citizen's data key (personal_sealed); rules and facts then hold '[]' and
-- '{}'. paid_at is when it was paid out, from which its retention runs.
ALTER TABLE decisions ADD COLUMN personal_sealed bytea, ADD COLUMN paid_at timestamptz;
CREATE INDEX decisions_closed ON decisions (coalesce(paid_at, released_at, decided_at)) WHERE status <> 'active';

-- A referral's reason and evaluation (the caseworker's words and the rules with the citizen's facts)
-- are sealed likewise.
ALTER TABLE referrals ADD COLUMN personal_sealed bytea;
