-- A decision whose enrolment ended with attended hours is paid out.
ALTER TABLE decisions DROP CONSTRAINT decisions_status_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_status_check CHECK (status IN ('active', 'released', 'paid'));
