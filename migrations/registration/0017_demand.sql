-- Skills demand: a company says what its staff need (a course code, a category or a skill, how many,
-- when and where). Institutions see it added up across companies; a run published that matches it
-- offers each company behind it seats, held for the company like a waiting-list offer (the seats
-- are counted in course_runs.seats_taken while held).
CREATE TABLE demands (
    id           uuid PRIMARY KEY,
    cvr          text NOT NULL CHECK (cvr ~ '^[1-9][0-9]{7}$'),
    company_name text NOT NULL DEFAULT '',
    course_code  text NOT NULL DEFAULT '',
    code_key     text NOT NULL DEFAULT '', -- course_code compared: lower case, without spaces
    category     text NOT NULL DEFAULT '',
    skill        text NOT NULL DEFAULT '',
    employees    integer NOT NULL CHECK (employees BETWEEN 1 AND 500),
    earliest     date NOT NULL,
    latest       date NOT NULL CHECK (latest >= earliest),
    place        text NOT NULL DEFAULT '',
    town         text NOT NULL DEFAULT '', -- the town or municipality of place, lower case ('' anywhere)
    contact_ok   boolean NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'offered', 'met', 'withdrawn')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (course_code <> '' OR category <> '' OR skill <> '')
);
CREATE INDEX demands_company ON demands (cvr, created_at, id);
CREATE INDEX demands_open_code ON demands (code_key, earliest) WHERE status = 'open';

-- An offer of seats on a run to the company behind a demand: seats offered, seats_held of them still
-- held (a staff enrolment takes one at a time, TakeOfferSeat), until expires_at while open.
CREATE TABLE demand_offers (
    id          uuid PRIMARY KEY,
    demand_id   uuid NOT NULL REFERENCES demands (id),
    course_id   uuid NOT NULL REFERENCES course_runs (id),
    cvr         text NOT NULL,
    seats       integer NOT NULL CHECK (seats >= 1),
    seats_held  integer NOT NULL CHECK (seats_held >= 0 AND seats_held <= seats),
    status      text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'accepted', 'declined', 'expired', 'withdrawn', 'cancelled')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    UNIQUE (demand_id, course_id)
);
CREATE INDEX demand_offers_company ON demand_offers (cvr, created_at, id);
CREATE INDEX demand_offers_due ON demand_offers (expires_at) WHERE status = 'open';
CREATE INDEX demand_offers_held ON demand_offers (course_id) WHERE seats_held > 0;
