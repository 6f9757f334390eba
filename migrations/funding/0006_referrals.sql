-- Referrals: a caseworker of the municipality refers a citizen to a course run with funding that is
-- checked and reserved at once. Reservations made for a referral are held under the referral's id
-- until the enrolment it leads to takes them over.
CREATE TABLE referrals (
    id            uuid PRIMARY KEY,
    municipality  text NOT NULL,
    caseworker_id text NOT NULL,
    citizen_id    text NOT NULL,
    course_id     uuid NOT NULL,
    scheme        text NOT NULL,
    reason        text NOT NULL,
    valid_until   date NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')),
    enrolment_id  uuid,
    enrolment_status text NOT NULL DEFAULT '',
    evaluation    jsonb NOT NULL,
    course        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referrals_municipality ON referrals (municipality, status, valid_until);
CREATE INDEX referrals_citizen ON referrals (citizen_id, created_at DESC);
CREATE INDEX referrals_due ON referrals (valid_until) WHERE status = 'open';

-- Every action on a referral, with who did it: the audit trail the citizen sees for their case.
CREATE TABLE referral_history (
    referral_id uuid NOT NULL REFERENCES referrals (id),
    seq         integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    event       text NOT NULL,
    actor_role  text NOT NULL,
    actor_id    text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    PRIMARY KEY (referral_id, seq)
);
