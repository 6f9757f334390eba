package templates

import "livslang.dk/services/notification/internal/policy"

// text is one kind of message in one language: the subject, the body and the SMS, each a text/template
// over Vars. In the body, a blank line separates paragraphs and lines starting with "- " make a list;
// the HTML part is built from the same paragraphs (see html.go), so both parts always say the same.
//
// Plain language: say what happened, what the citizen must do (or that they need not do anything) and
// by when; short sentences; no case numbers or legal jargon.
type text struct{ subject, body, sms string }

const (
	daSeeEnrolments = `Se dine tilmeldinger: {{.PortalURL}}/me/enrolments`
	enSeeEnrolments = `See your enrolments: {{.PortalURL}}/me/enrolments`
	daDates         = `Holdet starter {{.StartsOn}} og slutter {{.EndsOn}}.`
	enDates         = `The course starts on {{.StartsOn}} and ends on {{.EndsOn}}.`
	daAnswerAt      = `Svar i Livslangs område for arbejdsgivere: {{.PortalURL}}/employer/commitments`
	enAnswerAt      = `Answer in Livslang's area for employers: {{.PortalURL}}/employer/commitments`
	// daCompanyAsks and enCompanyAsks are what a company is asked, then the amounts.
	daCompanyAsks = `{{if .Asks}}Virksomheden bedes svare på:
{{range .Asks}}
- {{.}}{{end}}{{end}}{{if or .CompanyPays .Refund}}

{{if .CompanyPays}}Deltagerbetaling, som virksomheden betaler: {{.CompanyPays}}{{end}}{{if and .CompanyPays .Refund}}
{{end}}{{if .Refund}}Forventet godtgørelse til virksomheden, hvis lønnen fortsætter: {{.Refund}}{{end}}{{end}}`
	enCompanyAsks = `{{if .Asks}}The company is asked:
{{range .Asks}}
- {{.}}{{end}}{{end}}{{if or .CompanyPays .Refund}}

{{if .CompanyPays}}Participant fee the company pays: {{.CompanyPays}}{{end}}{{if and .CompanyPays .Refund}}
{{end}}{{if .Refund}}Expected allowance to the company if the salary continues: {{.Refund}}{{end}}{{end}}`
)

// daInvited and enInvited are the invitation to an employee a company enrolled, in each language.
const (
	daInvited = `Kære {{.Name}}

{{.Employer}} har tilmeldt dig "{{.Title}}" hos {{.Institution}}; log ind på Livslang og udfyld din profil senest {{.Deadline}}, så din plads holdes.

` + daDates + `

Udfylder du ikke profilen i tide, går pladsen videre til en anden. Har du spørgsmål til tilmeldingen, så kontakt din arbejdsgiver.

Log ind og udfyld din profil: {{.PortalURL}}/me/profile`
	enInvited = `Dear {{.Name}}

{{.Employer}} has enrolled you on "{{.Title}}" at {{.Institution}}; log in to Livslang and complete your profile by {{.Deadline}}, so that your place is held.

` + enDates + `

If you do not complete your profile in time, the place goes to someone else. If you have questions about the enrolment, please contact your employer.

Log in and complete your profile: {{.PortalURL}}/me/profile`
)

var texts = map[string]map[string]text{
	policy.EnrolmentReceived: {
		"da": {
			subject: `Vi har modtaget din tilmelding: {{.Title}}`,
			body: `Kære {{.Name}}

{{if .Promoted}}Du har fået en plads på "{{.Title}}" hos {{.Institution}}{{if .Reason}}, fordi {{.Reason}}{{end}}.{{else}}Vi har modtaget din tilmelding til "{{.Title}}" hos {{.Institution}}.{{end}} Vi holder pladsen til dig, mens vi finder ud af, hvordan kurset bliver betalt.

Du skal ikke gøre noget nu. Vi skriver til dig, så snart det er afgjort.

` + daDates + `

` + daSeeEnrolments,
			sms: `Livslang: {{if .Promoted}}Der er en plads til dig på {{.Title}}.{{else}}Vi har modtaget din tilmelding til {{.Title}}.{{end}} Vi skriver, når betalingen er afgjort.`,
		},
		"en": {
			subject: `We have received your enrolment: {{.Title}}`,
			body: `Dear {{.Name}}

{{if .Promoted}}You have got a place on "{{.Title}}" at {{.Institution}}{{if .Reason}}, because {{.Reason}}{{end}}.{{else}}We have received your enrolment on "{{.Title}}" at {{.Institution}}.{{end}} We are keeping the place for you while we find out how the course will be paid for.

You do not need to do anything now. We will write to you as soon as it is decided.

` + enDates + `

` + enSeeEnrolments,
			sms: `Livslang: {{if .Promoted}}There is a place for you on {{.Title}}.{{else}}We have received your enrolment on {{.Title}}.{{end}} We will write when the payment is decided.`,
		},
	},
	policy.EnrolmentWaitlisted: {
		"da": {
			subject: `Du er på venteliste: {{.Title}}`,
			body: `Kære {{.Name}}

Holdet "{{.Title}}" hos {{.Institution}} er fuldt lige nu. Du er nummer {{.Position}} på ventelisten.

Bliver der en plads ledig, går den til ventelisten i rækkefølge, og vi skriver til dig. Du skal ikke gøre noget nu.

` + daDates + `

` + daSeeEnrolments,
			sms: `Livslang: {{.Title}} er fuldt. Du er nummer {{.Position}} på ventelisten. Vi skriver, hvis du får en plads.`,
		},
		"en": {
			subject: `You are on the waiting list: {{.Title}}`,
			body: `Dear {{.Name}}

The course "{{.Title}}" at {{.Institution}} is full right now. You are number {{.Position}} on the waiting list.

If a place becomes free, it goes to the waiting list in order, and we will write to you. You do not need to do anything now.

` + enDates + `

` + enSeeEnrolments,
			sms: `Livslang: {{.Title}} is full. You are number {{.Position}} on the waiting list. We will write if you get a place.`,
		},
	},
	policy.EnrolmentOffered: {
		"da": {
			subject: `Der er en plads til dig: {{.Title}}`,
			body: `Kære {{.Name}}

Der er blevet en plads ledig på "{{.Title}}" hos {{.Institution}}, og den er din, hvis du vil have den.

Svar senest {{.Deadline}} i Livslang under "Mine tilmeldinger". Svarer du ikke, går pladsen videre til den næste på ventelisten.

` + daDates + `

` + daSeeEnrolments,
			sms: `Livslang: Der er en plads til dig på {{.Title}}. Svar senest {{.Deadline}} under Mine tilmeldinger, ellers går pladsen videre.`,
		},
		"en": {
			subject: `A place is available for you: {{.Title}}`,
			body: `Dear {{.Name}}

A place has become free on "{{.Title}}" at {{.Institution}}, and it is yours if you want it.

Please answer by {{.Deadline}} in Livslang under "My enrolments". If you do not answer, the place goes to the next person on the waiting list.

` + enDates + `

` + enSeeEnrolments,
			sms: `Livslang: A place is available for you on {{.Title}}. Answer by {{.Deadline}} under My enrolments, or it goes to the next person.`,
		},
	},
	policy.EnrolmentConfirmed: {
		"da": {
			subject: `Du har fået plads: {{.Title}}`,
			body: `Kære {{.Name}}

Du har fået plads på "{{.Title}}" hos {{.Institution}}.

` + daDates + `

Betaling: {{.Scheme}}.
Du betaler: {{.CitizenPays}}{{if .Weekly}}
Du får i godtgørelse eller støtte pr. uge: {{.Weekly}}{{end}}

Kan du ikke deltage alligevel, så afmeld dig i Livslang, så pladsen kan gå til en anden.

` + daSeeEnrolments,
			sms: `Livslang: Du har fået plads på {{.Title}}, som starter {{.StartsOn}}. Du betaler {{.CitizenPays}}`,
		},
		"en": {
			subject: `You have a place: {{.Title}}`,
			body: `Dear {{.Name}}

You have a place on "{{.Title}}" at {{.Institution}}.

` + enDates + `

Payment: {{.Scheme}}.
You pay: {{.CitizenPays}}.{{if .Weekly}}
You receive an allowance or grant per week of: {{.Weekly}}.{{end}}

If you cannot take part after all, please cancel in Livslang so the place can go to someone else.

` + enSeeEnrolments,
			sms: `Livslang: You have a place on {{.Title}}, starting on {{.StartsOn}}. You pay {{.CitizenPays}}.`,
		},
	},
	policy.EnrolmentRejected: {
		"da": {
			subject: `Din tilmelding blev ikke godkendt: {{.Title}}`,
			body: `Kære {{.Name}}

{{if .ByInstitution}}{{.Institution}} har ikke godkendt din tilmelding til "{{.Title}}".{{else}}Din tilmelding til "{{.Title}}" hos {{.Institution}} blev ikke godkendt, fordi kurset ikke kan betales på den måde, du valgte: {{.Scheme}}.{{end}}{{if .Reasons}} Begrundelse:
{{range .Reasons}}
- {{.}}{{end}}{{end}}

{{if .ByInstitution}}Har du spørgsmål, så kontakt {{.Institution}}.{{else}}Du kan tilmelde dig igen og vælge en anden betaling, fx at betale selv. I Livslang kan du se hele begrundelsen med de regler, den bygger på. Har du spørgsmål til afgørelsen, så kontakt Herning Kommune.{{end}}

` + daSeeEnrolments,
			sms: `Livslang: Din tilmelding til {{.Title}} blev ikke godkendt. Se begrundelsen i Livslang{{if .Decision}} eller i Digital Post{{end}}.`,
		},
		"en": {
			subject: `Your enrolment was not approved: {{.Title}}`,
			body: `Dear {{.Name}}

{{if .ByInstitution}}{{.Institution}} has not accepted your enrolment on "{{.Title}}".{{else}}Your enrolment on "{{.Title}}" at {{.Institution}} was not approved, because the course cannot be paid for the way you chose: {{.Scheme}}.{{end}}{{if .Reasons}} The reasons:
{{range .Reasons}}
- {{.}}{{end}}{{end}}

{{if .ByInstitution}}If you have questions, please contact {{.Institution}}.{{else}}You can enrol again and choose another way to pay, such as paying yourself. In Livslang you can see the full explanation with the rules it is based on. If you have questions about the decision, please contact Herning Kommune.{{end}}

` + enSeeEnrolments,
			sms: `Livslang: Your enrolment on {{.Title}} was not approved. See the reasons in Livslang{{if .Decision}} or in Digital Post{{end}}.`,
		},
	},
	policy.EnrolmentCancelled: {
		"da": {
			subject: `Din tilmelding er afmeldt: {{.Title}}`,
			body: `Kære {{.Name}}

{{if .ByCitizen}}Du har afmeldt dig "{{.Title}}" hos {{.Institution}}.{{else}}Din tilmelding til "{{.Title}}" hos {{.Institution}} er afmeldt.{{end}}{{if .Reason}} Årsag: {{.Reason}}.{{end}}

Du skal ikke gøre mere. Vil du finde et andet hold, kan du søge i Livslang: {{.PortalURL}}/courses`,
			sms: `Livslang: Din tilmelding til {{.Title}} er afmeldt.{{if .Reason}} Årsag: {{.Reason}}.{{end}}`,
		},
		"en": {
			subject: `Your enrolment is cancelled: {{.Title}}`,
			body: `Dear {{.Name}}

{{if .ByCitizen}}You have cancelled your enrolment on "{{.Title}}" at {{.Institution}}.{{else}}Your enrolment on "{{.Title}}" at {{.Institution}} is cancelled.{{end}}{{if .Reason}} Reason: {{.Reason}}.{{end}}

You do not need to do anything more. To find another course, search in Livslang: {{.PortalURL}}/courses`,
			sms: `Livslang: Your enrolment on {{.Title}} is cancelled.{{if .Reason}} Reason: {{.Reason}}.{{end}}`,
		},
	},
	policy.EnrolmentAccepted: {
		"da": {
			subject: `Uddannelsesstedet har godkendt din tilmelding: {{.Title}}`,
			body: `Kære {{.Name}}

{{if .ByInstitution}}{{.Institution}} har godkendt din tilmelding til "{{.Title}}".{{else}}Din plads på "{{.Title}}" hos {{.Institution}} er nu endeligt på plads, fordi uddannelsesstedet ikke havde indvendinger inden fristen.{{end}} Uddannelsesstedet fortæller dig om det praktiske.

Holdet starter {{.StartsOn}}.

` + daSeeEnrolments,
			sms: `Livslang: Din plads på {{.Title}} er godkendt af {{.Institution}}. Holdet starter {{.StartsOn}}.`,
		},
		"en": {
			subject: `The institution has accepted your enrolment: {{.Title}}`,
			body: `Dear {{.Name}}

{{if .ByInstitution}}{{.Institution}} has accepted your enrolment on "{{.Title}}".{{else}}Your place on "{{.Title}}" at {{.Institution}} is now final, because the institution had no objections before its deadline.{{end}} The institution will tell you the practical details.

The course starts on {{.StartsOn}}.

` + enSeeEnrolments,
			sms: `Livslang: Your place on {{.Title}} is accepted by {{.Institution}}. The course starts on {{.StartsOn}}.`,
		},
	},
	policy.CourseChanged: {
		"da": {
			subject: `Holdet har fået nye datoer: {{.Title}}`,
			body: `Kære {{.Name}}

{{.Institution}} har ændret datoerne for "{{.Title}}", som du er tilmeldt.

- Holdet starter nu {{.StartsOn}} (før {{.OldStartsOn}}).
- Holdet slutter nu {{.EndsOn}} (før {{.OldEndsOn}}).

Passer de nye datoer dig, skal du ikke gøre noget. Passer de ikke, så afmeld dig i Livslang, så pladsen kan gå til en anden.

` + daSeeEnrolments,
			sms: `Livslang: {{.Title}} har nye datoer: {{.StartsOn}} til {{.EndsOn}}. Passer det ikke, så afmeld dig i Livslang.`,
		},
		"en": {
			subject: `The course has new dates: {{.Title}}`,
			body: `Dear {{.Name}}

{{.Institution}} has changed the dates of "{{.Title}}", which you are enrolled on.

- The course now starts on {{.StartsOn}} (was {{.OldStartsOn}}).
- The course now ends on {{.EndsOn}} (was {{.OldEndsOn}}).

If the new dates suit you, you do not need to do anything. If they do not, please cancel in Livslang so the place can go to someone else.

` + enSeeEnrolments,
			sms: `Livslang: {{.Title}} has new dates: {{.StartsOn}} to {{.EndsOn}}. If that does not suit you, cancel in Livslang.`,
		},
	},
	policy.CourseCancelled: {
		"da": {
			subject: `Holdet er aflyst: {{.Title}}`,
			body: `Kære {{.Name}}

{{.Institution}} har aflyst holdet "{{.Title}}", som skulle starte {{.StartsOn}}. Din tilmelding er derfor afmeldt.{{if .Reason}}

Uddannelsesstedets begrundelse: {{.Reason}}{{end}}

Du skal ikke gøre noget. Det, der var sat af til at betale kurset, bliver frigivet. Vil du finde et andet hold, kan du søge i Livslang: {{.PortalURL}}/courses`,
			sms: `Livslang: {{.Institution}} har aflyst {{.Title}}. Din tilmelding er afmeldt. Du skal ikke gøre noget.`,
		},
		"en": {
			subject: `The course is cancelled: {{.Title}}`,
			body: `Dear {{.Name}}

{{.Institution}} has cancelled the course "{{.Title}}", which was to start on {{.StartsOn}}. Your enrolment is therefore cancelled.{{if .Reason}}

The institution's reason: {{.Reason}}{{end}}

You do not need to do anything. Money set aside to pay for the course is released. To find another course, search in Livslang: {{.PortalURL}}/courses`,
			sms: `Livslang: {{.Institution}} has cancelled {{.Title}}. Your enrolment is cancelled. You do not need to do anything.`,
		},
	},
	policy.ReferralReceived: {
		"da": {
			subject: `Kommunen har henvist dig til et kursus: {{.Title}}`,
			body: `Kære {{.Name}}

Herning Kommune har henvist dig til "{{.Title}}" hos {{.Institution}}. Betaling: {{.Scheme}}.{{if .Reason}}

Begrundelse: {{.Reason}}{{end}}

Der er holdt en plads til dig. Svar senest {{.Deadline}} i Livslang under "Mine tilmeldinger". Du kan sige ja eller nej tak.

` + daDates + `

` + daSeeEnrolments,
			sms: `Livslang: Kommunen har henvist dig til {{.Title}}. Svar senest {{.Deadline}} i Livslang. Se brevet i Digital Post.`,
		},
		"en": {
			subject: `The municipality has referred you to a course: {{.Title}}`,
			body: `Dear {{.Name}}

Herning Kommune has referred you to "{{.Title}}" at {{.Institution}}. Payment: {{.Scheme}}.{{if .Reason}}

Reason: {{.Reason}}{{end}}

A place is held for you. Please answer by {{.Deadline}} in Livslang under "My enrolments". You can accept or decline.

` + enDates + `

` + enSeeEnrolments,
			sms: `Livslang: The municipality has referred you to {{.Title}}. Answer by {{.Deadline}} in Livslang. See the letter in Digital Post.`,
		},
	},
	policy.ReferralWithdrawn: {
		"da": {
			subject: `Kommunen har trukket henvisningen tilbage: {{.Title}}`,
			body: `Kære {{.Name}}

Herning Kommune har trukket henvisningen til "{{.Title}}" hos {{.Institution}} tilbage.{{if .Reason}}

Begrundelse: {{.Reason}}{{end}}

Pladsen, der var holdt til dig, går videre til en anden. Har du spørgsmål, så kontakt din sagsbehandler i Herning Kommune.`,
			sms: `Livslang: Kommunen har trukket henvisningen til {{.Title}} tilbage. Se brevet i Digital Post.`,
		},
		"en": {
			subject: `The municipality has withdrawn the referral: {{.Title}}`,
			body: `Dear {{.Name}}

Herning Kommune has withdrawn the referral to "{{.Title}}" at {{.Institution}}.{{if .Reason}}

Reason: {{.Reason}}{{end}}

The place held for you goes to someone else. If you have questions, please contact your caseworker at Herning Kommune.`,
			sms: `Livslang: The municipality has withdrawn the referral to {{.Title}}. See the letter in Digital Post.`,
		},
	},
	policy.ReminderCourseStart: {
		"da": {
			subject: `Husk: {{.Title}} starter {{if eq .DaysBefore 1}}i morgen{{else}}om {{.DaysBefore}} dage{{end}}`,
			body: `Kære {{.Name}}

{{if eq .DaysBefore 1}}I morgen{{else}}Om {{.DaysBefore}} dage{{end}}, {{.StartsOn}}, starter "{{.Title}}" hos {{.Institution}}. Holdet slutter {{.EndsOn}}.

Kan du ikke deltage alligevel, så afmeld dig i Livslang, så pladsen kan gå til en anden.

` + daSeeEnrolments,
			sms: `Livslang: Husk, at {{.Title}} hos {{.Institution}} starter {{.StartsOn}}.`,
		},
		"en": {
			subject: `Reminder: {{.Title}} starts {{if eq .DaysBefore 1}}tomorrow{{else}}in {{.DaysBefore}} days{{end}}`,
			body: `Dear {{.Name}}

{{if eq .DaysBefore 1}}Tomorrow{{else}}In {{.DaysBefore}} days{{end}}, on {{.StartsOn}}, "{{.Title}}" starts at {{.Institution}}. The course ends on {{.EndsOn}}.

If you cannot take part after all, please cancel in Livslang so the place can go to someone else.

` + enSeeEnrolments,
			sms: `Livslang: Remember that {{.Title}} at {{.Institution}} starts on {{.StartsOn}}.`,
		},
	},
	policy.ReminderOfferExpires: {
		"da": {
			subject: `Husk at svare: der er en plads til dig på {{.Title}}`,
			body: `Kære {{.Name}}

Pladsen på "{{.Title}}" hos {{.Institution}} er stadig din, hvis du vil have den. Du har ikke svaret endnu.

Svar senest {{.Deadline}} i Livslang under "Mine tilmeldinger". Svarer du ikke, går pladsen videre til den næste på ventelisten.

` + daSeeEnrolments,
			sms: `Livslang: Husk at svare på pladsen på {{.Title}} senest {{.Deadline}}, ellers går den videre.`,
		},
		"en": {
			subject: `Please answer: a place is available for you on {{.Title}}`,
			body: `Dear {{.Name}}

The place on "{{.Title}}" at {{.Institution}} is still yours if you want it. You have not answered yet.

Please answer by {{.Deadline}} in Livslang under "My enrolments". If you do not answer, the place goes to the next person on the waiting list.

` + enSeeEnrolments,
			sms: `Livslang: Please answer about the place on {{.Title}} by {{.Deadline}}, or it goes to the next person.`,
		},
	},
	policy.ReminderReferralExpires: {
		"da": {
			subject: `Husk at svare på henvisningen: {{.Title}}`,
			body: `Kære {{.Name}}

Herning Kommune har henvist dig til "{{.Title}}" hos {{.Institution}}, og du har ikke svaret endnu.

Svar senest {{.Deadline}} i Livslang under "Mine tilmeldinger". Du kan sige ja eller nej tak. Svarer du ikke, bortfalder henvisningen, og pladsen går videre.

` + daSeeEnrolments,
			sms: `Livslang: Husk at svare på henvisningen til {{.Title}} senest {{.Deadline}}.`,
		},
		"en": {
			subject: `Please answer the referral: {{.Title}}`,
			body: `Dear {{.Name}}

Herning Kommune has referred you to "{{.Title}}" at {{.Institution}}, and you have not answered yet.

Please answer by {{.Deadline}} in Livslang under "My enrolments". You can accept or decline. If you do not answer, the referral lapses and the place goes to someone else.

` + enSeeEnrolments,
			sms: `Livslang: Please answer the referral to {{.Title}} by {{.Deadline}}.`,
		},
	},
	policy.FundingEmployerRequired: {
		"da": {
			subject: `Din tilmelding afventer din arbejdsgiver{{if .Title}}: {{.Title}}{{end}}`,
			body: `Kære {{.Name}}

Før vi kan afgøre, hvordan {{if .Title}}"{{.Title}}" hos {{.Institution}}{{else}}dit kursus{{end}} bliver betalt, skal vi have svar fra {{.Employer}}{{if .Asks}} på:
{{range .Asks}}
- {{.}}{{end}}{{else}}.{{end}}

Vi har bedt {{.Employer}} om at svare senest {{.Deadline}}. Vi holder pladsen til dig imens, og vi skriver til dig, så snart der er svar.

Du skal ikke gøre noget, men det kan hjælpe at tale med din arbejdsgiver om det.

` + daSeeEnrolments,
			sms: `Livslang: Din tilmelding{{if .Title}} til {{.Title}}{{end}} afventer svar fra {{.Employer}} senest {{.Deadline}}. Vi holder pladsen imens.`,
		},
		"en": {
			subject: `Your enrolment is waiting for your employer{{if .Title}}: {{.Title}}{{end}}`,
			body: `Dear {{.Name}}

Before we can decide how {{if .Title}}"{{.Title}}" at {{.Institution}}{{else}}your course{{end}} will be paid for, we need an answer from {{.Employer}}{{if .Asks}} on:
{{range .Asks}}
- {{.}}{{end}}{{else}}.{{end}}

We have asked {{.Employer}} to answer by {{.Deadline}}. We are keeping your place meanwhile, and we will write to you as soon as there is an answer.

You do not need to do anything, but it may help to talk to your employer about it.

` + enSeeEnrolments,
			sms: `Livslang: Your enrolment{{if .Title}} on {{.Title}}{{end}} is waiting for an answer from {{.Employer}} by {{.Deadline}}. We are keeping your place meanwhile.`,
		},
	},
	policy.CommitmentRequested: {
		"da": {
			subject: `Godkend venligst: {{.Employee}} på {{.Title}}`,
			body: `Kære {{.Name}}

{{.Employee}}, som er ansat hos jer, er tilmeldt "{{.Title}}" hos {{.Institution}}, som starter {{.StartsOn}}. Før Herning Kommune kan afgøre, hvordan kurset bliver betalt, skal virksomheden tage stilling.

` + daCompanyAsks + `

Svar senest {{.Deadline}}. Indtil da holdes pladsen til {{.Employee}}. Svarer virksomheden ikke i tide, bortfalder anmodningen, og {{.Employee}} får besked.

` + daAnswerAt,
			sms: `Livslang: {{.Employee}} er tilmeldt {{.Title}}. Svar senest {{.Deadline}} i Livslang.`,
		},
		"en": {
			subject: `Please approve: {{.Employee}} on {{.Title}}`,
			body: `Dear {{.Name}}

{{.Employee}}, who works for you, has enrolled on "{{.Title}}" at {{.Institution}}, which starts on {{.StartsOn}}. Before Herning Kommune can decide how the course will be paid for, the company needs to decide.

` + enCompanyAsks + `

Please answer by {{.Deadline}}. Until then the place is held for {{.Employee}}. If the company does not answer in time, the request lapses and {{.Employee}} is told.

` + enAnswerAt,
			sms: `Livslang: {{.Employee}} has enrolled on {{.Title}}. Please answer by {{.Deadline}} in Livslang.`,
		},
	},
	policy.CommitmentReminder: {
		"da": {
			subject: `Husk at svare: {{.Employee}} på {{.Title}}`,
			body: `Kære {{.Name}}

Virksomheden har endnu ikke svaret på anmodningen om, at {{.Employee}} deltager i "{{.Title}}" hos {{.Institution}}, som starter {{.StartsOn}}.

` + daCompanyAsks + `

Svar senest {{.Deadline}}. Svarer virksomheden ikke i tide, bortfalder anmodningen, og {{.Employee}} får besked.

` + daAnswerAt,
			sms: `Livslang: Husk at svare om {{.Employee}} på {{.Title}} senest {{.Deadline}}.`,
		},
		"en": {
			subject: `Please answer: {{.Employee}} on {{.Title}}`,
			body: `Dear {{.Name}}

The company has not yet answered the request about {{.Employee}}'s enrolment on "{{.Title}}" at {{.Institution}}, which starts on {{.StartsOn}}.

` + enCompanyAsks + `

Please answer by {{.Deadline}}. If the company does not answer in time, the request lapses and {{.Employee}} is told.

` + enAnswerAt,
			sms: `Livslang: Please answer about {{.Employee}} on {{.Title}} by {{.Deadline}}.`,
		},
	},
	policy.CommitmentExpired: {
		"da": {
			subject: `Fristen er udløbet: {{.Employee}} på {{.Title}}`,
			body: `Kære {{.Name}}

Virksomheden svarede ikke inden fristen, {{.Deadline}}, på anmodningen om, at {{.Employee}} deltager i "{{.Title}}" hos {{.Institution}}. Anmodningen er bortfaldet, og {{.Employee}} har fået besked.

Virksomheden skal ikke gøre mere. Tilmelder {{.Employee}} sig igen, får I en ny anmodning.`,
			sms: `Livslang: Fristen for at svare om {{.Employee}} på {{.Title}} er udløbet.`,
		},
		"en": {
			subject: `The deadline has passed: {{.Employee}} on {{.Title}}`,
			body: `Dear {{.Name}}

The company did not answer the request about {{.Employee}}'s enrolment on "{{.Title}}" at {{.Institution}} by the deadline, {{.Deadline}}. The request has lapsed, and {{.Employee}} has been told.

The company does not need to do anything more. If {{.Employee}} enrols again, you will get a new request.`,
			sms: `Livslang: The deadline for answering about {{.Employee}} on {{.Title}} has passed.`,
		},
	},
	policy.RefundPaid: {
		"da": {
			subject: `Refusion udbetalt: {{.Employee}} – {{.Title}}`,
			body: `Kære {{.Name}}

Refusionen for {{.Employee}} på "{{.Title}}" hos {{.Institution}} er udbetalt til virksomheden{{if .PaidOn}} {{.PaidOn}}{{end}}. Ordning: {{.Scheme}}.

Udbetalt: {{.Paid}} for {{.Attended}} af {{.Planned}} planlagte timer
Forventet for alle planlagte timer: {{.Expected}}

Refusionen følger de timer, medarbejderen deltog i. Virksomheden skal ikke gøre noget.

Se virksomhedens refusioner: {{.PortalURL}}/employer/refunds`,
			sms: `Livslang: Refusion udbetalt for {{.Employee}} på {{.Title}}: {{.Paid}}`,
		},
		"en": {
			subject: `Refund paid: {{.Employee}} – {{.Title}}`,
			body: `Dear {{.Name}}

The refund for {{.Employee}} on "{{.Title}}" at {{.Institution}} has been paid to the company{{if .PaidOn}} on {{.PaidOn}}{{end}}. Scheme: {{.Scheme}}.

Paid: {{.Paid}} for {{.Attended}} of {{.Planned}} planned hours
Expected for every planned hour: {{.Expected}}

The refund follows the hours the employee attended. The company does not need to do anything.

See the company's refunds: {{.PortalURL}}/employer/refunds`,
			sms: `Livslang: Refund paid for {{.Employee}} on {{.Title}}: {{.Paid}}.`,
		},
	},
	policy.DemandOffer: {
		"da": {
			subject: `Tilbud om {{if eq .Seats 1}}en plads{{else}}pladser{{end}}: {{.Title}}`,
			body: `Kære {{.Name}}

{{.Institution}} har oprettet et nyt hold, "{{.Title}}", som passer til virksomhedens ønske om uddannelse til {{if eq .Employees 1}}en medarbejder{{else}}{{.Employees}} medarbejdere{{end}}. Vi holder {{if eq .Seats 1}}en plads{{else}}{{.Seats}} pladser{{end}} til jer indtil {{.Deadline}}.

` + daDates + `{{if .Location}}
Sted: {{.Location}}{{end}}

Tag imod eller sig nej tak inden da. Svarer virksomheden ikke i tide, går pladserne tilbage til holdet.

Svar i Livslangs område for arbejdsgivere: {{.PortalURL}}/employer/offers`,
			sms: `Livslang: Et nyt hold, {{.Title}}, passer til jeres ønske. {{if eq .Seats 1}}En plads{{else}}{{.Seats}} pladser{{end}} holdes til jer indtil {{.Deadline}}.`,
		},
		"en": {
			subject: `Seats offered: {{.Title}}`,
			body: `Dear {{.Name}}

{{.Institution}} has published a new course run, "{{.Title}}", which matches the company's demand for training for {{if eq .Employees 1}}one employee{{else}}{{.Employees}} employees{{end}}. We are holding {{if eq .Seats 1}}one seat{{else}}{{.Seats}} seats{{end}} for you until {{.Deadline}}.

` + enDates + `{{if .Location}}
Place: {{.Location}}{{end}}

Please accept or decline before then. If the company does not answer in time, the seats go back to the course.

Answer in Livslang's area for employers: {{.PortalURL}}/employer/offers`,
			sms: `Livslang: A new run of {{.Title}} matches your demand. {{if eq .Seats 1}}One seat is{{else}}{{.Seats}} seats are{{end}} held for you until {{.Deadline}}.`,
		},
	},
	// staff_invited is bilingual: its reader's language is not known, so each language's text says
	// everything in that language first, then in the other (Vars.Other).
	policy.StaffInvited: {
		"da": {
			subject: `{{.Employer}} har tilmeldt dig {{.Title}} / {{.Other.Employer}} has enrolled you on {{.Other.Title}}`,
			body:    daInvited + "\n\nIn English\n\n{{with .Other}}" + enInvited + "{{end}}",
			sms:     `Livslang: {{.Employer}} har tilmeldt dig {{.Title}}. Udfyld din profil i Livslang senest {{.Deadline}}, så din plads holdes.`,
		},
		"en": {
			subject: `{{.Employer}} has enrolled you on {{.Title}} / {{.Other.Employer}} har tilmeldt dig {{.Other.Title}}`,
			body:    enInvited + "\n\nPå dansk\n\n{{with .Other}}" + daInvited + "{{end}}",
			sms:     `Livslang: {{.Employer}} has enrolled you on {{.Title}}. Complete your profile in Livslang by {{.Deadline}} to keep your place.`,
		},
	},
}
