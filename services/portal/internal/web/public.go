package web

import (
	"errors"
	"net/http"
	"net/url"

	"livslang.dk/pkg/auth"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
)

// Categories of course runs, in the order the search offers them.
var categories = []string{"amu", "eud_enkeltfag", "fvu", "obu", "avu", "hf_enkeltfag", "gymnasial_supplering", "akademi",
	"diplom", "master", "danskuddannelse", "aftenskole"}

// Schemes of funding.
var schemes = []string{"self", "svu", "veu", "jobrettet_uddannelse", "regional_pulje", "omstillingsfonden", "kompetencefond",
	"employer", "municipality"}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	return s.render(w, r, http.StatusOK, "home", Page{Title: l.T("home.title"), Nav: "home",
		Data: map[string]any{"Categories": categories, "SignedOut": r.URL.Query().Get("signed_out") != ""}})
}

// CourseView is a run as pages show it: title and description in the user's language.
type CourseView struct {
	api.Course
	DisplayTitle, DisplayDescription string
	// Eligible are the schemes other than paying yourself the signed-in citizen is eligible for
	// (search with "funded for me" and next steps only).
	Eligible []string
}

func view(l i18n.Lang, c api.Course) CourseView {
	v := CourseView{Course: c, DisplayTitle: c.Title, DisplayDescription: c.Description}
	if l == i18n.EN {
		if c.TitleEN != "" {
			v.DisplayTitle = c.TitleEN
		}
		if c.DescriptionEN != "" {
			v.DisplayDescription = c.DescriptionEN
		}
	}
	return v
}

// searchParams are the search's filters, in the order links keep them.
// searchPageSize is how many runs a page of the search shows.
const searchPageSize = 20

var searchParams = []string{"q", "category", "place", "starts_after", "funded"}

func (s *Server) courses(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	q := r.URL.Query()
	u := s.user(r)
	citizen := u != nil && u.Role == auth.RoleCitizen
	funded := citizen && q.Get("funded") == "1"
	query := api.CourseQuery{Q: q.Get("q"), Category: q.Get("category"), Place: q.Get("place"), StartsAfter: q.Get("starts_after"),
		After: q.Get("after"), Limit: searchPageSize}
	form := &Form{Values: url.Values{"q": {query.Q}, "category": {query.Category}, "place": {query.Place}, "starts_after": {query.StartsAfter}}}
	if funded {
		form.Set("funded", "1")
	}
	token := ""
	if funded {
		query.FundedForMe, token = true, u.Token
	}
	page, err := s.API.Courses(r.Context(), token, query)
	if api.StatusOf(err) == http.StatusBadRequest {
		form.addAPIErrors(l, err, map[string]string{"q": "search.q", "category": "search.category", "place": "search.place",
			"starts_after": "search.starts_after", "after": "search.q"})
		err = nil
	}
	data := map[string]any{"Categories": categories, "Query": query, "Citizen": citizen, "Funded": funded}
	switch {
	case funded && api.StatusOf(err) == http.StatusUnprocessableEntity:
		data["NoProfile"], err = true, nil
	case funded && api.StatusOf(err) == http.StatusServiceUnavailable:
		data["FundingPending"], err = true, nil
	}
	if err != nil {
		return err
	}
	items := make([]CourseView, 0, len(page.Items))
	for _, c := range page.Items {
		v := view(l, c)
		v.Eligible = c.FundedBy
		items = append(items, v)
	}
	data["Items"] = items
	link := func(after string) string {
		v := url.Values{}
		for _, k := range searchParams {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		if after != "" {
			v.Set("after", after)
		}
		return "/courses?" + v.Encode()
	}
	if page.Next != "" {
		data["Next"] = link(page.Next)
	}
	if query.After != "" {
		data["First"] = link("")
	}
	return s.render(w, r, http.StatusOK, "courses", Page{Title: l.T("courses.title"), Nav: "courses", Form: form, Data: data})
}

// SchemeView is one scheme's answer in the eligibility pre-check.
type SchemeView struct {
	api.SchemeAnswer
	Rules []RuleView
}

// RuleView is a rule with its explanation in the user's language.
type RuleView struct {
	api.Rule
	Text string
}

func rulesView(l i18n.Lang, rs []api.Rule) []RuleView {
	out := make([]RuleView, 0, len(rs))
	for _, r := range rs {
		text := r.Explanation
		if l == i18n.DA && r.ExplanationDA != "" {
			text = r.ExplanationDA
		}
		out = append(out, RuleView{Rule: r, Text: text})
	}
	return out
}

func (s *Server) course(w http.ResponseWriter, r *http.Request) error {
	return s.renderCourse(w, r, r.PathValue("id"), nil, http.StatusOK)
}

// renderCourse shows a run; a citizen also sees the eligibility pre-check and the enrol form.
func (s *Server) renderCourse(w http.ResponseWriter, r *http.Request, id string, form *Form, status int) error {
	l := stateOf(r).lang
	c, err := s.API.Course(r.Context(), id)
	if err != nil {
		if api.StatusOf(err) == http.StatusNotFound {
			return errNotFound
		}
		return err
	}
	data := map[string]any{"Course": view(l, c)}
	u := s.user(r)
	open := c.Status != "cancelled" && c.StartsOn > i18n.Today(s.Now())
	data["Open"] = open
	data["Ballot"] = s.hasBallot(r, c)
	if u != nil && u.Role == auth.RoleCaseworker {
		data["Referable"] = open && referable(c.Schemes)
	}
	if u != nil && u.Role == auth.RoleCitizen {
		el, err := s.API.Eligibility(r.Context(), u.Token, c.ID, "")
		preferred := ""
		switch {
		case err == nil:
			var views []SchemeView
			for _, a := range el.Schemes {
				views = append(views, SchemeView{SchemeAnswer: a, Rules: rulesView(l, a.Rules)})
				if preferred == "" && a.Outcome == "eligible" && a.Scheme != "self" {
					preferred = a.Scheme
				}
			}
			data["Eligibility"] = views
		case api.StatusOf(err) == http.StatusUnprocessableEntity:
			data["NoProfile"] = true
		case errors.Is(err, api.ErrUnavailable) || api.StatusOf(err) >= 500 || api.StatusOf(err) == http.StatusNotFound:
			data["EligibilityUnavailable"] = true
		default:
			return err
		}
		if form == nil {
			form = &Form{}
			if preferred == "" {
				preferred = "self"
			}
			form.Set("funding_preference", preferred)
		}
		// A new key for every rendering: submitting this form twice enrols once.
		form.Key = oidc.Random(18)
	}
	// What follows the course; the page stands without it when registration cannot say.
	if steps, err := s.API.CourseNextSteps(r.Context(), c.ID); err == nil {
		data["Next"], _ = s.nextSteps(r, steps)
	}
	return s.render(w, r, status, "course", Page{Title: view(l, c).DisplayTitle, Nav: "courses", Form: form, Data: data})
}

func (s *Server) accessibility(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	return s.render(w, r, http.StatusOK, "accessibility", Page{Title: l.T("a11y.title"), Nav: "accessibility",
		Data: map[string]any{"Updated": "2026-11-29"}})
}

// hasBallot reports whether the run's ballot has been drawn (and so can be shown).
func (s *Server) hasBallot(r *http.Request, c api.Course) bool {
	if c.BallotMinutes <= 0 {
		return false
	}
	_, err := s.API.Ballot(r.Context(), c.ID)
	return err == nil
}

// ballot shows a run's drawn ballot: the published seed and the order it gave, so anyone can check it.
func (s *Server) ballot(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	c, err := s.API.Course(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.API.Ballot(r.Context(), c.ID)
	if err != nil {
		return err
	}
	var window string
	if c.OpensAt != nil {
		window = *c.OpensAt
	}
	// Who is who, for those who may know: the institution's own participants, the citizen themself.
	names := map[string]string{}
	if u := s.user(r); u != nil {
		switch {
		case u.Role == auth.RoleInstitution && u.InstitutionID == c.Institution.ID:
			if rows, err := s.API.InstitutionEnrolments(r.Context(), u.Token, u.InstitutionID); err == nil {
				for _, row := range rows {
					if row.CourseID == c.ID {
						names[row.ID] = row.Name
					}
				}
			}
		case u.Role == auth.RoleCitizen:
			if list, err := s.API.MyEnrolments(r.Context(), u.Token); err == nil {
				for _, e := range list {
					if e.CourseID == c.ID {
						names[e.ID] = l.T("ballot.you")
					}
				}
			}
		}
	}
	return s.render(w, r, http.StatusOK, "ballot", Page{Title: l.T("ballot.title"), Nav: "courses",
		Data: map[string]any{"Course": view(l, c), "Ballot": b, "OpensAt": window, "Names": names}})
}
