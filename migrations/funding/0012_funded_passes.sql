-- The daily pass over every citizen's funded courses (eligibility that changes with the date alone:
-- age, a degree's age, a run's start passing): one row a day, claimed by the instance that runs it.
CREATE TABLE funded_passes (
    day        date PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now()
);
