-- Citizens are keyed by the identity provider's subject (a pseudonymous id). The CPR number is stored
-- only sealed (AES-GCM) and as a keyed hash for look-ups.
CREATE TABLE citizens (
    id                text PRIMARY KEY,
    cpr_index         bytea NOT NULL UNIQUE,
    cpr_sealed        bytea NOT NULL,
    birth_date        date NOT NULL,
    name              text NOT NULL,
    email             text NOT NULL,
    phone             text NOT NULL DEFAULT '',
    language          text NOT NULL CHECK (language IN ('da', 'en')),
    education_level   text NOT NULL,
    education_year    integer NOT NULL,
    employment_status text NOT NULL,
    employer_cvr      text NOT NULL DEFAULT '',
    employed_since    date,
    weekly_hours      numeric(5, 2) NOT NULL DEFAULT 0,
    benefits          text NOT NULL,
    version           bigint NOT NULL DEFAULT 1,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrolments (
    id                 uuid PRIMARY KEY,
    citizen_id         text NOT NULL REFERENCES citizens (id),
    course_id          uuid NOT NULL REFERENCES course_runs (id),
    status             text NOT NULL CHECK (status IN ('pending', 'waitlisted', 'offered', 'confirmed', 'rejected',
                           'cancelled', 'started', 'completed', 'withdrawn')),
    holds_seat         boolean NOT NULL DEFAULT false,
    funding_preference text NOT NULL,
    funding            jsonb,
    priority           integer NOT NULL DEFAULT 0,
    requested_at       timestamptz NOT NULL DEFAULT now(),
    version            bigint NOT NULL DEFAULT 1,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- One live enrolment per citizen and run.
CREATE UNIQUE INDEX enrolments_one_live ON enrolments (citizen_id, course_id)
    WHERE status IN ('pending', 'waitlisted', 'offered', 'confirmed', 'started');
CREATE INDEX enrolments_citizen ON enrolments (citizen_id, requested_at DESC);
-- The waiting list, in the order it is served: priority group, then time of request.
CREATE INDEX enrolments_waitlist ON enrolments (course_id, priority DESC, requested_at, id) WHERE status = 'waitlisted';

CREATE TABLE enrolment_history (
    enrolment_id uuid NOT NULL REFERENCES enrolments (id),
    seq          integer NOT NULL,
    status       text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    cause        text NOT NULL CHECK (cause IN ('citizen', 'institution', 'funding', 'caseworker', 'system')),
    reason       text NOT NULL DEFAULT '',
    PRIMARY KEY (enrolment_id, seq)
);
