-- Funding's own copies of what registration announces (event-carried state transfer).
CREATE TABLE citizens (
    id                text PRIMARY KEY,
    cpr_index         text NOT NULL DEFAULT '',
    municipality      text NOT NULL DEFAULT '',
    facts             jsonb NOT NULL,
    version           bigint NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizens_cpr_index ON citizens (cpr_index) WHERE cpr_index <> '';

CREATE TABLE courses (
    id             uuid PRIMARY KEY,
    institution_id uuid NOT NULL,
    facts          jsonb NOT NULL,
    version        bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Budget pools: a pool is never overspent; the CHECK makes Postgres refuse it whatever the code does.
CREATE TABLE budget_pools (
    id           uuid PRIMARY KEY,
    scheme       text NOT NULL,
    owner        text NOT NULL, -- municipality code or institution id
    year         integer NOT NULL,
    name         text NOT NULL,
    amount_dkk   bigint NOT NULL CHECK (amount_dkk >= 0),
    reserved_dkk bigint NOT NULL DEFAULT 0 CHECK (reserved_dkk >= 0),
    paid_dkk     bigint NOT NULL DEFAULT 0 CHECK (paid_dkk >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (reserved_dkk + paid_dkk <= amount_dkk),
    UNIQUE (scheme, owner, year)
);

-- Per-citizen caps (Omstillingsfonden per calendar year, the competence fund per 12 months).
CREATE TABLE citizen_usage (
    citizen_id text NOT NULL,
    scheme     text NOT NULL,
    period     text NOT NULL,
    used_dkk   bigint NOT NULL DEFAULT 0,
    limit_dkk  bigint NOT NULL,
    CHECK (used_dkk >= 0 AND used_dkk <= limit_dkk),
    PRIMARY KEY (citizen_id, scheme, period)
);

-- What a decision holds: money in a pool and/or room under a citizen's cap.
CREATE TABLE reservations (
    id           uuid PRIMARY KEY,
    decision_id  uuid NOT NULL, -- the decision is written in the same transaction, after its reservations
    enrolment_id uuid NOT NULL,
    pool_id      uuid REFERENCES budget_pools (id),
    citizen_id   text,
    scheme       text NOT NULL,
    period       text,
    amount_dkk   bigint NOT NULL CHECK (amount_dkk >= 0),
    paid_dkk     bigint NOT NULL DEFAULT 0,
    status       text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'released', 'paid')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_enrolment ON reservations (enrolment_id);

ALTER TABLE decisions
    ADD COLUMN municipality text NOT NULL DEFAULT '',
    ADD COLUMN plan jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN parameters jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN facts jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN starts_on date,
    ADD COLUMN review_status text NOT NULL DEFAULT '' CHECK (review_status IN ('', 'open', 'decided')),
    ADD COLUMN reviewed_by text NOT NULL DEFAULT '',
    ADD COLUMN review_reason text NOT NULL DEFAULT '',
    ADD COLUMN reviewed_at timestamptz;
CREATE INDEX decisions_review ON decisions (municipality, decided_at) WHERE review_status = 'open';

-- Every evaluation of a decision is kept: a re-evaluation or review never rewrites history.
CREATE TABLE decision_history (
    decision_id uuid NOT NULL REFERENCES decisions (id),
    seq         integer NOT NULL,
    outcome     text NOT NULL,
    scheme      text NOT NULL,
    cause       text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (decision_id, seq)
);
