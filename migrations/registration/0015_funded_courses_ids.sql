-- funded_courses.course_ids repeated the keys of schemes; the search filters by those.
ALTER TABLE funded_courses DROP COLUMN course_ids;
