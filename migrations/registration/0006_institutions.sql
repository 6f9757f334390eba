-- Institutions publish and cancel runs, answer confirmed enrolments within a deadline in Danish
-- business days, report attendance, and read every change to their enrolments from a feed.
ALTER TABLE course_runs
    ADD COLUMN status             text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'cancelled')),
    ADD COLUMN min_participants   integer NOT NULL DEFAULT 0 CHECK (min_participants >= 0),
    ADD COLUMN enrolment_deadline date,
    ADD COLUMN cancel_reason      text NOT NULL DEFAULT '',
    ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX course_runs_natural ON course_runs (institution_id, code, starts_on);

ALTER TABLE enrolments
    ADD COLUMN institution_decision text NOT NULL DEFAULT ''
        CHECK (institution_decision IN ('', 'pending', 'accepted', 'rejected')),
    ADD COLUMN institution_deadline timestamptz;
CREATE INDEX enrolments_institution_due ON enrolments (institution_deadline)
    WHERE institution_decision = 'pending';

-- The feed: per institution a gapless sequence, taken under the head row's lock, so a reader that
-- pages by sequence never misses a change that commits later with a smaller number.
CREATE TABLE institution_feed_heads (
    institution_id uuid PRIMARY KEY,
    seq            bigint NOT NULL DEFAULT 0
);
CREATE TABLE institution_feed (
    institution_id uuid NOT NULL,
    seq            bigint NOT NULL,
    event_id       uuid NOT NULL,
    envelope       bytea NOT NULL,
    PRIMARY KEY (institution_id, seq)
);

-- Attendance as reported; a correction is a new row that points at the row it corrects.
CREATE TABLE attendance (
    id           bigserial PRIMARY KEY,
    enrolment_id uuid NOT NULL REFERENCES enrolments (id),
    day          date NOT NULL,
    hours        numeric(5, 2) NOT NULL CHECK (hours >= 0 AND hours <= 24),
    corrects     bigint REFERENCES attendance (id),
    reported_by  text NOT NULL,
    reported_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attendance_enrolment ON attendance (enrolment_id, day);
