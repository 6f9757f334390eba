-- Institutions and their course runs. seats_taken counts held + confirmed seats and can never pass
-- seats_total: the CHECK makes the database refuse an oversold run whatever the code does.
CREATE TABLE institutions (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    short_name text NOT NULL,
    kind       text NOT NULL,
    address    text NOT NULL DEFAULT '',
    website    text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE course_runs (
    id             uuid PRIMARY KEY,
    institution_id uuid NOT NULL REFERENCES institutions (id),
    code           text NOT NULL,
    title          text NOT NULL,
    title_en       text NOT NULL,
    category       text NOT NULL CHECK (category IN ('amu', 'eud_enkeltfag', 'fvu', 'obu', 'avu', 'hf_enkeltfag',
                       'gymnasial_supplering', 'akademi', 'diplom', 'master', 'danskuddannelse', 'aftenskole')),
    starts_on      date NOT NULL,
    ends_on        date NOT NULL CHECK (ends_on >= starts_on),
    hours_per_week numeric(5, 2) NOT NULL CHECK (hours_per_week > 0),
    fee_dkk        bigint NOT NULL CHECK (fee_dkk >= 0),
    schemes        text[] NOT NULL,
    seats_total    integer NOT NULL CHECK (seats_total > 0),
    seats_taken    integer NOT NULL DEFAULT 0 CHECK (seats_taken >= 0 AND seats_taken <= seats_total),
    location       text NOT NULL DEFAULT '',
    description    text NOT NULL DEFAULT '',
    description_en text NOT NULL DEFAULT '',
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    search         tsvector GENERATED ALWAYS AS (
                       setweight(to_tsvector('danish', title), 'A') ||
                       setweight(to_tsvector('english', title_en), 'A') ||
                       setweight(to_tsvector('simple', code), 'A') ||
                       setweight(to_tsvector('danish', description), 'B')) STORED
);
CREATE INDEX course_runs_starts ON course_runs (starts_on, id);
CREATE INDEX course_runs_institution ON course_runs (institution_id, starts_on);
CREATE INDEX course_runs_search ON course_runs USING gin (search);
