-- GDPR: sealed personal data, and what funding must keep of an erased citizen.

-- The per-citizen data keys (citizen_keys) and the audit log (audit_log) this version created now
-- live once in shared/0002_gdpr.sql, applied to every schema before its own migrations.

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
