// Package templates renders notification messages in Danish and English: a subject, a plain-text body,
// an HTML body (html/template, built from the same paragraphs as the text) and a short SMS text.
package templates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/services/notification/internal/policy"
)

// Languages are the languages messages are written in; another language is written in Danish.
var Languages = []string{"da", "en"}

// Language returns lang when messages are written in it, else "da".
func Language(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "da"
}

// Input is what a message is rendered from; it is kept with the message (messages.data), so a message
// is rendered when it is sent, in the language the citizen wants then.
type Input struct {
	Enrolment      *events.Enrolment   `json:"enrolment,omitempty"`
	Referral       *events.Referral    `json:"referral,omitempty"`
	PreviousCourse *events.CourseFacts `json:"previous_course,omitempty"` // course_changed: the run before the change
	DaysBefore     int                 `json:"days_before,omitempty"`     // reminder_course_start
	// Commitment is a company's message: what a funding plan asks of the citizen's employer. Its
	// employee_name is left empty: the name is in EmployeeSealed, sealed with the citizen's data key
	// (see store.SealEmployee), and put back when the message is sent.
	Commitment     *events.Commitment `json:"commitment,omitempty"`
	EmployeeSealed []byte             `json:"employee_sealed,omitempty"`
	// Refund is a company's message: an employee's refund paid out. Its employee_name is sealed in
	// EmployeeSealed like a commitment's, and its company's e-mail address is left empty (the
	// recipient's, sealed there).
	Refund *events.RefundPaid `json:"refund,omitempty"`
	// Offer is a company's message: seats on a new run held for its demand. It names no one.
	Offer *events.DemandOffered `json:"offer,omitempty"`
	// Invitation is the message to an employee a company enrolled: its name and email are left
	// empty (the recipient's, sealed there).
	Invitation *events.StaffInvited `json:"invitation,omitempty"`
}

// EmployeeCitizen is the citizen whose name a company's message holds sealed in EmployeeSealed, if
// any ("" for none).
func (in Input) EmployeeCitizen() string {
	switch {
	case len(in.EmployeeSealed) == 0:
		return ""
	case in.Commitment != nil:
		return in.Commitment.CitizenID
	case in.Refund != nil:
		return in.Refund.CitizenID
	}
	return ""
}

// SetEmployee puts the employee's name, opened from EmployeeSealed, back where the message uses it.
func (in *Input) SetEmployee(name string) {
	if in.Commitment != nil {
		in.Commitment.EmployeeName = name
	}
	if in.Refund != nil {
		in.Refund.EmployeeName = name
	}
}

// Decode reads a message's stored data. Messages queued before Input existed hold the event's data
// itself: a referral for referral_received, else an enrolment.
func Decode(kind string, data []byte) (Input, error) {
	var in Input
	if err := json.Unmarshal(data, &in); err != nil {
		return Input{}, fmt.Errorf("message data: %w", err)
	}
	if in.Enrolment != nil || in.Referral != nil || in.Commitment != nil || in.Refund != nil || in.Offer != nil ||
		in.Invitation != nil {
		return in, nil
	}
	if kind == policy.ReferralReceived {
		var r events.Referral
		if err := json.Unmarshal(data, &r); err != nil || r.ReferralID == "" {
			return Input{}, fmt.Errorf("message data: not a referral")
		}
		return Input{Referral: &r}, nil
	}
	var e events.Enrolment
	if err := json.Unmarshal(data, &e); err != nil || e.EnrolmentID == "" {
		return Input{}, fmt.Errorf("message data: not an enrolment")
	}
	return Input{Enrolment: &e}, nil
}

// Vars are the values a template may use, already written for the message's language.
type Vars struct {
	Name        string
	Title       string // the English title in English when the run has one
	Institution string
	StartsOn    string // e.g. "mandag den 4. januar 2027" / "Monday 4 January 2027"
	EndsOn      string
	OldStartsOn string // course_changed
	OldEndsOn   string
	Position    int      // on the waiting list
	Scheme      string   // how the course is paid, e.g. "VEU-godtgørelse"
	CitizenPays string   // e.g. "1.040 kr." / "DKK 1,040"
	Weekly      string   // allowance or grant per week; "" when none
	Reasons     []string // funding's reasons in the language, or the institution's reason
	Reason      string   // a short explanation (cancellation, referral, institution)
	Deadline    string   // when to answer an offer or a referral
	DaysBefore  int      // reminder_course_start: 7 or 1
	Employer    string   // funding_employer_required: the company's name, else "din arbejdsgiver" / "your employer"
	Employee    string   // a company's message: the employee's name
	Asks        []string // what the company is asked, written for the message's reader
	CompanyPays string   // a company's message: the part of the fee it is asked to pay; "" when none
	Refund      string   // a company's message: the allowance it gets back if the salary continues; "" when none
	Expected    string   // refund_paid: the refund for every planned hour
	Paid        string   // refund_paid: what was paid, for the attended hours
	Attended    string   // refund_paid: the hours the employee attended, e.g. "18,5" / "18.5"
	Planned     string   // refund_paid: the hours planned
	PaidOn      string   // refund_paid: the day it was paid; "" when not known
	Seats       int      // demand_offer: the seats held for the company
	Employees   int      // demand_offer: the employees the company's demand is for
	Location    string   // demand_offer: where the run is taught; "" when not known

	Promoted      bool // enrolment_received: a seat became free for a waiting request
	ByCitizen     bool // the citizen did it
	ByInstitution bool // the institution did it
	Decision      bool // a public authority's decision (also sent by Digital Post)

	PortalURL string // the portal's address, without a trailing slash

	// Other is the same message's values in the other language, for a bilingual message (one to a
	// reader whose language is not known: staff_invited); nil otherwise.
	Other *Vars
}

// Bilingual reports whether a message of kind says everything in both languages, its own first.
func Bilingual(kind string) bool { return kind == policy.StaffInvited }

// Rendered is a message ready to send.
type Rendered struct {
	Subject string
	Text    string // plain text
	HTML    string // a complete HTML document
	SMS     string
}

var schemeNames = map[string][2]string{
	"self":                 {"du betaler selv", "you pay yourself"},
	"svu":                  {"SVU (Statens Voksenuddannelsesstøtte)", "SVU (State Adult Education Grant)"},
	"veu":                  {"VEU-godtgørelse", "VEU allowance"},
	"employer":             {"din arbejdsgiver betaler", "your employer pays"},
	"municipality":         {"kommunen betaler", "the municipality pays"},
	"omstillingsfonden":    {"Omstillingsfonden", "the Omstillingsfonden fund"},
	"regional_pulje":       {"den regionale uddannelsespulje", "the regional education pool"},
	"jobrettet_uddannelse": {"6 ugers jobrettet uddannelse", "six weeks' job-oriented education"},
	"kompetencefond":       {"Den Kommunale Kompetencefond", "the municipal competence fund"},
}

func scheme(code, lang string) string {
	names, ok := schemeNames[code]
	if !ok {
		return code
	}
	if lang == "en" {
		return names[1]
	}
	return names[0]
}

// VarsFor writes the values of in for a message to name in lang; portal is the portal's address. A
// bilingual message also has them in the other language.
func VarsFor(kind string, in Input, name, lang, portal string) Vars {
	v := varsFor(kind, in, name, Language(lang), portal)
	if Bilingual(kind) {
		other := varsFor(kind, in, name, Languages[1-index(Language(lang))], portal)
		v.Other = &other
	}
	return v
}

func varsFor(kind string, in Input, name, lang, portal string) Vars {
	v := Vars{Name: name, PortalURL: strings.TrimRight(portal, "/"), DaysBefore: in.DaysBefore}
	course := func(c events.CourseFacts) {
		v.Title, v.Institution = c.Title, c.InstitutionName
		if lang == "en" && c.TitleEN != "" {
			v.Title = c.TitleEN
		}
		v.StartsOn, v.EndsOn = Date(c.StartsOn, lang), Date(c.EndsOn, lang)
	}
	if e := in.Enrolment; e != nil {
		course(e.Course)
		v.Position = e.WaitlistPosition
		v.ByCitizen, v.ByInstitution = e.Cause == "citizen", e.Cause == "institution"
		v.Promoted = kind == policy.EnrolmentReceived && e.Cause == "system"
		v.Decision = policy.IsDecision(kind, e.Cause)
		v.Reason = explain(*e, lang)
		if f := e.Funding; f != nil {
			v.Scheme = scheme(f.Scheme, lang)
			v.CitizenPays = Money(f.CitizenPaysDKK, lang)
			if f.WeeklyDKK > 0 {
				v.Weekly = Money(f.WeeklyDKK, lang)
			}
			v.Reasons = f.Reasons
			if lang == "da" && len(f.ReasonsDA) > 0 {
				v.Reasons = f.ReasonsDA
			}
		} else if e.FundingPreference != "" {
			v.Scheme = scheme(e.FundingPreference, lang)
		}
		if v.ByInstitution && e.Reason != "" { // the institution's own words (or registration's reason), not funding's
			v.Reasons = []string{v.Reason}
		}
		if e.OfferExpiresAt != nil {
			v.Deadline = Moment(*e.OfferExpiresAt, lang)
		}
		if code, params := e.ReasonOf(); kind == policy.CourseCancelled && code == events.ReasonRunCancelled {
			v.Reason = params[events.ParamNote] // the institution's own words
		}
		if f := e.Funding; kind == policy.FundingEmployerRequired && f != nil && f.Employer != nil {
			v.Employer = f.Employer.Name
			v.Asks = asks(f.Employer.Asks, citizenAsks, lang)
			v.Deadline = EndOfDay(f.Employer.DueOn, lang)
		}
		if kind == policy.FundingEmployerRequired && v.Employer == "" {
			v.Employer = [2]string{"din arbejdsgiver", "your employer"}[index(lang)]
		}
	}
	if r := in.Referral; r != nil {
		course(r.Course)
		v.Scheme = scheme(r.Scheme, lang)
		v.Reason = r.Reason
		if kind == policy.ReferralWithdrawn {
			v.Reason = r.Note
		}
		v.Deadline = EndOfDay(r.ValidUntil, lang)
		v.Decision = policy.IsDecision(kind, "")
	}
	if c := in.Commitment; c != nil {
		course(c.Course)
		v.Employee = c.EmployeeName
		v.Asks = asks(c.Asks, companyAsks, lang)
		if c.FeeDKK > 0 {
			v.CompanyPays = Money(c.FeeDKK, lang)
		}
		if c.RefundEstimateDKK > 0 {
			v.Refund = Money(c.RefundEstimateDKK, lang)
		}
		v.Deadline = EndOfDay(c.DueOn, lang)
	}
	if r := in.Refund; r != nil {
		course(r.Course)
		v.Employee = r.EmployeeName
		v.Scheme = scheme(r.Scheme, lang)
		v.Expected, v.Paid = Money(r.ExpectedDKK, lang), Money(r.PaidDKK, lang)
		v.Attended, v.Planned = Hours(r.AttendedHours, lang), Hours(r.PlannedHours, lang)
		if t, err := time.Parse(time.RFC3339, r.PaidAt); err == nil {
			v.PaidOn = Date(t.In(policy.Copenhagen).Format(time.DateOnly), lang)
		}
	}
	if o := in.Offer; o != nil {
		course(o.Course)
		v.Seats, v.Employees, v.Location = o.Seats, o.Employees, o.Location
		v.Deadline = Moment(o.ExpiresAt, lang)
	}
	if i := in.Invitation; i != nil {
		course(i.Course)
		v.Employer = i.CompanyName
		if v.Employer == "" {
			v.Employer = [2]string{"Din arbejdsgiver", "Your employer"}[index(lang)]
		}
		v.Deadline = Moment(i.DueAt, lang)
	}
	if p := in.PreviousCourse; p != nil {
		v.OldStartsOn, v.OldEndsOn = Date(p.StartsOn, lang), Date(p.EndsOn, lang)
	}
	return v
}

// citizenAsks and companyAsks write what a funding plan asks of the employer (events.Ask*), for the
// citizen and for the company.
var (
	citizenAsks = map[string][2]string{
		events.AskPaysFee:         {"om den betaler deltagerbetalingen", "whether it pays the participant fee"},
		events.AskSalaryContinues: {"om du får løn under kurset", "whether you keep your salary during the course"},
		events.AskLeaveAgreement:  {"en aftale om orlov, så du kan få SVU", "a leave agreement, so that you can get SVU"},
	}
	companyAsks = map[string][2]string{
		events.AskPaysFee: {"om virksomheden betaler deltagerbetalingen", "whether the company pays the participant fee"},
		events.AskSalaryContinues: {"om medarbejderen får løn under kurset (så går godtgørelsen til virksomheden)",
			"whether the employee keeps their salary during the course (then the allowance goes to the company)"},
		events.AskLeaveAgreement: {"en aftale om orlov, så medarbejderen kan få SVU", "a leave agreement, so that the employee can get SVU"},
	}
)

// asks writes each ask in lang; one this version does not know is shown as its code.
func asks(codes []string, texts map[string][2]string, lang string) []string {
	var out []string
	for _, c := range codes {
		if t, ok := texts[c]; ok {
			out = append(out, t[index(lang)])
		} else {
			out = append(out, c)
		}
	}
	return out
}

func index(lang string) int {
	if lang == "en" {
		return 1
	}
	return 0
}

var (
	daMonths   = []string{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"}
	daWeekdays = []string{"søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"}
)

// Date writes a civil date (YYYY-MM-DD) in lang: "mandag den 4. januar 2027", "Monday 4 January 2027".
func Date(civil, lang string) string {
	d, err := time.Parse(time.DateOnly, civil)
	if err != nil {
		return civil
	}
	if lang == "en" {
		return d.Format("Monday 2 January 2006")
	}
	return fmt.Sprintf("%s den %d. %s %d", daWeekdays[d.Weekday()], d.Day(), daMonths[d.Month()-1], d.Year())
}

// Moment writes a moment in Copenhagen time: "4. januar 2027 kl. 23.59", "4 January 2027 at 23:59".
func Moment(t time.Time, lang string) string {
	l := t.In(policy.Copenhagen)
	if lang == "en" {
		return l.Format("Monday 2 January 2006 at 15:04")
	}
	return fmt.Sprintf("%s den %d. %s %d kl. %02d.%02d", daWeekdays[l.Weekday()], l.Day(), daMonths[l.Month()-1], l.Year(),
		l.Hour(), l.Minute())
}

// EndOfDay writes "the end of" a civil date, the last moment to answer a referral.
func EndOfDay(civil, lang string) string {
	d := Date(civil, lang)
	if lang == "en" {
		return "the end of " + d
	}
	return d + " (inden midnat)"
}

// Hours writes a number of hours as the language does: "18,5" in Danish, "18.5" in English.
func Hours(h float64, lang string) string {
	s := strconv.FormatFloat(h, 'f', -1, 64)
	if lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// Money writes whole kroner: "1.040 kr." in Danish, "DKK 1,040" in English.
func Money(dkk int64, lang string) string {
	sep := "."
	if lang == "en" {
		sep = ","
	}
	s := fmt.Sprint(max(dkk, -dkk))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	if dkk < 0 {
		s = "-" + s
	}
	if lang == "en" {
		return "DKK " + s
	}
	return s + " kr."
}

type parsed struct{ subject, body, sms *template.Template }

// compiled holds every template, parsed once; a template that does not parse stops the program at
// start (and fails the tests).
var compiled = func() map[string]map[string]parsed {
	out := map[string]map[string]parsed{}
	for kind, langs := range texts {
		out[kind] = map[string]parsed{}
		for lang, t := range langs {
			p := func(part, src string) *template.Template {
				return template.Must(template.New(kind + "." + lang + "." + part).Option("missingkey=error").Parse(src))
			}
			out[kind][lang] = parsed{subject: p("subject", t.subject), body: p("body", t.body), sms: p("sms", t.sms)}
		}
	}
	return out
}()

// Render produces the message of kind in lang ("da" or "en"; anything else is Danish).
func Render(kind, lang string, v Vars) (Rendered, error) {
	lang = Language(lang)
	byLang, ok := compiled[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("no template for %q", kind)
	}
	t := byLang[lang]
	var out Rendered
	var err error
	if out.Subject, err = execute(t.subject, v); err != nil {
		return Rendered{}, err
	}
	out.Subject = strings.Join(strings.Fields(out.Subject), " ")
	body, err := execute(t.body, v)
	if err != nil {
		return Rendered{}, err
	}
	if out.SMS, err = execute(t.sms, v); err != nil {
		return Rendered{}, err
	}
	out.Text = strings.TrimSpace(body) + "\n\n-- \n" + signature[lang] + "\n"
	if out.HTML, err = toHTML(lang, out.Subject, strings.TrimSpace(body)); err != nil {
		return Rendered{}, err
	}
	return out, nil
}

var signature = map[string]string{
	"da": "Livslang, Herning Kommune. Du kan ikke svare på denne besked.",
	"en": "Livslang, Herning Kommune. Replies to this message are not read.",
}

func execute(t *template.Template, v Vars) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return b.String(), nil
}
