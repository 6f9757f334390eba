// Package templates renders notification messages in Danish and English.
package templates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"livslang.dk/pkg/events"
)

// Kinds of message.
const (
	EnrolmentWaitlisted = "enrolment_waitlisted"
	EnrolmentConfirmed  = "enrolment_confirmed"
	EnrolmentRejected   = "enrolment_rejected"
	EnrolmentCancelled  = "enrolment_cancelled"
	EnrolmentOffered    = "enrolment_offered"
	EnrolmentAccepted   = "enrolment_accepted"
	ReferralReceived    = "referral_received"
)

// KindForEvent maps an event type to the kind of message it causes, if any.
func KindForEvent(eventType string) (string, bool) {
	k, ok := map[string]string{
		events.TypeEnrolmentWaitlisted: EnrolmentWaitlisted,
		events.TypeEnrolmentConfirmed:  EnrolmentConfirmed,
		events.TypeEnrolmentRejected:   EnrolmentRejected,
		events.TypeEnrolmentCancelled:  EnrolmentCancelled,
		events.TypeEnrolmentOffered:    EnrolmentOffered,
		events.TypeEnrolmentAccepted:   EnrolmentAccepted,
		events.TypeReferralCreated:     ReferralReceived,
	}[eventType]
	return k, ok
}

// Message is a rendered message.
type Message struct {
	Subject string
	Body    string
}

type text struct{ subject, body string }

var texts = map[string]map[string]text{
	EnrolmentWaitlisted: {
		"da": {"Du er på venteliste: {{.Title}}", `Kære {{.Name}}

Holdet "{{.Title}}" hos {{.Institution}} er fuldt lige nu. Du står som nummer {{.Position}} på ventelisten.
Bliver der en plads ledig, får du den i den rækkefølge, du tilmeldte dig, og vi skriver til dig.

Holdet starter {{.StartsOn}} og slutter {{.EndsOn}}.
`},
		"en": {"You are on the waiting list: {{.TitleEN}}", `Dear {{.Name}}

The course "{{.TitleEN}}" at {{.Institution}} is full right now. You are number {{.Position}} on the waiting list.
If a seat becomes free, it goes to the waiting list in the order people enrolled, and we will write to you.

The course starts on {{.StartsOn}} and ends on {{.EndsOn}}.
`},
	},
	EnrolmentConfirmed: {
		"da": {"Du har fået plads: {{.Title}}", `Kære {{.Name}}

Du har fået plads på "{{.Title}}" hos {{.Institution}}.
Holdet starter {{.StartsOn}} og slutter {{.EndsOn}}.

Finansiering: {{.SchemeDA}}.
Du betaler: {{.CitizenPays}} kr.{{if .Weekly}}
Godtgørelse/støtte pr. uge: {{.Weekly}} kr.{{end}}

Kan du ikke deltage alligevel, så afmeld dig i Livslang, så pladsen kan gå videre.
`},
		"en": {"You have a place: {{.TitleEN}}", `Dear {{.Name}}

You have a place on "{{.TitleEN}}" at {{.Institution}}.
The course starts on {{.StartsOn}} and ends on {{.EndsOn}}.

Funding: {{.SchemeEN}}.
You pay: DKK {{.CitizenPays}}.{{if .Weekly}}
Allowance per week: DKK {{.Weekly}}.{{end}}

If you cannot take part after all, please cancel in Livslang so the place can go to someone else.
`},
	},
	EnrolmentRejected: {
		"da": {"Din tilmelding blev ikke godkendt: {{.Title}}", `Kære {{.Name}}

Din tilmelding til "{{.Title}}" hos {{.Institution}} blev ikke godkendt.
{{range .ReasonsDA}}
- {{.}}{{end}}

Du kan se hele begrundelsen i Livslang og prøve en anden finansiering, fx selvbetaling.
`},
		"en": {"Your enrolment was not approved: {{.TitleEN}}", `Dear {{.Name}}

Your enrolment on "{{.TitleEN}}" at {{.Institution}} was not approved.
{{range .Reasons}}
- {{.}}{{end}}

You can see the full explanation in Livslang and try another way of funding, such as paying yourself.
`},
	},
	EnrolmentCancelled: {
		"da": {"Din tilmelding er afmeldt: {{.Title}}", `Kære {{.Name}}

Din tilmelding til "{{.Title}}" hos {{.Institution}} er afmeldt.{{if .Reason}} Årsag: {{.Reason}}{{end}}
`},
		"en": {"Your enrolment is cancelled: {{.TitleEN}}", `Dear {{.Name}}

Your enrolment on "{{.TitleEN}}" at {{.Institution}} is cancelled.{{if .Reason}} Reason: {{.Reason}}{{end}}
`},
	},
}

func init() {
	texts[EnrolmentOffered] = map[string]text{
		"da": {"Der er en plads til dig: {{.Title}}", `Kære {{.Name}}

Der er blevet en plads ledig på "{{.Title}}" hos {{.Institution}}, og den er din, hvis du vil have den.
Svar senest {{.Deadline}} i Livslang under "Mine tilmeldinger". Svarer du ikke, går pladsen videre til den næste på ventelisten.

Holdet starter {{.StartsOn}} og slutter {{.EndsOn}}.
`},
		"en": {"A place is available for you: {{.TitleEN}}", `Dear {{.Name}}

A place has become free on "{{.TitleEN}}" at {{.Institution}}, and it is yours if you want it.
Please answer by {{.Deadline}} in Livslang under "My enrolments". If you do not answer, the place goes to the next person on the waiting list.

The course starts on {{.StartsOn}} and ends on {{.EndsOn}}.
`},
	}
	texts[EnrolmentAccepted] = map[string]text{
		"da": {"Uddannelsesstedet har godkendt din tilmelding: {{.Title}}", `Kære {{.Name}}

{{.Institution}} har godkendt din tilmelding til "{{.Title}}". Du hører nærmere om det praktiske fra uddannelsesstedet.

Holdet starter {{.StartsOn}}.
`},
		"en": {"The institution has accepted your enrolment: {{.TitleEN}}", `Dear {{.Name}}

{{.Institution}} has accepted your enrolment on "{{.TitleEN}}". The institution will tell you the practical details.

The course starts on {{.StartsOn}}.
`},
	}
	texts[ReferralReceived] = map[string]text{
		"da": {"Kommunen har henvist dig til et kursus: {{.Title}}", `Kære {{.Name}}

Kommunen har henvist dig til "{{.Title}}" hos {{.Institution}}, og {{.SchemeDA}} betaler.
Begrundelse: {{.Reason}}

Der er holdt en plads til dig. Svar senest {{.Deadline}} i Livslang under "Henvisninger" - du kan sige ja eller nej tak.

Holdet starter {{.StartsOn}} og slutter {{.EndsOn}}.
`},
		"en": {"The municipality has referred you to a course: {{.TitleEN}}", `Dear {{.Name}}

The municipality has referred you to "{{.TitleEN}}" at {{.Institution}}, paid by {{.SchemeEN}}.
Reason: {{.Reason}}

A place is held for you. Please answer by {{.Deadline}} in Livslang under "Referrals": you can accept or decline.

The course starts on {{.StartsOn}} and ends on {{.EndsOn}}.
`},
	}
}

var schemeNames = map[string][2]string{
	"self":                 {"selvbetaling", "paying yourself"},
	"svu":                  {"SVU (Statens Voksenuddannelsesstøtte)", "SVU (State Adult Education Grant)"},
	"veu":                  {"VEU-godtgørelse", "VEU allowance"},
	"employer":             {"din arbejdsgiver betaler", "your employer pays"},
	"municipality":         {"kommunen betaler", "the municipality pays"},
	"omstillingsfonden":    {"Omstillingsfonden", "the Omstillingsfonden fund"},
	"regional_pulje":       {"den regionale uddannelsespulje", "the regional education pool"},
	"jobrettet_uddannelse": {"6 ugers jobrettet uddannelse", "six weeks' job-oriented education"},
	"kompetencefond":       {"Den Kommunale Kompetencefond", "the municipal competence fund"},
}

// Vars are the values a template may use.
type Vars struct {
	Name, Title, TitleEN, Institution, StartsOn, EndsOn string
	Position                                            int
	SchemeDA, SchemeEN                                  string
	CitizenPays, Weekly                                 int64
	Reasons, ReasonsDA                                  []string
	Reason                                              string
	Deadline                                            string // an offer's or a referral's last moment to answer
}

// VarsFor builds the template values from an enrolment event and the recipient's name.
func VarsFor(name string, e events.Enrolment) Vars {
	v := Vars{Name: name, Title: e.Course.Title, TitleEN: e.Course.TitleEN, Institution: e.Course.InstitutionName,
		StartsOn: civil(e.Course.StartsOn), EndsOn: civil(e.Course.EndsOn), Position: e.WaitlistPosition, Reason: e.Reason}
	if f := e.Funding; f != nil {
		names := schemeNames[f.Scheme]
		v.SchemeDA, v.SchemeEN = names[0], names[1]
		v.CitizenPays, v.Weekly = f.CitizenPaysDKK, f.WeeklyDKK
		v.Reasons, v.ReasonsDA = f.Reasons, f.ReasonsDA
	}
	if e.Cause == "institution" && e.Reason != "" { // rejected by the institution: its reason, not funding's
		v.Reasons, v.ReasonsDA = []string{e.Reason}, []string{e.Reason}
	}
	if len(v.ReasonsDA) == 0 {
		v.ReasonsDA = v.Reasons
	}
	if e.OfferExpiresAt != nil {
		v.Deadline = e.OfferExpiresAt.In(copenhagen).Format("2006-01-02 15:04")
	}
	if v.TitleEN == "" {
		v.TitleEN = v.Title
	}
	return v
}

func civil(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2006-01-02")
}

// Render produces the message of kind in language ("da" or "en"; anything else is Danish).
func Render(kind, language string, v Vars) (Message, error) {
	byLang, ok := texts[kind]
	if !ok {
		return Message{}, fmt.Errorf("no template for %q", kind)
	}
	t, ok := byLang[language]
	if !ok {
		t = byLang["da"]
	}
	subject, err := execute(kind+".subject", t.subject, v)
	if err != nil {
		return Message{}, err
	}
	body, err := execute(kind+".body", t.body, v)
	if err != nil {
		return Message{}, err
	}
	return Message{Subject: strings.TrimSpace(subject), Body: body + "\n-- \nLivslang, Herning Kommune\n"}, nil
}

func execute(name, src string, v Vars) (string, error) {
	tmpl, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

var copenhagen = func() *time.Location {
	l, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		return time.UTC
	}
	return l
}()

// VarsForReferral builds the template values from a referral event.
func VarsForReferral(name string, r events.Referral) Vars {
	names := schemeNames[r.Scheme]
	v := Vars{Name: name, Title: r.Course.Title, TitleEN: r.Course.TitleEN, Institution: r.Course.InstitutionName,
		StartsOn: civil(r.Course.StartsOn), EndsOn: civil(r.Course.EndsOn), SchemeDA: names[0], SchemeEN: names[1],
		Reason: r.Reason, Deadline: r.ValidUntil}
	if v.TitleEN == "" {
		v.TitleEN = v.Title
	}
	return v
}

// VarsFromData decodes a message's event data (by its kind) into template values.
func VarsFromData(kind, name string, data []byte) (Vars, error) {
	if kind == ReferralReceived {
		var r events.Referral
		if err := json.Unmarshal(data, &r); err != nil {
			return Vars{}, fmt.Errorf("referral data: %w", err)
		}
		return VarsForReferral(name, r), nil
	}
	var e events.Enrolment
	if err := json.Unmarshal(data, &e); err != nil {
		return Vars{}, fmt.Errorf("enrolment data: %w", err)
	}
	return VarsFor(name, e), nil
}
