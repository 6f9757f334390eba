-- An enrolment that a referral holds a seat for (or that a referral led to).
ALTER TABLE enrolments ADD COLUMN referral_id uuid;
CREATE UNIQUE INDEX enrolments_referral ON enrolments (referral_id) WHERE referral_id IS NOT NULL;
-- Set when the citizen has accepted the referral: a seat freed for it is taken at once, not offered.
ALTER TABLE enrolments ADD COLUMN referral_accepted boolean NOT NULL DEFAULT false;
