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

func (s *Server) courses(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	q := r.URL.Query()
	query := api.CourseQuery{Q: q.Get("q"), Category: q.Get("category"), StartsAfter: q.Get("starts_after"), After: q.Get("after"), Limit: 20}
	form := &Form{Values: url.Values{"q": {query.Q}, "category": {query.Category}, "starts_after": {query.StartsAfter}}}
	page, err := s.API.Courses(r.Context(), "", query)
	if api.StatusOf(err) == http.StatusBadRequest {
		form.addAPIErrors(l, err, map[string]string{"q": "search.q", "category": "search.category", "starts_after": "search.starts_after", "after": "search.q"})
		err = nil
	}
	if err != nil {
		return err
	}
	items := make([]CourseView, 0, len(page.Items))
	for _, c := range page.Items {
		items = append(items, view(l, c))
	}
	next := ""
	if page.Next != "" {
		v := url.Values{}
		for _, k := range []string{"q", "category", "starts_after"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("after", page.Next)
		next = "/courses?" + v.Encode()
	}
	first := ""
	if query.After != "" {
		v := url.Values{}
		for _, k := range []string{"q", "category", "starts_after"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		first = "/courses?" + v.Encode()
	}
	return s.render(w, r, http.StatusOK, "courses", Page{Title: l.T("courses.title"), Nav: "courses", Form: form,
		Data: map[string]any{"Items": items, "Next": next, "First": first, "Categories": categories, "Query": query}})
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
	return s.render(w, r, status, "course", Page{Title: view(l, c).DisplayTitle, Nav: "courses", Form: form, Data: data})
}

func (s *Server) accessibility(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	return s.render(w, r, http.StatusOK, "accessibility", Page{Title: l.T("a11y.title"), Nav: "accessibility",
		Data: map[string]any{"Updated": "2026-11-29"}})
}
