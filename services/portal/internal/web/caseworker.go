package web

import (
	"net/http"

	"livslang.dk/pkg/cpr"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
)

// ReviewView is an open review with its run.
type ReviewView struct {
	api.Decision
	Course CourseView
	Rules  []RuleView
}

func (s *Server) reviews(w http.ResponseWriter, r *http.Request) error {
	return s.renderReviews(w, r, nil, http.StatusOK)
}

func (s *Server) renderReviews(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	list, err := s.API.Reviews(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	courses := map[string]CourseView{}
	views := make([]ReviewView, 0, len(list))
	for _, d := range list {
		c, ok := courses[d.CourseID]
		if !ok {
			if got, err := s.API.Course(r.Context(), d.CourseID); err == nil {
				c = view(l, got)
			}
			courses[d.CourseID] = c
		}
		views = append(views, ReviewView{Decision: d, Course: c, Rules: rulesView(l, d.Rules)})
	}
	return s.render(w, r, status, "reviews", Page{Title: l.T("reviews.title"), Nav: "reviews", Form: f, Data: views})
}

func (s *Server) decideReview(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	id := r.PathValue("id")
	f := formFrom(r)
	f.Scope = id
	f.require(l, "outcome", "reviews.outcome")
	f.require(l, "reason", "reviews.reason")
	if !f.Failed() {
		err := s.API.DecideReview(r.Context(), s.token(r), id, f.Get("outcome"), f.Get("reason"))
		if err == nil {
			key := "flash.review_approved"
			if f.Get("outcome") == "rejected" {
				key = "flash.review_rejected"
			}
			s.flash(r, "success", key)
			return redirect(w, r, "/caseworker/reviews")
		}
		switch api.StatusOf(err) {
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, map[string]string{"outcome": "reviews.outcome", "reason": "reviews.reason"})
		case http.StatusConflict:
			f.Add("", l.T("reviews.title"), l.T("err.review_decided"))
		default:
			return err
		}
	}
	return s.renderReviews(w, r, f, http.StatusBadRequest)
}

func (s *Server) budgets(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	pools, err := s.API.Budgets(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "budgets", Page{Title: l.T("budgets.title"), Nav: "budgets", Data: pools})
}

// clientEligibility asks what a client would get on a run. The CPR number is posted, sent to funding
// in the request body and shown back only masked: it is never in a URL or a log line.
func (s *Server) clientEligibility(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	upcoming, err := s.API.Courses(r.Context(), "", api.CourseQuery{StartsAfter: i18n.Today(s.Now()), Limit: 500})
	if err != nil {
		return err
	}
	courses := make([]CourseView, 0, len(upcoming.Items))
	for _, c := range upcoming.Items {
		courses = append(courses, view(l, c))
	}
	data := map[string]any{"Courses": courses}
	f := &Form{}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		f = formFrom(r)
		f.require(l, "course_id", "eligibility.course")
		number, err := cpr.Parse(f.Get("cpr"))
		if err != nil {
			f.Add("cpr", l.T("eligibility.cpr"), l.T("err.cpr"))
		}
		if !f.Failed() {
			el, err := s.API.Eligibility(r.Context(), s.token(r), f.Get("course_id"), number.Digits())
			switch api.StatusOf(err) {
			case 0:
				var views []SchemeView
				for _, a := range el.Schemes {
					views = append(views, SchemeView{SchemeAnswer: a, Rules: rulesView(l, a.Rules)})
				}
				data["Result"] = views
				data["Masked"] = number.String()
				for _, c := range courses {
					if c.ID == f.Get("course_id") {
						data["Course"] = c
					}
				}
			case http.StatusUnprocessableEntity, http.StatusNotFound:
				f.Add("cpr", l.T("eligibility.cpr"), l.T("err.no_client"))
			case http.StatusBadRequest:
				f.addAPIErrors(l, err, map[string]string{"cpr": "eligibility.cpr", "course_id": "eligibility.course"})
			default:
				return err
			}
		}
		if f.Failed() {
			status = http.StatusBadRequest
		}
		f.Set("cpr", "") // never echoed back
	}
	return s.render(w, r, status, "eligibility", Page{Title: l.T("eligibility.title"), Nav: "eligibility", Form: f, Data: data})
}
