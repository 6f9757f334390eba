// Package api is registration's HTTP API: the public course catalogue, citizens' profiles and
// enrolments.
package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/registration/internal/feedwatch"
	"livslang.dk/services/registration/internal/store"
)

// API serves registration's endpoints.
type API struct {
	Store  *store.Store
	Pool   *pgxpool.Pool // for the shared audit log handler (GET /v1/me/audit)
	Log    *zap.Logger
	Limits Limits
	Feeds  *feedwatch.Watcher // wakes the feed's long polls
}

// Limits protect enrolment under a rush: at most InFlight requests at once and MaxWaiting waiting
// for them (up to a second; the rest get 429 with Retry-After at once), and token buckets per
// citizen and per client address.
type Limits struct {
	InFlight, MaxWaiting    int
	PerCitizen, PerAddress  float64 // requests per second
	CitizenBurst, AddrBurst int
}

// DefaultLimits suit one registration instance on a small machine.
var DefaultLimits = Limits{InFlight: 64, MaxWaiting: 64, PerCitizen: 2, CitizenBurst: 10, PerAddress: 500, AddrBurst: 1000}

func (a *API) limited(next http.Handler) http.Handler {
	l := a.Limits
	if l.InFlight == 0 {
		l = DefaultLimits
	}
	byCitizen := httpapi.NewLimiter(l.PerCitizen, l.CitizenBurst)
	byAddress := httpapi.NewLimiter(l.PerAddress, l.AddrBurst)
	citizen := func(r *http.Request) string {
		if c, ok := auth.FromContext(r.Context()); ok {
			return c.Subject
		}
		return "anonymous"
	}
	return httpapi.Shed(l.InFlight, cmp.Or(l.MaxWaiting, l.InFlight), time.Second, byAddress.Limit(httpapi.ClientAddress, byCitizen.Limit(citizen, next)))
}

// list is the envelope of every list response.
type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, httpapi.ErrNotFound
	}
	return id, nil
}

type courseJSON struct {
	ID                string          `json:"id"`
	Code              string          `json:"code"`
	Title             string          `json:"title"`
	TitleEN           string          `json:"title_en"`
	Category          string          `json:"category"`
	Institution       institutionJSON `json:"institution"`
	StartsOn          string          `json:"starts_on"`
	EndsOn            string          `json:"ends_on"`
	HoursPerWeek      float64         `json:"hours_per_week"`
	FeeDKK            int64           `json:"fee_dkk"`
	Schemes           []string        `json:"schemes"`
	SeatsTotal        int             `json:"seats_total"`
	SeatsAvailable    int             `json:"seats_available"`
	Location          string          `json:"location"`
	Description       string          `json:"description"`
	DescriptionEN     string          `json:"description_en"`
	Status            string          `json:"status"`
	CancelReason      string          `json:"cancel_reason,omitempty"`
	MinParticipants   int             `json:"min_participants"`
	EnrolmentDeadline *string         `json:"enrolment_deadline"`
	OfferHours        int             `json:"offer_hours"`
	PriorityGroups    []string        `json:"priority_groups"`
	OpensAt           *string         `json:"opens_at"`
	BallotMinutes     int             `json:"ballot_minutes"`
	ECTS              *float64        `json:"ects"`
	Skills            []string        `json:"skills"`
	CertificateMonths int             `json:"certificate_months"`
	Competences       []string        `json:"competences"`
	// FundedBy (funded_for_me=true only): the schemes other than paying yourself that fund the run for the caller.
	FundedBy []string `json:"funded_by,omitempty"`
	Version  int64    `json:"version"`
}

type institutionJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func toCourseJSON(c store.Course) courseJSON {
	out := courseJSON{
		ID: c.ID.String(), Code: c.Code, Title: c.Title, TitleEN: c.TitleEN, Category: c.Category,
		Institution: institutionJSON{ID: c.InstitutionID.String(), Name: c.InstitutionName},
		StartsOn:    c.StartsOn.Format(time.DateOnly), EndsOn: c.EndsOn.Format(time.DateOnly),
		HoursPerWeek: c.HoursPerWeek, FeeDKK: c.FeeDKK, Schemes: c.Schemes, SeatsTotal: c.SeatsTotal,
		SeatsAvailable: c.SeatsAvailable(), Location: c.Location, Description: c.Description, DescriptionEN: c.DescriptionEN,
		Status: c.Status, CancelReason: c.CancelReason, MinParticipants: c.MinParticipants, Version: c.Version,
		OfferHours: c.OfferHours, PriorityGroups: c.PriorityGroups, BallotMinutes: c.BallotMinutes,
		ECTS: c.ECTS, Skills: c.Skills, CertificateMonths: c.CertificateMonths, Competences: c.Competences,
	}
	if c.OpensAt != nil {
		s := c.OpensAt.UTC().Format(time.RFC3339)
		out.OpensAt = &s
	}
	if c.EnrolmentDeadline != nil {
		d := c.EnrolmentDeadline.Format(time.DateOnly)
		out.EnrolmentDeadline = &d
	}
	return out
}

var categories = map[string]bool{"amu": true, "eud_enkeltfag": true, "fvu": true, "obu": true, "avu": true,
	"hf_enkeltfag": true, "gymnasial_supplering": true, "akademi": true, "diplom": true, "master": true,
	"danskuddannelse": true, "aftenskole": true}

func (a *API) listCourses(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.CourseFilter{Query: q.Get("q"), Category: q.Get("category"), Place: q.Get("place"), Limit: 50, After: q.Get("after"),
		WithCancelled: q.Get("include_cancelled") == "true"}
	v := &httpapi.ValidationError{}
	if len(f.Query) > 200 {
		v.Add("q", "at most 200 characters")
	}
	if len(f.Place) > 100 {
		v.Add("place", "at most 100 characters")
	}
	if f.Category != "" && !categories[f.Category] {
		v.Add("category", "unknown category %q", f.Category)
	}
	if s := q.Get("institution_id"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			v.Add("institution_id", "must be a UUID")
		}
		f.InstitutionID = &id
	}
	if s := q.Get("starts_after"); s != "" {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			v.Add("starts_after", "must be a date YYYY-MM-DD")
		}
		f.StartsAfter = &d
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			v.Add("limit", "must be a whole number from 1 to 500")
		}
		f.Limit = n
	}
	funded := false
	switch q.Get("funded_for_me") {
	case "", "false":
	case "true":
		funded = true
	default:
		v.Add("funded_for_me", "must be true or false")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var schemes map[uuid.UUID][]string
	if funded {
		var err error
		if schemes, err = a.fundedForCaller(w, r); err != nil {
			return err
		}
		f.Funded = slices.AppendSeq(make([]uuid.UUID, 0, len(schemes)), maps.Keys(schemes))
		w.Header().Set("Cache-Control", "private, no-store") // the caller's own funding
	}
	page, err := a.Store.ListCourses(r.Context(), f)
	if err != nil {
		return err
	}
	out := list[courseJSON]{Items: make([]courseJSON, 0, len(page.Items)), Next: page.Next}
	for _, c := range page.Items {
		j := toCourseJSON(c)
		j.FundedBy = schemes[c.ID]
		out.Items = append(out.Items, j)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// fundedForCaller is what funding found the calling citizen can get funded, by run: a citizen's own
// question, so it needs their token and their profile.
func (a *API) fundedForCaller(w http.ResponseWriter, r *http.Request) (map[uuid.UUID][]string, error) {
	c := auth.Caller(r)
	switch {
	case c.Role == "":
		return nil, fmt.Errorf("%w: funded_for_me=true needs a citizen's bearer token", httpapi.ErrUnauthorized)
	case c.Role != auth.RoleCitizen:
		return nil, fmt.Errorf("%w: funded_for_me=true is a citizen's question about their own funding", httpapi.ErrForbidden)
	}
	schemes, err := a.Store.FundedSchemes(r.Context(), c.Subject)
	switch {
	case errors.Is(err, pgdb.ErrNotFound):
		return nil, fmt.Errorf("%w: funding needs your enrolment profile first (PUT /v1/me/profile)", httpapi.ErrUnprocessable)
	case errors.Is(err, store.ErrNotAnsweredYet):
		w.Header().Set("Retry-After", "2")
		return nil, fmt.Errorf("%w: funding is still checking what you can get funded; try again in a moment", httpapi.ErrUnavailable)
	}
	return schemes, err
}

func (a *API) getCourse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.Store.GetCourse(r.Context(), id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toCourseJSON(c))
}

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
