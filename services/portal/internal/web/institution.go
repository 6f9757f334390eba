package web

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
)

func (s *Server) institutionID(r *http.Request) string { return s.user(r).InstitutionID }

func (s *Server) runs(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	page, err := s.API.Courses(r.Context(), s.token(r), api.CourseQuery{InstitutionID: s.institutionID(r), IncludeCancelled: true, Limit: 500})
	if err != nil {
		return err
	}
	views := make([]CourseView, 0, len(page.Items))
	name := ""
	for _, c := range page.Items {
		views = append(views, view(l, c))
		name = c.Institution.Name
	}
	return s.render(w, r, http.StatusOK, "runs", Page{Title: l.T("runs.title"), Nav: "runs", Data: map[string]any{"Runs": views, "Institution": name}})
}

// runLabels are the run form's fields and their label keys.
var runLabels = map[string]string{
	"code": "run.code", "title": "run.title_da", "title_en": "run.title_en", "category": "run.category", "schemes": "run.schemes",
	"location": "run.location", "starts_on": "run.starts_on", "ends_on": "run.ends_on", "hours_per_week": "run.hours_per_week",
	"fee_dkk": "run.fee_dkk", "seats_total": "run.seats_total", "min_participants": "run.min_participants",
	"enrolment_deadline": "run.enrolment_deadline", "description": "run.description_da", "description_en": "run.description_en",
}

func (s *Server) newRun(w http.ResponseWriter, r *http.Request) error {
	f := &Form{}
	f.Values = map[string][]string{"schemes": {"self"}, "category": {"amu"}}
	return s.renderRunForm(w, r, f, http.StatusOK)
}

func (s *Server) renderRunForm(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	return s.render(w, r, status, "run_new", Page{Title: l.T("run.new_title"), Nav: "runs", Form: f,
		Data: map[string]any{"Categories": categories, "Schemes": schemes}})
}

func (s *Server) createRun(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	in := api.CourseInput{Code: f.Get("code"), Title: f.Get("title"), TitleEN: f.Get("title_en"), Category: f.Get("category"),
		Schemes: f.Values["schemes"], Location: f.Get("location"), StartsOn: f.Get("starts_on"), EndsOn: f.Get("ends_on"),
		HoursPerWeek: f.number(l, "hours_per_week", runLabels["hours_per_week"]), FeeDKK: int64(f.whole(l, "fee_dkk", runLabels["fee_dkk"])),
		SeatsTotal: f.whole(l, "seats_total", runLabels["seats_total"]), MinParticipants: f.whole(l, "min_participants", runLabels["min_participants"]),
		EnrolmentDeadline: f.Get("enrolment_deadline"), Description: f.Get("description"), DescriptionEN: f.Get("description_en")}
	if !f.Failed() {
		c, err := s.API.CreateCourse(r.Context(), s.token(r), s.institutionID(r), in)
		if err == nil {
			s.flash(r, "success", "flash.run_created")
			return redirect(w, r, "/institution/runs/"+c.ID)
		}
		if !f.addAPIErrors(l, err, runLabels) {
			return err
		}
	}
	return s.renderRunForm(w, r, f, http.StatusBadRequest)
}

func (s *Server) ownRun(r *http.Request) (api.Course, error) {
	c, err := s.API.Course(r.Context(), r.PathValue("id"))
	if err != nil {
		return c, err
	}
	if c.Institution.ID != s.institutionID(r) {
		return c, errNotFound
	}
	return c, nil
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) error {
	return s.renderRun(w, r, nil, http.StatusOK)
}

func (s *Server) renderRun(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	c, err := s.ownRun(r)
	if err != nil {
		return err
	}
	rows, err := s.API.InstitutionEnrolments(r.Context(), s.token(r), s.institutionID(r))
	if err != nil {
		return err
	}
	var mine []api.EnrolmentRow
	for _, row := range rows {
		if row.CourseID == c.ID {
			mine = append(mine, row)
		}
	}
	if f == nil {
		f = &Form{}
	}
	if f.Get("seats_total") == "" {
		f.Set("seats_total", fmt.Sprint(c.SeatsTotal))
	}
	return s.render(w, r, status, "run", Page{Title: view(l, c).DisplayTitle, Nav: "runs", Form: f,
		Data: map[string]any{"Course": view(l, c), "Enrolments": mine, "Taken": c.SeatsTotal - c.SeatsAvailable, "Ballot": s.hasBallot(r, c)}})
}

func (s *Server) setSeats(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	if _, err := s.ownRun(r); err != nil {
		return err
	}
	f := formFrom(r)
	f.Scope = "seats"
	f.require(l, "seats_total", "run.seats_total")
	n := f.whole(l, "seats_total", "run.seats_total")
	if !f.Failed() {
		err := s.API.SetSeats(r.Context(), s.token(r), r.PathValue("id"), n)
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.seats_changed", n)
			return redirect(w, r, "/institution/runs/"+r.PathValue("id"))
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, map[string]string{"seats_total": "run.seats_total"})
		case http.StatusConflict:
			f.Add("seats_total", l.T("run.seats_total"), l.T("err.seats_conflict"))
		default:
			return err
		}
	}
	return s.renderRun(w, r, f, http.StatusBadRequest)
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	if _, err := s.ownRun(r); err != nil {
		return err
	}
	f := formFrom(r)
	f.Scope = "cancel"
	f.require(l, "reason", "run.cancel_reason")
	if !f.Failed() {
		err := s.API.CancelCourse(r.Context(), s.token(r), r.PathValue("id"), f.Get("reason"))
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.run_cancelled")
			return redirect(w, r, "/institution/runs/"+r.PathValue("id"))
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, map[string]string{"reason": "run.cancel_reason"})
		case http.StatusConflict:
			f.Add("reason", l.T("run.cancel_reason"), l.T("err.run_conflict"))
		default:
			return err
		}
	}
	return s.renderRun(w, r, f, http.StatusBadRequest)
}

func (s *Server) institutionEnrolments(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	rows, err := s.API.InstitutionEnrolments(r.Context(), s.token(r), s.institutionID(r))
	if err != nil {
		return err
	}
	slices.SortStableFunc(rows, func(a, b api.EnrolmentRow) int { return strings.Compare(b.RequestedAt, a.RequestedAt) })
	return s.render(w, r, http.StatusOK, "inst_enrolments", Page{Title: l.T("inst_enrolments.title"), Nav: "inst_enrolments", Data: rows})
}

func (s *Server) institutionEnrolment(w http.ResponseWriter, r *http.Request) error {
	return s.renderInstitutionEnrolment(w, r, nil, http.StatusOK)
}

func (s *Server) renderInstitutionEnrolment(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	e, err := s.API.Enrolment(r.Context(), s.token(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	rows, err := s.API.InstitutionEnrolments(r.Context(), s.token(r), s.institutionID(r))
	if err != nil {
		return err
	}
	var who api.EnrolmentRow
	for _, row := range rows {
		if row.ID == e.ID {
			who = row
		}
	}
	var course CourseView
	if e.Course != nil {
		course = view(l, *e.Course)
	}
	if f == nil {
		f = &Form{}
	}
	if f.Get("date") == "" && e.Course != nil {
		f.Set("date", e.Course.StartsOn)
	}
	return s.render(w, r, status, "inst_enrolment", Page{Title: l.T("inst_enrolment.title"), Nav: "inst_enrolments", Form: f,
		Data: map[string]any{"Enrolment": e, "Course": course, "Who": who}})
}

// actOnEnrolment accepts, rejects, reports attendance or reports the outcome of an enrolment.
func (s *Server) actOnEnrolment(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	id, action := r.PathValue("id"), r.PathValue("action")
	f := formFrom(r)
	f.Scope = action
	labels := map[string]string{"reason": "inst_enrolment.reason", "date": "inst_enrolment.date", "hours": "inst_enrolment.hours",
		"outcome": "inst_enrolment.outcome", "attended_hours": "inst_enrolment.attended_hours"}
	var call func() error
	flash := "flash." + action
	switch action {
	case "accept":
		call = func() error { return s.API.Answer(r.Context(), s.token(r), id, true, f.Get("reason")) }
	case "reject":
		f.require(l, "reason", labels["reason"])
		call = func() error { return s.API.Answer(r.Context(), s.token(r), id, false, f.Get("reason")) }
	case "attendance":
		f.require(l, "date", labels["date"])
		f.require(l, "hours", labels["hours"])
		hours := f.number(l, "hours", labels["hours"])
		call = func() error { return s.API.Attendance(r.Context(), s.token(r), id, f.Get("date"), hours) }
	case "outcome":
		f.require(l, "outcome", labels["outcome"])
		var hours *float64
		if f.Get("attended_hours") != "" {
			h := f.number(l, "attended_hours", labels["attended_hours"])
			hours = &h
		}
		if f.Get("outcome") == "withdrawn" {
			f.require(l, "reason", labels["reason"])
		}
		call = func() error {
			return s.API.Outcome(r.Context(), s.token(r), id, f.Get("outcome"), f.Get("reason"), hours)
		}
	default:
		return errNotFound
	}
	if !f.Failed() {
		err := call()
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", flash)
			return redirect(w, r, "/institution/enrolments/"+id)
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, labels)
		case http.StatusConflict, http.StatusUnprocessableEntity:
			f.Add("", l.T("inst_enrolment.title"), l.T("err.enrolment_state"))
		default:
			return err
		}
	}
	return s.renderInstitutionEnrolment(w, r, f, http.StatusBadRequest)
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	return s.render(w, r, http.StatusOK, "import", Page{Title: l.T("import.title"), Nav: "import"})
}

// importRuns sends an uploaded (or pasted) CSV file to registration: all lines or none.
func (s *Server) importRuns(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := &Form{Values: map[string][]string{}, Errors: map[string]string{}}
	var body []byte
	if file, _, err := r.FormFile("file"); err == nil {
		body, _ = io.ReadAll(io.LimitReader(file, 4<<20))
		file.Close()
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte(r.PostFormValue("csv"))
		f.Set("csv", r.PostFormValue("csv"))
	}
	data := map[string]any{}
	if len(strings.TrimSpace(string(body))) == 0 {
		f.Add("file", l.T("import.file"), l.T("err.import_empty"))
	} else {
		res, err := s.API.ImportCourses(r.Context(), s.token(r), s.institutionID(r), body)
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.imported", res.Imported, res.Created, res.Updated)
			return redirect(w, r, "/institution")
		case http.StatusUnprocessableEntity, http.StatusBadRequest:
			var e *api.Error
			if as(err, &e) {
				data["Rejected"] = e.Rejected
				if len(e.Rejected) == 0 {
					for _, fe := range e.Errors {
						msg := fe.Message
						if l == i18n.DA {
							msg = l.T("err.generic", fe.Message)
						}
						f.Add("file", l.T("import.file"), msg)
					}
				}
			}
			if len(f.Summary) == 0 {
				f.Add("file", l.T("import.file"), l.T("err.import_rejected"))
			}
		default:
			return err
		}
	}
	return s.render(w, r, http.StatusBadRequest, "import", Page{Title: l.T("import.title"), Nav: "import", Form: f, Data: data})
}

// downloadCSV passes one of the institution's CSV exports through.
func (s *Server) downloadCSV(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if name != "courses.csv" && name != "enrolments.csv" {
		return errNotFound
	}
	body, err := s.API.CSV(r.Context(), s.token(r), s.institutionID(r), name)
	if err != nil {
		return err
	}
	defer body.Close()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = io.Copy(w, body) // the header is sent: a broken copy cannot become an error page any more
	return nil
}

// DemandCourse is one course (code) with its open runs and the demand across them.
type DemandCourse struct {
	Code, Title string
	Demand      int // seats taken and waiting across the course's runs
	Runs        []DemandRun
}

// DemandRun is one run's line of the demand page.
type DemandRun struct {
	api.DemandRow
	Title string
}

// demand shows each open run's seats and waiting list, grouped by course, so a run under its minimum
// can be merged with another run of the same course.
func (s *Server) demand(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	rows, err := s.API.Demand(r.Context(), s.token(r), s.institutionID(r))
	if err != nil {
		return err
	}
	titles := map[string]string{}
	if l == i18n.EN { // demand answers the Danish titles; the English ones are in the catalogue
		if page, err := s.API.Courses(r.Context(), s.token(r), api.CourseQuery{InstitutionID: s.institutionID(r), Limit: 500}); err == nil {
			for _, c := range page.Items {
				titles[c.ID] = view(l, c).DisplayTitle
			}
		}
	}
	var courses []DemandCourse
	for _, row := range rows {
		title := row.Title
		if t := titles[row.CourseID]; t != "" {
			title = t
		}
		if n := len(courses); n == 0 || courses[n-1].Code != row.Code {
			courses = append(courses, DemandCourse{Code: row.Code, Title: title, Demand: row.DemandForCourse})
		}
		c := &courses[len(courses)-1]
		c.Runs = append(c.Runs, DemandRun{DemandRow: row, Title: title})
	}
	return s.render(w, r, http.StatusOK, "demand", Page{Title: l.T("demand.title"), Nav: "demand", Data: courses})
}
