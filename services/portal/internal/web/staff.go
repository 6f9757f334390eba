package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/events"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
)

// Staff: the company enrols its employees on a run (a form with rows, pasted lines and a CSV file)
// with its commitment given (it pays the fee, the salary continues), and follows the enrolments it
// is a party to. CPR numbers are posted and sent to registration in the request body only; a page
// never shows one again, whole (the form is shown again without them after an error).

// maxStaff is the most employees one staff enrolment may name (registration's limit).
const maxStaff = 200

// staffRows is how many empty employee rows the form offers; more go in the pasted lines or the file.
const staffRows = 3

// maxStaffFile is the largest CSV file the form reads (200 rows are a few kilobytes).
const maxStaffFile = 1 << 20

// staffStatuses are the statuses the staff list filters by, in the order the filter offers them.
var staffStatuses = []string{"pending", "awaiting_profile", "waitlisted", "offered", "confirmed", "started", "completed",
	"withdrawn", "cancelled", "rejected"}

// staffResults are what can become of an employee of a staff enrolment.
var staffResults = []string{"pending", "waitlisted", "awaiting_profile", "failed"}

// staffLabels are the enrol form's fields (beyond the rows) and their label keys.
var staffLabels = map[string]string{
	"course_id": "enrol_staff.course", "pays_fee": "enrol_staff.pays_fee", "salary_continues": "enrol_staff.salary_continues",
	"employees": "enrol_staff.employees", "accept_terms": "enrol_staff.accept_terms", "file": "enrol_staff.file", "more": "enrol_staff.more",
}

// staffReasons are the reasons registration gives (in English) for an employee who could not be
// enrolled, by prefix, with the catalogue key that says them in the user's language.
var staffReasons = []struct{ prefix, key string }{
	{"this employee is listed twice", "staff_reason.twice"},
	{"the employee is already invited to this course run", "staff_reason.invited"},
	{"the employee already holds a seat on another run of ", "staff_reason.other_run"},
	{"you already have a live enrolment on this course run", "staff_reason.enrolled"},
	{"cpr: ", "staff_reason.cpr"},
	{"name: ", "staff_reason.name"},
	{"email: ", "staff_reason.email"},
}

func staffReason(l i18n.Lang, reason string) string {
	for _, r := range staffReasons {
		if rest, ok := strings.CutPrefix(reason, r.prefix); ok {
			if r.key == "staff_reason.other_run" {
				return l.T(r.key, rest)
			}
			return l.T(r.key)
		}
	}
	return reason
}

// --- CSV and pasted lines ----------------------------------------------------------------------

// StaffLineError is a line of a CSV file or of the pasted lines that cannot be read.
type StaffLineError struct {
	Line    int
	Problem string
}

// StaffList is what a file or the pasted lines hold: the employees, the lines that cannot be read,
// or a problem with the whole of it (Fatal).
type StaffList struct {
	Employees []api.StaffEmployee
	Bad       []StaffLineError
	Fatal     string
	Rows      int // the lines with an employee (read or not)
}

var bom = []byte("\uFEFF")

// headerColumn is the column a header cell names (any case: cpr, CPR-nummer; name, navn; email,
// e-mail), or "".
func headerColumn(cell string) string {
	cell = strings.ToLower(strings.TrimSpace(cell))
	switch {
	case strings.Contains(cell, "cpr"):
		return "cpr"
	case strings.Contains(cell, "mail"):
		return "email"
	case strings.Contains(cell, "name") || strings.Contains(cell, "navn"):
		return "name"
	}
	return ""
}

// parseStaff reads employees as "cpr;name;email" lines (or with commas): UTF-8 with or without a
// byte order mark, with or without a header row (which may name the columns in another order), at
// most maxStaff of them. Every line is checked: a CPR number, a name and an e-mail address.
func parseStaff(l i18n.Lang, data []byte) StaffList {
	var out StaffList
	data = bytes.TrimPrefix(data, bom)
	if !utf8.Valid(data) {
		out.Fatal = l.T("err.staff_encoding")
		return out
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return out
	}
	sep := ','
	first, _, _ := bytes.Cut(bytes.TrimLeft(data, "\r\n\t "), []byte("\n"))
	if bytes.Count(first, []byte(";")) >= bytes.Count(first, []byte(",")) && bytes.ContainsRune(first, ';') {
		sep = ';'
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.Comma, rd.FieldsPerRecord, rd.TrimLeadingSpace = sep, -1, true
	cols := map[string]int{"cpr": 0, "name": 1, "email": 2}
	width := 3
	header := true // the first line may be a header
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			out.Bad = append(out.Bad, StaffLineError{Line: line, Problem: l.T("err.staff_line_quotes")})
			out.Rows++
			break // the reader cannot be trusted after a broken quote
		}
		line, _ := rd.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		if header {
			header = false
			if _, err := cpr.Parse(rec[0]); err != nil && headerColumn(rec[0]) != "" {
				found := map[string]int{}
				for i, cell := range rec {
					if col := headerColumn(cell); col != "" {
						found[col] = i
					}
				}
				if len(found) != 3 || len(rec) != 3 {
					out.Fatal = l.T("err.staff_header")
					return out
				}
				cols = found
				continue
			}
		}
		out.Rows++
		if out.Rows > maxStaff {
			continue // counted only: the whole list is refused below
		}
		if len(rec) != width {
			out.Bad = append(out.Bad, StaffLineError{Line: line, Problem: l.T("err.staff_columns", len(rec))})
			continue
		}
		emp := api.StaffEmployee{CPR: rec[cols["cpr"]], Name: rec[cols["name"]], Email: rec[cols["email"]]}
		if problem := checkEmployee(l, &emp); problem != "" {
			out.Bad = append(out.Bad, StaffLineError{Line: line, Problem: problem})
			continue
		}
		out.Employees = append(out.Employees, emp)
	}
	if out.Rows > maxStaff {
		out.Fatal = l.T("err.staff_too_many", maxStaff, out.Rows)
		out.Employees, out.Bad = nil, nil
	}
	return out
}

// checkEmployee checks one employee and puts the CPR number in its 10 digits; the problem is ""
// when it is fine.
func checkEmployee(l i18n.Lang, emp *api.StaffEmployee) string {
	n, err := cpr.Parse(emp.CPR)
	switch {
	case err != nil:
		return l.T("err.staff_cpr")
	case emp.Name == "" || utf8.RuneCountInString(emp.Name) > 200:
		return l.T("err.staff_name")
	case !validEmail(emp.Email):
		return l.T("err.staff_email")
	}
	emp.CPR = n.Digits()
	return ""
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && !strings.ContainsAny(s, " <>")
}

// --- Terms -------------------------------------------------------------------------------------

// standardTerms are the institutions' standard fees for a company that cancels late (less than 7
// days before the start) or whose employee does not show up: by the run's planned hours, as
// registration answers them once the company has enrolled.
func standardTerms(c api.Course) api.CancellationTerms {
	t := api.CancellationTerms{LateCancellationDays: 7, LateCancellationFeeDKK: 1500, NoShowFeeDKK: 2500}
	start, err1 := time.Parse(time.DateOnly, c.StartsOn)
	end, err2 := time.Parse(time.DateOnly, c.EndsOn)
	if err1 == nil && err2 == nil && events.PlannedHours(start, end, c.HoursPerWeek) > 37 {
		t.LateCancellationFeeDKK, t.NoShowFeeDKK = 2500, 3500
	}
	return t
}

// openRun reports whether a run takes enrolments: not cancelled and not started.
func (s *Server) openRun(c api.Course) bool {
	return c.Status != "cancelled" && c.StartsOn > i18n.Today(s.Now())
}

// --- Enrol staff -------------------------------------------------------------------------------

// StaffResultView is one employee's result as the page shows it.
type StaffResultView struct {
	api.StaffResult
	CPR    string // masked
	Reason string // in the user's language where registration's words are known
}

func (s *Server) enrolStaffPage(w http.ResponseWriter, r *http.Request) error {
	f := &Form{Values: map[string][]string{}}
	q := r.URL.Query()
	f.Set("course_id", q.Get("course_id"))
	f.Set("q", q.Get("q"))
	return s.renderEnrolStaff(w, r, f, nil, http.StatusOK)
}

// renderEnrolStaff shows the run search or, with a run chosen, the enrol form; f holds what was
// posted (without CPR numbers), bad the lines of the file and of the pasted lines that could not
// be read.
func (s *Server) renderEnrolStaff(w http.ResponseWriter, r *http.Request, f *Form, bad map[string][]StaffLineError, status int) error {
	l := stateOf(r).lang
	if _, err := s.employerCVR(r); err != nil {
		return err
	}
	data := map[string]any{"Rows": rowIndexes(), "Max": maxStaff, "Search": f.Get("q"), "Bad": bad}
	id := f.Get("course_id")
	if id != "" {
		c, err := s.API.Course(r.Context(), id)
		switch {
		case err == nil:
			data["Course"], data["Open"] = view(l, c), s.openRun(c)
			data["Terms"] = standardTerms(c)
		case api.StatusOf(err) == http.StatusNotFound || api.StatusOf(err) == http.StatusBadRequest:
			data["NoCourse"] = true
		default:
			return err
		}
	}
	if data["Course"] == nil && f.Get("q") != "" {
		page, err := s.API.Courses(r.Context(), "", api.CourseQuery{Q: f.Get("q"), Limit: searchPageSize})
		if err != nil && api.StatusOf(err) != http.StatusBadRequest {
			return err
		}
		var runs []CourseView
		for _, c := range page.Items {
			if s.openRun(c) {
				runs = append(runs, view(l, c))
			}
		}
		data["Runs"] = runs
	}
	if f.Key == "" {
		f.Key = f.Get("idempotency_key")
	}
	if f.Key == "" {
		f.Key = oidc.Random(18)
	}
	return s.render(w, r, status, "enrol_staff", Page{Title: l.T("enrol_staff.title"), Nav: "enrol_staff", Form: f, Data: data})
}

// StaffRow is one employee row of the enrol form: its number and its fields' names.
type StaffRow struct {
	N                int
	CPR, Name, Email string
}

func rowIndexes() []StaffRow {
	out := make([]StaffRow, staffRows)
	for i := range out {
		out[i] = StaffRow{N: i + 1, CPR: fmt.Sprintf("cpr_%d", i), Name: fmt.Sprintf("name_%d", i), Email: fmt.Sprintf("email_%d", i)}
	}
	return out
}

// enrolStaff posts the company's employees on the run: the form's rows, the pasted lines and the
// CSV file together, checked first (nothing is sent while anything is wrong), then one request with
// the form's idempotency key. The page shows one result per employee.
func (s *Server) enrolStaff(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	f := formFrom(r)
	f.Key = f.Get("idempotency_key")
	if f.Key == "" {
		f.Key = oidc.Random(18)
	}
	courseID := f.Get("course_id")
	var course api.Course
	if courseID == "" {
		f.Add("course_id", l.T("enrol_staff.course"), l.T("err.staff_course"))
	} else if course, err = s.API.Course(r.Context(), courseID); err != nil {
		if st := api.StatusOf(err); st != http.StatusNotFound && st != http.StatusBadRequest {
			return err
		}
		f.Add("course_id", l.T("enrol_staff.course"), l.T("err.staff_course"))
	} else if !s.openRun(course) {
		f.Add("course_id", l.T("enrol_staff.course"), l.T("err.staff_closed"))
	}
	paysFee, ok := yesNo(f, "pays_fee")
	if !ok {
		f.Add("pays_fee", l.T("enrol_staff.pays_fee"), l.T("err.staff_pays_fee"))
	}
	salary, ok := yesNo(f, "salary_continues")
	if !ok {
		f.Add("salary_continues", l.T("enrol_staff.salary_continues"), l.T("err.staff_salary"))
	}

	// The rows: an empty row is skipped, a half-filled one says what is missing.
	var employees []api.StaffEmployee
	for i := range staffRows {
		emp := api.StaffEmployee{CPR: f.Get(fmt.Sprintf("cpr_%d", i)), Name: f.Get(fmt.Sprintf("name_%d", i)), Email: f.Get(fmt.Sprintf("email_%d", i))}
		if emp.CPR == "" && emp.Name == "" && emp.Email == "" {
			continue
		}
		row := l.T("enrol_staff.row", i+1)
		n, cprErr := cpr.Parse(emp.CPR)
		if cprErr != nil {
			f.Add(fmt.Sprintf("cpr_%d", i), row+", "+l.T("enrol_staff.cpr"), l.T("err.staff_cpr"))
		}
		if emp.Name == "" || utf8.RuneCountInString(emp.Name) > 200 {
			f.Add(fmt.Sprintf("name_%d", i), row+", "+l.T("enrol_staff.name"), l.T("err.staff_name"))
		}
		if !validEmail(emp.Email) {
			f.Add(fmt.Sprintf("email_%d", i), row+", "+l.T("enrol_staff.email"), l.T("err.staff_email"))
		}
		if cprErr == nil {
			emp.CPR = n.Digits()
		}
		employees = append(employees, emp)
	}
	// The pasted lines and the file.
	bad := map[string][]StaffLineError{}
	lists := []struct {
		id   string
		data []byte
	}{{"more", []byte(strings.Join(f.Values["more"], "\n"))}}
	if file, _, err := r.FormFile("file"); err == nil {
		body, _ := io.ReadAll(io.LimitReader(file, maxStaffFile+1))
		file.Close()
		if len(body) > maxStaffFile {
			f.Add("file", l.T("enrol_staff.file"), l.T("err.staff_file_large"))
		} else {
			lists = append(lists, struct {
				id   string
				data []byte
			}{"file", body})
		}
	}
	for _, src := range lists {
		list := parseStaff(l, src.data)
		switch {
		case list.Fatal != "":
			f.Add(src.id, l.T(staffLabels[src.id]), list.Fatal)
		case len(list.Bad) > 0:
			bad[src.id] = list.Bad
			lines := make([]string, 0, len(list.Bad))
			for _, b := range list.Bad {
				lines = append(lines, strconv.Itoa(b.Line))
			}
			f.Add(src.id, l.T(staffLabels[src.id]), l.T("err.staff_lines", strings.Join(lines, ", ")))
		}
		employees = append(employees, list.Employees...)
	}
	if len(employees) == 0 && f.Err("file") == "" && f.Err("more") == "" {
		f.Add("cpr_0", l.T("enrol_staff.employees"), l.T("err.staff_none"))
	} else if len(employees) > maxStaff {
		f.Add("more", l.T("enrol_staff.employees"), l.T("err.staff_too_many", maxStaff, len(employees)))
	}
	if !f.Has("accept_terms", "yes") {
		f.Add("accept_terms", l.T("enrol_staff.accept_terms"), l.T("err.staff_terms"))
	}
	if !f.Failed() {
		answer, err := s.API.EnrolStaff(r.Context(), s.token(r), number, f.Key, course.ID, paysFee, salary, employees)
		switch api.StatusOf(err) {
		case 0:
			return s.renderStaffResults(w, r, course, answer)
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict:
			if !addFieldErrors(f, l, err, staffLabels, "err.staff_") {
				f.Add("", l.T("enrol_staff.title"), l.T("err.api_problem", problemText(l, err)))
			}
			f.Key = oidc.Random(18) // refused: the next try is a new request
		default:
			return err
		}
	}
	// CPR numbers are never shown again: the rows keep their names and e-mail addresses only.
	for i := range staffRows {
		f.Set(fmt.Sprintf("cpr_%d", i), "")
	}
	f.Set("more", "")
	f.Set("idempotency_key", f.Key)
	f.Set("q", "")
	return s.renderEnrolStaff(w, r, f, bad, http.StatusBadRequest)
}

// addFieldErrors puts an API's field errors on the form with the labels given: the catalogue's
// message prefix+field where it has one, else the API's own words.
func addFieldErrors(f *Form, l i18n.Lang, err error, labels map[string]string, prefix string) bool {
	fields := api.FieldErrors(err)
	for _, fe := range fields {
		id := fieldID(fe.Field)
		label, known := labels[id]
		if !known {
			f.Add("", l.T("form.request"), l.T("err.api_problem", fe.Field+": "+fe.Message))
			continue
		}
		msg := fe.Message
		if l.Has(prefix + id) {
			msg = l.T(prefix + id)
		} else if l == i18n.DA {
			msg = l.T("err.generic", fe.Message)
		}
		f.Add(id, l.T(label), msg)
	}
	return len(fields) > 0
}

func (s *Server) renderStaffResults(w http.ResponseWriter, r *http.Request, c api.Course, a api.StaffAnswer) error {
	l := stateOf(r).lang
	views := make([]StaffResultView, 0, len(a.Results))
	for _, res := range a.Results {
		views = append(views, StaffResultView{StaffResult: res, CPR: maskCPR(res.CPR), Reason: staffReason(l, res.Reason)})
	}
	counts := make([]struct {
		Status string
		N      int
	}, 0, len(staffResults))
	for _, st := range staffResults {
		if n := a.Summary[st]; n > 0 {
			counts = append(counts, struct {
				Status string
				N      int
			}{st, n})
		}
	}
	return s.render(w, r, http.StatusOK, "enrol_result", Page{Title: l.T("enrol_result.title"), Nav: "enrol_staff",
		Data: map[string]any{"Course": view(l, c), "Answer": a, "Results": views, "Counts": counts,
			"PaysFee": yesNoText(&a.PaysFee), "Salary": yesNoText(&a.SalaryContinues)}})
}

// --- Staff enrolments --------------------------------------------------------------------------

// StaffEnrolmentView is one of the company's staff enrolments as the list shows it.
type StaffEnrolmentView struct {
	api.StaffEnrolment
	CPR      string // masked
	Title    string // the run's title in the user's language
	StartsOn string
	Attended string // the attended hours, "" when none are reported
	PaysFee  string // "yes", "no" or ""
	Salary   string
}

func (s *Server) staffEnrolments(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	filter := api.StaffFilter{Status: q.Get("status"), CourseID: q.Get("course_id"), From: q.Get("from"), To: q.Get("to")}
	f := &Form{Values: map[string][]string{"status": {filter.Status}, "from": {filter.From}, "to": {filter.To}, "course_id": {filter.CourseID}}}
	if filter.Status != "" && !slices.Contains(staffStatuses, filter.Status) {
		f.Add("status", l.T("filter.status"), l.T("err.staff_status"))
		filter.Status = ""
	}
	filterDates(f, l, &filter.From, &filter.To)
	list, err := s.API.StaffEnrolments(r.Context(), s.token(r), number, filter)
	if api.StatusOf(err) == http.StatusBadRequest {
		addFieldErrors(f, l, err, map[string]string{"status": "filter.status", "from": "filter.from", "to": "filter.to", "course_id": "filter.course"}, "err.filter_")
		list, err = s.API.StaffEnrolments(r.Context(), s.token(r), number, api.StaffFilter{})
	}
	if err != nil {
		return err
	}
	views := make([]StaffEnrolmentView, 0, len(list))
	courseTitle := ""
	for _, e := range list {
		v := StaffEnrolmentView{StaffEnrolment: e, CPR: maskCPR(e.Employee.CPR)}
		if e.Course != nil {
			cv := view(l, *e.Course)
			v.Title, v.StartsOn = cv.DisplayTitle, e.Course.StartsOn
		}
		if e.AttendedHours != nil {
			v.Attended = l.Number(*e.AttendedHours)
		}
		if e.Employer != nil {
			v.PaysFee, v.Salary = yesNoText(&e.Employer.PaysFee), yesNoText(&e.Employer.SalaryContinues)
		}
		if e.CourseID == filter.CourseID && v.Title != "" {
			courseTitle = v.Title
		}
		views = append(views, v)
	}
	filtered := filter != (api.StaffFilter{})
	return s.render(w, r, http.StatusOK, "staff_enrolments", Page{Title: l.T("staff.title"), Nav: "staff", Form: f,
		Data: map[string]any{"Items": views, "Statuses": staffStatuses, "Filtered": filtered, "CourseID": filter.CourseID,
			"CourseTitle": courseTitle}})
}

// filterDates checks a list's from and to dates (YYYY-MM-DD, to not before from); a wrong one is
// left out of the filter and shown as an error.
func filterDates(f *Form, l i18n.Lang, from, to *string) {
	for _, d := range []struct {
		id    string
		value *string
	}{{"from", from}, {"to", to}} {
		if *d.value == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, *d.value); err != nil {
			f.Add(d.id, l.T("filter."+d.id), l.T("err.filter_date"))
			*d.value = ""
		}
	}
	if *from != "" && *to != "" && *to < *from {
		f.Add("to", l.T("filter.to"), l.T("err.filter_to_before"))
		*to = ""
	}
}
