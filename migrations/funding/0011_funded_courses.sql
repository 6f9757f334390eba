-- "Funded for me": the open runs each citizen can get funded by a scheme other than paying
-- themselves, as the eligibility rules answer today with their facts and their use of capped schemes.
-- Funding keeps the answers and publishes each citizen's list when it changes
-- (livslang.funding.funded_courses.v1); registration filters its search by its copy.
CREATE TABLE funded_runs (
    citizen_id text NOT NULL,
    course_id  uuid NOT NULL,
    schemes    text[] NOT NULL,
    PRIMARY KEY (citizen_id, course_id)
);
CREATE INDEX funded_runs_course ON funded_runs (course_id);

-- The version of the citizen's last published list; it grows with every list.
ALTER TABLE citizens ADD COLUMN funded_version bigint NOT NULL DEFAULT 0;
