-- A decision that changes a citizen's use of a capped scheme marks their funded courses stale; the
-- timer evaluates them again, outside the decision's transaction.
ALTER TABLE citizens ADD COLUMN funded_stale boolean NOT NULL DEFAULT false;
CREATE INDEX citizens_funded_stale ON citizens (id) WHERE funded_stale;
