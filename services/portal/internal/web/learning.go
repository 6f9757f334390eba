package web

import (
	"net/http"
	"strconv"
	"strings"

	"livslang.dk/pkg/auth"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
)

// learningStatuses are the statuses of a course in the learning record.
var learningStatuses = []string{"in_progress", "completed", "withdrawn", "cancelled"}

// myLearning is "Min uddannelse": the courses the citizen took through Livslang and the education
// they added, newest first, with their certificates; printable as it is, and as a JSON file.
func (s *Server) myLearning(w http.ResponseWriter, r *http.Request) error {
	return s.renderLearning(w, r, nil, http.StatusOK)
}

func (s *Server) renderLearning(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	entries, err := s.API.LearningRecord(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	steps, err := s.API.NextSteps(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	next, noProfile := s.nextSteps(r, steps)
	if f == nil {
		f = &Form{}
	}
	f.Key = oidc.Random(18)
	return s.render(w, r, status, "learning", Page{Title: l.T("learning.title"), Nav: "learning", Form: f,
		Data: map[string]any{"Entries": entries, "Education": educationLevels, "Next": next, "NoProfile": noProfile}})
}

// addEducation adds an education the citizen reports themselves.
func (s *Server) addEducation(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	f.require(l, "level", "learning.level")
	f.require(l, "name", "learning.name")
	year, err := strconv.Atoi(strings.TrimSpace(f.Get("year")))
	if err != nil {
		f.Add("year", l.T("learning.year"), l.T("err.year"))
	}
	if f.Failed() {
		return s.renderLearning(w, r, f, http.StatusBadRequest)
	}
	key := f.Get("idempotency_key")
	if key == "" {
		key = oidc.Random(18)
	}
	err = s.API.AddEducation(r.Context(), s.token(r), key, api.NewEducation{Level: f.Get("level"), Name: f.Get("name"), Year: year,
		Institution: f.Get("institution")})
	if f.addAPIErrors(l, err, map[string]string{"level": "learning.level", "name": "learning.name", "year": "learning.year",
		"institution": "learning.institution"}) {
		return s.renderLearning(w, r, f, http.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	s.flash(r, "success", "flash.education_added")
	return redirect(w, r, "/me/learning")
}

// downloadLearning passes the citizen's learning record on as a JSON file.
func (s *Server) downloadLearning(w http.ResponseWriter, r *http.Request) error {
	body, err := s.API.LearningRecordFile(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	sendJSONFile(w, body, "livslang-learning-record.json")
	return nil
}

// shared is the page a certificate's share link opens (public): the course, the institution, the
// holder's name if they chose to show it, and whether the certificate holds, check by check.
func (s *Server) shared(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	sh, err := s.API.SharedCredential(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("X-Robots-Tag", "noindex")
	return s.render(w, r, http.StatusOK, "shared", Page{Title: l.T("shared.title"), Data: sh})
}

// NextStepView is a suggested run with why, in the page's language, and whether the citizen's
// funding covers it (Checked: funding answered; Eligible: the schemes other than paying yourself).
type NextStepView struct {
	CourseView
	Reasons []string
	Checked bool
}

// nextSteps shows suggestions; for a signed-in citizen each is checked against their funding by the
// same pre-check as the course page. NoProfile: funding has no profile for them yet.
func (s *Server) nextSteps(r *http.Request, steps []api.NextStep) (views []NextStepView, noProfile bool) {
	l := stateOf(r).lang
	var check fundedCheck
	if u := s.user(r); u != nil && u.Role == auth.RoleCitizen && len(steps) > 0 {
		runs := make([]api.Course, len(steps))
		for i, st := range steps {
			runs[i] = st.Course
		}
		check = s.fundedFor(r.Context(), u.Token, runs)
	}
	for _, st := range steps {
		v := NextStepView{CourseView: view(l, st.Course), Checked: check.Checked[st.Course.ID]}
		v.Eligible = check.Eligible[st.Course.ID]
		for _, reason := range st.Reasons {
			if l == i18n.EN {
				v.Reasons = append(v.Reasons, reason.Explanation.EN)
			} else {
				v.Reasons = append(v.Reasons, reason.Explanation.DA)
			}
		}
		views = append(views, v)
	}
	return views, check.NoProfile
}
