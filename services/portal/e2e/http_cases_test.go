package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/testenv"
)

var (
	referralPath = regexp.MustCompile(`^/caseworker/referrals/([0-9a-f-]{36})$`)
	webhookPath  = regexp.MustCompile(`^/institution/webhooks/([0-9a-f-]{36})$`)
)

// noCPR fails if a page or its address holds a whole CPR number.
func noCPR(t *testing.T, p page, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		if strings.Contains(p.Body, n) || strings.Contains(p.URL.String(), n) {
			t.Fatalf("%s shows the whole CPR number %s", p.URL, n)
		}
	}
}

func day(days int) string { return time.Now().AddDate(0, 0, days).Format(time.DateOnly) }

// Referrals, the search's place filter and "funded for me", and the institution's webhooks, demand
// and ballots, over HTTP against the real services.
func TestPortalCasesOverHTTP(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	truck := s.course(t, "gaffeltruck")
	excel := s.course(t, "regneark")

	t.Run("a caseworker refers, the citizen accepts, the caseworker follows the case", func(t *testing.T) {
		cw := newClient(t, s.base)
		cw.signIn("caseworker-herning")
		form := cw.get("/caseworker/referrals/new?course_q=regneark")
		mustContain(t, form, "Henvis en borger", `<option value="`+excel.ID+`"`, `name="csrf"`)
		if strings.Contains(form.Body, `<option value="`+s.course(t, "spansk").ID+`"`) {
			t.Fatal("a run no referral can fund is offered")
		}
		token := csrf(t, form)

		// Errors linked to their fields; the CPR number is never shown again.
		p := cw.post("/caseworker/referrals", url.Values{"csrf": {token}, "cpr": {"12"}, "course_id": {excel.ID}, "funding": {"municipality"},
			"reason": {""}, "valid_until": {day(60)}})
		if p.Status != http.StatusBadRequest {
			t.Fatalf("invalid referral: %d", p.Status)
		}
		mustContain(t, p, `href="#cpr"`, `href="#reason"`, `href="#valid_until"`, "Skriv et gyldigt CPR-nummer", "dagen før holdet starter",
			`aria-describedby="cpr-hint cpr-error"`)
		if strings.Contains(p.Body, `value="12"`) {
			t.Fatal("the CPR field is filled in again")
		}

		// Funding not possible: refused with the rule, in Danish, linked to the funding field.
		james := user("citizen-james").CPR
		testenv.Eventually(t, 20*time.Second, "the referral refused", func() bool {
			p = cw.post("/caseworker/referrals", url.Values{"csrf": {token}, "cpr": {james}, "course_id": {truck.ID}, "funding": {"regional_pulje"},
				"reason": {"Certifikat til lagerjob"}, "valid_until": {day(10)}})
			return strings.Contains(p.Body, "kan ikke bruges for denne borger")
		})
		mustContain(t, p, `href="#funding"`, "Regional uddannelsespulje kan ikke bruges for denne borger", "ledige")
		noCPR(t, p, james)

		// Made: the case page, masked CPR in the message, no CPR in the address.
		eva := user("citizen-eva").CPR
		var made page
		testenv.Eventually(t, 20*time.Second, "the referral made", func() bool {
			made = cw.post("/caseworker/referrals", url.Values{"csrf": {token}, "cpr": {eva}, "course_id": {excel.ID}, "funding": {"municipality"},
				"reason": {"Excel styrker dine muligheder for kontorjob."}, "valid_until": {day(10)}})
			return made.Status == http.StatusOK
		})
		m := referralPath.FindStringSubmatch(made.URL.Path)
		if m == nil {
			t.Fatalf("after referring at %s:\n%s", made.URL, made.Body)
		}
		id := m[1]
		mustContain(t, made, "Borgeren med CPR 111288-XXXX er henvist", "Afventer svar", "Henvist", "af sagsbehandleren (cw-herning)",
			"Excel styrker dine muligheder", "Kommunen betaler", "<dt>Borger</dt><dd>Eva Lund")
		noCPR(t, made, eva)

		// The course page leads a caseworker to refer to it.
		mustContain(t, cw.get("/courses/"+excel.ID), `href="/caseworker/referrals/new?course_id=`+excel.ID+`"`)
		mustContain(t, cw.get("/caseworker/referrals/new?course_id="+excel.ID), `<option value="`+excel.ID+`" selected>`)

		// The list and its filters.
		list := cw.get("/caseworker/referrals")
		mustContain(t, list, "/caseworker/referrals/"+id, "Regneark", "Afventer svar", "Eva Lund", "111288-XXXX")
		mustContain(t, cw.get("/caseworker/referrals?status=open&due_before="+day(30)), "/caseworker/referrals/"+id)
		mustContain(t, cw.get("/caseworker/referrals?status=accepted"), "Ingen henvisninger passer til filteret.")
		mustContain(t, cw.get("/caseworker/referrals?due_before="+day(3)), "Ingen henvisninger passer til filteret.")
		if p := cw.get("/caseworker/referrals?due_before=soon"); !strings.Contains(p.Body, `aria-invalid="true"`) || !strings.Contains(p.Body, `href="#due_before"`) {
			t.Fatalf("bad due date: %d", p.Status)
		}

		// The citizen (English profile) sees it and accepts; the enrolment is on My enrolments.
		c := newClient(t, s.base)
		c.signIn("citizen-eva")
		mine := c.get("/me/referrals")
		mustContain(t, mine, "My referrals", "/me/referrals/"+id, "Awaiting answer")
		ref := c.get("/me/referrals/" + id)
		mustContain(t, ref, "Referral from the municipality", "Excel styrker dine muligheder", "Yes, enrol me", "The funding", "Referred")
		s.waitHold(t, "citizen-eva", id)
		p = c.post("/me/referrals/"+id+"/accept", url.Values{"csrf": {csrf(t, ref)}})
		if p.URL.Path != "/me/enrolments" {
			t.Fatalf("after accepting at %s", p.URL)
		}
		mustContain(t, p, "You have accepted the referral", "Referred by the municipality.", "See the referral")
		// The caseworker sees the answer and, as it happens, the enrolment's status.
		testenv.Eventually(t, 30*time.Second, "the caseworker sees the enrolment confirmed", func() bool {
			return s.referralOf(t, id).EnrolmentStatus == "confirmed"
		})
		mustContain(t, cw.get("/caseworker/referrals/"+id), "Sagt ja", "Borgeren sagde ja", "af borgeren", "Tilmeldingen: Bekræftet")
		if again := c.post("/me/referrals/"+id+"/decline", url.Values{"csrf": {csrf(t, ref)}}); !strings.Contains(again.Body, "The referral is no longer open.") {
			t.Fatalf("declining an accepted referral: %d", again.Status)
		}
	})

	t.Run("a caseworker withdraws a referral with a reason; the citizen can no longer answer", func(t *testing.T) {
		ref := s.refer(t, "citizen-james", excel.ID, "municipality", 12)
		cw := newClient(t, s.base)
		cw.signIn("caseworker-herning")
		page := cw.get("/caseworker/referrals/" + ref.ID)
		mustContain(t, page, "Træk henvisningen tilbage")
		p := cw.post("/caseworker/referrals/"+ref.ID+"/withdraw", url.Values{"csrf": {csrf(t, page)}})
		mustContain(t, p, `href="#reason"`)
		p = cw.post("/caseworker/referrals/"+ref.ID+"/withdraw", url.Values{"csrf": {csrf(t, page)}, "reason": {"Borgeren har fået job."}})
		mustContain(t, p, "Henvisningen er trukket tilbage.", "Trukket tilbage", "Borgeren har fået job.")
		if strings.Contains(p.Body, `action="/caseworker/referrals/`+ref.ID+`/withdraw"`) {
			t.Fatal("a withdrawn referral can be withdrawn again")
		}
		c := newClient(t, s.base)
		c.signIn("citizen-james")
		mine := c.get("/me/referrals/" + ref.ID)
		mustContain(t, mine, "Withdrawn", "Borgeren har fået job.")
		if strings.Contains(mine.Body, "Yes, enrol me") {
			t.Fatal("a withdrawn referral can be accepted")
		}
		p = c.post("/me/referrals/"+ref.ID+"/accept", url.Values{"csrf": {csrf(t, mine)}})
		mustContain(t, p, "The referral is no longer open.")
		if p := c.get("/caseworker/referrals"); p.Status != http.StatusForbidden {
			t.Fatalf("a citizen on the caseworker's list: %d", p.Status)
		}
	})

	t.Run("bulk referral answers per client, CPR numbers masked", func(t *testing.T) {
		cw := newClient(t, s.base)
		cw.signIn("caseworker-herning")
		form := cw.get("/caseworker/referrals/bulk")
		token := csrf(t, form)
		mette, anna := user("citizen-mette").CPR, user("citizen-anna").CPR
		p := cw.post("/caseworker/referrals/bulk", url.Values{"csrf": {token}, "cprs": {mette + "\n12345\n"}, "course_id": {excel.ID},
			"funding": {"municipality"}, "reason": {"Hold for ledige"}, "valid_until": {day(10)}})
		mustContain(t, p, `href="#cprs"`, "Disse linjer er ikke gyldige CPR-numre: 2.")
		noCPR(t, p, mette)
		var res page
		testenv.Eventually(t, 20*time.Second, "bulk referral", func() bool {
			res = cw.post("/caseworker/referrals/bulk", url.Values{"csrf": {token}, "cprs": {mette + "\r\n\r\n010190-1234\r\n"}, "course_id": {excel.ID},
				"funding": {"municipality"}, "reason": {"Hold for ledige"}, "valid_until": {day(10)}})
			return strings.Contains(res.Body, "1 henvist, 1 afvist")
		})
		mustContain(t, res, "140388-XXXX", "010190-XXXX", "Henvist", "Afvist", "Vi fandt ingen profil for dette CPR-nummer")
		noCPR(t, res, mette, anna)
	})

	t.Run("search by place, and funded for me", func(t *testing.T) {
		anon := newClient(t, s.base)
		p := anon.get("/courses?place=Birk")
		mustContain(t, p, "Diplom i ledelse", `name="place" type="text" value="Birk"`)
		if strings.Contains(p.Body, "Gaffeltruck") || strings.Contains(p.Body, `name="funded"`) {
			t.Fatal("the place filter let other places through, or funded-for-me is offered signed out")
		}
		if p := anon.get("/courses?place=" + strings.Repeat("x", 101)); !strings.Contains(p.Body, `href="#place"`) {
			t.Fatal("a too long place is not an error on the field")
		}

		c := newClient(t, s.base)
		c.signIn("citizen-mette")
		all := c.get("/courses?category=amu")
		mustContain(t, all, `name="funded"`, "Kun hold med støtte til mig")
		var funded page
		testenv.Eventually(t, 20*time.Second, "funding has published what Mette can get funded", func() bool {
			funded = c.get("/courses?category=amu&funded=1")
			return strings.Contains(funded.Body, "11 hold med støtte til dig")
		})
		mustContain(t, funded, "Støtte til dig", "VEU-godtgørelse", "Gaffeltruckcertifikat", `name="funded" value="1" checked`)
		// A run the citizen can only pay for themself is left out.
		mustContain(t, c.get("/courses?q=spansk&funded=1"), "0 hold med støtte til dig")
		anna := newClient(t, s.base)
		anna.signIn("citizen-anna")
		mustContain(t, anna.get("/courses?funded=1"), "Vi skal kende din uddannelse og beskæftigelse")
	})

	t.Run("institution webhooks: the secret once, deliveries, replay, rotation and deletion", func(t *testing.T) {
		rc := newReceiver(t)
		c := newClient(t, s.base)
		c.signIn("institution-herningsholm")
		list := c.get("/institution/webhooks")
		mustContain(t, list, "Webhooks", "I har ingen webhooks endnu.", `id="events-all"`)
		token := csrf(t, list)
		p := c.post("/institution/webhooks", url.Values{"csrf": {token}, "url": {"ftp://example.dk/hook"}})
		mustContain(t, p, `href="#url"`, `href="#events"`, "Skriv en fuld https-adresse")

		p = c.post("/institution/webhooks", url.Values{"csrf": {token}, "url": {rc.URL + "/livslang"}, "events": {"all"}})
		m := webhookPath.FindStringSubmatch(p.URL.Path)
		if m == nil {
			t.Fatalf("after creating at %s: %s", p.URL, p.Body)
		}
		id := m[1]
		mustContain(t, p, "Webhooken er oprettet.", "Hemmeligheden vises kun denne ene gang.", `id="webhook-secret"`, "whsec_")
		if again := c.get("/institution/webhooks/" + id); strings.Contains(again.Body, "whsec_") {
			t.Fatal("the secret is shown twice")
		}
		mustContain(t, c.get("/institution/webhooks"), rc.URL+"/livslang", "Alle tilmeldingshændelser", "Aktiv")

		// An enrolment on one of the institution's runs is delivered and logged with its attempt.
		first := s.course(t, "førstehjælp")
		s.enrol(t, "citizen-sofie", first.ID, "self")
		var logged page
		testenv.Eventually(t, 30*time.Second, "a delivery logged", func() bool {
			logged = c.get("/institution/webhooks/" + id)
			return strings.Contains(logged.Body, "Leveret") && strings.Contains(logged.Body, "HTTP 200")
		})
		mustContain(t, logged, "Ny tilmelding", "Leveringer, nyeste først")
		before := rc.got.Load()

		// Replay: errors on the fields, then the period sent again.
		token = csrf(t, logged)
		cph, _ := time.LoadLocation("Europe/Copenhagen")
		now := time.Now().In(cph) // the form is in Danish time
		p = c.post("/institution/webhooks/"+id+"/replay", url.Values{"csrf": {token}, "from": {now.Format("2006-01-02T15:04")},
			"to": {now.Add(-time.Hour).Format("2006-01-02T15:04")}})
		mustContain(t, p, `href="#replay-to"`, "Slut skal være efter start.")
		p = c.post("/institution/webhooks/"+id+"/replay", url.Values{"csrf": {token}, "from": {now.Add(-time.Hour).Format("2006-01-02T15:04")},
			"to": {now.Add(2 * time.Minute).Format("2006-01-02T15:04")}})
		if !regexp.MustCompile(`[1-9]\d* leveringer sendes igen.`).MatchString(p.Body) {
			t.Fatalf("replay: %d %s", p.Status, p.Body)
		}
		testenv.Eventually(t, 30*time.Second, "the replay delivered", func() bool { return rc.got.Load() > before })

		// Rotation shows the new secret once, and how long the old one signs.
		p = c.post("/institution/webhooks/"+id+"/rotate", url.Values{"csrf": {token}})
		mustContain(t, p, "Webhooken har fået en ny hemmelighed.", "whsec_", "Den tidligere hemmelighed gælder stadig til")

		// Deleting needs the box ticked.
		p = c.post("/institution/webhooks/"+id+"/delete", url.Values{"csrf": {token}})
		mustContain(t, p, `href="#delete-confirm"`, `aria-invalid="true"`)
		p = c.post("/institution/webhooks/"+id+"/delete", url.Values{"csrf": {token}, "confirm": {"yes"}})
		mustContain(t, p, "Webhooken er slettet.", "I har ingen webhooks endnu.")
		if p := c.get("/institution/webhooks/" + id); p.Status != http.StatusNotFound {
			t.Fatalf("a deleted webhook's page: %d", p.Status)
		}
	})

	t.Run("a citizen chooses the language and the channels per kind of message", func(t *testing.T) {
		c := newClient(t, s.base)
		c.signIn("citizen-lars")
		mustContain(t, c.get("/me/notifications"), `href="/me/preferences"`)
		p := c.get("/me/preferences")
		mustContain(t, p, "Sådan får du beskeder", "Du har fået plads", `id="ch_enrolment_confirmed-email" name="ch_enrolment_confirmed" value="email" checked`,
			"Sendes altid også med Digital Post", `id="language-da" name="language" value="da" checked`)
		form := url.Values{"csrf": {csrf(t, p)}, "language": {"en"}}
		for _, k := range []string{"enrolment_received", "enrolment_waitlisted", "enrolment_offered", "enrolment_rejected",
			"enrolment_cancelled", "enrolment_accepted", "course_changed", "course_cancelled", "referral_received", "referral_withdrawn",
			"reminder_course_start", "reminder_offer_expires", "reminder_referral_expires"} {
			form.Set("ch_"+k, "email")
		}
		// A kind with no channel is an error on its group of boxes.
		p = c.post("/me/preferences", form)
		mustContain(t, p, `href="#ch_enrolment_confirmed"`, "Vælg mindst én måde, beskeden skal nå dig på.", `aria-describedby="ch_enrolment_confirmed-error"`)
		form["ch_enrolment_confirmed"] = []string{"sms", "digital_post"}
		p = c.post("/me/preferences", form)
		mustContain(t, p, "Dine valg for beskeder er gemt.", `id="language-en" name="language" value="en" checked`,
			`id="ch_enrolment_confirmed-sms" name="ch_enrolment_confirmed" value="sms" checked`)
		if strings.Contains(p.Body, `id="ch_enrolment_confirmed-email" name="ch_enrolment_confirmed" value="email" checked`) {
			t.Fatal("e-mail is still chosen for confirmations")
		}
	})

	t.Run("institution demand per run and course, and the ballot of a run", func(t *testing.T) {
		c := newClient(t, s.base)
		c.signIn("institution-herningsholm")
		p := c.get("/institution/demand")
		mustContain(t, p, "Efterspørgsel", "Gaffeltruckcertifikat (B)", "AMU 47583", "Efterspørgsel i alt", "/institution/runs/"+truck.ID)
		run := s.ballotRun(t, "BALLOT-HTTP")
		p = c.get("/institution/runs/" + run.ID)
		mustContain(t, p, `href="/courses/`+run.ID+`/ballot"`, "Se lodtrækningen")
		b := c.get("/courses/" + run.ID + "/ballot")
		mustContain(t, b, "Lodtrækning", "1 min. efter åbningen", "Frø (seed)", "Ingen anmodninger kom med i lodtrækningen.")
		if p := c.get("/institution/runs/" + truck.ID); strings.Contains(p.Body, "/ballot") {
			t.Fatal("a run without a ballot links to one")
		}
	})

	t.Run("next steps on a course page and on Min uddannelse: why each, and whether the citizen's funding covers it", func(t *testing.T) {
		anon := newClient(t, s.base).get("/courses/" + truck.ID)
		mustContain(t, anon, "Det kan du tage bagefter", "Lagerstyring og logistik", "Samme fælles kompetencebeskrivelse (FKB 2629) som Gaffeltruckcertifikat (B).")
		if strings.Contains(anon.Body, "Din støtte kan dække det") {
			t.Fatal("funding is checked for someone not signed in")
		}
		eva := newClient(t, s.base)
		eva.signIn("citizen-eva")
		testenv.Eventually(t, 20*time.Second, "the suggestions checked against Eva's funding", func() bool {
			p := eva.get("/courses/" + truck.ID)
			return strings.Contains(p.Body, "What you can take next") && strings.Contains(p.Body, "Your funding can cover it:")
		})
		mustContain(t, eva.get("/courses/"+truck.ID), "In the same competence description (FKB 2629) as Gaffeltruckcertifikat (B).")

		mette := newClient(t, s.base)
		mette.signIn("citizen-mette")
		page := mette.get("/me/learning")
		if strings.Contains(page.Body, "Næste skridt") {
			t.Fatal("next steps for an empty learning record")
		}
		p := mette.post("/me/learning", url.Values{"csrf": {csrf(t, page)}, "idempotency_key": {"edu-1"}, "level": {"kort_videregaaende"},
			"name": {"Datamatiker"}, "year": {"2015"}})
		mustContain(t, p, "Næste skridt", "Din uddannelse (Datamatiker) giver adgang til det.", "Diplom i ledelse")
	})

	t.Run("a citizen gets a copy of their data and has it erased on Mine data", func(t *testing.T) {
		c := newClient(t, s.base)
		c.signIn("citizen-kim")
		p := c.get("/me/data")
		mustContain(t, p, "Mine data", "Bestil en kopi", "Slet mine data", `name="idempotency_key"`)
		form := func(p page, kind string) url.Values {
			key := regexp.MustCompile(`name="kind" value="` + kind + `">\s*<input type="hidden" name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(p.Body)
			if key == nil {
				t.Fatalf("no %s form on %s", kind, p.URL)
			}
			return url.Values{"csrf": {csrf(t, p)}, "kind": {kind}, "idempotency_key": {key[1]}}
		}
		p = c.post("/me/data", form(p, "export"))
		mustContain(t, p, "Vi samler dine data")
		download := regexp.MustCompile(`href="(/me/data/[0-9a-f-]{36}/download)"`)
		testenv.Eventually(t, 20*time.Second, "the copy ready", func() bool {
			p = c.get("/me/data")
			return download.MatchString(p.Body)
		})
		file := c.get(download.FindStringSubmatch(p.Body)[1])
		if file.Status != http.StatusOK || !strings.Contains(file.Body, `"sections"`) || !strings.Contains(file.Body, `"2109921234"`) ||
			!strings.Contains(file.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("the copy: %d %.200s", file.Status, file.Body)
		}
		if other := newClient(t, s.base); other.signIn("citizen-ole").Status == http.StatusOK {
			if got := other.get(download.FindStringSubmatch(p.Body)[1]); got.Status != http.StatusNotFound {
				t.Fatalf("another citizen downloaded the copy: %d", got.Status)
			}
		}

		// Erasure needs a confirmation, linked to its checkbox.
		refused := c.post("/me/data", form(p, "erasure"))
		if refused.Status != http.StatusBadRequest {
			t.Fatalf("an unconfirmed erasure: %d", refused.Status)
		}
		mustContain(t, refused, `href="#erasure-confirm"`, "Sæt kryds for at bekræfte")
		confirmed := form(refused, "erasure")
		confirmed.Set("confirm", "yes")
		p = c.post("/me/data", confirmed)
		mustContain(t, p, "Vi sletter dine data", "Dine data er slettet efter dit ønske", "Sletning af dine data")
		testenv.Eventually(t, 20*time.Second, "the erasure done", func() bool {
			p = c.get("/me/data")
			return !strings.Contains(p.Body, "I gang") // every part done (the erasure removed the earlier copy)
		})
		mustContain(t, p, "Gemt, fordi loven kræver det:", "GDPR art. 5(2)")
		if strings.Contains(p.Body, "Bestil en kopi") || strings.Contains(p.Body, "Slet mine data</button>") {
			t.Fatal("an erased citizen is offered new requests")
		}
		gone := c.get("/me/profile")
		if gone.Status != http.StatusGone {
			t.Fatalf("the profile after the erasure: %d", gone.Status)
		}
		mustContain(t, gone, "Dine data er slettet")
	})
}
