-- An enrolment's history keeps, beside the reason's English sentence, the code of a reason
-- registration gave and its parameters (events.Reason), as its events carry them; a person's own
-- words, and rows from before codes, have none ('' and NULL).
ALTER TABLE enrolment_history
    ADD COLUMN reason_code text NOT NULL DEFAULT '',
    ADD COLUMN reason_params jsonb;
