package web

import (
	"cmp"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/cvr"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
)

// Employers: a person acting for a company (the access token's cvr claim) answers what funding
// plans ask of the company before its money is counted — pay the fee, continue the salary, agree
// to the leave — and keeps the company's contact. Funding decides what the company may see; the
// portal only ever asks about the company the signed-in user's token names.

// commitmentStatuses are the statuses the list filters by, in the order the filter offers them.
var commitmentStatuses = []string{"pending", "approved", "declined", "expired", "withdrawn"}

// commitmentAsks are what a plan can ask of the company, in the order the pages list them.
var commitmentAsks = []string{"pays_fee", "salary_continues", "leave_agreement"}

// commitmentLabels are the answer forms' fields and their label keys.
var commitmentLabels = map[string]string{
	"pays_fee": "commitments.pays_fee", "salary_continues": "commitments.salary_continues", "reason": "commitments.decline_reason",
}

// companyLabels are the contact form's fields and their label keys.
var companyLabels = map[string]string{"name": "company.name", "email": "company.email", "language": "company.language"}

// CommitmentView is a commitment as the employer's pages show it.
type CommitmentView struct {
	api.Commitment
	Title     string // the course's title in the user's language
	CPR       string // masked, whatever the API sent
	Pending   bool
	Overdue   bool // pending, and the due date has passed (it expires shortly)
	DueSoon   bool // pending, and due within two days
	AsksFee   bool
	AsksPay   bool // the salary question
	AsksLeave bool
	// AnswerFee and AnswerSalary are the company's answers ("yes", "no"; "" when not answered).
	AnswerFee, AnswerSalary string
	// The idempotency keys of this rendering of the approve and decline forms.
	ApproveKey, DeclineKey string
}

// maskCPR shows a CPR number as DDMMYY-XXXX: the API sends it masked, and a whole number never
// reaches a page even if one came; anything else is not shown.
func maskCPR(s string) string {
	if n, err := cpr.Parse(s); err == nil {
		return n.Masked()
	}
	if len(s) >= 6 && !strings.ContainsFunc(s[:6], func(r rune) bool { return r < '0' || r > '9' }) {
		return s[:6] + "-XXXX"
	}
	return ""
}

func (s *Server) commitmentView(l i18n.Lang, c api.Commitment, f *Form) CommitmentView {
	v := CommitmentView{Commitment: c, Title: c.Course.Title, CPR: maskCPR(c.Citizen.CPR), Pending: c.Status == "pending",
		AsksFee: slices.Contains(c.Asks, "pays_fee"), AsksPay: slices.Contains(c.Asks, "salary_continues"),
		AsksLeave: slices.Contains(c.Asks, "leave_agreement")}
	if l == i18n.EN && c.Course.TitleEN != "" {
		v.Title = c.Course.TitleEN
	}
	v.Asks = nil
	for _, a := range commitmentAsks { // a known order
		if slices.Contains(c.Asks, a) {
			v.Asks = append(v.Asks, a)
		}
	}
	if a := c.Answer; a != nil {
		v.AnswerFee, v.AnswerSalary = yesNoText(a.PaysFee), yesNoText(a.SalaryContinues)
	}
	if v.Pending && c.DueOn != "" {
		today := i18n.Today(s.Now())
		v.Overdue = c.DueOn < today
		v.DueSoon = !v.Overdue && c.DueOn <= i18n.Today(s.Now().AddDate(0, 0, 2))
	}
	// A form posted with an error keeps its key, so submitting it again answers once.
	v.ApproveKey, v.DeclineKey = oidc.Random(18), oidc.Random(18)
	if f != nil && f.Get("idempotency_key") != "" {
		switch f.Scope {
		case "approve-" + c.ID:
			v.ApproveKey = f.Get("idempotency_key")
		case "decline-" + c.ID:
			v.DeclineKey = f.Get("idempotency_key")
		}
	}
	return v
}

func yesNoText(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "yes"
	}
	return "no"
}

// employerCVR is the company the signed-in employer acts for.
func (s *Server) employerCVR(r *http.Request) (string, error) {
	u := s.user(r)
	if u == nil || !cvr.Valid(u.CVR) {
		return "", errForbidden
	}
	return u.CVR, nil
}

// sortCommitments puts the pending first, soonest due first, then the answered, newest first.
func sortCommitments(list []CommitmentView) {
	slices.SortStableFunc(list, func(a, b CommitmentView) int {
		switch {
		case a.Pending && !b.Pending:
			return -1
		case !a.Pending && b.Pending:
			return 1
		case a.Pending:
			return cmp.Or(cmp.Compare(a.DueOn, b.DueOn), cmp.Compare(a.CreatedAt, b.CreatedAt))
		}
		return cmp.Compare(b.CreatedAt, a.CreatedAt)
	})
}

// problemText is what an API said was wrong: its detail, else its title.
func problemText(l i18n.Lang, err error) string {
	var e *api.Error
	if as(err, &e) {
		if e.Detail != "" {
			return e.Detail
		}
		return e.Title
	}
	return l.T("err.unreachable") // a transport error names the request and the dial: not for people
}

// --- Overview and contact ----------------------------------------------------------------------

func (s *Server) employerHome(w http.ResponseWriter, r *http.Request) error {
	return s.renderEmployerHome(w, r, nil, http.StatusOK)
}

func (s *Server) renderEmployerHome(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	co, err := s.API.Company(r.Context(), s.token(r), number)
	exists := err == nil
	if err != nil && api.StatusOf(err) != http.StatusNotFound {
		return err
	}
	if !exists {
		co = api.Company{CVR: number, Name: s.user(r).Name, Language: string(l)}
	}
	pending, err := s.API.Commitments(r.Context(), s.token(r), number, "pending")
	if err != nil {
		return err
	}
	views := make([]CommitmentView, 0, len(pending))
	overdue, soon := 0, 0
	for _, c := range pending {
		v := s.commitmentView(l, c, nil)
		views = append(views, v)
		if v.Overdue {
			overdue++
		} else if v.DueSoon {
			soon++
		}
	}
	sortCommitments(views)
	if len(views) > 5 {
		views = views[:5]
	}
	if f == nil {
		f = &Form{}
		f.Set("name", co.Name)
		f.Set("email", co.Email)
		f.Set("language", co.Language)
	}
	name := co.Name
	if name == "" {
		name = s.user(r).Name
	}
	openOffers := 0 // a hint only: the overview shows without registration
	if offers, err := s.API.Offers(r.Context(), s.token(r), number); err == nil {
		for _, o := range offers {
			if o.Status == "open" {
				openOffers++
			}
		}
	}
	return s.render(w, r, status, "employer", Page{Title: l.T("employer.title"), Nav: "employer", Form: f,
		Data: map[string]any{"Company": co, "Name": name, "CVR": number, "Exists": exists, "Pending": views,
			"PendingCount": len(pending), "OpenOffers": openOffers, "Overdue": overdue, "DueSoon": soon, "Languages": []string{"da", "en"}}})
}

func (s *Server) saveCompany(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	f := formFrom(r)
	co := api.Company{CVR: number, Name: f.Get("name"), Email: f.Get("email"), Language: f.Get("language")}
	if co.Name == "" || len(co.Name) > 200 {
		f.Add("name", l.T("company.name"), l.T("err.company_name"))
	}
	if a, err := mail.ParseAddress(co.Email); err != nil || a.Address != co.Email {
		f.Add("email", l.T("company.email"), l.T("err.company_email"))
	}
	if _, ok := i18n.Parse(co.Language); !ok {
		f.Add("language", l.T("company.language"), l.T("err.company_language"))
	}
	if !f.Failed() {
		saved, err := s.API.SaveCompany(r.Context(), s.token(r), co)
		if err == nil {
			if saved.Name != "" {
				s.updateSession(r, func(x *sessionT) { x.User.Name = saved.Name })
			}
			s.flash(r, "success", "flash.company_saved")
			return redirect(w, r, "/employer")
		}
		if api.StatusOf(err) != http.StatusBadRequest && api.StatusOf(err) != http.StatusUnprocessableEntity {
			return err
		}
		if fields := api.FieldErrors(err); len(fields) > 0 {
			for _, fe := range fields {
				id := fieldID(fe.Field)
				label, known := companyLabels[id]
				if !known {
					f.Add("", l.T("form.request"), fe.Message)
					continue
				}
				msg := fe.Message
				if l.Has("err.company_" + id) {
					msg = l.T("err.company_" + id)
				}
				f.Add(id, l.T(label), msg)
			}
		} else {
			f.Add("", l.T("company.title"), l.T("err.api_problem", problemText(l, err)))
		}
	}
	return s.renderEmployerHome(w, r, f, http.StatusBadRequest)
}

// --- Commitments -------------------------------------------------------------------------------

func (s *Server) commitments(w http.ResponseWriter, r *http.Request) error {
	return s.renderCommitments(w, r, r.URL.Query().Get("status"), nil, http.StatusOK)
}

// renderCommitments lists the company's commitments of a status, or all with the pending first;
// f is an answer form posted with an error (its scope names which).
func (s *Server) renderCommitments(w http.ResponseWriter, r *http.Request, filter string, f *Form, status int) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	shown, filterErr := filter, ""
	if filter != "" && !slices.Contains(commitmentStatuses, filter) {
		filterErr, filter = l.T("err.commitment_status"), ""
	}
	list, err := s.API.Commitments(r.Context(), s.token(r), number, filter)
	if filter == "" && api.StatusOf(err) == http.StatusBadRequest {
		// An API that lists one status at a time: ask for each.
		list, err = nil, nil
		for _, st := range commitmentStatuses {
			part, e := s.API.Commitments(r.Context(), s.token(r), number, st)
			if e != nil {
				err = e
				break
			}
			list = append(list, part...)
		}
	}
	if err != nil {
		return err
	}
	views := make([]CommitmentView, 0, len(list))
	pending := 0
	for _, c := range list {
		v := s.commitmentView(l, c, f)
		views = append(views, v)
		if v.Pending {
			pending++
		}
	}
	sortCommitments(views)
	return s.render(w, r, status, "commitments", Page{Title: l.T("commitments.title"), Nav: "commitments", Form: f,
		Data: map[string]any{"Items": views, "Statuses": commitmentStatuses, "Filter": shown, "FilterError": filterErr,
			"Filtered": filter != "", "PendingCount": pending}})
}

// yesNo reads a required yes/no radio; ok is false when neither was chosen.
func yesNo(f *Form, name string) (value, ok bool) {
	switch f.Get(name) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

func (s *Server) approveCommitment(w http.ResponseWriter, r *http.Request) error {
	return s.answerCommitment(w, r, "approve")
}

func (s *Server) declineCommitment(w http.ResponseWriter, r *http.Request) error {
	return s.answerCommitment(w, r, "decline")
}

// answerCommitment approves or declines a commitment. The form's idempotency key makes a double
// submit answer once; a commitment already answered or expired shows the API's reason.
func (s *Server) answerCommitment(w http.ResponseWriter, r *http.Request, answer string) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	f := formFrom(r)
	f.Scope = answer + "-" + id
	filter := f.Get("filter")
	if !slices.Contains(commitmentStatuses, filter) {
		filter = ""
	}
	c, err := s.API.Commitment(r.Context(), s.token(r), number, id)
	if err != nil {
		return err
	}
	key := f.Get("idempotency_key")
	if key == "" {
		key = "portal-" + answer + "-" + id // no key in the form: one answer per commitment is the API's rule anyway
	}
	var paysFee, salary bool
	if answer == "approve" {
		var ok bool
		if slices.Contains(c.Asks, "pays_fee") {
			if paysFee, ok = yesNo(f, "pays_fee"); !ok {
				f.Add("pays_fee", l.T("commitments.pays_fee"), l.T("err.pays_fee"))
			}
		}
		if slices.Contains(c.Asks, "salary_continues") {
			if salary, ok = yesNo(f, "salary_continues"); !ok {
				f.Add("salary_continues", l.T("commitments.salary_continues"), l.T("err.salary_continues"))
			}
		}
	} else {
		if reason := f.Get("reason"); reason == "" {
			f.Add("reason", l.T("commitments.decline_reason"), l.T("err.decline_reason"))
		} else if len(reason) > 1000 {
			f.Add("reason", l.T("commitments.decline_reason"), l.T("err.decline_reason_long"))
		}
	}
	if !f.Failed() {
		if answer == "approve" {
			_, err = s.API.ApproveCommitment(r.Context(), s.token(r), number, id, key, paysFee, salary)
		} else {
			_, err = s.API.DeclineCommitment(r.Context(), s.token(r), number, id, key, f.Get("reason"))
		}
		name := c.Citizen.Name
		if name == "" {
			name = l.T("commitments.employee")
		}
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.commitment_"+answer+"d", name)
			back := "/employer/commitments"
			if filter != "" {
				back += "?" + url.Values{"status": {filter}}.Encode()
			}
			return redirect(w, r, back+"#commitment-"+id)
		case http.StatusConflict:
			f.Add("", l.T("commitments.answer_for", name), l.T("err.commitment_closed", problemText(l, err)))
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			if !f.addAPIErrors(l, err, commitmentLabels) {
				f.Add("", l.T("commitments.answer_for", name), l.T("err.api_problem", problemText(l, err)))
			}
		default:
			return err
		}
	}
	code := http.StatusBadRequest
	if api.StatusOf(err) == http.StatusConflict {
		code = http.StatusConflict
	}
	return s.renderCommitments(w, r, filter, f, code)
}
