package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/store"
)

// Skills demand: a company's users say what its staff need and answer the offers runs make from it
// (/v1/employers/{cvr}/demands, /offers); institutions and administrators see the demand added up
// across companies (/v1/demand). See store/demand.go for how runs offer seats.

// demandRequest is a company's demand as it posts it.
type demandRequest struct {
	CourseCode string `json:"course_code"`
	Category   string `json:"category"`
	Skill      string `json:"skill"`
	Employees  int    `json:"employees"`
	Earliest   string `json:"earliest"`
	Latest     string `json:"latest"`
	Place      string `json:"place"`
	ContactOK  *bool  `json:"contact_ok"`
}

// demand validates the request into the company's demand; today is the first day it may start.
func (req demandRequest) demand(number string, today time.Time) (store.SkillsDemand, error) {
	v := &httpapi.ValidationError{}
	d := store.SkillsDemand{CVR: number, CourseCode: strings.TrimSpace(req.CourseCode), Category: req.Category,
		Skill: strings.TrimSpace(req.Skill), Employees: req.Employees, Place: strings.TrimSpace(req.Place)}
	if d.CourseCode == "" && d.Category == "" && d.Skill == "" {
		v.Add("course_code", "name the course code, a category or a skill (at least one)")
	}
	if len(d.CourseCode) > 40 {
		v.Add("course_code", "at most 40 characters (an AMU number like AMU 47583, or a kviknummer)")
	}
	if d.Category != "" && !categories[d.Category] {
		v.Add("category", "must be one of amu, eud_enkeltfag, fvu, obu, avu, hf_enkeltfag, gymnasial_supplering, akademi, diplom, master, danskuddannelse, aftenskole")
	}
	if utf8.RuneCountInString(d.Skill) > 200 {
		v.Add("skill", "at most 200 characters")
	}
	if d.Employees < 1 || d.Employees > 500 {
		v.Add("employees", "must be from 1 to 500")
	}
	var err error
	if d.Earliest, err = time.Parse(time.DateOnly, req.Earliest); err != nil {
		v.Add("earliest", "must be a date YYYY-MM-DD")
	} else if d.Earliest.Before(today) {
		v.Add("earliest", "cannot be in the past (today is %s)", date(today))
	}
	if d.Latest, err = time.Parse(time.DateOnly, req.Latest); err != nil {
		v.Add("latest", "must be a date YYYY-MM-DD")
	} else if !d.Earliest.IsZero() && d.Latest.Before(d.Earliest) {
		v.Add("latest", "cannot be before earliest")
	} else if d.Latest.After(today.AddDate(3, 0, 0)) {
		v.Add("latest", "at most three years ahead")
	}
	if utf8.RuneCountInString(d.Place) > 100 {
		v.Add("place", "at most 100 characters")
	}
	if req.ContactOK == nil {
		v.Add("contact_ok", "is required: true lets institutions see the company's name with the demand")
	} else {
		d.ContactOK = *req.ContactOK
	}
	return d, v.Err()
}

type demandJSON struct {
	ID          string `json:"id"`
	CVR         string `json:"cvr"`
	CompanyName string `json:"company_name"`
	CourseCode  string `json:"course_code,omitempty"`
	Category    string `json:"category,omitempty"`
	Skill       string `json:"skill,omitempty"`
	Employees   int    `json:"employees"`
	Earliest    string `json:"earliest"`
	Latest      string `json:"latest"`
	Place       string `json:"place,omitempty"`
	ContactOK   bool   `json:"contact_ok"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func toDemandJSON(d store.SkillsDemand) demandJSON {
	return demandJSON{ID: d.ID.String(), CVR: d.CVR, CompanyName: d.CompanyName, CourseCode: d.CourseCode, Category: d.Category,
		Skill: d.Skill, Employees: d.Employees, Earliest: date(d.Earliest), Latest: date(d.Latest), Place: d.Place,
		ContactOK: d.ContactOK, Status: d.Status, CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339),
		UpdatedAt: d.UpdatedAt.UTC().Format(time.RFC3339)}
}

// createDemand records a company's demand (201 with Location; the same Idempotency-Key and body
// again answers the same).
func (a *API) createDemand(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	key, err := idempotency.Key(r)
	if err != nil {
		return err
	}
	var req demandRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	d, err := req.demand(number, a.Store.Today())
	if err != nil {
		return err
	}
	claims := auth.Caller(r)
	d.CompanyName = strings.TrimSpace(claims.Name)
	canonical, _ := json.Marshal(req)
	created, err := a.Store.CreateDemand(r.Context(), store.NewDemand{Demand: d, Principal: "employer:" + number + ":" + claims.Subject,
		Key: key, RequestHash: idempotency.Hash(r, canonical)})
	if err != nil {
		return err
	}
	location := "/v1/employers/" + number + "/demands/"
	if created.Stored != nil {
		return writeStored(w, *created.Stored, location)
	}
	w.Header().Set("Location", location+created.Value.ID.String())
	return httpapi.WriteJSON(w, http.StatusCreated, toDemandJSON(created.Value))
}

func (a *API) listDemands(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	demands, err := a.Store.CompanyDemands(r.Context(), number)
	if err != nil {
		return err
	}
	out := list[demandJSON]{Items: make([]demandJSON, 0, len(demands))}
	for _, d := range demands {
		out.Items = append(out.Items, toDemandJSON(d))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// companyDemandID is the company and the demand or offer {id} the path names.
func companyDemandID(r *http.Request) (string, uuid.UUID, error) {
	number, err := auth.Company(r)
	if err != nil {
		return "", uuid.Nil, err
	}
	id, err := pathID(r)
	return number, id, err
}

func (a *API) getDemand(w http.ResponseWriter, r *http.Request) error {
	number, id, err := companyDemandID(r)
	if err != nil {
		return err
	}
	d, err := a.Store.CompanyDemand(r.Context(), number, id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toDemandJSON(d))
}

// withdrawDemand withdraws the demand (204): an open offer from it ends and its seats go back to the run.
func (a *API) withdrawDemand(w http.ResponseWriter, r *http.Request) error {
	number, id, err := companyDemandID(r)
	if err != nil {
		return err
	}
	if err := a.Store.WithdrawDemand(r.Context(), number, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type offerCourseJSON struct {
	ID          string          `json:"id"`
	Code        string          `json:"code"`
	Title       string          `json:"title"`
	TitleEN     string          `json:"title_en"`
	Institution institutionJSON `json:"institution"`
	StartsOn    string          `json:"starts_on"`
	EndsOn      string          `json:"ends_on"`
	Location    string          `json:"location"`
	FeeDKK      int64           `json:"fee_dkk"`
}

type offerJSON struct {
	ID         string          `json:"id"`
	DemandID   string          `json:"demand_id"`
	Course     offerCourseJSON `json:"course"`
	Seats      int             `json:"seats"`
	SeatsHeld  int             `json:"seats_held"`
	Status     string          `json:"status"`
	ExpiresAt  string          `json:"expires_at"`
	CreatedAt  string          `json:"created_at"`
	AnsweredAt *string         `json:"answered_at"`
}

func toOfferJSON(o store.DemandOffer) offerJSON {
	c := o.Course
	out := offerJSON{ID: o.ID.String(), DemandID: o.DemandID.String(), Seats: o.Seats, SeatsHeld: o.SeatsHeld, Status: o.Status,
		ExpiresAt: o.ExpiresAt.UTC().Format(time.RFC3339), CreatedAt: o.CreatedAt.UTC().Format(time.RFC3339),
		Course: offerCourseJSON{ID: c.ID.String(), Code: c.Code, Title: c.Title, TitleEN: c.TitleEN,
			Institution: institutionJSON{ID: c.InstitutionID.String(), Name: c.InstitutionName},
			StartsOn:    date(c.StartsOn), EndsOn: date(c.EndsOn), Location: c.Location, FeeDKK: c.FeeDKK}}
	if o.AnsweredAt != nil {
		s := o.AnsweredAt.UTC().Format(time.RFC3339)
		out.AnsweredAt = &s
	}
	return out
}

func (a *API) listOffers(w http.ResponseWriter, r *http.Request) error {
	number, err := auth.Company(r)
	if err != nil {
		return err
	}
	offers, err := a.Store.CompanyOffers(r.Context(), number)
	if err != nil {
		return err
	}
	out := list[offerJSON]{Items: make([]offerJSON, 0, len(offers))}
	for _, o := range offers {
		out.Items = append(out.Items, toOfferJSON(o))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// answerDemandOffer accepts (the seats stay held for the company's staff; the demand is met) or declines
// (the seats go back to the run) an open offer.
func (a *API) answerDemandOffer(accept bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		number, id, err := companyDemandID(r)
		if err != nil {
			return err
		}
		o, err := a.Store.AnswerDemandOffer(r.Context(), number, id, accept)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, toOfferJSON(o))
	}
}

type periodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type demandTotalJSON struct {
	CourseCode   string     `json:"course_code"`
	Category     string     `json:"category"`
	Skill        string     `json:"skill"`
	Period       periodJSON `json:"period"`
	Place        string     `json:"place"`
	Employees    int        `json:"employees"`
	Companies    int        `json:"companies"`
	CompanyNames []string   `json:"company_names"`
}

// demandTotals is the demand of every company added up per course code (or skill), start month and
// place, with the waiting lists of the caller's runs (an administrator: every institution's).
func (a *API) demandTotals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.DemandFilter{CourseCode: strings.TrimSpace(q.Get("course_code")), Category: q.Get("category")}
	v := &httpapi.ValidationError{}
	if len(f.CourseCode) > 40 {
		v.Add("course_code", "at most 40 characters")
	}
	if f.Category != "" && !categories[f.Category] {
		v.Add("category", "unknown category %q", f.Category)
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(p.name); s != "" {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				v.Add(p.name, "must be a date YYYY-MM-DD")
				continue
			}
			*p.dst = &d
		}
	}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		v.Add("to", "cannot be before from")
	}
	if err := v.Err(); err != nil {
		return err
	}
	totals, err := a.Store.DemandTotals(r.Context(), f)
	if err != nil {
		return err
	}
	var institution *uuid.UUID
	if c := auth.Caller(r); c.Role == auth.RoleInstitution {
		id, err := uuid.Parse(c.InstitutionID)
		if err != nil {
			return fmt.Errorf("%w: the token names no institution", pgdb.ErrNotFound)
		}
		institution = &id
	}
	waiting, err := a.Store.WaitingLists(r.Context(), institution, f)
	if err != nil {
		return err
	}
	items := make([]demandTotalJSON, 0, len(totals))
	for _, t := range totals {
		names := t.CompanyNames
		if names == nil {
			names = []string{}
		}
		items = append(items, demandTotalJSON{CourseCode: t.CourseCode, Category: t.Category, Skill: t.Skill,
			Period: periodJSON{From: date(t.PeriodFrom), To: date(t.PeriodTo)}, Place: t.Place, Employees: t.Employees,
			Companies: t.Companies, CompanyNames: names})
	}
	if waiting == nil {
		waiting = []store.WaitingList{}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "waiting_lists": waiting})
}

// belowMinimumDemand is, for the runs below their minimum number of participants (seats taken <
// min_participants), the open demand of companies each matches, so the institution can fill it.
func (a *API) belowMinimumDemand(ctx context.Context, runs []store.Demand) (map[uuid.UUID]*store.DemandMatch, error) {
	var below []store.Course
	for _, d := range runs {
		if d.Course.SeatsTaken < d.Course.MinParticipants {
			below = append(below, d.Course)
		}
	}
	found, err := a.Store.MatchingDemand(ctx, below)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*store.DemandMatch, len(found))
	for id, m := range found {
		out[id] = &m
	}
	return out, nil
}
