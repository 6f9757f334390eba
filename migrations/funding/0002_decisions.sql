-- Funding decisions: one per enrolment request, with every rule's outcome and the rate version used.
-- A rule change never rewrites an old decision.
CREATE TABLE decisions (
    id                uuid PRIMARY KEY,
    enrolment_id      uuid NOT NULL UNIQUE,
    enrolment_version bigint NOT NULL,
    citizen_id        text NOT NULL,
    course_id         uuid NOT NULL,
    preference        text NOT NULL,
    outcome           text NOT NULL CHECK (outcome IN ('approved', 'rejected', 'review_required')),
    scheme            text NOT NULL,
    fee_covered_dkk      bigint NOT NULL,
    citizen_pays_dkk     bigint NOT NULL,
    weekly_allowance_dkk bigint NOT NULL,
    total_dkk            bigint NOT NULL,
    rules             jsonb NOT NULL,
    alternatives      jsonb NOT NULL DEFAULT '[]',
    rates_version     text NOT NULL,
    rate_year         jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'released')),
    decided_at        timestamptz NOT NULL DEFAULT now(),
    released_at       timestamptz
);
CREATE INDEX decisions_citizen ON decisions (citizen_id, decided_at DESC);
