package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/idempotency"
)

// Skills demand that becomes course runs. A company (its users act for its CVR number) says what its
// staff need: a course code, a category or a skill, how many employees, a window to start in and
// where. Institutions see the demand added up across companies (DemandTotals). When an institution
// publishes a run, or changes one so that it matches, every open demand with the run's course code,
// the run's start in its window and the run within reach of its place gets an offer of
// min(employees, free seats) seats on the run (offerDemand, called from announceCourse). The seats
// are held for the company like a waiting-list offer: they count in course_runs.seats_taken until
// the offer is declined, expires, is withdrawn, or the company's staff take them (TakeOfferSeat).
// A demand is open, offered (an open offer), met (an offer accepted) or withdrawn.

// DemandOfferDays is how long a company has to answer an offer from demand (never past the day
// before the run starts, nor past its enrolment deadline).
var DemandOfferDays = 5

// Demand statuses.
const (
	DemandStatusOpen      = "open"
	DemandStatusOffered   = "offered"
	DemandStatusMet       = "met"
	DemandStatusWithdrawn = "withdrawn"
)

// SkillsDemand is what a company's staff need.
type SkillsDemand struct {
	ID          uuid.UUID
	CVR         string
	CompanyName string
	CourseCode  string
	Category    string
	Skill       string
	Employees   int
	Earliest    time.Time
	Latest      time.Time
	Place       string
	ContactOK   bool
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const demandColumns = `d.id, d.cvr, d.company_name, d.course_code, d.category, d.skill, d.employees, d.earliest, d.latest,
	d.place, d.contact_ok, d.status, d.created_at, d.updated_at`

func scanDemand(row pgx.Row) (SkillsDemand, error) {
	var d SkillsDemand
	err := row.Scan(&d.ID, &d.CVR, &d.CompanyName, &d.CourseCode, &d.Category, &d.Skill, &d.Employees, &d.Earliest, &d.Latest,
		&d.Place, &d.ContactOK, &d.Status, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// CodeKey is a course code as demand and runs are compared by: lower case, without spaces
// ("AMU 47583" and "amu47583" are the same course).
func CodeKey(code string) string {
	return strings.ToLower(strings.Join(strings.Fields(code), ""))
}

// TownOf is the town or municipality a place names, lower case: the last comma-separated part
// without its postal code or the word "kommune" ("Lillelundvej 13, 7400 Herning" and "Herning
// Kommune" are both "herning"); "" for no place.
func TownOf(place string) string {
	p := strings.ToLower(strings.TrimSpace(place))
	if i := strings.LastIndex(p, ","); i >= 0 {
		p = p[i+1:]
	}
	var words []string
	for _, w := range strings.Fields(p) {
		if w == "kommune" || strings.Trim(w, "0123456789") == "" {
			continue
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// WithinReach reports whether a run at location is within reach of a demand's place: no place
// matches anywhere; else the same place, the same town, or the place's town named in the location
// (whole words, any case).
func WithinReach(place, location string) bool {
	town := TownOf(place)
	if town == "" {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(place), strings.TrimSpace(location)) || TownOf(location) == town {
		return true
	}
	split := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	loc, want := split(location), split(town)
	for i := 0; i+len(want) <= len(loc); i++ {
		if slices.Equal(loc[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// matchesRun reports whether the demand would take seats on the run: same course code, the run's
// start in the demand's window, the run within reach.
func (d SkillsDemand) matchesRun(c Course) bool {
	return d.CourseCode != "" && CodeKey(d.CourseCode) == CodeKey(c.Code) && !c.StartsOn.Before(d.Earliest) &&
		!c.StartsOn.After(d.Latest) && WithinReach(d.Place, c.Location)
}

// NewDemand is a company's demand with the request's idempotency key: Principal and Key name the
// request, RequestHash its body.
type NewDemand struct {
	Demand      SkillsDemand
	Principal   string
	Key         string
	RequestHash []byte
}

// CreateDemand records a company's demand. The demand as created is kept with the idempotency key
// (under "demand"); a repeated key with the same request returns it again.
func (s *Store) CreateDemand(ctx context.Context, n NewDemand) (Kept[SkillsDemand], error) {
	var out Kept[SkillsDemand]
	err := s.tx(ctx, func(tx pgx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, n.Principal, n.Key, n.RequestHash)
		if err != nil {
			return err
		}
		if prior != nil {
			out = replay[SkillsDemand]("demand", prior)
			return nil
		}
		d := n.Demand
		d.ID, d.Status = uuid.New(), DemandStatusOpen
		d.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
		d.UpdatedAt = d.CreatedAt
		if _, err := tx.Exec(ctx, `INSERT INTO demands (id, cvr, company_name, course_code, code_key, category, skill, employees,
				earliest, latest, place, town, contact_ok, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
			d.ID, d.CVR, d.CompanyName, d.CourseCode, CodeKey(d.CourseCode), d.Category, d.Skill, d.Employees,
			d.Earliest, d.Latest, d.Place, TownOf(d.Place), d.ContactOK, d.Status, d.CreatedAt); err != nil {
			return fmt.Errorf("insert demand: %w", err)
		}
		kept, err := keep("demand", d)
		if err != nil {
			return err
		}
		out = Kept[SkillsDemand]{Value: d}
		return idempotency.Complete(ctx, tx, n.Principal, n.Key, http.StatusCreated, kept)
	})
	return out, translate("create demand", err)
}

// CompanyDemands lists the company's demands, newest first.
func (s *Store) CompanyDemands(ctx context.Context, cvr string) ([]SkillsDemand, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+demandColumns+` FROM demands d WHERE d.cvr = $1 ORDER BY d.created_at DESC, d.id`, cvr)
	if err != nil {
		return nil, translate("company demands", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SkillsDemand, error) { return scanDemand(r) })
	return list, translate("company demands", err)
}

// CompanyDemand is one of the company's demands; another company's is not found.
func (s *Store) CompanyDemand(ctx context.Context, cvr string, id uuid.UUID) (SkillsDemand, error) {
	d, err := scanDemand(s.pool.QueryRow(ctx, `SELECT `+demandColumns+` FROM demands d WHERE d.id = $1 AND d.cvr = $2`, id, cvr))
	return d, translate("company demand", err)
}

// WithdrawDemand withdraws the company's demand: an open offer from it is withdrawn and the seats
// an offer still holds go back to the run (its waiting list first). Withdrawing again changes nothing.
func (s *Store) WithdrawDemand(ctx context.Context, cvr string, id uuid.UUID) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM demands WHERE id = $1 AND cvr = $2`, id, cvr).Scan(&status); err != nil {
			return err
		}
		if status == DemandStatusWithdrawn {
			return nil
		}
		// The runs first, then the demand and its offers: the order every change of held seats locks in.
		rows, err := tx.Query(ctx, `SELECT DISTINCT course_id FROM demand_offers WHERE demand_id = $1
			AND (status = 'open' OR seats_held > 0) ORDER BY course_id`, id)
		if err != nil {
			return err
		}
		runs, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		for _, run := range runs {
			if _, err := s.lockCourse(ctx, tx, run); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `SELECT status FROM demands WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return err
		}
		if status == DemandStatusWithdrawn {
			return nil
		}
		rows, err = tx.Query(ctx, `SELECT `+offerColumns+` FROM demand_offers o WHERE o.demand_id = $1
			AND (o.status = 'open' OR o.seats_held > 0) ORDER BY o.id FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("withdraw offers: %w", err)
		}
		offers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DemandOffer, error) { return scanOffer(r) })
		if err != nil {
			return fmt.Errorf("withdraw offers: %w", err)
		}
		for _, o := range offers {
			// An open offer is withdrawn; an accepted one stays accepted for the staff it seated.
			if _, err := tx.Exec(ctx, `UPDATE demand_offers SET seats_held = 0,
					status = CASE WHEN status = 'open' THEN 'withdrawn' ELSE status END,
					answered_at = CASE WHEN status = 'open' THEN $2 ELSE answered_at END WHERE id = $1`, o.ID, s.now()); err != nil {
				return fmt.Errorf("withdraw offer: %w", err)
			}
			if err := s.releaseOfferSeats(ctx, tx, o.Course.ID, o.SeatsHeld); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE demands SET status = 'withdrawn', updated_at = $2 WHERE id = $1`, id, s.now())
		return err
	})
	return translate("withdraw demand", err)
}

// releaseOfferSeats gives n seats an offer held back to the run and, while the run is still ahead,
// to the first on its waiting list, one by one, as release does for an enrolment's seat.
func (s *Store) releaseOfferSeats(ctx context.Context, tx pgx.Tx, courseID uuid.UUID, n int) error {
	if n <= 0 {
		return nil
	}
	var startsOn time.Time
	var status string
	if err := tx.QueryRow(ctx, `UPDATE course_runs SET seats_taken = seats_taken - $2 WHERE id = $1 RETURNING starts_on, status`,
		courseID, n).Scan(&startsOn, &status); err != nil {
		return fmt.Errorf("release offered seats: %w", err)
	}
	if status != "published" || !startsOn.After(s.Today()) {
		return nil
	}
	return s.serveWaitingList(ctx, tx, courseID, n)
}

// DemandOffer is an offer of seats on a run to a company.
type DemandOffer struct {
	ID         uuid.UUID
	DemandID   uuid.UUID
	CVR        string
	Course     Course
	Seats      int
	SeatsHeld  int
	Status     string
	ExpiresAt  time.Time
	CreatedAt  time.Time
	AnsweredAt *time.Time
}

const offerColumns = `o.id, o.demand_id, o.cvr, o.course_id, o.seats, o.seats_held, o.status, o.expires_at, o.created_at, o.answered_at`

func scanOffer(row pgx.Row) (DemandOffer, error) {
	var o DemandOffer
	err := row.Scan(&o.ID, &o.DemandID, &o.CVR, &o.Course.ID, &o.Seats, &o.SeatsHeld, &o.Status, &o.ExpiresAt, &o.CreatedAt, &o.AnsweredAt)
	return o, err
}

// CompanyOffers lists the offers made to the company, newest first, with their runs.
func (s *Store) CompanyOffers(ctx context.Context, cvr string) ([]DemandOffer, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+offerColumns+` FROM demand_offers o WHERE o.cvr = $1 ORDER BY o.created_at DESC, o.id`, cvr)
	if err != nil {
		return nil, translate("company offers", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DemandOffer, error) { return scanOffer(r) })
	if err != nil {
		return nil, translate("company offers", err)
	}
	runs := map[uuid.UUID]Course{}
	for i := range list {
		id := list[i].Course.ID
		if _, ok := runs[id]; !ok {
			if runs[id], err = s.GetCourse(ctx, id); err != nil {
				return nil, err
			}
		}
		list[i].Course = runs[id]
	}
	return list, nil
}

// AnswerDemandOffer is the company's answer to an open offer: accepting keeps the seats held for its
// staff until the run starts and marks the demand met; declining gives them back to the run (its
// waiting list first) and opens the demand again for other runs.
func (s *Store) AnswerDemandOffer(ctx context.Context, cvr string, id uuid.UUID, accept bool) (DemandOffer, error) {
	var out DemandOffer
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var courseID uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT course_id FROM demand_offers WHERE id = $1 AND cvr = $2`, id, cvr).Scan(&courseID); err != nil {
			return err
		}
		run, err := s.lockCourse(ctx, tx, courseID)
		if err != nil {
			return err
		}
		o, err := s.lockOffer(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.Status != "open" {
			return fmt.Errorf("%w: the offer is %s, not open", fault.Conflict, o.Status)
		}
		if !s.now().Before(o.ExpiresAt) {
			return fmt.Errorf("%w: the offer expired at %s", fault.Conflict, o.ExpiresAt.In(Copenhagen).Format("2006-01-02 15:04"))
		}
		now := s.now()
		if accept {
			if _, err := tx.Exec(ctx, `UPDATE demand_offers SET status = 'accepted', answered_at = $2 WHERE id = $1`, id, now); err != nil {
				return fmt.Errorf("accept offer: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE demands SET status = 'met', updated_at = $2 WHERE id = $1 AND status = 'offered'`, o.DemandID, now); err != nil {
				return fmt.Errorf("demand met: %w", err)
			}
		} else {
			if err := s.endOffer(ctx, tx, o, "declined"); err != nil {
				return err
			}
		}
		if out, err = s.lockOffer(ctx, tx, id); err != nil {
			return err
		}
		out.Course, err = scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
			JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1`, run.ID))
		return err
	})
	return out, translate("answer demand offer", err)
}

func (s *Store) lockOffer(ctx context.Context, tx pgx.Tx, id uuid.UUID) (DemandOffer, error) {
	return scanOffer(tx.QueryRow(ctx, `SELECT `+offerColumns+` FROM demand_offers o WHERE o.id = $1 FOR UPDATE`, id))
}

// endOffer ends an open offer (declined, expired): its seats go back to the run and the demand is
// open again (it is not offered the same run twice). The run's row is locked by the caller.
func (s *Store) endOffer(ctx context.Context, tx pgx.Tx, o DemandOffer, status string) error {
	if _, err := tx.Exec(ctx, `UPDATE demand_offers SET status = $2, seats_held = 0, answered_at = $3 WHERE id = $1`,
		o.ID, status, s.now()); err != nil {
		return fmt.Errorf("end offer: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE demands SET status = 'open', updated_at = $2 WHERE id = $1 AND status = 'offered'`,
		o.DemandID, s.now()); err != nil {
		return fmt.Errorf("reopen demand: %w", err)
	}
	return s.releaseOfferSeats(ctx, tx, o.Course.ID, o.SeatsHeld)
}

// ExpireDemandOffers ends the open offers nobody answered in time (their seats go back to the run)
// and gives back the seats accepted offers still hold on runs that have started. It returns how
// many offers it changed.
func (s *Store) ExpireDemandOffers(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id FROM demand_offers o WHERE o.status = 'open' AND o.expires_at <= $1
		UNION ALL
		SELECT o.id FROM demand_offers o JOIN course_runs c ON c.id = o.course_id
			WHERE o.status = 'accepted' AND o.seats_held > 0 AND c.starts_on <= $2
		LIMIT 100`, s.now(), s.Today())
	if err != nil {
		return 0, fmt.Errorf("due demand offers: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("due demand offers: %w", err)
	}
	done := 0
	for _, id := range ids {
		err := s.tx(ctx, func(tx pgx.Tx) error {
			var courseID uuid.UUID
			if err := tx.QueryRow(ctx, `SELECT course_id FROM demand_offers WHERE id = $1`, id).Scan(&courseID); err != nil {
				return err
			}
			run, err := s.lockCourse(ctx, tx, courseID)
			if err != nil {
				return err
			}
			o, err := s.lockOffer(ctx, tx, id)
			if err != nil {
				return err
			}
			switch {
			case o.Status == "open" && !s.now().Before(o.ExpiresAt):
				done++
				return s.endOffer(ctx, tx, o, "expired")
			case o.Status == "accepted" && o.SeatsHeld > 0 && !run.StartsOn.After(s.Today()):
				done++
				if _, err := tx.Exec(ctx, `UPDATE demand_offers SET seats_held = 0 WHERE id = $1`, id); err != nil {
					return fmt.Errorf("release started run's seats: %w", err)
				}
				return s.releaseOfferSeats(ctx, tx, courseID, o.SeatsHeld)
			}
			return nil // answered meanwhile
		})
		if err != nil {
			return done, translate("expire demand offer", err)
		}
	}
	return done, nil
}

// TakeOfferSeat gives a staff enrolment being made in tx one of the seats the company's offer from
// demand holds on the run. Call it, inside the enrolment's transaction, before taking a free seat:
// when it returns true the seat is the enrolment's, and it is already counted in
// course_runs.seats_taken, so do not take another (set the enrolment's holds_seat as for a seat
// taken); when it returns false (no open or accepted offer of the company holds a seat on the run,
// or the run has started) take a free seat or a waiting-list place as usual. Taking a seat of an
// open offer accepts it (the demand is met). The run's row is locked first, as every change of held
// seats does.
func (s *Store) TakeOfferSeat(ctx context.Context, tx pgx.Tx, cvr string, courseID uuid.UUID) (bool, error) {
	var startsOn time.Time
	if err := tx.QueryRow(ctx, `SELECT starts_on FROM course_runs WHERE id = $1 FOR UPDATE`, courseID).Scan(&startsOn); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("take offered seat: %w", err)
	}
	if !startsOn.After(s.Today()) {
		return false, nil
	}
	var id, demandID uuid.UUID
	var status string
	err := tx.QueryRow(ctx, `SELECT id, demand_id, status FROM demand_offers WHERE cvr = $1 AND course_id = $2 AND seats_held > 0
			AND (status = 'accepted' OR (status = 'open' AND expires_at > $3))
		ORDER BY created_at, id LIMIT 1 FOR UPDATE`, cvr, courseID, s.now()).Scan(&id, &demandID, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("take offered seat: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE demand_offers SET seats_held = seats_held - 1, status = 'accepted',
		answered_at = coalesce(answered_at, $2) WHERE id = $1`, id, s.now()); err != nil {
		return false, fmt.Errorf("take offered seat: %w", err)
	}
	if status == "open" {
		if _, err := tx.Exec(ctx, `UPDATE demands SET status = 'met', updated_at = $2 WHERE id = $1 AND status = 'offered'`, demandID, s.now()); err != nil {
			return false, fmt.Errorf("demand met: %w", err)
		}
	}
	return true, nil
}

// demandOfferExpiry is when an offer on the run made now lapses: DemandOfferDays from now, but not
// after the run starts or its enrolment deadline ends; ok is false when that is not in the future.
func (s *Store) demandOfferExpiry(c Course) (time.Time, bool) {
	now := s.now()
	expires := now.Add(time.Duration(max(DemandOfferDays, 1)) * 24 * time.Hour)
	midnight := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Copenhagen) }
	if start := midnight(c.StartsOn); start.Before(expires) {
		expires = start
	}
	if c.EnrolmentDeadline != nil {
		if end := midnight(c.EnrolmentDeadline.AddDate(0, 0, 1)); end.Before(expires) {
			expires = end
		}
	}
	return expires, expires.After(now)
}

// offerDemand is publishing's hook: announceCourse calls it, in the transaction that published or
// changed the run (its row locked), before the run is read back. A published run ahead with free
// seats offers them to the open demands it matches that it was not offered to before, oldest
// first; a cancelled run ends the offers on it (its seats were given back) and opens their demands
// again.
func (s *Store) offerDemand(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) error {
	c, err := s.lockCourse(ctx, tx, courseID)
	if err != nil {
		return fmt.Errorf("offer demand: %w", err)
	}
	if c.Status == "cancelled" {
		if _, err := tx.Exec(ctx, `WITH ended AS (UPDATE demand_offers SET status = 'cancelled', seats_held = 0
				WHERE course_id = $1 AND status IN ('open', 'accepted') RETURNING demand_id)
			UPDATE demands SET status = 'open', updated_at = $2 WHERE id IN (SELECT demand_id FROM ended)
				AND status IN ('offered', 'met')`, courseID, s.now()); err != nil {
			return fmt.Errorf("end offers on a cancelled run: %w", err)
		}
		return nil
	}
	free := c.SeatsAvailable()
	expires, ok := s.demandOfferExpiry(c)
	if free <= 0 || !ok || !c.StartsOn.After(s.Today()) || CodeKey(c.Code) == "" {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT `+demandColumns+` FROM demands d WHERE d.status = 'open' AND d.code_key = $1
			AND d.earliest <= $2 AND d.latest >= $2
			AND NOT EXISTS (SELECT 1 FROM demand_offers o WHERE o.demand_id = d.id AND o.course_id = $3)
		ORDER BY d.created_at, d.id FOR UPDATE OF d`, CodeKey(c.Code), c.StartsOn, c.ID)
	if err != nil {
		return fmt.Errorf("matching demand: %w", err)
	}
	open, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SkillsDemand, error) { return scanDemand(r) })
	if err != nil {
		return fmt.Errorf("matching demand: %w", err)
	}
	for _, d := range open {
		if free <= 0 {
			break
		}
		if !d.matchesRun(c) {
			continue
		}
		seats := min(d.Employees, free)
		if _, err := tx.Exec(ctx, `UPDATE course_runs SET seats_taken = seats_taken + $2 WHERE id = $1`, c.ID, seats); err != nil {
			return fmt.Errorf("hold offered seats: %w", err)
		}
		free -= seats
		offer := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO demand_offers (id, demand_id, course_id, cvr, seats, seats_held, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`, offer, d.ID, c.ID, d.CVR, seats, expires, s.now()); err != nil {
			return fmt.Errorf("make offer from demand: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE demands SET status = 'offered', updated_at = $2 WHERE id = $1`, d.ID, s.now()); err != nil {
			return fmt.Errorf("demand offered: %w", err)
		}
		if _, err := s.publish(ctx, tx, events.TypeDemandOffered, events.SubjectDemandOffered, d.ID.String(), events.DemandOffered{
			OfferID: offer.String(), DemandID: d.ID.String(), CVR: d.CVR, CompanyName: d.CompanyName, Course: c.Facts(),
			Location: c.Location, Employees: d.Employees, Seats: seats, ExpiresAt: expires.UTC(),
		}); err != nil {
			return fmt.Errorf("announce offer from demand: %w", err)
		}
	}
	return nil
}

// DemandMatch is the open demand a run matches: employees and companies.
type DemandMatch struct {
	Employees int `json:"employees"`
	Companies int `json:"companies"`
}

// MatchingDemand is, for each run given, the open demand it matches (runs matching none are left out).
func (s *Store) MatchingDemand(ctx context.Context, runs []Course) (map[uuid.UUID]DemandMatch, error) {
	out := map[uuid.UUID]DemandMatch{}
	if len(runs) == 0 {
		return out, nil
	}
	keys := make([]string, 0, len(runs))
	for _, c := range runs {
		keys = append(keys, CodeKey(c.Code))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+demandColumns+` FROM demands d WHERE d.status = 'open' AND d.code_key = ANY($1)`, keys)
	if err != nil {
		return nil, translate("matching demand", err)
	}
	open, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SkillsDemand, error) { return scanDemand(r) })
	if err != nil {
		return nil, translate("matching demand", err)
	}
	// A demand offered a run before (declined, expired) is not counted for it again.
	ids := make([]uuid.UUID, 0, len(runs))
	for _, c := range runs {
		ids = append(ids, c.ID)
	}
	rows, err = s.pool.Query(ctx, `SELECT demand_id, course_id FROM demand_offers WHERE course_id = ANY($1)`, ids)
	if err != nil {
		return nil, translate("matching demand", err)
	}
	type pair struct{ demand, course uuid.UUID }
	offered, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		return p, r.Scan(&p.demand, &p.course)
	})
	if err != nil {
		return nil, translate("matching demand", err)
	}
	for _, c := range runs {
		companies := map[string]bool{}
		m := DemandMatch{}
		for _, d := range open {
			if d.matchesRun(c) && !slices.Contains(offered, pair{d.ID, c.ID}) {
				m.Employees += d.Employees
				companies[d.CVR] = true
			}
		}
		if m.Companies = len(companies); m.Companies > 0 {
			out[c.ID] = m
		}
	}
	return out, nil
}

// DemandFilter narrows the demand added up: a course code, a category, and demand whose window
// overlaps From to To.
type DemandFilter struct {
	CourseCode string
	Category   string
	From, To   *time.Time
}

// DemandTotal is the open demand of every company for one course code (or skill, or category when
// there is neither), start month and town.
type DemandTotal struct {
	CourseCode   string
	Category     string
	Skill        string
	PeriodFrom   time.Time
	PeriodTo     time.Time
	Place        string
	Employees    int
	Companies    int
	CompanyNames []string // only those that agreed to be contacted
}

// DemandTotals adds up the demand that is still wanted (open or offered) across companies.
func (s *Store) DemandTotals(ctx context.Context, f DemandFilter) ([]DemandTotal, error) {
	where := []string{"d.status IN ('open', 'offered')"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.CourseCode != "" {
		where = append(where, "d.code_key = "+arg(CodeKey(f.CourseCode)))
	}
	if f.Category != "" {
		where = append(where, "d.category = "+arg(f.Category))
	}
	if f.From != nil {
		where = append(where, "d.latest >= "+arg(*f.From))
	}
	if f.To != nil {
		where = append(where, "d.earliest <= "+arg(*f.To))
	}
	rows, err := s.pool.Query(ctx, `SELECT min(d.course_code), coalesce(max(nullif(d.category, '')), ''),
			CASE WHEN d.code_key = '' THEN min(d.skill) ELSE '' END, date_trunc('month', d.earliest)::date, d.town,
			sum(d.employees), count(DISTINCT d.cvr),
			coalesce(array_agg(DISTINCT CASE WHEN d.company_name <> '' THEN d.company_name ELSE 'CVR ' || d.cvr END)
				FILTER (WHERE d.contact_ok), '{}')
		FROM demands d WHERE `+strings.Join(where, " AND ")+`
		GROUP BY d.code_key, CASE WHEN d.code_key = '' THEN lower(d.skill) END,
			CASE WHEN d.code_key = '' AND d.skill = '' THEN d.category END, date_trunc('month', d.earliest), d.town
		ORDER BY 4, 1, 3, 2, 5`, args...)
	if err != nil {
		return nil, translate("demand totals", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DemandTotal, error) {
		var t DemandTotal
		err := r.Scan(&t.CourseCode, &t.Category, &t.Skill, &t.PeriodFrom, &t.Place, &t.Employees, &t.Companies, &t.CompanyNames)
		t.PeriodTo = t.PeriodFrom.AddDate(0, 1, -1)
		sort.Strings(t.CompanyNames)
		return t, err
	})
	return list, translate("demand totals", err)
}

// WaitingList is the waiting-list demand for one course code across the runs of an institution
// (an administrator: of every institution), as the institution's demand view counts it.
type WaitingList struct {
	CourseCode string `json:"course_code"`
	Title      string `json:"title"`
	Category   string `json:"category"`
	Runs       int    `json:"runs"`
	Waitlisted int    `json:"waitlisted"`
}

// WaitingLists adds up InstitutionDemand's waiting lists per course code, for the institution (nil:
// every institution), narrowed like DemandTotals (the runs' start dates within From to To).
func (s *Store) WaitingLists(ctx context.Context, institution *uuid.UUID, f DemandFilter) ([]WaitingList, error) {
	var institutions []uuid.UUID
	if institution != nil {
		institutions = []uuid.UUID{*institution}
	} else {
		rows, err := s.pool.Query(ctx, `SELECT id FROM institutions ORDER BY id`)
		if err != nil {
			return nil, translate("waiting lists", err)
		}
		if institutions, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return nil, translate("waiting lists", err)
		}
	}
	byCode := map[string]*WaitingList{}
	var order []string
	for _, inst := range institutions {
		runs, err := s.InstitutionDemand(ctx, inst)
		if err != nil {
			return nil, err
		}
		for _, d := range runs {
			c := d.Course
			if (f.CourseCode != "" && CodeKey(c.Code) != CodeKey(f.CourseCode)) || (f.Category != "" && c.Category != f.Category) ||
				(f.From != nil && c.StartsOn.Before(*f.From)) || (f.To != nil && c.StartsOn.After(*f.To)) {
				continue
			}
			key := CodeKey(c.Code)
			w, ok := byCode[key]
			if !ok {
				w = &WaitingList{CourseCode: c.Code, Title: c.Title, Category: c.Category}
				byCode[key] = w
				order = append(order, key)
			}
			w.Runs++
			w.Waitlisted += d.Waitlisted
		}
	}
	sort.Strings(order)
	out := make([]WaitingList, 0, len(order))
	for _, k := range order {
		out = append(out, *byCode[k])
	}
	return out, nil
}
