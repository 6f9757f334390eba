-- GDPR: sealed contact details.

-- The per-citizen data keys (citizen_keys) and the audit log (audit_log) this version created now
-- live once in shared/0002_gdpr.sql, applied to every schema before its own migrations.

-- A recipient's name, e-mail address and phone number are sealed with the citizen's data key
-- (contact_sealed); the plaintext columns only hold rows written before this migration, until the
-- service seals them at start.
ALTER TABLE recipients
    ADD COLUMN contact_sealed bytea,
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN phone DROP NOT NULL;
CREATE INDEX messages_done ON messages (created_at) WHERE status IN ('sent', 'failed', 'cancelled');
CREATE INDEX reminders_done ON reminders (done_at) WHERE status <> 'scheduled';
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (created_at) WHERE status IN ('succeeded', 'gave_up');
