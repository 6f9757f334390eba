-- "Only what I can get funded": registration's copy of each citizen's funded course runs as funding
-- publishes them (livslang.funding.funded_courses.v1), the highest version kept. Erasing the citizen
-- deletes it.
CREATE TABLE funded_courses (
    citizen_id text PRIMARY KEY REFERENCES citizens (id) ON DELETE CASCADE,
    version    bigint NOT NULL,
    course_ids uuid[] NOT NULL,
    schemes    jsonb NOT NULL, -- course id → the schemes other than "self" that fund it
    updated_at timestamptz NOT NULL DEFAULT now()
);
