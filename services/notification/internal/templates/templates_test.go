package templates

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/services/notification/internal/policy"
)

// course is a real run from the demo catalogue, at an institution whose name needs escaping in HTML.
var course = events.CourseFacts{ID: "1f7c0e0a-3c8e-4f3e-9d7e-0d1b2c3d4e5f", Code: "40103", Title: "Gaffeltruckcertifikat (B)",
	TitleEN: "Forklift certificate (B)", Category: "amu", InstitutionID: "7ff24406-8c81-47b6-b886-bfd087089ef0",
	InstitutionName: "Herning HF & VUC", StartsOn: "2027-01-04", EndsOn: "2027-01-08", HoursPerWeek: 37, FeeDKK: 1040,
	Schemes: []string{"self", "veu"}, SeatsTotal: 12}

func enrolment(status, cause, reason string) *events.Enrolment {
	expires := time.Date(2026, 12, 3, 22, 59, 0, 0, time.UTC) // 23:59 in Copenhagen
	e := &events.Enrolment{EnrolmentID: "e7a1", Version: 3, Status: status, CitizenID: "c8a9df20-99dc-43a3-ab69-45c33cb7ed01",
		FundingPreference: "veu", Course: course, Cause: cause, Reason: reason, WaitlistPosition: 3, OfferExpiresAt: &expires,
		Funding: &events.FundingSummary{Outcome: "approved", Scheme: "veu", CitizenPaysDKK: 1040, WeeklyDKK: 4865}}
	if status == "rejected" {
		e.Funding = &events.FundingSummary{Outcome: "rejected", Scheme: "svu",
			Reasons:   []string{"SVU is not paid for AMU courses (SVU-loven § 2)", "You are employed fewer than 20 hours a week"},
			ReasonsDA: []string{"Der gives ikke SVU til AMU-kurser (SVU-loven § 2)", "Du er ansat under 20 timer om ugen"}}
	}
	return e
}

var referral = &events.Referral{ReferralID: "r1", Status: "open", CitizenID: "c1", Municipality: "657", Course: course,
	Scheme: "municipality", Reason: "Opkvalificering til lagerjob", ValidUntil: "2026-12-10", Note: "Borgeren er flyttet"}

// waiting is an enrolment whose funding decision waits for the citizen's employer.
func waiting(company string) *events.Enrolment {
	e := enrolment("pending", "citizen", "")
	e.Funding = &events.FundingSummary{Outcome: "employer_required", Scheme: "veu", Employer: &events.EmployerPart{
		CommitmentID: "k1", CVR: "12345674", Name: company, Asks: []string{events.AskPaysFee, events.AskSalaryContinues},
		DueOn: "2026-12-10"}}
	return e
}

// commitment is what a funding plan asks of Mette Nielsen's employer, as a company's message holds it.
var commitment = &events.Commitment{CommitmentID: "k1", Status: "pending", EnrolmentID: "e7a1", CitizenID: "c1",
	EmployeeName: "Mette Nielsen", Company: events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Email: "hr@vestas.example", Language: "da"},
	Course: course, Asks: []string{events.AskPaysFee, events.AskSalaryContinues}, FeeDKK: 1040, RefundEstimateDKK: 4865, DueOn: "2026-12-10"}

// refund is Mette Nielsen's VEU paid to her employer for the hours she attended.
var refund = &events.RefundPaid{RefundID: "f1", DecisionID: "d1", EnrolmentID: "e7a1", CitizenID: "c1", EmployeeName: "Mette Nielsen",
	Company: events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Language: "da"}, Course: course, Scheme: "veu",
	ExpectedDKK: 4865, PaidDKK: 3649, AttendedHours: 27.75, PlannedHours: 37, PaidAt: "2027-01-20T09:30:00Z"}

// offer holds seats on the run for a company's demand.
var offer = &events.DemandOffered{OfferID: "o1", DemandID: "m1", CVR: "12345674", CompanyName: "Vestas Wind Systems A/S",
	Course: course, Location: "Herning", Employees: 4, Seats: 3, ExpiresAt: time.Date(2026, 12, 10, 22, 59, 0, 0, time.UTC)}

// invitation asks an employee Vestas enrolled to complete their profile.
var invitation = &events.StaffInvited{InvitationID: "i1", CVR: "12345674", CompanyName: "Vestas Wind Systems A/S", Course: course,
	DueAt: time.Date(2026, 12, 10, 22, 59, 0, 0, time.UTC)}

// inputs has, for every kind, the data it is sent with and what each language's text must say.
var inputs = map[string]struct {
	in   Input
	want map[string][]string // language → substrings of the text (subject and body)
	name string              // the recipient; "" is Mette Nielsen
}{
	policy.EnrolmentReceived: {Input{Enrolment: enrolment("pending", "system", "a seat became free")}, map[string][]string{
		"da": {"Du har fået en plads på \"Gaffeltruckcertifikat (B)\" hos Herning HF & VUC, fordi der blev en plads ledig.", "mandag den 4. januar 2027", "fredag den 8. januar 2027"},
		"en": {"You have got a place on \"Forklift certificate (B)\" at Herning HF & VUC, because a place became free.", "Monday 4 January 2027", "Friday 8 January 2027"}}, ""},
	policy.EnrolmentWaitlisted: {Input{Enrolment: enrolment("waitlisted", "citizen", "")}, map[string][]string{
		"da": {"nummer 3 på ventelisten"}, "en": {"number 3 on the waiting list"}}, ""},
	policy.EnrolmentOffered: {Input{Enrolment: enrolment("offered", "system", "a seat became free")}, map[string][]string{
		"da": {"torsdag den 3. december 2026 kl. 23.59"}, "en": {"answer by Thursday 3 December 2026 at 23:59"}}, ""},
	policy.EnrolmentConfirmed: {Input{Enrolment: enrolment("confirmed", "funding", "funding approved: veu")}, map[string][]string{
		"da": {"VEU-godtgørelse", "Du betaler: 1.040 kr.\n", "4.865 kr."}, "en": {"VEU allowance", "You pay: DKK 1,040", "DKK 4,865"}}, ""},
	policy.EnrolmentRejected: {Input{Enrolment: enrolment("rejected", "funding", "funding rejected")}, map[string][]string{
		"da": {"- Der gives ikke SVU til AMU-kurser (SVU-loven § 2)", "- Du er ansat under 20 timer om ugen", "SVU (Statens Voksenuddannelsesstøtte)"},
		"en": {"- SVU is not paid for AMU courses (SVU-loven § 2)", "- You are employed fewer than 20 hours a week", "SVU (State Adult Education Grant)"}}, ""},
	policy.EnrolmentCancelled: {Input{Enrolment: enrolment("cancelled", "system", "the offer expired without an answer")}, map[string][]string{
		"da": {"Årsag: du svarede ikke på tilbuddet om en plads i tide."}, "en": {"Reason: you did not answer the offer of a place in time."}}, ""},
	policy.EnrolmentAccepted: {Input{Enrolment: enrolment("confirmed", "institution", "accepted by the institution")}, map[string][]string{
		"da": {"Herning HF & VUC har godkendt din tilmelding"}, "en": {"Herning HF & VUC has accepted your enrolment"}}, ""},
	policy.CourseChanged: {Input{Enrolment: enrolment("confirmed", "funding", ""),
		PreviousCourse: &events.CourseFacts{StartsOn: "2026-12-07", EndsOn: "2026-12-11"}}, map[string][]string{
		"da": {"starter nu mandag den 4. januar 2027 (før mandag den 7. december 2026)", "slutter nu fredag den 8. januar 2027 (før fredag den 11. december 2026)"},
		"en": {"now starts on Monday 4 January 2027 (was Monday 7 December 2026)", "now ends on Friday 8 January 2027 (was Friday 11 December 2026)"}}, ""},
	policy.CourseCancelled: {Input{Enrolment: enrolment("cancelled", "institution", "the course run was cancelled: for få tilmeldte")}, map[string][]string{
		"da": {"Uddannelsesstedets begrundelse: for få tilmeldte", "har aflyst holdet"},
		"en": {"The institution's reason: for få tilmeldte", "has cancelled the course"}}, ""},
	policy.ReferralReceived: {Input{Referral: referral}, map[string][]string{
		"da": {"Begrundelse: Opkvalificering til lagerjob", "kommunen betaler", "torsdag den 10. december 2026 (inden midnat)"},
		"en": {"Reason: Opkvalificering til lagerjob", "the municipality pays", "the end of Thursday 10 December 2026"}}, ""},
	policy.ReferralWithdrawn: {Input{Referral: referral}, map[string][]string{
		"da": {"Begrundelse: Borgeren er flyttet"}, "en": {"Reason: Borgeren er flyttet"}}, ""},
	policy.ReminderCourseStart: {Input{Enrolment: enrolment("confirmed", "funding", ""), DaysBefore: 7}, map[string][]string{
		"da": {"starter om 7 dage", "Om 7 dage, mandag den 4. januar 2027"}, "en": {"starts in 7 days", "In 7 days, on Monday 4 January 2027"}}, ""},
	policy.ReminderOfferExpires: {Input{Enrolment: enrolment("offered", "system", "")}, map[string][]string{
		"da": {"Svar senest torsdag den 3. december 2026 kl. 23.59"}, "en": {"Please answer by Thursday 3 December 2026 at 23:59"}}, ""},
	policy.ReminderReferralExpires: {Input{Referral: referral}, map[string][]string{
		"da": {"Svar senest torsdag den 10. december 2026 (inden midnat)"}, "en": {"answer by the end of Thursday 10 December 2026"}}, ""},
	policy.FundingEmployerRequired: {Input{Enrolment: waiting("Vestas Wind Systems A/S")}, map[string][]string{
		"da": {"Din tilmelding afventer din arbejdsgiver", "svar fra Vestas Wind Systems A/S på:\n\n- om den betaler deltagerbetalingen\n- om du får løn under kurset",
			"Vi har bedt Vestas Wind Systems A/S om at svare senest torsdag den 10. december 2026 (inden midnat).", "Vi holder pladsen til dig imens"},
		"en": {"Your enrolment is waiting for your employer", "an answer from Vestas Wind Systems A/S on:\n\n- whether it pays the participant fee\n- whether you keep your salary",
			"to answer by the end of Thursday 10 December 2026.", "We are keeping your place meanwhile"}}, ""},
	policy.CommitmentRequested: {Input{Commitment: commitment}, map[string][]string{
		"da": {"Kære Vestas Wind Systems A/S", "Mette Nielsen, som er ansat hos jer", "starter mandag den 4. januar 2027",
			"- om virksomheden betaler deltagerbetalingen\n- om medarbejderen får løn", "Deltagerbetaling, som virksomheden betaler: 1.040 kr.\nForventet godtgørelse til virksomheden, hvis lønnen fortsætter: 4.865 kr.",
			"Svar senest torsdag den 10. december 2026 (inden midnat).", "http://127.0.0.1:8080/employer/commitments"},
		"en": {"Dear Vestas Wind Systems A/S", "Please approve: Mette Nielsen on Forklift certificate (B)", "starts on Monday 4 January 2027",
			"- whether the company pays the participant fee", "Participant fee the company pays: DKK 1,040", "DKK 4,865",
			"Please answer by the end of Thursday 10 December 2026.", "http://127.0.0.1:8080/employer/commitments"}}, "Vestas Wind Systems A/S"},
	policy.CommitmentReminder: {Input{Commitment: commitment}, map[string][]string{
		"da": {"Husk at svare: Mette Nielsen på Gaffeltruckcertifikat (B)", "endnu ikke svaret", "senest torsdag den 10. december 2026 (inden midnat)",
			"http://127.0.0.1:8080/employer/commitments"},
		"en": {"Please answer: Mette Nielsen on Forklift certificate (B)", "not yet answered", "by the end of Thursday 10 December 2026",
			"http://127.0.0.1:8080/employer/commitments"}}, "Vestas Wind Systems A/S"},
	policy.CommitmentExpired: {Input{Commitment: commitment}, map[string][]string{
		"da": {"Fristen er udløbet: Mette Nielsen på Gaffeltruckcertifikat (B)", "fristen, torsdag den 10. december 2026 (inden midnat)", "Mette Nielsen har fået besked"},
		"en": {"The deadline has passed", "by the deadline, the end of Thursday 10 December 2026", "Mette Nielsen has been told"}}, "Vestas Wind Systems A/S"},
	policy.RefundPaid: {Input{Refund: refund}, map[string][]string{
		"da": {"Refusion udbetalt: Mette Nielsen – Gaffeltruckcertifikat (B)", "udbetalt til virksomheden onsdag den 20. januar 2027. Ordning: VEU-godtgørelse.",
			"Udbetalt: 3.649 kr. for 27,75 af 37 planlagte timer\nForventet for alle planlagte timer: 4.865 kr.", "http://127.0.0.1:8080/employer/refunds"},
		"en": {"Refund paid: Mette Nielsen – Forklift certificate (B)", "paid to the company on Wednesday 20 January 2027. Scheme: VEU allowance.",
			"Paid: DKK 3,649 for 27.75 of 37 planned hours\nExpected for every planned hour: DKK 4,865", "http://127.0.0.1:8080/employer/refunds"}},
		"Vestas Wind Systems A/S"},
	policy.DemandOffer: {Input{Offer: offer}, map[string][]string{
		"da": {"Tilbud om pladser: Gaffeltruckcertifikat (B)", "ønske om uddannelse til 4 medarbejdere. Vi holder 3 pladser til jer indtil torsdag den 10. december 2026 kl. 23.59.",
			"Sted: Herning", "http://127.0.0.1:8080/employer/offers"},
		"en": {"Seats offered: Forklift certificate (B)", "training for 4 employees. We are holding 3 seats for you until Thursday 10 December 2026 at 23:59.",
			"Place: Herning", "http://127.0.0.1:8080/employer/offers"}}, ""},
	policy.StaffInvited: {Input{Invitation: invitation}, map[string][]string{
		"da": {"Vestas Wind Systems A/S har tilmeldt dig Gaffeltruckcertifikat (B) / Vestas Wind Systems A/S has enrolled you on Forklift certificate (B)",
			"Vestas Wind Systems A/S har tilmeldt dig \"Gaffeltruckcertifikat (B)\" hos Herning HF & VUC; log ind på Livslang og udfyld din profil senest torsdag den 10. december 2026 kl. 23.59, så din plads holdes.",
			"Dear Mette Nielsen", "log in to Livslang and complete your profile by Thursday 10 December 2026 at 23:59", "http://127.0.0.1:8080/me/profile"},
		"en": {"Vestas Wind Systems A/S has enrolled you on Forklift certificate (B) / Vestas Wind Systems A/S har tilmeldt dig Gaffeltruckcertifikat (B)",
			"complete your profile by Thursday 10 December 2026 at 23:59", "Kære Mette Nielsen", "udfyld din profil senest torsdag den 10. december 2026 kl. 23.59"}}, ""},
}

func TestEveryKindRendersInBothLanguagesWithEveryVariable(t *testing.T) {
	t.Parallel()
	for _, kind := range policy.MessageKinds() {
		tc, ok := inputs[kind]
		if !ok {
			t.Errorf("%s: no test data", kind)
			continue
		}
		if _, ok := texts[kind]; !ok {
			t.Errorf("%s: no template", kind)
		}
		for _, lang := range Languages {
			// Through storage, as the sender renders it.
			raw, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			in, err := Decode(kind, raw)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			name := tc.name
			if name == "" {
				name = "Mette Nielsen"
			}
			v := VarsFor(kind, in, name, lang, "http://127.0.0.1:8080/")
			m, err := Render(kind, lang, v)
			if err != nil {
				t.Fatalf("%s/%s: %v", kind, lang, err)
			}
			title := map[string]string{"da": course.Title, "en": course.TitleEN}[lang]
			all := m.Subject + "\n" + m.Text
			for _, want := range append([]string{title, "Mette Nielsen", "Herning HF & VUC"}, tc.want[lang]...) {
				if !strings.Contains(all, want) {
					t.Errorf("%s/%s lacks %q:\n%s", kind, lang, want, all)
				}
			}
			for _, part := range []string{m.Subject, m.Text, m.HTML, m.SMS} {
				if strings.Contains(part, "<no value>") || strings.Contains(part, "{{") || strings.Contains(part, "%!") ||
					strings.Contains(part, "..") || strings.Contains(part, " .") || strings.Contains(part, "()") {
					t.Errorf("%s/%s rendered a missing value: %s", kind, lang, part)
				}
			}
			if m.Subject == "" || strings.Contains(m.Subject, "\n") || !strings.Contains(m.Subject, title) {
				t.Errorf("%s/%s subject %q", kind, lang, m.Subject)
			}
			if len([]rune(m.SMS)) > 320 || !strings.HasPrefix(m.SMS, "Livslang: ") || !strings.Contains(m.SMS, title) {
				t.Errorf("%s/%s SMS (%d characters): %q", kind, lang, len([]rune(m.SMS)), m.SMS)
			}
			checkHTML(t, kind+"/"+lang, m, title)
			// No English in the Danish text and the other way round: the sign-off and the greeting.
			greeting := map[string]string{"da": "Kære ", "en": "Dear "}[lang] + name
			if !strings.HasPrefix(m.Text, greeting) {
				t.Errorf("%s/%s starts %q", kind, lang, m.Text[:min(40, len(m.Text))])
			}
		}
	}
}

// checkHTML parses the HTML part as XML (it is written well-formed) and checks that it says what the
// text says, escaped.
func checkHTML(t *testing.T, name string, m Rendered, title string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(m.HTML, "<!DOCTYPE html>\n")))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity // void elements (meta, br, hr) close themselves
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s: HTML does not parse: %v\n%s", name, err, m.HTML)
			return
		}
		if c, ok := tok.(xml.CharData); ok {
			text.Write(c)
		}
	}
	if !strings.Contains(m.HTML, "Herning HF &amp; VUC") || strings.Contains(m.HTML, "HF & VUC") {
		t.Errorf("%s: the institution's name is not escaped in the HTML", name)
	}
	if !strings.Contains(text.String(), title) || !strings.Contains(m.HTML, `<a href="http://127.0.0.1:8080/`) &&
		strings.Contains(m.Text, "http://127.0.0.1:8080/") {
		t.Errorf("%s: HTML lacks the title or the link:\n%s", name, m.HTML)
	}
	if strings.Contains(m.Text, "\n- ") != strings.Contains(m.HTML, "<li>") {
		t.Errorf("%s: a list in the text is not a list in the HTML:\n%s", name, m.HTML)
	}
}

func TestHTMLEscapesWhatComesFromOutside(t *testing.T) {
	t.Parallel()
	e := enrolment("cancelled", "institution", `the course run was cancelled: <script>alert("x")</script>`)
	e.Course.Title = `Svejsning <b>MAG</b>`
	v := VarsFor(policy.CourseCancelled, Input{Enrolment: e}, `Anna "A" <Jensen>`, "da", "http://127.0.0.1:8080")
	m, err := Render(policy.CourseCancelled, "da", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>", "<b>MAG", "<Jensen>"} {
		if strings.Contains(m.HTML, raw) {
			t.Errorf("HTML carries %q unescaped", raw)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") || !strings.Contains(m.Text, `<script>alert("x")</script>`) {
		t.Errorf("escaping:\n%s\n%s", m.HTML, m.Text)
	}
}

func TestOldMessagesStillRender(t *testing.T) {
	t.Parallel()
	// Rows queued before this version hold the event's data itself.
	raw, _ := json.Marshal(enrolment("confirmed", "funding", ""))
	in, err := Decode(policy.EnrolmentConfirmed, raw)
	if err != nil || in.Enrolment == nil || in.Enrolment.Course.Title != course.Title {
		t.Fatalf("enrolment data: %+v, %v", in, err)
	}
	raw, _ = json.Marshal(referral)
	in, err = Decode(policy.ReferralReceived, raw)
	if err != nil || in.Referral == nil || in.Referral.ReferralID != "r1" {
		t.Fatalf("referral data: %+v, %v", in, err)
	}
	if _, err := Decode(policy.EnrolmentConfirmed, []byte(`{"x":1}`)); err == nil {
		t.Fatal("decoded nothing without an error")
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want string }{
		{Money(1040, "da"), "1.040 kr."}, {Money(1040, "en"), "DKK 1,040"}, {Money(0, "da"), "0 kr."},
		{Money(1234567, "en"), "DKK 1,234,567"}, {Money(999, "da"), "999 kr."},
		{Date("2027-03-28", "da"), "søndag den 28. marts 2027"}, {Date("2027-03-28", "en"), "Sunday 28 March 2027"},
		{Date("not a date", "da"), "not a date"},
		{Moment(time.Date(2027, 7, 1, 10, 5, 0, 0, time.UTC), "da"), "torsdag den 1. juli 2027 kl. 12.05"}, // summer time
		{Explain("the referral was withdrawn: flyttet", "da"), "kommunen trak henvisningen tilbage: flyttet"},
		{Explain("ny vagtplan", "da"), "ny vagtplan"}, {Explain("won a seat in the ballot", "en"), "you won a place in the draw"},
		{Explain("the course run was cancelled: for få", "en"), "the course was cancelled: for få"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// Every field of Vars is used by some template, so none is computed for nothing.
	all := ""
	for _, langs := range texts {
		for _, tx := range langs {
			all += tx.subject + tx.body + tx.sms
		}
	}
	for i := range reflect.TypeFor[Vars]().NumField() {
		if f := reflect.TypeFor[Vars]().Field(i).Name; !strings.Contains(all, "."+f) {
			t.Errorf("Vars.%s is used by no template", f)
		}
	}
}
