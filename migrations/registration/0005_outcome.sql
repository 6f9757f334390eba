-- Hours the institution reports the citizen attended, with the enrolment's outcome.
ALTER TABLE enrolments ADD COLUMN attended_hours numeric(7, 2);
