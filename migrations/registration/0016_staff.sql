-- Employers as a party (issue 17). A company enrols its staff, with its commitment (it pays the fee,
-- the salary continues) given at once; a company is also a party to an enrolment whose funding plan
-- asked it (employer_cvr alone).
ALTER TABLE enrolments
    ADD COLUMN employer_cvr text,
    ADD COLUMN employer_name text,
    ADD COLUMN employer_pays_fee boolean,
    ADD COLUMN employer_salary_continues boolean;
CREATE INDEX enrolments_employer ON enrolments (employer_cvr, requested_at DESC) WHERE employer_cvr IS NOT NULL;

ALTER TABLE enrolment_history DROP CONSTRAINT enrolment_history_cause_check;
ALTER TABLE enrolment_history ADD CONSTRAINT enrolment_history_cause_check
    CHECK (cause IN ('citizen', 'institution', 'funding', 'caseworker', 'system', 'employer'));

-- An employee the company enrolled before they had a profile: the seat (if one was free) is held
-- until they complete the profile, by due; then the enrolment is made for them. The employee's CPR
-- number is kept only as the keyed hash; name, e-mail and masked CPR number are sealed with a data
-- key of the invitation's own ('invitation:' || id).
CREATE TABLE staff_invitations (
    id              uuid PRIMARY KEY,
    cvr             text NOT NULL,
    employer_name   text NOT NULL DEFAULT '',
    course_id       uuid NOT NULL REFERENCES course_runs (id),
    cpr_index       bytea NOT NULL,
    personal_sealed bytea NOT NULL,
    pays_fee        boolean NOT NULL,
    salary_continues boolean NOT NULL,
    funding_preference text NOT NULL,
    holds_seat      boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'awaiting_profile'
                    CHECK (status IN ('awaiting_profile', 'enrolled', 'expired', 'cancelled')),
    enrolment_id    uuid,
    due_at          timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_invitations_open ON staff_invitations (cpr_index, course_id) WHERE status = 'awaiting_profile';
CREATE INDEX staff_invitations_company ON staff_invitations (cvr, created_at DESC);
CREATE INDEX staff_invitations_due ON staff_invitations (due_at) WHERE status = 'awaiting_profile';
