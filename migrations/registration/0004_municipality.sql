-- The citizen's municipality (from the identity token), which funding's municipal schemes and the
-- caseworkers' review queue need.
ALTER TABLE citizens ADD COLUMN municipality text NOT NULL DEFAULT '';
