-- SVU weeks (of 37 hours) each approved decision uses, per level: at most 40 per level in a lifetime.
CREATE TABLE svu_usage (
    decision_id  uuid PRIMARY KEY,
    enrolment_id uuid NOT NULL,
    citizen_id   text NOT NULL,
    level        text NOT NULL,
    weeks        numeric(6, 2) NOT NULL CHECK (weeks >= 0),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'released'))
);
CREATE INDEX svu_usage_citizen ON svu_usage (citizen_id) WHERE status = 'active';
