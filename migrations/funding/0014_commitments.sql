-- Employers as a party. A funding plan that has the citizen's employer pay, or pays an allowance that
-- may go to it as a refund, waits for the company's commitment (issue 17).
-- companies: the contact a company's users keep (name, e-mail and language for its messages).
CREATE TABLE companies (
    cvr        text PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL DEFAULT '',
    language   text NOT NULL DEFAULT 'da' CHECK (language IN ('da', 'en')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- commitments: what a decision asks of a company, and its answer. The employee's name and masked CPR
-- number are sealed with the citizen's data key (personal_sealed), like a referral's client.
CREATE TABLE commitments (
    id                  uuid PRIMARY KEY,
    decision_id         uuid NOT NULL,
    enrolment_id        uuid NOT NULL,
    citizen_id          text NOT NULL,
    cvr                 text NOT NULL,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approved', 'declined', 'expired', 'withdrawn')),
    asks                text[] NOT NULL,
    fee_dkk             bigint NOT NULL,
    refund_estimate_dkk bigint NOT NULL,
    due_on              date NOT NULL,
    course              jsonb NOT NULL,
    personal_sealed     bytea NOT NULL,
    pays_fee            boolean,
    salary_continues    boolean,
    reason              text NOT NULL DEFAULT '',
    answered_by         text NOT NULL DEFAULT '',
    answered_at         timestamptz,
    reminded_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
-- One open request per decision.
CREATE UNIQUE INDEX commitments_pending ON commitments (decision_id) WHERE status = 'pending';
CREATE INDEX commitments_company ON commitments (cvr, status, due_on);
CREATE INDEX commitments_due ON commitments (due_on) WHERE status = 'pending';
CREATE INDEX commitments_citizen ON commitments (citizen_id);

-- A decision may wait for the citizen's employer.
ALTER TABLE decisions DROP CONSTRAINT decisions_outcome_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_outcome_check
    CHECK (outcome IN ('approved', 'rejected', 'review_required', 'employer_required'));
