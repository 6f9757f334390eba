-- A citizen's answer to a referral (or its withdrawal or expiry) can reach registration before the
-- referral itself does (another instance, a redelivery after a crash): the answer is kept here, and
-- applied when the referral arrives and holds its seat. Deleted by the retention job after 45 days
-- (the streams keep events 30).
CREATE TABLE referral_answers (
    referral_id uuid NOT NULL,
    event_type  text NOT NULL,
    status      text NOT NULL,
    note        text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (referral_id, event_type)
);
