package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/services/registration/internal/learning"
	"livslang.dk/services/registration/internal/nextstep"
)

// nextStepLimit is how many suggestions a citizen or a course page gets.
const nextStepLimit = 10

// NextStep is a suggested run and why.
type NextStep struct {
	Course  Course
	Reasons []nextstep.Reason
}

// NextSteps suggests what follows the citizen's learning record: the courses they completed or are
// taking through Livslang and the education they added; nothing they already took or are enrolled on.
func (s *Store) NextSteps(ctx context.Context, citizenID string) ([]NextStep, error) {
	entries, err := s.LearningRecord(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	var taken []nextstep.Taken
	for _, e := range entries {
		if e.Status == learning.Withdrawn || e.Status == learning.Cancelled {
			continue
		}
		taken = append(taken, nextstep.Taken{Title: e.Title, Code: e.Code, Category: e.Category, Level: e.Level,
			Competences: e.Competences, Skills: e.Skills})
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT c.code FROM enrolments e JOIN course_runs c ON c.id = e.course_id
		WHERE e.citizen_id = $1 AND e.status IN ('pending', 'waitlisted', 'offered', 'confirmed', 'started')`, citizenID)
	if err != nil {
		return nil, translate("read enrolled courses", err)
	}
	enrolled, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate("read enrolled courses", err)
	}
	return s.suggest(ctx, taken, enrolled)
}

// CourseNextSteps suggests what follows a run, for its course page.
func (s *Store) CourseNextSteps(ctx context.Context, id uuid.UUID) ([]NextStep, error) {
	c, err := s.GetCourse(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.suggest(ctx, []nextstep.Taken{{Title: c.Title, Code: c.Code, Category: c.Category, Competences: c.Competences,
		Skills: c.Skills}}, nil)
}

// suggest ranks the open runs that follow taken: published, starting after today, in the categories
// that can follow, nearest start first so each course is suggested by its next run.
func (s *Store) suggest(ctx context.Context, taken []nextstep.Taken, exclude []string) ([]NextStep, error) {
	categories := nextstep.Categories(taken)
	if len(categories) == 0 {
		return []NextStep{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+courseColumns+` FROM course_runs c JOIN institutions i ON i.id = c.institution_id
		WHERE c.status = 'published' AND c.category = ANY($1) AND c.starts_on > $2
			AND (c.enrolment_deadline IS NULL OR c.enrolment_deadline >= $2)
		ORDER BY c.starts_on, c.id LIMIT 2000`, categories, s.Today())
	if err != nil {
		return nil, translate("read next steps", err)
	}
	courses, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Course, error) { return scanCourse(r) })
	if err != nil {
		return nil, translate("read next steps", err)
	}
	byID := make(map[uuid.UUID]Course, len(courses))
	runs := make([]nextstep.Run, len(courses))
	for i, c := range courses {
		byID[c.ID] = c
		runs[i] = nextstep.Run{ID: c.ID, Code: c.Code, Title: c.Title, Category: c.Category, StartsOn: c.StartsOn,
			Competences: c.Competences, Skills: c.Skills}
	}
	out := []NextStep{}
	for _, sg := range nextstep.Suggest(taken, runs, exclude, nextStepLimit) {
		out = append(out, NextStep{Course: byID[sg.Run.ID], Reasons: sg.Reasons})
	}
	return out, nil
}
