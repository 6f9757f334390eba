-- Next steps: the competence descriptions (fælles kompetencebeskrivelser, FKB numbers) an AMU course
-- belongs to, so the courses in the same description can be suggested after it.
ALTER TABLE course_runs ADD COLUMN competences text[] NOT NULL DEFAULT '{}';
