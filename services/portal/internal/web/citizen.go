package web

import (
	"net/http"
	"slices"
	"strconv"

	"livslang.dk/pkg/cvr"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
)

// Profile choices, in the API's wire values.
var (
	educationLevels    = []string{"grundskole", "gymnasial", "erhvervsuddannelse", "kort_videregaaende", "mellemlang_videregaaende", "lang_videregaaende"}
	employmentStatuses = []string{"employed", "unemployed", "self_employed", "outside_labour_market"}
	benefitKinds       = []string{"none", "dagpenge", "kontanthjaelp", "other"}
)

// profileLabels are the profile form's fields and their label keys.
var profileLabels = map[string]string{
	"name": "profile.name", "email": "profile.email", "phone": "profile.phone", "language": "profile.language",
	"education_level": "profile.education_level", "education_completed_year": "profile.education_completed_year",
	"employment_status": "profile.employment_status", "employment_employer_cvr": "profile.employment_employer_cvr",
	"employment_since": "profile.employment_since", "employment_weekly_hours": "profile.employment_weekly_hours",
	"benefits": "profile.benefits",
}

func profileForm(p api.Profile, l i18n.Lang) *Form {
	f := &Form{}
	f.Set("name", p.Name)
	f.Set("email", p.Email)
	f.Set("phone", p.Phone)
	f.Set("language", p.Language)
	f.Set("education_level", p.Education.Level)
	if p.Education.CompletedYear != 0 {
		f.Set("education_completed_year", strconv.Itoa(p.Education.CompletedYear))
	}
	f.Set("employment_status", p.Employment.Status)
	f.Set("employment_employer_cvr", p.Employment.EmployerCVR)
	f.Set("employment_since", p.Employment.Since)
	if p.Employment.WeeklyHours != 0 {
		f.Set("employment_weekly_hours", l.Number(p.Employment.WeeklyHours))
	}
	f.Set("benefits", p.Benefits)
	if p.Version > 0 {
		f.Set("version", strconv.FormatInt(p.Version, 10))
	}
	return f
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	p, err := s.API.Profile(r.Context(), s.token(r))
	exists := err == nil
	if err != nil && api.StatusOf(err) != http.StatusNotFound {
		return err
	}
	if !exists {
		p = api.Profile{Language: string(l), Benefits: "none"}
	}
	return s.renderProfile(w, r, http.StatusOK, p, exists, profileForm(p, l))
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, p api.Profile, exists bool, f *Form) error {
	l := stateOf(r).lang
	return s.render(w, r, status, "profile", Page{Title: l.T("profile.title"), Nav: "profile", Form: f,
		Data: map[string]any{"Profile": p, "Exists": exists, "Education": educationLevels, "Employment": employmentStatuses, "Benefits": benefitKinds}})
}

func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	p := api.Profile{Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone"), Language: f.Get("language"),
		Education: api.Education{Level: f.Get("education_level"), CompletedYear: f.whole(l, "education_completed_year", profileLabels["education_completed_year"])},
		Employment: api.Employment{Status: f.Get("employment_status"), EmployerCVR: f.Get("employment_employer_cvr"), Since: f.Get("employment_since"),
			WeeklyHours: f.number(l, "employment_weekly_hours", profileLabels["employment_weekly_hours"])},
		Benefits: f.Get("benefits")}
	p.Version, _ = strconv.ParseInt(f.Get("version"), 10, 64) // the version the form was made from
	if n := f.Get("employment_employer_cvr"); n != "" && !cvr.Valid(n) {
		f.Add("employment_employer_cvr", l.T(profileLabels["employment_employer_cvr"]), l.T("err.employer_cvr_check"))
	}
	if !f.Failed() {
		saved, err := s.API.SaveProfile(r.Context(), s.token(r), p)
		if err == nil {
			if saved.Name != "" {
				s.updateSession(r, func(x *sessionT) { x.User.Name = saved.Name })
			}
			s.flash(r, "success", "flash.profile_saved")
			return redirect(w, r, "/me/profile")
		}
		switch {
		case api.StatusOf(err) == http.StatusConflict && p.Version > 0:
			// Saved elsewhere since the form was made: the form keeps what was typed, now on top
			// of the newer version, so saving again is a choice made knowing it.
			f.Add("", l.T("profile.title"), l.T("err.profile_changed"))
		case !f.addAPIErrors(l, err, profileLabels):
			return err
		}
	}
	current, err := s.API.Profile(r.Context(), s.token(r))
	exists := err == nil
	if exists && current.Version > 0 {
		f.Set("version", strconv.FormatInt(current.Version, 10))
	}
	return s.renderProfile(w, r, http.StatusBadRequest, current, exists, f)
}

// enrol asks for a seat with the chosen funding; the form's idempotency key makes a double submit
// enrol once.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	course, pref, key := f.Get("course_id"), f.Get("funding_preference"), f.Get("idempotency_key")
	if course == "" {
		return errNotFound
	}
	if pref == "" {
		f.Add("funding_preference", l.T("enrol.preference"), l.T("err.funding_preference"))
		return s.renderCourse(w, r, course, f, http.StatusBadRequest)
	}
	if key == "" {
		key = "portal-" + course // no key in the form: one enrolment per course and citizen is the API's rule anyway
	}
	e, err := s.API.Enrol(r.Context(), s.token(r), key, course, pref)
	switch api.StatusOf(err) {
	case 0:
		if e.Status == "waitlisted" {
			s.flash(r, "success", "flash.waitlisted", e.WaitlistPosition)
		} else {
			s.flash(r, "success", "flash.enrolled")
		}
		return redirect(w, r, "/me/enrolments#enrolment-"+e.ID)
	case http.StatusBadRequest:
		f.addAPIErrors(l, err, map[string]string{"funding_preference": "enrol.preference", "course_id": "enrol.course"})
	case http.StatusConflict:
		f.Add("", l.T("enrol.course"), l.T("err.already_enrolled"))
	case http.StatusUnprocessableEntity:
		f.Add("", l.T("enrol.course"), l.T("err.cannot_enrol"))
	default:
		return err
	}
	return s.renderCourse(w, r, course, f, http.StatusBadRequest)
}

// EnrolmentView is an enrolment on the timeline.
type EnrolmentView struct {
	api.Enrolment
	Course     CourseView
	Reasons    []string
	HasOutcome bool
	CanCancel  bool
	Next       string
	// Employer is what the enrolment waits for from the citizen's employer (outcome employer_required).
	Employer *EmployerWaitView
}

// EmployerWaitView is a pending enrolment's question to the citizen's employer, as the citizen sees it.
type EmployerWaitView struct {
	api.EmployerPart
	Asks []string // in the order the pages list them
}

var cancellable = []string{"pending", "waitlisted", "offered", "confirmed"}

func (s *Server) enrolmentView(r *http.Request, e api.Enrolment) EnrolmentView {
	l := stateOf(r).lang
	// An offer a referral holds is answered on the referral (declining it releases the seat and the money).
	v := EnrolmentView{Enrolment: e, CanCancel: slices.Contains(cancellable, e.Status) && !(e.Status == "offered" && e.ReferralID != "")}
	if e.Course != nil {
		v.Course = view(l, *e.Course)
	}
	v.HasOutcome = e.Funding.Outcome != "pending" && e.Funding.Outcome != "not_started" && e.Funding.Outcome != ""
	v.Reasons = e.Funding.Reasons
	if v.HasOutcome && e.Funding.Outcome != "approved" {
		// The reasons in the user's language come from the decision itself.
		if d, err := s.API.Decision(r.Context(), s.token(r), e.ID); err == nil {
			v.Reasons = nil
			for _, rule := range rulesView(l, d.Rules) {
				if rule.Outcome != "met" {
					v.Reasons = append(v.Reasons, rule.Text)
				}
			}
		}
	}
	switch {
	case e.Status == "offered" && e.ReferralID != "":
		v.Next = l.T("next.referral")
	case e.Status == "waitlisted":
		v.Next = l.T("next.waitlisted", e.WaitlistPosition)
	case e.Status == "pending" && e.Funding.Outcome == "review_required":
		v.Next = l.T("next.review")
	case e.Status == "pending" && e.Funding.Outcome == "employer_required":
		// The company's answer decides the funding; the citizen sees what it was asked and by when.
		part := api.EmployerPart{}
		if e.Funding.Employer != nil {
			part = *e.Funding.Employer
		}
		wait := &EmployerWaitView{EmployerPart: part}
		for _, a := range commitmentAsks {
			if slices.Contains(part.Asks, a) {
				wait.Asks = append(wait.Asks, a)
			}
		}
		v.Employer = wait
		company := part.Name
		if company == "" && part.CVR != "" {
			company = l.T("next.employer_cvr", part.CVR)
		}
		switch {
		case company != "" && part.DueOn != "":
			v.Next = l.T("next.employer", company, l.Date(part.DueOn))
		case company != "":
			v.Next = l.T("next.employer_undated", company)
		case part.DueOn != "":
			v.Next = l.T("next.employer_unnamed", l.Date(part.DueOn))
		default:
			v.Next = l.T("next.employer_unknown")
		}
	default:
		v.Next = l.T("next." + e.Status)
	}
	return v
}

func (s *Server) myEnrolments(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	list, err := s.API.MyEnrolments(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	views := make([]EnrolmentView, 0, len(list))
	for _, e := range list {
		views = append(views, s.enrolmentView(r, e))
	}
	slices.SortStableFunc(views, func(a, b EnrolmentView) int {
		switch {
		case a.RequestedAt > b.RequestedAt:
			return -1
		case a.RequestedAt < b.RequestedAt:
			return 1
		}
		return 0
	})
	return s.render(w, r, http.StatusOK, "enrolments", Page{Title: l.T("enrolments.title"), Nav: "enrolments", Data: views})
}

func (s *Server) cancelPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCancel(w, r, nil, http.StatusOK)
}

func (s *Server) renderCancel(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	e, err := s.API.Enrolment(r.Context(), s.token(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, status, "cancel", Page{Title: l.T("cancel.title"), Nav: "enrolments", Form: f, Data: s.enrolmentView(r, e)})
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	err := s.API.Cancel(r.Context(), s.token(r), r.PathValue("id"), f.Get("reason"))
	switch api.StatusOf(err) {
	case 0:
		s.flash(r, "success", "flash.cancelled")
		return redirect(w, r, "/me/enrolments#enrolment-"+r.PathValue("id"))
	case http.StatusBadRequest:
		f.addAPIErrors(l, err, map[string]string{"reason": "cancel.reason"})
	case http.StatusConflict:
		f.Add("", l.T("cancel.title"), l.T("err.cannot_cancel"))
	default:
		return err
	}
	return s.renderCancel(w, r, f, http.StatusBadRequest)
}

func (s *Server) decision(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	id := r.PathValue("id")
	d, err := s.API.Decision(r.Context(), s.token(r), id)
	if err != nil {
		return err
	}
	var course CourseView
	if c, err := s.API.Course(r.Context(), d.CourseID); err == nil {
		course = view(l, c)
	}
	return s.render(w, r, http.StatusOK, "decision", Page{Title: l.T("decision.title"), Nav: "enrolments",
		Data: map[string]any{"Decision": d, "Rules": rulesView(l, d.Rules), "Course": course}})
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	list, err := s.API.Notifications(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "notifications", Page{Title: l.T("notifications.title"), Nav: "notifications", Data: list})
}

// answerOffer accepts or declines a seat offered from the waiting list.
func (s *Server) answerOffer(w http.ResponseWriter, r *http.Request) error {
	id, answer := r.PathValue("id"), r.PathValue("answer")
	if answer != "accept" && answer != "decline" {
		return errNotFound
	}
	err := s.API.AnswerOffer(r.Context(), s.token(r), id, answer == "accept")
	switch api.StatusOf(err) {
	case 0:
		s.flash(r, "success", "flash.offer_"+answer)
	case http.StatusConflict, http.StatusUnprocessableEntity:
		s.flash(r, "error", "err.offer_gone")
	default:
		return err
	}
	return redirect(w, r, "/me/enrolments#enrolment-"+id)
}
