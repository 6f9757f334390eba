package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
)

// Institution is an education institution.
type Institution struct {
	ID        uuid.UUID
	Name      string
	ShortName string
	Kind      string
	Address   string
	Website   string
	Email     string
}

// Course is a course run.
type Course struct {
	ID              uuid.UUID
	InstitutionID   uuid.UUID
	InstitutionName string
	Code            string
	Title           string
	TitleEN         string
	Category        string
	StartsOn        time.Time
	EndsOn          time.Time
	HoursPerWeek    float64
	FeeDKK          int64
	Schemes         []string
	SeatsTotal      int
	SeatsTaken      int
	Location        string
	Description     string
	DescriptionEN   string
	Version         int64
	// Status is published or cancelled; a cancelled run says why.
	Status            string
	CancelReason      string
	MinParticipants   int
	EnrolmentDeadline *time.Time
	// OfferHours is how long a freed seat is offered to the next in line (0: the next in line takes
	// it at once); PriorityGroups the order the waiting list serves groups in.
	OfferHours     int
	PriorityGroups []string
	// OpensAt is when enrolment opens; requests in the first BallotMinutes are drawn by lot.
	OpensAt       *time.Time
	BallotMinutes int
	BallotSeed    *string
	BallotDrawnAt *time.Time
	// What the course gives: ECTS points (higher education), the skills it teaches, and how many
	// months its certificate holds (0: it does not expire).
	ECTS              *float64
	Skills            []string
	CertificateMonths int
	// Competences are the competence descriptions (FKB numbers) an AMU course belongs to.
	Competences []string
}

// PlannedHours is the run's teaching hours: hours per week over its weeks (days / 7, rounded up).
func (c Course) PlannedHours() float64 {
	return events.PlannedHours(c.StartsOn, c.EndsOn, c.HoursPerWeek)
}

// SeatsAvailable is what is left of the run's capacity.
func (c Course) SeatsAvailable() int { return c.SeatsTotal - c.SeatsTaken }

// Facts is the course as events carry it.
func (c Course) Facts() events.CourseFacts {
	return events.CourseFacts{
		ID: c.ID.String(), Code: c.Code, Title: c.Title, TitleEN: c.TitleEN, Category: c.Category,
		InstitutionID: c.InstitutionID.String(), InstitutionName: c.InstitutionName,
		StartsOn: date(c.StartsOn), EndsOn: date(c.EndsOn), HoursPerWeek: c.HoursPerWeek, FeeDKK: c.FeeDKK,
		Schemes: c.Schemes, SeatsTotal: c.SeatsTotal, Status: c.Status,
	}
}

const courseColumns = `c.id, c.institution_id, i.name, c.code, c.title, c.title_en, c.category, c.starts_on, c.ends_on,
	c.hours_per_week::float8, c.fee_dkk, c.schemes, c.seats_total, c.seats_taken, c.location, c.description,
	c.description_en, c.version, c.status, c.cancel_reason, c.min_participants, c.enrolment_deadline,
	c.offer_hours, c.priority_groups, c.opens_at, c.ballot_minutes, c.ballot_seed, c.ballot_drawn_at,
	c.ects::float8, c.skills, c.certificate_months, c.competences`

func scanCourse(row pgx.Row) (Course, error) {
	var c Course
	err := row.Scan(&c.ID, &c.InstitutionID, &c.InstitutionName, &c.Code, &c.Title, &c.TitleEN, &c.Category,
		&c.StartsOn, &c.EndsOn, &c.HoursPerWeek, &c.FeeDKK, &c.Schemes, &c.SeatsTotal, &c.SeatsTaken, &c.Location,
		&c.Description, &c.DescriptionEN, &c.Version, &c.Status, &c.CancelReason, &c.MinParticipants, &c.EnrolmentDeadline,
		&c.OfferHours, &c.PriorityGroups, &c.OpensAt, &c.BallotMinutes, &c.BallotSeed, &c.BallotDrawnAt,
		&c.ECTS, &c.Skills, &c.CertificateMonths, &c.Competences)
	return c, err
}

// UpsertInstitution creates an institution, leaving an existing one unchanged.
func (s *Store) UpsertInstitution(ctx context.Context, in Institution) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO institutions (id, name, short_name, kind, address, website, email)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		in.ID, in.Name, in.ShortName, in.Kind, in.Address, in.Website, in.Email)
	return translate("upsert institution", err)
}

// CreateCourse adds a course run and announces it; an existing run with the same id is left unchanged.
// It reports whether the run was new.
func (s *Store) CreateCourse(ctx context.Context, c Course) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO course_runs (id, institution_id, code, title, title_en, category, starts_on,
			ends_on, hours_per_week, fee_dkk, schemes, seats_total, location, description, description_en, ects, skills,
			certificate_months, competences)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.InstitutionID, c.Code, c.Title, c.TitleEN, c.Category, c.StartsOn, c.EndsOn, c.HoursPerWeek,
			c.FeeDKK, c.Schemes, c.SeatsTotal, c.Location, c.Description, c.DescriptionEN, c.ECTS, skills(c), c.CertificateMonths, competences(c))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		created = true
		stored, err := scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
			JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1`, c.ID))
		if err != nil {
			return err
		}
		_, err = s.publish(ctx, tx, events.TypeCourseUpdated, events.SubjectCourseUpdated, c.ID.String(),
			events.CourseUpdated{Course: stored.Facts(), Version: stored.Version})
		return err
	})
	return created, translate("create course", err)
}

// CourseFilter narrows the catalogue.
type CourseFilter struct {
	Query         string
	Category      string
	Place         string // a word of the run's location, e.g. "Herning" or "Ikast"
	InstitutionID *uuid.UUID
	StartsAfter   *time.Time
	// WithCancelled includes cancelled runs (left out by default).
	WithCancelled bool
	// Funded, when not nil, keeps only these runs (the ones funding found the citizen can get funded).
	Funded []uuid.UUID
	Limit  int
	After  string // cursor from a previous page
}

// CoursePage is one page of course runs.
type CoursePage struct {
	Items []Course
	Next  string
}

// A cursor is where a page ended: the last run's start and id, and for a search its rank first.
func encodeCursor(rank int, c Course) string {
	s := date(c.StartsOn) + "|" + c.ID.String()
	if rank > 0 {
		s = strconv.Itoa(rank) + "|" + s
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(s string) (rank int, day time.Time, id uuid.UUID, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, time.Time{}, uuid.Nil, err
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) == 3 {
		if rank, err = strconv.Atoi(parts[0]); err != nil || rank < 1 {
			return 0, time.Time{}, uuid.Nil, fmt.Errorf("bad cursor rank")
		}
		parts = parts[1:]
	}
	if len(parts) != 2 {
		return 0, time.Time{}, uuid.Nil, fmt.Errorf("bad cursor")
	}
	if day, err = time.Parse(time.DateOnly, parts[0]); err != nil {
		return 0, time.Time{}, uuid.Nil, err
	}
	id, err = uuid.Parse(parts[1])
	return rank, day, id, err
}

// ListCourses returns runs by start date, then id, with keyset pagination. A search (Query) ranks
// them first: all its words in a title as typed or by their stems (3), in any spelling in a title
// (2), anywhere (1); within a rank the nearest start comes first.
func (s *Store) ListCourses(ctx context.Context, f CourseFilter) (CoursePage, error) {
	where := []string{"true"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	rank := "0"
	if f.Query != "" {
		q, err := s.searchQuery(ctx, f.Query)
		if err != nil {
			return CoursePage{}, err
		}
		if q.Empty() { // nothing but punctuation: nothing can match it
			return CoursePage{Items: []Course{}}, nil
		}
		where = append(where, "c.search_words @@ "+arg(q.Any)+"::tsquery")
		rank = fmt.Sprintf("CASE WHEN c.search_words @@ %s::tsquery THEN 3 WHEN c.search_words @@ %s::tsquery THEN 2 ELSE 1 END",
			arg(q.Exact), arg(q.Title))
	}
	if f.Category != "" {
		where = append(where, "c.category = "+arg(f.Category))
	}
	if f.Place != "" {
		where = append(where, "c.location ILIKE "+arg("%"+f.Place+"%"))
	}
	if f.InstitutionID != nil {
		where = append(where, "c.institution_id = "+arg(*f.InstitutionID))
	}
	if f.StartsAfter != nil {
		where = append(where, "c.starts_on > "+arg(*f.StartsAfter))
	}
	if !f.WithCancelled {
		where = append(where, "c.status = 'published'")
	}
	if f.Funded != nil {
		where = append(where, "c.id = ANY("+arg(f.Funded)+")")
	}
	if f.After != "" {
		r, day, id, err := decodeCursor(f.After)
		if err != nil || (r > 0) != (f.Query != "") {
			return CoursePage{}, &fault.ValidationError{Fields: []fault.FieldError{{Field: "after", Message: "not a cursor from this API for this query"}}}
		}
		if r > 0 {
			where = append(where, fmt.Sprintf("(%[1]s < %[2]s OR (%[1]s = %[2]s AND (c.starts_on, c.id) > (%[3]s, %[4]s)))", rank, arg(r), arg(day), arg(id)))
		} else { // the catalogue in order, as its index serves it
			where = append(where, fmt.Sprintf("(c.starts_on, c.id) > (%s, %s)", arg(day), arg(id)))
		}
	}
	limit := arg(f.Limit + 1)
	rows, err := s.pool.Query(ctx, `SELECT `+rank+` AS rank, `+courseColumns+` FROM course_runs c JOIN institutions i ON i.id = c.institution_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY rank DESC, c.starts_on, c.id LIMIT `+limit, args...)
	if err != nil {
		return CoursePage{}, translate("list courses", err)
	}
	var ranks []int
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Course, error) {
		var rank int
		c, err := scanCourse(prefixedRow{r, &rank})
		ranks = append(ranks, rank)
		return c, err
	})
	if err != nil {
		return CoursePage{}, translate("list courses", err)
	}
	page := CoursePage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		page.Next = encodeCursor(ranks[f.Limit-1], page.Items[f.Limit-1])
	}
	return page, nil
}

// prefixedRow scans a row whose first column goes to first, ahead of what the caller scans.
type prefixedRow struct {
	pgx.Row
	first any
}

func (p prefixedRow) Scan(dest ...any) error { return p.Row.Scan(append([]any{p.first}, dest...)...) }

// GetCourse returns one run.
func (s *Store) GetCourse(ctx context.Context, id uuid.UUID) (Course, error) {
	c, err := scanCourse(s.pool.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
		JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1`, id))
	return c, translate("get course", err)
}

// InBallot reports whether a request at now falls in the run's ballot window.
func (c Course) InBallot(now time.Time) bool {
	return c.OpensAt != nil && c.BallotMinutes > 0 && c.BallotDrawnAt == nil &&
		now.Before(c.OpensAt.Add(time.Duration(c.BallotMinutes)*time.Minute))
}

// Open reports why the run does not take enrolments at now, if it does not.
func (c Course) Open(now time.Time) error {
	y, m, d := now.In(Copenhagen).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch {
	case c.OpensAt != nil && now.Before(*c.OpensAt):
		return fmt.Errorf("%w: enrolment opens at %s", fault.Unprocessable, c.OpensAt.In(Copenhagen).Format("2006-01-02 15:04"))
	case c.Status == "cancelled":
		return fmt.Errorf("%w: the course run is cancelled: %s", fault.Unprocessable, c.CancelReason)
	case !c.StartsOn.After(today):
		return fmt.Errorf("%w: the course run started on %s; enrolment is closed", fault.Unprocessable, date(c.StartsOn))
	case c.EnrolmentDeadline != nil && c.EnrolmentDeadline.Before(today):
		return fmt.Errorf("%w: enrolment closed on %s", fault.Unprocessable, date(*c.EnrolmentDeadline))
	}
	return nil
}

// competences is the run's competence descriptions for a text[] column that is never NULL.
func competences(c Course) []string {
	if c.Competences == nil {
		return []string{}
	}
	return c.Competences
}

// skills is the run's skills for a text[] column that is never NULL.
func skills(c Course) []string {
	if c.Skills == nil {
		return []string{}
	}
	return c.Skills
}
