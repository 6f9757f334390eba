-- Fair seats: priority groups, time-limited offers, seat holds that expire, and ballots at opening.
ALTER TABLE course_runs
    ADD COLUMN offer_hours     integer NOT NULL DEFAULT 48 CHECK (offer_hours >= 0),
    ADD COLUMN priority_groups text[] NOT NULL DEFAULT '{referral,legal_right,self}',
    ADD COLUMN opens_at        timestamptz,
    ADD COLUMN ballot_minutes  integer NOT NULL DEFAULT 0 CHECK (ballot_minutes >= 0),
    ADD COLUMN ballot_seed     text,
    ADD COLUMN ballot_drawn_at timestamptz;
CREATE INDEX course_runs_ballot_due ON course_runs (opens_at) WHERE ballot_minutes > 0 AND ballot_drawn_at IS NULL;

ALTER TABLE enrolments
    ADD COLUMN priority_group   text NOT NULL DEFAULT 'self',
    ADD COLUMN offer_expires_at timestamptz,
    ADD COLUMN hold_expires_at  timestamptz,
    ADD COLUMN draw_rank        integer;
DROP INDEX enrolments_waitlist;
CREATE INDEX enrolments_waitlist ON enrolments (course_id, priority DESC, draw_rank, requested_at, id) WHERE status = 'waitlisted';
CREATE INDEX enrolments_offer_due ON enrolments (offer_expires_at) WHERE status = 'offered';
CREATE INDEX enrolments_hold_due ON enrolments (hold_expires_at) WHERE status = 'pending';
