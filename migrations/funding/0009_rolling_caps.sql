-- Den Kommunale Kompetencefond caps what it pays per employee in any 12 months, a rolling period: a
-- single counter per citizen never let the room come back. A "12m" reservation now carries its
-- course's first day, and the room is counted from the reservations themselves (under the
-- citizen's lock) over every 12-month period that includes the new course's start.
ALTER TABLE reservations ADD COLUMN starts_on date;

UPDATE reservations r SET starts_on = (c.facts->>'starts_on')::date
    FROM decisions d JOIN courses c ON c.id = d.course_id
    WHERE r.period = '12m' AND r.decision_id = d.id;
UPDATE reservations r SET starts_on = (c.facts->>'starts_on')::date
    FROM referrals f JOIN courses c ON c.id = f.course_id
    WHERE r.period = '12m' AND r.starts_on IS NULL AND r.decision_id = f.id;
-- A reservation whose course is unknown counts in every period (the safe side).

DELETE FROM citizen_usage WHERE period = '12m';

CREATE INDEX reservations_rolling ON reservations (citizen_id, scheme, starts_on) WHERE period = '12m';
