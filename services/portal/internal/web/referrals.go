package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"livslang.dk/pkg/cpr"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
)

// Referrals: a caseworker refers a client (by CPR number) to a run with the municipality's funding;
// funding checks and reserves the money at once. The citizen accepts or declines; the caseworker
// follows the case and may withdraw it. CPR numbers are only ever posted, sent to funding in request
// bodies and shown back masked (DDMMYY-XXXX): never in a URL, a log line or a page in full.

// referralSchemes fund referrals, in the order the form offers them.
var referralSchemes = []string{"jobrettet_uddannelse", "regional_pulje", "municipality"}

// referralStatuses are a referral's states, in the order the filter offers them.
var referralStatuses = []string{"open", "accepted", "declined", "expired", "withdrawn"}

// referralEvents are the audit trail's own events; the enrolment's are "enrolment_<status>".
var referralEvents = []string{"created", "accepted", "declined", "expired", "withdrawn"}

// maxBulk is the most clients one bulk referral takes (the API's limit).
const maxBulk = 200

// referable reports whether a run lists a scheme a referral can be funded by.
func referable(schemes []string) bool {
	for _, s := range schemes {
		if slices.Contains(referralSchemes, s) {
			return true
		}
	}
	return false
}

// referralLabels are the referral form's fields and their label keys.
var referralLabels = map[string]string{
	"cpr": "refer.cpr", "cprs": "refer.cprs", "course_id": "refer.course", "funding": "refer.funding",
	"reason": "refer.reason", "valid_until": "refer.valid_until",
}

// ReferralView is a referral as pages show it.
type ReferralView struct {
	api.Referral
	Title    string // the run's title in the user's language
	Check    SchemeView
	Checks   []SchemeView // Check alone, for the schemes partial
	History  []ReferralEventView
	DueSoon  bool // open, and the answer date is within three days
	Overdue  bool // open, and the answer date has passed (it expires shortly)
	Open     bool
	Withdraw bool // the caseworker may still withdraw it
}

// ReferralEventView is one line of the audit trail in the user's language.
type ReferralEventView struct {
	api.ReferralEvent
	Text, Actor, Note string
}

// referralView builds the view; actors are named from the caseworker's side ("actor.") or the
// citizen's ("cause.", where the citizen is "you").
func (s *Server) referralView(l i18n.Lang, ref api.Referral, actors string) ReferralView {
	v := ReferralView{Referral: ref, Title: ref.Course.Title, Open: ref.Status == "open"}
	if l == i18n.EN && ref.Course.TitleEN != "" {
		v.Title = ref.Course.TitleEN
	}
	v.Check = SchemeView{SchemeAnswer: ref.FundingCheck, Rules: rulesView(l, ref.FundingCheck.Rules)}
	if v.Check.Scheme == "" {
		v.Check.Scheme = ref.Funding
	}
	// The referral reserved the money when it was made: while it is open or accepted the check's
	// "a caseworker must approve" is that reservation; once it ended, the money was released.
	if v.Check.Outcome != "not_eligible" {
		v.Check.Outcome = "reserved"
		if ref.Status != "open" && ref.Status != "accepted" {
			v.Check.Outcome = "released"
		}
	}
	v.Checks = []SchemeView{v.Check}
	today := i18n.Today(s.Now())
	if v.Open {
		soon := i18n.Today(s.Now().AddDate(0, 0, 3))
		v.Overdue = ref.ValidUntil < today
		v.DueSoon = !v.Overdue && ref.ValidUntil <= soon
	}
	done := []string{"confirmed", "started", "completed", "accepted_by_institution"}
	v.Withdraw = v.Open || (ref.Status == "accepted" && !slices.Contains(done, ref.EnrolmentStatus))
	for _, e := range ref.History {
		ev := ReferralEventView{ReferralEvent: e, Actor: l.T(actors + e.ActorRole), Note: referralNote(l, e.Note)}
		if status, ok := strings.CutPrefix(e.Event, "enrolment_"); ok {
			ev.Text = l.T("referral_event.enrolment", l.T("status."+status))
		} else {
			ev.Text = l.T("referral_event." + e.Event)
		}
		v.History = append(v.History, ev)
	}
	return v
}

// referralNote says a note the system wrote in the user's language; a person's words stay as written.
func referralNote(l i18n.Lang, note string) string {
	if day, ok := strings.CutPrefix(note, "the citizen did not answer by "); ok {
		return l.T("reason.referral_not_answered", l.Date(day))
	}
	return note
}

// --- Caseworker -------------------------------------------------------------------------------

func (s *Server) caseworkerReferrals(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	q := r.URL.Query()
	query := api.ReferralQuery{Status: q.Get("status"), DueBefore: q.Get("due_before")}
	form := &Form{Values: url.Values{"status": {query.Status}, "due_before": {query.DueBefore}}}
	if query.Status != "" && !slices.Contains(referralStatuses, query.Status) {
		form.Add("status", l.T("referrals.status"), l.T("err.referral_status"))
		query.Status = ""
	}
	list, err := s.API.Referrals(r.Context(), s.token(r), query)
	if api.StatusOf(err) == http.StatusBadRequest {
		form.addAPIErrors(l, err, map[string]string{"status": "referrals.status", "due_before": "referrals.due_before"})
		list, err = nil, nil
	}
	if err != nil {
		return err
	}
	views := make([]ReferralView, 0, len(list))
	for _, ref := range list {
		views = append(views, s.referralView(l, ref, "actor."))
	}
	week := i18n.Today(s.Now().AddDate(0, 0, 7))
	return s.render(w, r, http.StatusOK, "referrals", Page{Title: l.T("referrals.title"), Nav: "referrals", Form: form,
		Data: map[string]any{"Items": views, "Statuses": referralStatuses, "Filtered": query.Status != "" || query.DueBefore != "",
			"DueWeek": "/caseworker/referrals?" + url.Values{"status": {"open"}, "due_before": {week}}.Encode()}})
}

func (s *Server) caseworkerReferral(w http.ResponseWriter, r *http.Request) error {
	return s.renderCaseworkerReferral(w, r, nil, http.StatusOK)
}

func (s *Server) renderCaseworkerReferral(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	ref, err := s.API.Referral(r.Context(), s.token(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.referralView(l, ref, "actor.")
	return s.render(w, r, status, "referral", Page{Title: l.T("referral.title"), Nav: "referrals", Form: f, Data: v})
}

func (s *Server) withdrawReferral(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	id := r.PathValue("id")
	f := formFrom(r)
	f.require(l, "reason", "referral.withdraw_reason")
	if len(f.Get("reason")) > 1000 {
		f.Add("reason", l.T("referral.withdraw_reason"), l.T("err.referral_reason"))
	}
	if !f.Failed() {
		_, err := s.API.AnswerReferral(r.Context(), s.token(r), id, "withdraw", f.Get("reason"))
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.referral_withdrawn")
			return redirect(w, r, "/caseworker/referrals/"+id)
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, map[string]string{"reason": "referral.withdraw_reason"})
		case http.StatusConflict:
			f.Add("", l.T("referral.title"), l.T("err.referral_closed"))
		default:
			return err
		}
	}
	return s.renderCaseworkerReferral(w, r, f, http.StatusBadRequest)
}

// referFormData is what both referral forms show: the runs to choose from (narrowed by a search)
// and the funding schemes.
func (s *Server) referFormData(r *http.Request, search, chosen string) (map[string]any, []CourseView, error) {
	l := stateOf(r).lang
	page, err := s.API.Courses(r.Context(), "", api.CourseQuery{Q: search, StartsAfter: i18n.Today(s.Now()), Limit: 500})
	if api.StatusOf(err) == http.StatusBadRequest {
		page, err = api.CoursePage{}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var courses []CourseView
	for _, c := range page.Items {
		if referable(c.Schemes) {
			courses = append(courses, view(l, c))
		}
	}
	if chosen != "" && !slices.ContainsFunc(courses, func(c CourseView) bool { return c.ID == chosen }) {
		if c, err := s.API.Course(r.Context(), chosen); err == nil && referable(c.Schemes) {
			courses = append([]CourseView{view(l, c)}, courses...)
		}
	}
	return map[string]any{"Courses": courses, "Schemes": referralSchemes, "Search": search, "Today": i18n.Today(s.Now())}, courses, nil
}

func (s *Server) referPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRefer(w, r, "refer", nil, nil, http.StatusOK)
}

func (s *Server) referBulkPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderRefer(w, r, "refer_bulk", nil, nil, http.StatusOK)
}

// renderRefer shows the single or the bulk referral form. The CPR numbers are never shown again.
func (s *Server) renderRefer(w http.ResponseWriter, r *http.Request, page string, f *Form, extra map[string]any, status int) error {
	l := stateOf(r).lang
	q := r.URL.Query()
	if f == nil {
		f = &Form{}
		f.Set("course_id", q.Get("course_id"))
		f.Set("funding", q.Get("funding"))
	}
	f.Set("cpr", "")
	f.Set("cprs", "")
	// The key of this referral: submitting the form twice (or again after an error) refers once.
	if f.Key = f.Get("idempotency_key"); f.Key == "" {
		f.Key = oidc.Random(18)
	}
	data, _, err := s.referFormData(r, q.Get("course_q"), f.Get("course_id"))
	if err != nil {
		return err
	}
	for k, v := range extra {
		data[k] = v
	}
	title := map[string]string{"refer": "refer.title", "refer_bulk": "refer_bulk.title"}[page]
	return s.render(w, r, status, page, Page{Title: l.T(title), Nav: "referrals", Form: f, Data: data})
}

// checkReferral checks the fields a single and a bulk referral share, and what can be known of the
// run here (does it list the funding, is the date before it starts), so the caseworker gets every
// mistake at once and in their language.
func (s *Server) checkReferral(r *http.Request, f *Form) {
	l := stateOf(r).lang
	f.require(l, "course_id", "refer.course")
	if !slices.Contains(referralSchemes, f.Get("funding")) {
		f.Add("funding", l.T("refer.funding"), l.T("err.referral_funding"))
	}
	if reason := f.Get("reason"); reason == "" {
		f.Add("reason", l.T("refer.reason"), l.T("err.required"))
	} else if len(reason) > 1000 {
		f.Add("reason", l.T("refer.reason"), l.T("err.referral_reason"))
	}
	until, err := time.Parse(time.DateOnly, f.Get("valid_until"))
	if err != nil {
		f.Add("valid_until", l.T("refer.valid_until"), l.T("err.valid_until_date"))
	}
	if f.Get("course_id") == "" {
		return
	}
	c, err := s.API.Course(r.Context(), f.Get("course_id"))
	if err != nil {
		f.Add("course_id", l.T("refer.course"), l.T("err.course_id"))
		return
	}
	if slices.Contains(referralSchemes, f.Get("funding")) && !slices.Contains(c.Schemes, f.Get("funding")) {
		f.Add("funding", l.T("refer.funding"), l.T("err.referral_not_listed", l.T("scheme."+f.Get("funding"))))
	}
	if err == nil && !until.IsZero() {
		if day := until.Format(time.DateOnly); day < i18n.Today(s.Now()) || day >= c.StartsOn {
			f.Add("valid_until", l.T("refer.valid_until"), l.T("err.valid_until_range", l.Date(c.StartsOn)))
		}
	}
}

// budgetRefusal is the field funding names in a refused referral's problem when the scheme's budget
// has no room for it (funding's decisions.BudgetRefusal).
const budgetRefusal = "budget"

// refusal says why funding refused a referral (422), in the user's language: the rules not met for
// the scheme, from the pre-check for the client where it has them in Danish, else funding's words.
func (s *Server) refusal(ctx context.Context, l i18n.Lang, token, digits, courseID, scheme string, err error) (field, msg string) {
	var e *api.Error
	if as(err, &e) && slices.ContainsFunc(e.Errors, func(fe api.FieldError) bool { return fe.Field == budgetRefusal }) {
		return "funding", l.T("err.referral_budget", l.T("scheme."+scheme))
	}
	if e == nil || len(e.Errors) == 0 {
		return "cpr", l.T("err.no_client")
	}
	var reasons []string
	for _, fe := range e.Errors {
		reasons = append(reasons, fe.Message)
	}
	if l == i18n.DA {
		if el, err := s.API.Eligibility(ctx, token, courseID, digits); err == nil {
			var da []string
			for _, a := range el.Schemes {
				if a.Scheme != scheme {
					continue
				}
				for _, rule := range rulesView(l, a.Rules) {
					if rule.Outcome == "not_met" {
						da = append(da, rule.Text)
					}
				}
			}
			if len(da) > 0 {
				reasons = da
			}
		}
	}
	return "funding", l.T("err.referral_refused", l.T("scheme."+scheme), strings.Join(reasons, " "))
}

func (s *Server) refer(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	number, err := cpr.Parse(f.Get("cpr"))
	if err != nil {
		f.Add("cpr", l.T("refer.cpr"), l.T("err.cpr"))
	}
	s.checkReferral(r, f)
	if !f.Failed() {
		ref, err := s.API.CreateReferral(r.Context(), s.token(r), f.Get("idempotency_key"), api.NewReferral{CPR: number.Digits(),
			CourseID: f.Get("course_id"), Funding: f.Get("funding"), Reason: f.Get("reason"), ValidUntil: f.Get("valid_until")})
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.referred", number.Masked())
			return redirect(w, r, "/caseworker/referrals/"+ref.ID)
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, referralLabels)
		case http.StatusUnprocessableEntity:
			field, msg := s.refusal(r.Context(), l, s.token(r), number.Digits(), f.Get("course_id"), f.Get("funding"), err)
			f.Add(field, l.T(referralLabels[field]), msg)
		case http.StatusNotFound:
			f.Add("course_id", l.T("refer.course"), l.T("err.course_id"))
		default:
			return err
		}
	}
	return s.renderRefer(w, r, "refer", f, nil, http.StatusBadRequest)
}

// BulkLineView is one client's result of a bulk referral.
type BulkLineView struct {
	Line     int
	CPR      string // masked
	Created  bool
	Referral string // its id
	Reason   string
}

func (s *Server) referBulk(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	var numbers []cpr.Number
	var bad []string
	for i, line := range strings.Split(strings.Join(f.Values["cprs"], "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n, err := cpr.Parse(line)
		if err != nil {
			bad = append(bad, fmt.Sprint(i+1))
			continue
		}
		numbers = append(numbers, n)
	}
	switch {
	case len(bad) > 0:
		f.Add("cprs", l.T("refer.cprs"), l.T("err.cprs_lines", strings.Join(bad, ", ")))
	case len(numbers) == 0:
		f.Add("cprs", l.T("refer.cprs"), l.T("err.cprs_empty"))
	case len(numbers) > maxBulk:
		f.Add("cprs", l.T("refer.cprs"), l.T("err.cprs_many", maxBulk))
	}
	s.checkReferral(r, f)
	if f.Failed() {
		return s.renderRefer(w, r, "refer_bulk", f, nil, http.StatusBadRequest)
	}
	digits := make([]string, len(numbers))
	for i, n := range numbers {
		digits[i] = n.Digits()
	}
	course, scheme := f.Get("course_id"), f.Get("funding")
	res, err := s.API.CreateReferrals(r.Context(), s.token(r), api.BulkReferral{CPRs: digits, CourseID: course, Funding: scheme,
		Reason: f.Get("reason"), ValidUntil: f.Get("valid_until")})
	if api.StatusOf(err) == http.StatusBadRequest {
		f.addAPIErrors(l, err, referralLabels)
		return s.renderRefer(w, r, "refer_bulk", f, nil, http.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	lines := make([]BulkLineView, len(res.Results))
	// The reasons of the refused, in the user's language: a pre-check per refused client, a few at a time.
	forEachLimited(r.Context(), len(res.Results), fundedConcurrency, func(ctx context.Context, i int) {
		line := res.Results[i]
		v := BulkLineView{Line: i + 1, CPR: line.CPR, Created: line.Referral != nil && line.Status == http.StatusCreated}
		if v.Created {
			v.Referral = line.Referral.ID
		} else {
			problem := &api.Error{Status: line.Status, Detail: line.Detail, Errors: line.Errors}
			switch line.Status {
			case http.StatusUnprocessableEntity:
				_, v.Reason = s.refusal(ctx, l, s.token(r), digits[i], course, scheme, problem)
			case http.StatusBadRequest:
				var msgs []string
				for _, fe := range line.Errors {
					if l.Has("err." + fe.Field) {
						msgs = append(msgs, l.T("err."+fe.Field))
					} else {
						msgs = append(msgs, fe.Message)
					}
				}
				v.Reason = strings.Join(msgs, " ")
			default:
				v.Reason = l.T("err.referral_failed")
			}
		}
		lines[i] = v
	})
	kept := &Form{}
	for _, k := range []string{"course_id", "funding", "reason", "valid_until"} {
		kept.Set(k, f.Get(k))
	}
	return s.renderRefer(w, r, "refer_bulk", kept, map[string]any{"Results": lines, "Created": res.Created, "Refused": res.Refused}, http.StatusOK)
}

// --- Citizen ----------------------------------------------------------------------------------

func (s *Server) myReferrals(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	list, err := s.API.Referrals(r.Context(), s.token(r), api.ReferralQuery{})
	if err != nil {
		return err
	}
	views := make([]ReferralView, 0, len(list))
	for _, ref := range list {
		views = append(views, s.referralView(l, ref, "cause."))
	}
	return s.render(w, r, http.StatusOK, "my_referrals", Page{Title: l.T("my_referrals.title"), Nav: "my_referrals", Data: views})
}

// referralEnrolment is the citizen's enrolment a referral holds or led to ("" if none).
func (s *Server) referralEnrolment(r *http.Request, referralID string) string {
	list, err := s.API.MyEnrolments(r.Context(), s.token(r))
	if err != nil {
		return ""
	}
	for _, e := range list {
		if e.ReferralID == referralID {
			return e.ID
		}
	}
	return ""
}

func (s *Server) myReferral(w http.ResponseWriter, r *http.Request) error {
	return s.renderMyReferral(w, r, nil, http.StatusOK)
}

func (s *Server) renderMyReferral(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	ref, err := s.API.Referral(r.Context(), s.token(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.referralView(l, ref, "cause.")
	enrolment := ""
	if ref.Status == "accepted" {
		enrolment = s.referralEnrolment(r, ref.ID)
	}
	return s.render(w, r, status, "my_referral", Page{Title: l.T("referral.title"), Nav: "my_referrals", Form: f,
		Data: map[string]any{"Referral": v, "Enrolment": enrolment}})
}

// answerReferral accepts or declines a referral (the citizen).
func (s *Server) answerReferral(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	id, answer := r.PathValue("id"), r.PathValue("answer")
	if answer != "accept" && answer != "decline" {
		return errNotFound
	}
	f := formFrom(r)
	f.Scope = answer
	if len(f.Get("reason")) > 1000 {
		f.Add("reason", l.T("my_referral.decline_reason"), l.T("err.referral_reason"))
		return s.renderMyReferral(w, r, f, http.StatusBadRequest)
	}
	_, err := s.API.AnswerReferral(r.Context(), s.token(r), id, answer, f.Get("reason"))
	switch api.StatusOf(err) {
	case 0:
	case http.StatusConflict:
		s.flash(r, "error", "err.referral_closed")
		return redirect(w, r, "/me/referrals/"+id)
	case http.StatusBadRequest:
		f.addAPIErrors(l, err, map[string]string{"reason": "my_referral.decline_reason"})
		return s.renderMyReferral(w, r, f, http.StatusBadRequest)
	default:
		return err
	}
	if answer == "decline" {
		s.flash(r, "success", "flash.referral_declined")
		return redirect(w, r, "/me/referrals/"+id)
	}
	s.flash(r, "success", "flash.referral_accepted")
	if e := s.referralEnrolment(r, id); e != "" {
		return redirect(w, r, "/me/enrolments#enrolment-"+e)
	}
	return redirect(w, r, "/me/enrolments")
}
