-- Refunds to employers (issue 17). An approved decision whose plan pays a VEU or SVU allowance to the
-- citizen's employer (the salary continues during the course, so the allowance goes to the company as
-- a refund) has one row here, kept in step with the decision in the same transaction:
--   expected  the decision is approved; expected_dkk is the plan's employer_refund_dkk
--   due       the enrolment was completed or withdrawn; paid_dkk is expected_dkk for the attended
--             share of the planned hours, rounded to the krone as payouts are
--   paid      the timer recorded the payout (AUB/SVU pay the company) and announced it
--   cancelled the enrolment was cancelled or rejected, a re-decision no longer refunds the employer,
--             or nothing was attended
-- The employee's name and masked CPR number are sealed with the citizen's data key
-- (personal_sealed), like a commitment's; the rows are deleted when the citizen's data is erased.
CREATE TABLE refunds (
    id              uuid PRIMARY KEY,
    decision_id     uuid NOT NULL UNIQUE,
    enrolment_id    uuid NOT NULL,
    citizen_id      text NOT NULL,
    cvr             text NOT NULL,
    scheme          text NOT NULL CHECK (scheme IN ('veu', 'svu')),
    course          jsonb NOT NULL,
    starts_on       date,
    personal_sealed bytea NOT NULL,
    expected_dkk    bigint NOT NULL CHECK (expected_dkk >= 0),
    paid_dkk        bigint NOT NULL DEFAULT 0 CHECK (paid_dkk >= 0),
    attended_hours  double precision NOT NULL DEFAULT 0,
    planned_hours   double precision NOT NULL DEFAULT 0,
    status          text NOT NULL DEFAULT 'expected' CHECK (status IN ('expected', 'due', 'paid', 'cancelled')),
    reason          text NOT NULL DEFAULT '',
    due_at          timestamptz,
    paid_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_company ON refunds (cvr, starts_on);
CREATE INDEX refunds_enrolment ON refunds (enrolment_id);
CREATE INDEX refunds_citizen ON refunds (citizen_id);
CREATE INDEX refunds_due ON refunds (due_at) WHERE status = 'due';
