package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/service"
)

func (s *stack) subjectsTo(t *testing.T, addr string) []string {
	var out []string
	for _, m := range s.smtp.To(addr) {
		out = append(out, mailParts(t, m).Subject)
	}
	return out
}

func summary(rs []reminder) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s@%s %s", r.Kind, r.DueAt.In(policy.Copenhagen).Format("01-02 15:04"), r.Status))
	}
	return out
}

func TestRemindersAreSentOnceOnTimeAndNotAfterAChange(t *testing.T) {
	t.Parallel()
	// Friday 1 January 2027, a public holiday: the institution's five business days end on Friday the 8th.
	s := newStack(t, cph("2027-01-01 10:00:00"), nil, service.Options{})
	course := newRun() // starts Monday 11 January
	staff := s.env.Token(t, auth.Claims{Subject: "staff-" + uuid.NewString(), Role: auth.RoleInstitution, InstitutionID: course.InstitutionID})
	hook := newReceiver(t, always(http.StatusOK))
	register(t, s.base, staff, course.InstitutionID, hook.URL, "*")

	eva := s.citizen(t, "Eva Lund", "eva@example.dk", "", "da")
	finn := s.citizen(t, "Finn Mark", "finn@example.dk", "", "da")
	gry := s.citizen(t, "Gry Dal", "gry@example.dk", "", "en")
	hans := s.citizen(t, "Hans Bak", "hans@example.dk", "", "da")
	now := s.clock.Now()
	ev, fi, gr, ha := newEnrolment(eva, course), newEnrolment(finn, course), newEnrolment(gry, course), newEnrolment(hans, course)
	ev.Funding, fi.Funding = approved, approved
	offerEnds := cph("2027-01-06 12:00:00")
	gr.OfferExpiresAt, ha.OfferExpiresAt = &offerEnds, &offerEnds
	for _, e := range []events.Envelope{
		ev.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", now),
		fi.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", now),
		fi.event(t, events.TypeEnrolmentCancelled, "cancelled", "citizen", "ny vagtplan", now), // Finn changes his mind
		gr.event(t, events.TypeEnrolmentOffered, "offered", "system", "a seat became free", now),
		gr.event(t, events.TypeEnrolmentRequested, "pending", "citizen", "accepted the offer", now), // Gry answers at once
		ha.event(t, events.TypeEnrolmentOffered, "offered", "system", "a seat became free", now),    // Hans does not
	} {
		s.publish(t, e)
	}
	want := map[string][]string{
		ev.EnrolmentID: {"course_start_7d@01-04 09:00 scheduled", "institution_answer_due@01-08 09:00 scheduled", "course_start_1d@01-10 09:00 scheduled"},
		fi.EnrolmentID: {"course_start_7d@01-04 09:00 cancelled", "institution_answer_due@01-08 09:00 cancelled", "course_start_1d@01-10 09:00 cancelled"},
		gr.EnrolmentID: {"offer_expires@01-05 12:00 cancelled"},
		ha.EnrolmentID: {"offer_expires@01-05 12:00 scheduled"},
	}
	testenv.Eventually(t, 15*time.Second, "the reminders scheduled and Finn's and Gry's cancelled", func() bool {
		for id, w := range want {
			if !slices.Equal(summary(s.reminders(t, id)), w) {
				return false
			}
		}
		return true
	})
	if r := s.reminders(t, fi.EnrolmentID)[0]; r.Note != "the enrolment is now cancelled" {
		t.Fatalf("Finn's reminder note %q", r.Note)
	}
	testenv.Eventually(t, 15*time.Second, "the events' own mails", func() bool {
		return len(s.smtp.To("eva@example.dk")) == 1 && len(s.smtp.To("hans@example.dk")) == 1
	})

	// Monday 09:00: a week before the start.
	s.clock.Set(cph("2027-01-04 09:00:30"))
	testenv.Eventually(t, 15*time.Second, "Eva's week reminder", func() bool { return len(s.smtp.To("eva@example.dk")) == 2 })
	if got := s.subjectsTo(t, "eva@example.dk")[1]; got != "Husk: Gaffeltruckcertifikat (B) starter om 7 dage" {
		t.Fatalf("reminder subject %q", got)
	}

	// Reminders live in Postgres: a new instance sends the rest.
	s.restart(t)

	// Tuesday 12:00: a day before Hans's offer lapses.
	s.clock.Set(cph("2027-01-05 12:00:30"))
	testenv.Eventually(t, 15*time.Second, "Hans's offer reminder", func() bool { return len(s.smtp.To("hans@example.dk")) == 2 })
	hansMail := mailParts(t, s.smtp.To("hans@example.dk")[1])
	if hansMail.Subject != "Husk at svare: der er en plads til dig på Gaffeltruckcertifikat (B)" ||
		!strings.Contains(hansMail.Text, "Svar senest onsdag den 6. januar 2027 kl. 12.00") {
		t.Fatalf("offer reminder %q:\n%s", hansMail.Subject, hansMail.Text)
	}

	// Friday 09:00: the institution's answer is due today: a webhook (notification has no address of
	// the institution's; its systems get enrolment events by webhook already).
	s.clock.Set(cph("2027-01-08 09:00:30"))
	var due map[string]any
	testenv.Eventually(t, 15*time.Second, "the institution's answer_due webhook", func() bool {
		for _, r := range hook.requests() {
			var body map[string]any
			if json.Unmarshal(r.Body, &body) == nil && body["type"] == "livslang.enrolment.answer_due.v1" {
				due = body
				return true
			}
		}
		return false
	})
	data := due["data"].(map[string]any)
	if data["enrolment_id"] != ev.EnrolmentID || data["answer_by"] != "2027-01-08T22:59:59.999Z" || due["subject"] != ev.EnrolmentID ||
		data["profile"] != nil {
		t.Fatalf("answer_due webhook %v", due)
	}

	// Sunday 09:00: the day before.
	s.clock.Set(cph("2027-01-10 09:00:30"))
	testenv.Eventually(t, 15*time.Second, "Eva's last reminder", func() bool { return len(s.smtp.To("eva@example.dk")) == 3 })
	if got := s.subjectsTo(t, "eva@example.dk")[2]; got != "Husk: Gaffeltruckcertifikat (B) starter i morgen" {
		t.Fatalf("reminder subject %q", got)
	}
	// Each reminder went once; the cancelled ones never.
	s.clock.Set(cph("2027-01-10 12:00:00"))
	testenv.Eventually(t, 15*time.Second, "Eva's reminders recorded as sent", func() bool {
		return slices.Equal(summary(s.reminders(t, ev.EnrolmentID)),
			[]string{"course_start_7d@01-04 09:00 sent", "institution_answer_due@01-08 09:00 sent", "course_start_1d@01-10 09:00 sent"}) &&
			s.settled(t, eva, 3)
	})
	for who, n := range map[string]int{"eva@example.dk": 3, "finn@example.dk": 2, "gry@example.dk": 2, "hans@example.dk": 2} {
		if got := s.subjectsTo(t, who); len(got) != n {
			t.Errorf("%s got %d mails, want %d: %v", who, len(got), n, got)
		}
	}
	var answerDue int
	for _, r := range hook.requests() {
		if strings.Contains(string(r.Body), "answer_due") {
			answerDue++
		}
	}
	if answerDue != 1 {
		t.Errorf("%d answer_due webhooks, want 1 (Eva's; Finn cancelled)", answerDue)
	}
	for _, d := range s.deliveries(t, eva)[1:] {
		if d.ReminderID == nil || d.Kind != policy.ReminderCourseStart {
			t.Errorf("reminder delivery %+v", d)
		}
	}
}

func TestChangedAndCancelledRunsTellTheCitizenAndMoveReminders(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-01 10:00:00"), nil, service.Options{})
	course := newRun()
	ida := s.citizen(t, "Ida Krog", "ida@example.dk", "", "da")
	jens := s.citizen(t, "Jens Vad", "jens@example.dk", "", "en")
	now := s.clock.Now()
	id, je := newEnrolment(ida, course), newEnrolment(jens, course)
	id.Funding = approved
	je.WaitlistPosition = 1
	s.publish(t, id.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", now))
	s.publish(t, je.event(t, events.TypeEnrolmentWaitlisted, "waitlisted", "citizen", "", now))
	testenv.Eventually(t, 15*time.Second, "the first mails", func() bool {
		return len(s.smtp.To("ida@example.dk")) == 1 && len(s.smtp.To("jens@example.dk")) == 1
	})

	// The institution moves the run a week later (version 2); then a late copy of version 1 arrives.
	moved := course
	moved.StartsOn, moved.EndsOn = "2027-01-18", "2027-01-22"
	for _, c := range []events.CourseUpdated{{Course: moved, Version: 2}, {Course: course, Version: 1}} {
		e, err := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, course.ID, now, c)
		if err != nil {
			t.Fatal(err)
		}
		s.publish(t, e)
	}
	testenv.Eventually(t, 15*time.Second, "both told of the new dates", func() bool {
		return len(s.smtp.To("ida@example.dk")) == 2 && len(s.smtp.To("jens@example.dk")) == 2
	})
	p := mailParts(t, s.smtp.To("ida@example.dk")[1])
	if p.Subject != "Holdet har fået nye datoer: Gaffeltruckcertifikat (B)" ||
		!strings.Contains(p.Text, "Holdet starter nu mandag den 18. januar 2027 (før mandag den 11. januar 2027).") ||
		!strings.Contains(p.HTML, "<li>Holdet slutter nu fredag den 22. januar 2027 (før fredag den 15. januar 2027).</li>") {
		t.Fatalf("change mail %q:\n%s\n%s", p.Subject, p.Text, p.HTML)
	}
	if p := mailParts(t, s.smtp.To("jens@example.dk")[1]); !strings.Contains(p.Text, "now starts on Monday 18 January 2027 (was Monday 11 January 2027)") {
		t.Fatalf("Jens's change mail:\n%s", p.Text)
	}
	testenv.Eventually(t, 10*time.Second, "Ida's reminders moved", func() bool {
		return slices.Equal(summary(s.reminders(t, id.EnrolmentID)), []string{
			"course_start_7d@01-04 09:00 cancelled", "institution_answer_due@01-08 09:00 scheduled", "course_start_1d@01-10 09:00 cancelled",
			"course_start_7d@01-11 09:00 scheduled", "course_start_1d@01-17 09:00 scheduled"})
	})

	// The institution cancels the run: registration cancels each enrolment with cause institution.
	now = s.clock.Now()
	id.Course, je.Course = moved, moved
	s.publish(t, id.event(t, events.TypeEnrolmentCancelled, "cancelled", "institution", "the course run was cancelled: for få tilmeldte", now))
	s.publish(t, je.event(t, events.TypeEnrolmentCancelled, "cancelled", "institution", "the course run was cancelled: for få tilmeldte", now))
	testenv.Eventually(t, 15*time.Second, "both told of the cancellation", func() bool {
		return len(s.smtp.To("ida@example.dk")) == 3 && len(s.smtp.To("jens@example.dk")) == 3
	})
	p = mailParts(t, s.smtp.To("ida@example.dk")[2])
	if p.Subject != "Holdet er aflyst: Gaffeltruckcertifikat (B)" || !strings.Contains(p.Text, "Uddannelsesstedets begrundelse: for få tilmeldte") ||
		!strings.Contains(p.Text, "som skulle starte mandag den 18. januar 2027") {
		t.Fatalf("cancellation mail %q:\n%s", p.Subject, p.Text)
	}
	for _, r := range s.reminders(t, id.EnrolmentID) {
		if r.Status != "cancelled" {
			t.Fatalf("reminder left after the run was cancelled: %+v", r)
		}
	}
	if d := byKindChannel(s.deliveries(t, jens)); d["course_cancelled/email"].Status != "sent" {
		t.Fatalf("Jens's deliveries %+v", d)
	}
}

func TestQuietHoursHoldSMSUntilMorning(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-04 22:30:00"), nil, service.Options{})
	kim := s.citizen(t, "Kim Skov", "kim@example.dk", "+4521212121", "da")
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, s.base+"/v1/me/preferences", s.citizenToken(t, kim), map[string]any{
		"channels": map[string][]string{policy.EnrolmentConfirmed: {"sms", "email"}, policy.ReminderOfferExpires: {"sms", "email"}}}),
		http.StatusOK)
	now := s.clock.Now()
	confirmed, offered := newEnrolment(kim, newRun()), newEnrolment(kim, newRun())
	confirmed.Funding = approved
	offerEnds := cph("2027-01-05 23:00:00")
	offered.OfferExpiresAt = &offerEnds // reminded a day before: 23:00 tonight
	s.publish(t, confirmed.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", now))
	s.publish(t, offered.event(t, events.TypeEnrolmentOffered, "offered", "system", "a seat became free", now))

	// At 22:30 the mails go at once; the SMS waits for 08:00.
	morning := cph("2027-01-05 08:00:00").UTC().Format(time.RFC3339Nano)
	testenv.Eventually(t, 15*time.Second, "the SMS held for the night", func() bool {
		d, ok := byKindChannel(s.deliveries(t, kim))["enrolment_confirmed/sms"]
		return ok && d.Outcome == "held_for_quiet_hours" && d.NextAttemptAt != nil && *d.NextAttemptAt == morning && d.Attempts == 0
	})
	testenv.Eventually(t, 15*time.Second, "the mails", func() bool { return len(s.smtp.To("kim@example.dk")) == 2 })

	// 23:00: the offer reminder; its mail goes, its SMS waits too.
	s.clock.Set(cph("2027-01-04 23:00:30"))
	testenv.Eventually(t, 15*time.Second, "the offer reminder", func() bool {
		d, ok := byKindChannel(s.deliveries(t, kim))["reminder_offer_expires/sms"]
		return ok && d.Outcome == "held_for_quiet_hours" && len(s.smtp.To("kim@example.dk")) == 3
	})
	// 07:00: Kim declines the offer; the reminder's SMS is no longer true and is dropped.
	s.clock.Set(cph("2027-01-05 07:00:00"))
	s.publish(t, offered.event(t, events.TypeEnrolmentCancelled, "cancelled", "citizen", "declined the offer", s.clock.Now()))
	testenv.Eventually(t, 15*time.Second, "the reminder's SMS cancelled", func() bool {
		d := byKindChannel(s.deliveries(t, kim))["reminder_offer_expires/sms"]
		return d.Status == "cancelled" && d.Detail == "the enrolment is now cancelled"
	})
	if got := s.smsTo(t, kim); len(got) != 0 {
		t.Fatalf("SMS sent at night: %+v", got)
	}

	// 08:00: the morning's SMS.
	s.clock.Set(cph("2027-01-05 08:00:05"))
	testenv.Eventually(t, 15*time.Second, "the SMS in the morning", func() bool { return len(s.smsTo(t, kim)) == 1 })
	testenv.Eventually(t, 15*time.Second, "everything settled", func() bool { return s.settled(t, kim, 6) })
	sms := s.smsTo(t, kim)[0]
	if sms.SentAt.Before(cph("2027-01-05 08:00:00")) || !strings.HasPrefix(sms.Text, "Livslang: Du har fået plads på Gaffeltruckcertifikat (B)") {
		t.Fatalf("SMS %+v", sms)
	}
}

func TestReferralsAreDecisionsAndRemindBeforeTheyLapse(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-04 10:00:00"), nil, service.Options{})
	lars := s.citizen(t, "Lars Sørensen", "lars@example.dk", "", "da")
	course := newRun()
	referral := func(validUntil string) *events.Referral {
		return &events.Referral{ReferralID: uuid.NewString(), Status: "open", CitizenID: lars, Municipality: "657", Course: course,
			Scheme: "municipality", Reason: "Opkvalificering til lagerjob", ValidUntil: validUntil}
	}
	publish := func(event string, r *events.Referral, status, note string) {
		r.Status, r.Note = status, note
		e, err := events.New("/livslang/funding", "livslang.referral."+event+".v1", events.ReferralSubject(event), r.ReferralID, s.clock.Now(), *r)
		if err != nil {
			t.Fatal(err)
		}
		s.publish(t, e)
	}
	accepted, lapsing, withdrawn := referral("2027-01-08"), referral("2027-01-06"), referral("2027-01-08")
	publish("created", accepted, "open", "")
	publish("created", lapsing, "open", "")
	publish("created", withdrawn, "open", "")
	// Registration holds the seat as an offer: the referral's own message tells of it.
	held := newEnrolment(lars, course)
	held.ReferralID = accepted.ReferralID
	expires := cph("2027-01-08 23:59:00")
	held.OfferExpiresAt = &expires
	s.publish(t, held.event(t, events.TypeEnrolmentOffered, "offered", "caseworker", "referred by the municipality", s.clock.Now()))
	publish("accepted", accepted, "accepted", "")
	publish("withdrawn", withdrawn, "withdrawn", "Borgeren er flyttet")
	testenv.Eventually(t, 15*time.Second, "the referrals' messages", func() bool { return s.settled(t, lars, 8) })
	got := s.deliveries(t, lars)
	count := map[string]int{}
	for _, d := range got {
		count[d.Kind+"/"+d.Channel]++
	}
	if want := map[string]int{"referral_received/email": 3, "referral_received/digital_post": 3, "referral_withdrawn/email": 1,
		"referral_withdrawn/digital_post": 1}; !equalCounts(count, want) {
		t.Fatalf("deliveries %v, want %v", count, want)
	}
	for _, l := range s.memosTo(t, lars) {
		if !l.Header.LegalNotification {
			t.Fatalf("a referral letter that is not a decision: %+v", l.Header)
		}
	}
	if r := s.reminders(t, accepted.ReferralID); len(r) != 1 || r[0].Status != "cancelled" || r[0].Note != "the referral is now accepted" {
		t.Fatalf("the accepted referral's reminder %+v", r)
	}
	if r := s.reminders(t, held.EnrolmentID); len(r) != 0 {
		t.Fatalf("the held seat has its own reminders: %+v", r)
	}

	// Wednesday 09:00, the last day to answer the other.
	s.clock.Set(cph("2027-01-06 09:00:30"))
	testenv.Eventually(t, 15*time.Second, "the referral reminder", func() bool { return s.settled(t, lars, 9) })
	last := s.smtp.To("lars@example.dk")
	p := mailParts(t, last[len(last)-1])
	if p.Subject != "Husk at svare på henvisningen: Gaffeltruckcertifikat (B)" ||
		!strings.Contains(p.Text, "Svar senest onsdag den 6. januar 2027 (inden midnat)") {
		t.Fatalf("referral reminder %q:\n%s", p.Subject, p.Text)
	}
	if r := s.reminders(t, withdrawn.ReferralID); len(r) != 1 || r[0].Status != "cancelled" {
		t.Fatalf("the withdrawn referral's reminder %+v", r)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestABrokenReminderHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-01 10:00:00"), nil, service.Options{})
	mia := s.citizen(t, "Mia Flo", "mia@example.dk", "", "da")
	e := newEnrolment(mia, newRun())
	e.Funding = approved
	s.publish(t, e.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", s.clock.Now()))
	testenv.Eventually(t, 15*time.Second, "the confirmation", func() bool { return s.settled(t, mia, 1) })
	// A reminder whose data cannot be read, due before Mia's.
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO reminders (id, kind, subject_id, recipient_id, event_id, due_at, expires_at,
			expect_status, data, created_at)
		VALUES ($1, 'course_start_7d', $2, $3, $1, $4, $5, 'confirmed', '"not an object"', now())`,
		uuid.New(), e.EnrolmentID, mia, cph("2027-01-03 09:00:00"), cph("2027-01-11 00:00:00")); err != nil {
		t.Fatal(err)
	}
	s.clock.Set(cph("2027-01-04 09:00:30"))
	testenv.Eventually(t, 15*time.Second, "Mia's reminder", func() bool { return s.settled(t, mia, 2) })
	var broken int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM reminders WHERE subject_id = $1 AND status = 'scheduled'
		AND due_at < $2`, e.EnrolmentID, cph("2027-01-04 00:00:00")).Scan(&broken); err != nil || broken != 1 {
		t.Fatalf("the broken reminder: %d, %v", broken, err)
	}
}
