-- Enrolments registration has reported over (cancelled, rejected, completed, withdrawn). Events can
-- arrive out of order (another instance, a redelivery): a request that arrives after its enrolment's
-- cancellation must decide nothing and reserve nothing, or the money it reserved would never be
-- given back. Kept 45 days (the streams keep events 30), then deleted by the retention job.
CREATE TABLE ended_enrolments (
    enrolment_id uuid PRIMARY KEY,
    status       text NOT NULL,
    version      bigint NOT NULL,
    ended_at     timestamptz NOT NULL DEFAULT now()
);
