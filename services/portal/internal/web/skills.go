package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
)

// Skills demand: a company says what its staff need (a course code, a kind of course or a skill,
// how many, when and where), and a run an institution publishes that matches it offers the company
// seats, held until the offer expires. Institutions see the demand added up across companies, with
// the names of the companies that agreed.

// demandLabels are the demand form's fields and their label keys.
var demandLabels = map[string]string{
	"course_code": "demand_form.course_code", "category": "demand_form.category", "skill": "demand_form.skill",
	"employees": "demand_form.employees", "earliest": "demand_form.earliest", "latest": "demand_form.latest",
	"place": "demand_form.place", "contact_ok": "demand_form.contact_ok",
}

// demandStatuses and offerStatuses are what the pages can show of a demand and an offer.
var (
	demandStatuses = []string{"open", "offered", "met", "withdrawn"}
	offerStatuses  = []string{"open", "accepted", "declined", "expired", "withdrawn", "cancelled"}
)

// OfferView is an offer of seats from demand as the page shows it.
type OfferView struct {
	api.DemandOffer
	Title string // in the user's language
	Open  bool
	// The idempotency keys of this rendering of the accept and decline forms.
	AcceptKey, DeclineKey string
}

// DemandView is one of the company's demands as the page shows it.
type DemandView struct {
	api.SkillsDemand
	Live bool // open or offered: it can be withdrawn
	Key  string
}

func (s *Server) employerDemand(w http.ResponseWriter, r *http.Request) error {
	f := &Form{Scope: "demand"}
	return s.renderEmployerDemand(w, r, f, http.StatusOK)
}

// renderEmployerDemand shows the offers (open first), the demand form (f, scope "demand", or an
// offer's or a withdrawal's error) and the company's demands.
func (s *Server) renderEmployerDemand(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	offers, err := s.API.Offers(r.Context(), s.token(r), number)
	if err != nil {
		return err
	}
	demands, err := s.API.Demands(r.Context(), s.token(r), number)
	if err != nil {
		return err
	}
	ov := make([]OfferView, 0, len(offers))
	for _, o := range offers {
		v := OfferView{DemandOffer: o, Title: o.Course.Title, Open: o.Status == "open", AcceptKey: oidc.Random(18), DeclineKey: oidc.Random(18)}
		// A form posted with an error keeps its key, so submitting it again answers once.
		if k := f.Get("idempotency_key"); k != "" {
			switch f.Scope {
			case "accept-" + o.ID:
				v.AcceptKey = k
			case "decline-" + o.ID:
				v.DeclineKey = k
			}
		}
		if l == i18n.EN && o.Course.TitleEN != "" {
			v.Title = o.Course.TitleEN
		}
		ov = append(ov, v)
	}
	slices.SortStableFunc(ov, func(a, b OfferView) int { // the open first, soonest expiry first
		switch {
		case a.Open && !b.Open:
			return -1
		case !a.Open && b.Open:
			return 1
		case a.Open:
			return cmp.Compare(a.ExpiresAt, b.ExpiresAt)
		}
		return 0
	})
	dv := make([]DemandView, 0, len(demands))
	for _, d := range demands {
		dv = append(dv, DemandView{SkillsDemand: d, Live: d.Status == "open" || d.Status == "offered", Key: oidc.Random(18)})
	}
	key := oidc.Random(18)
	if f.Scope == "demand" && f.Key != "" {
		key = f.Key
	}
	return s.render(w, r, status, "employer_demand", Page{Title: l.T("employer_demand.title"), Nav: "employer_demand", Form: f,
		Data: map[string]any{"Offers": ov, "Demands": dv, "Categories": categories, "Today": i18n.Today(s.Now()), "DemandKey": key}})
}

// createDemand checks the demand form and sends it with the form's idempotency key.
func (s *Server) createDemand(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	f := formFrom(r)
	f.Scope = "demand"
	f.Key = f.Get("idempotency_key")
	if f.Key == "" {
		f.Key = oidc.Random(18)
	}
	in := api.DemandInput{CourseCode: f.Get("course_code"), Category: f.Get("category"), Skill: f.Get("skill"),
		Earliest: f.Get("earliest"), Latest: f.Get("latest"), Place: f.Get("place")}
	label := func(id string) string { return l.T(demandLabels[id]) }
	if in.CourseCode == "" && in.Category == "" && in.Skill == "" {
		f.Add("course_code", label("course_code"), l.T("err.demand_what"))
	}
	if len(in.CourseCode) > 40 {
		f.Add("course_code", label("course_code"), l.T("err.demand_course_code"))
	}
	if in.Category != "" && !slices.Contains(categories, in.Category) {
		f.Add("category", label("category"), l.T("err.demand_category"))
	}
	if utf8.RuneCountInString(in.Skill) > 200 {
		f.Add("skill", label("skill"), l.T("err.demand_skill"))
	}
	if n, err := strconv.Atoi(strings.TrimSpace(f.Get("employees"))); err != nil || n < 1 || n > 500 {
		f.Add("employees", label("employees"), l.T("err.demand_employees"))
	} else {
		in.Employees = n
	}
	today := i18n.Today(s.Now())
	earliest, errE := time.Parse(time.DateOnly, in.Earliest)
	latest, errL := time.Parse(time.DateOnly, in.Latest)
	switch {
	case errE != nil:
		f.Add("earliest", label("earliest"), l.T("err.demand_date"))
	case in.Earliest < today:
		f.Add("earliest", label("earliest"), l.T("err.demand_earliest_past"))
	}
	switch {
	case errL != nil:
		f.Add("latest", label("latest"), l.T("err.demand_date"))
	case errE == nil && latest.Before(earliest):
		f.Add("latest", label("latest"), l.T("err.demand_latest_before"))
	case in.Latest > i18n.Today(s.Now().AddDate(3, 0, 0)):
		f.Add("latest", label("latest"), l.T("err.demand_latest_far"))
	}
	if utf8.RuneCountInString(in.Place) > 100 {
		f.Add("place", label("place"), l.T("err.demand_place"))
	}
	contact, ok := yesNo(f, "contact_ok")
	if !ok {
		f.Add("contact_ok", label("contact_ok"), l.T("err.demand_contact_ok"))
	}
	in.ContactOK = contact
	if !f.Failed() {
		_, err := s.API.CreateDemand(r.Context(), s.token(r), number, f.Key, in)
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.demand_created")
			return redirect(w, r, "/employer/demand#demands-title")
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			if !addFieldErrors(f, l, err, demandLabels, "err.demand_") {
				f.Add("", l.T("demand_form.title"), l.T("err.api_problem", problemText(l, err)))
			}
			f.Key = oidc.Random(18) // refused: the next try is a new request
		default:
			return err
		}
	}
	return s.renderEmployerDemand(w, r, f, http.StatusBadRequest)
}

// withdrawDemand withdraws one of the company's demands (an open offer from it ends).
func (s *Server) withdrawDemand(w http.ResponseWriter, r *http.Request) error {
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	if err := s.API.WithdrawDemand(r.Context(), s.token(r), number, r.PathValue("id")); err != nil {
		return err
	}
	s.flash(r, "success", "flash.demand_withdrawn")
	return redirect(w, r, "/employer/demand#demands-title")
}

// answerDemandOffer accepts or declines an offer of seats. An offer no longer open (answered,
// expired, withdrawn) shows registration's reason; the same answer twice is answered once.
func (s *Server) answerDemandOffer(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	answer, id := r.PathValue("answer"), r.PathValue("id")
	if answer != "accept" && answer != "decline" {
		return errNotFound
	}
	f := formFrom(r)
	f.Scope = answer + "-" + id
	key := f.Get("idempotency_key")
	if key == "" {
		key = "portal-offer-" + answer + "-" + id
	}
	answered := map[string]string{"accept": "accepted", "decline": "declined"}
	o, err := s.API.AnswerDemandOffer(r.Context(), s.token(r), number, id, key, answer == "accept")
	if api.StatusOf(err) == http.StatusConflict {
		// Answered already? The same answer again (a double submit) is not an error.
		if offers, e := s.API.Offers(r.Context(), s.token(r), number); e == nil {
			for _, x := range offers {
				if x.ID == id && x.Status == answered[answer] {
					o, err = x, nil
				}
			}
		}
	}
	switch api.StatusOf(err) {
	case 0:
		title := o.Course.Title
		if l == i18n.EN && o.Course.TitleEN != "" {
			title = o.Course.TitleEN
		}
		s.flash(r, "success", "flash.demand_offer_"+answered[answer], title)
		return redirect(w, r, "/employer/demand#offer-"+id)
	case http.StatusConflict:
		f.Add("", l.T("employer_demand.offers_heading"), l.T("err.offer_closed", problemText(l, err)))
		return s.renderEmployerDemand(w, r, f, http.StatusConflict)
	}
	return err
}

// --- Institutions: the companies' demand -------------------------------------------------------

// DemandTotalView is a row of the companies' demand as the institution's page shows it.
type DemandTotalView struct {
	api.DemandTotal
	What  string // the course code, the skill or the kind of course
	Names string
}

func (s *Server) companyDemand(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	q := r.URL.Query()
	query := api.DemandQuery{CourseCode: strings.TrimSpace(q.Get("course_code")), Category: q.Get("category"), From: q.Get("from"), To: q.Get("to")}
	f := &Form{Values: map[string][]string{"course_code": {query.CourseCode}, "category": {query.Category}, "from": {query.From}, "to": {query.To}}}
	if query.Category != "" && !slices.Contains(categories, query.Category) {
		f.Add("category", l.T("demand_form.category"), l.T("err.demand_category"))
		query.Category = ""
	}
	if len(query.CourseCode) > 40 {
		f.Add("course_code", l.T("demand_form.course_code"), l.T("err.demand_course_code"))
		query.CourseCode = ""
	}
	filterDates(f, l, &query.From, &query.To)
	rows, waiting, err := s.API.DemandTotals(r.Context(), s.token(r), query)
	if api.StatusOf(err) == http.StatusBadRequest {
		addFieldErrors(f, l, err, map[string]string{"course_code": "demand_form.course_code", "category": "demand_form.category",
			"from": "filter.from", "to": "filter.to"}, "err.filter_")
		query = api.DemandQuery{}
		rows, waiting, err = s.API.DemandTotals(r.Context(), s.token(r), query)
	}
	if err != nil {
		return err
	}
	views := make([]DemandTotalView, 0, len(rows))
	total := 0
	for _, row := range rows {
		v := DemandTotalView{DemandTotal: row, Names: strings.Join(row.CompanyNames, ", ")}
		switch {
		case row.CourseCode != "":
			v.What = row.CourseCode
		case row.Skill != "":
			v.What = row.Skill
		case row.Category != "":
			v.What = l.T("category." + row.Category)
		}
		total += row.Employees
		views = append(views, v)
	}
	return s.render(w, r, http.StatusOK, "company_demand", Page{Title: l.T("company_demand.title"), Nav: "company_demand", Form: f,
		Data: map[string]any{"Rows": views, "Waiting": waiting, "Categories": categories, "Total": total,
			"Filtered": query != (api.DemandQuery{})}})
}
