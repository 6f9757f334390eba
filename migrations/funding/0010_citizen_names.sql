-- A caseworker follows referrals by client: funding keeps the citizen's name (from registration's
-- profile events), sealed with the citizen's data key like their facts, and a referral keeps the
-- client's name and masked CPR number in its sealed part.
ALTER TABLE citizens ADD COLUMN name_sealed bytea;
