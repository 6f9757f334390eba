package service_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/internal/channels"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/service"
)

type preferences struct {
	Language          string              `json:"language"`
	Channels          map[string][]string `json:"channels"`
	AlwaysDigitalPost []string            `json:"always_digital_post"`
}

func TestChannelsFollowPreferencesAndDecisionsGoByDigitalPost(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-04 10:00:00"), nil, service.Options{})
	anna := s.citizen(t, "Anna Jensen", "anna@example.dk", "+45 20 12 34 56", "da")
	token := s.citizenToken(t, anna)
	url := s.base + "/v1/me/preferences"

	// Defaults: the profile's language, e-mail for every kind.
	var p preferences
	testenv.Do(t, http.MethodGet, url, token, nil).JSON(t, &p)
	if p.Language != "da" || len(p.Channels) != len(policy.Kinds) || !slices.Equal(p.Channels[policy.ReminderCourseStart], []string{"email"}) ||
		!slices.Contains(p.AlwaysDigitalPost, policy.EnrolmentRejected) {
		t.Fatalf("default preferences %+v", p)
	}
	for _, c := range []struct {
		name, token string
		body        any
		status      int
		fields      []string
	}{
		{"no token", "", map[string]any{"language": "en"}, http.StatusUnauthorized, nil},
		{"an administrator", s.adminToken(t), map[string]any{"language": "en"}, http.StatusForbidden, nil},
		{"bad values", token, map[string]any{"language": "sv", "channels": map[string][]string{
			"bogus": {"email"}, policy.EnrolmentConfirmed: {}, policy.EnrolmentWaitlisted: {"email", "fax"}}}, http.StatusBadRequest,
			[]string{"language", "channels.bogus", "channels.enrolment_confirmed", "channels.enrolment_waitlisted[1]"}},
		{"an unknown field", token, map[string]any{"lang": "en"}, http.StatusBadRequest, []string{"lang"}},
	} {
		r := testenv.Do(t, http.MethodPut, url, c.token, c.body)
		var problem httpapi.Problem
		r.JSON(t, &problem)
		var fields []string
		for _, f := range problem.Errors {
			fields = append(fields, f.Field)
		}
		if r.Status != c.status || !slices.Equal(fields, c.fields) {
			t.Errorf("%s: %s, want %d with %v", c.name, r, c.status, c.fields)
		}
	}
	r := testenv.Do(t, http.MethodPut, url, token, map[string]any{"language": "en", "channels": map[string][]string{
		policy.EnrolmentConfirmed: {"sms", "email", "sms"}, policy.EnrolmentWaitlisted: {"digital_post"}}})
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &p)
	if p.Language != "en" || !slices.Equal(p.Channels[policy.EnrolmentConfirmed], []string{"sms", "email"}) ||
		!slices.Equal(p.Channels[policy.EnrolmentReceived], []string{"email"}) {
		t.Fatalf("saved preferences %+v", p)
	}

	// Waitlisted by Digital Post only; confirmed by SMS and e-mail; a funding rejection by e-mail (her
	// choice, the default) and Digital Post (the law's) — all in English, her choice over her profile's.
	waiting, confirmed, rejected := newEnrolment(anna, newRun()), newEnrolment(anna, newRun()), newEnrolment(anna, newRun())
	waiting.WaitlistPosition = 2
	confirmed.Funding, rejected.Funding = approved, rejectedBySVU
	at := s.clock.Now()
	for _, e := range []events.Envelope{
		waiting.event(t, events.TypeEnrolmentWaitlisted, "waitlisted", "citizen", "", at),
		confirmed.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "funding approved: veu", at),
		rejected.event(t, events.TypeEnrolmentRejected, "rejected", "funding", "funding rejected", at),
	} {
		s.publish(t, e)
	}
	testenv.Eventually(t, 15*time.Second, "five messages delivered", func() bool { return s.settled(t, anna, 5) })
	got := byKindChannel(s.deliveries(t, anna))
	for _, k := range []string{"enrolment_waitlisted/digital_post", "enrolment_confirmed/sms", "enrolment_confirmed/email",
		"enrolment_rejected/email", "enrolment_rejected/digital_post"} {
		if d, ok := got[k]; !ok || d.Status != "sent" || d.Outcome != "sent" || d.Language != "en" || d.SentAt == nil {
			t.Errorf("%s: %+v", k, d)
		}
	}
	if !got["enrolment_rejected/digital_post"].MustArrive || got["enrolment_waitlisted/digital_post"].MustArrive {
		t.Errorf("must_arrive: %+v", got)
	}

	mails := s.smtp.To("anna@example.dk")
	var subjects []string
	for _, m := range mails {
		subjects = append(subjects, mailParts(t, m).Subject)
	}
	slices.Sort(subjects)
	if want := []string{"You have a place: Forklift certificate (B)", "Your enrolment was not approved: Forklift certificate (B)"}; !slices.Equal(subjects, want) {
		t.Fatalf("mails %v, want %v", subjects, want)
	}
	sms := s.smsTo(t, anna)
	if len(sms) != 1 || sms[0].To != "+4520123456" || !strings.HasPrefix(sms[0].Text, "Livslang: You have a place on Forklift certificate (B)") {
		t.Fatalf("SMS %+v", sms)
	}
	letters := s.memosTo(t, anna)
	if len(letters) != 2 {
		t.Fatalf("%d Digital Post letters", len(letters))
	}
	slices.SortFunc(letters, func(a, b channels.MeMo) int { return strings.Compare(a.Header.Label, b.Header.Label) })
	if l := letters[0]; l.Header.Label != "You are on the waiting list: Forklift certificate (B)" || l.Header.LegalNotification ||
		!strings.Contains(decode(t, l.Body.MainDocument.Files[0].Content), "You are number 2 on the waiting list") {
		t.Fatalf("waiting-list letter %+v", l)
	}
	if l := letters[1]; !strings.HasPrefix(l.Header.Label, "Your enrolment was not approved") || !l.Header.LegalNotification ||
		l.Header.Recipient.IDType != "PSEUDONYM" || l.Header.Sender.SenderID != "29189854" ||
		!strings.Contains(decode(t, l.Body.MainDocument.Files[0].Content), "- SVU is not paid for AMU courses (SVU-loven § 2)") {
		t.Fatalf("rejection letter %+v", l)
	}
	// No CPR number anywhere: the token's CPR never reaches notification, and the letters name the pseudonym.
	entries, _ := os.ReadDir(s.post)
	for _, e := range entries {
		raw, _ := os.ReadFile(s.post + "/" + e.Name())
		if strings.Contains(string(raw), "0101851234") || !strings.Contains(string(raw), anna) {
			t.Fatalf("%s names the citizen wrongly", e.Name())
		}
	}

	// The citizen's list names event and kind; the administrators' view shows no subject or body.
	var mine struct {
		Items []struct {
			EventID string `json:"event_id"`
			Kind    string
			Channel string
		}
	}
	testenv.Do(t, http.MethodGet, s.base+"/v1/me/notifications", token, nil).JSON(t, &mine)
	if len(mine.Items) != 5 || mine.Items[0].EventID == "" || mine.Items[0].Kind == "" {
		t.Fatalf("my notifications %+v", mine)
	}
	admin := s.adminToken(t)
	raw := testenv.Do(t, http.MethodGet, s.base+"/v1/admin/deliveries?recipient="+anna, admin, nil)
	testenv.MustStatus(t, raw, http.StatusOK)
	for _, private := range []string{"Forklift", "subject", "anna@example.dk", "+4520123456", "Anna"} {
		if strings.Contains(string(raw.Body), private) {
			t.Errorf("the delivery view shows %q: %s", private, raw.Body)
		}
	}
	var page struct {
		Items []delivery
		Next  string
	}
	testenv.Do(t, http.MethodGet, s.base+"/v1/admin/deliveries?recipient="+anna+"&kind=enrolment_rejected&channel=digital_post&status=sent",
		admin, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].RecipientID != anna {
		t.Fatalf("filtered %+v", page.Items)
	}
	testenv.Do(t, http.MethodGet, s.base+"/v1/admin/deliveries?recipient="+anna+"&limit=2", admin, nil).JSON(t, &page)
	next := page.Next
	testenv.Do(t, http.MethodGet, s.base+"/v1/admin/deliveries?recipient="+anna+"&limit=2&after="+next, admin, nil).JSON(t, &page)
	if next == "" || len(page.Items) != 2 {
		t.Fatalf("second page after %q: %+v", next, page)
	}
	for _, c := range []struct {
		query, token string
		status       int
	}{
		{"", token, http.StatusForbidden},
		{"", "", http.StatusUnauthorized},
		{"?status=bogus", admin, http.StatusBadRequest},
		{"?kind=bogus", admin, http.StatusBadRequest},
		{"?limit=0", admin, http.StatusBadRequest},
	} {
		if r := testenv.Do(t, http.MethodGet, s.base+"/v1/admin/deliveries"+c.query, c.token, nil); r.Status != c.status {
			t.Errorf("deliveries%s: %s, want %d", c.query, r, c.status)
		}
	}
}

func decode(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBouncedMailFallsBackToDigitalPost(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-04 10:00:00"), nil, service.Options{})
	bo := s.citizen(t, "Bo Hansen", "bo@example.dk", "", "da")
	s.smtp.Bounce("bo@example.dk")
	at := s.clock.Now()

	// A decision (funding rejects): the mail bounces; the Digital Post letter, sent for every decision,
	// carries it. An offer must arrive too: its bounce sends it on by Digital Post. A receipt need not.
	rejected, offered, received := newEnrolment(bo, newRun()), newEnrolment(bo, newRun()), newEnrolment(bo, newRun())
	rejected.Funding = rejectedBySVU
	expires := cph("2027-01-08 12:00:00")
	offered.OfferExpiresAt = &expires
	for _, e := range []events.Envelope{
		rejected.event(t, events.TypeEnrolmentRejected, "rejected", "funding", "funding rejected", at),
		offered.event(t, events.TypeEnrolmentOffered, "offered", "system", "a seat became free", at),
		received.event(t, events.TypeEnrolmentRequested, "pending", "citizen", "", at),
	} {
		s.publish(t, e)
	}
	testenv.Eventually(t, 15*time.Second, "every message settled", func() bool { return s.settled(t, bo, 5) })
	got := byKindChannel(s.deliveries(t, bo))
	for _, k := range []string{"enrolment_rejected/email", "enrolment_offered/email", "enrolment_received/email"} {
		d := got[k]
		if d.Status != "failed" || d.Outcome != "bounced" || d.Attempts != 1 || !strings.Contains(d.Detail, "550") ||
			strings.Contains(d.Detail, "bo@example.dk") {
			t.Errorf("%s: %+v", k, d)
		}
	}
	if d := got["enrolment_rejected/digital_post"]; d.Status != "sent" || d.FallbackOf != nil {
		t.Errorf("the decision's letter: %+v", d)
	}
	if d := got["enrolment_offered/digital_post"]; d.Status != "sent" || d.FallbackOf == nil || *d.FallbackOf != got["enrolment_offered/email"].ID {
		t.Errorf("the offer's fallback: %+v", d)
	}
	if _, ok := got["enrolment_received/digital_post"]; ok {
		t.Error("a receipt went on by Digital Post")
	}
	letters := s.memosTo(t, bo)
	var labels []string
	for _, l := range letters {
		labels = append(labels, l.Header.Label)
	}
	slices.Sort(labels)
	if want := []string{"Der er en plads til dig: Gaffeltruckcertifikat (B)", "Din tilmelding blev ikke godkendt: Gaffeltruckcertifikat (B)"}; !slices.Equal(labels, want) {
		t.Fatalf("letters %v, want %v", labels, want)
	}
	if n := len(s.smtp.Refused()); n != 3 {
		t.Fatalf("the server refused %d times, want 3 (a bounce is not retried): %v", n, s.smtp.Refused())
	}

	// A server that is busy (451) is tried again with backoff, and the mail arrives.
	cy := s.citizen(t, "Cy Holm", "cy@example.dk", "", "en")
	s.smtp.Busy("cy@example.dk", 1)
	c := newEnrolment(cy, newRun())
	c.Funding = approved
	s.publish(t, c.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", at))
	testenv.Eventually(t, 15*time.Second, "Cy's mail after a retry", func() bool { return s.settled(t, cy, 1) })
	if d := s.deliveries(t, cy)[0]; d.Status != "sent" || d.Attempts != 2 || len(s.smtp.To("cy@example.dk")) != 1 {
		t.Fatalf("retried delivery %+v", d)
	}
}

func TestRedeliveryAndACrashBeforeRecordingSendOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := map[string]int{} // message id → times BeforeRecord ran
	opts := service.Options{BeforeRecord: func(m store.Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls[m.ID.String()]++
		if calls[m.ID.String()] == 1 {
			return errors.New("simulated crash between send and record")
		}
		return nil
	}}
	s := newStack(t, cph("2027-01-04 10:00:00"), map[string]string{"LIVSLANG_NOTIFICATION_SEND_LEASE": "300ms"}, opts)
	dan := s.citizen(t, "Dan Berg", "dan@example.dk", "20123456", "da")
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, s.base+"/v1/me/preferences", s.citizenToken(t, dan),
		map[string]any{"channels": map[string][]string{policy.EnrolmentConfirmed: {"email", "sms", "digital_post"}}}), http.StatusOK)
	e := newEnrolment(dan, newRun())
	e.Funding = approved
	confirmed := e.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "", s.clock.Now())
	s.publish(t, confirmed)
	testenv.Eventually(t, 15*time.Second, "three messages recorded as sent", func() bool { return s.settled(t, dan, 3) })

	// The redelivered event (past JetStream's deduplication) queues nothing; the marker after it does.
	s.env.Publish(t, confirmed, "again-"+confirmed.ID)
	marker := e.event(t, events.TypeEnrolmentAccepted, "confirmed", "institution", "accepted by the institution", s.clock.Now())
	s.publish(t, marker)
	testenv.Eventually(t, 15*time.Second, "the marker's message", func() bool { return s.settled(t, dan, 4) })

	for _, d := range s.deliveries(t, dan) {
		if d.Status != "sent" || d.Attempts != 2 {
			t.Errorf("%s/%s: %+v (every message crashed once before it was recorded)", d.Kind, d.Channel, d)
		}
		mu.Lock()
		n := calls[d.ID]
		mu.Unlock()
		if n != 2 {
			t.Errorf("%s/%s: sent %d times by the sender", d.Kind, d.Channel, n)
		}
	}
	// Digital Post and SMS recognise the message id and deliver once.
	if n := len(s.memosTo(t, dan)); n != 1 {
		t.Errorf("%d Digital Post letters, want 1", n)
	}
	if n := len(s.smsTo(t, dan)); n != 1 {
		t.Errorf("%d SMS, want 1", n)
	}
	// SMTP cannot: the mail went twice, with one Message-ID, so a mailbox that deduplicates by
	// Message-ID shows it once (see channels.SMTP). The marker's mail crashed once too.
	byID := map[string]int{}
	for _, m := range s.smtp.To("dan@example.dk") {
		byID[m.Header.Get("Message-ID")]++
	}
	if len(byID) != 2 {
		t.Fatalf("mails by Message-ID %v, want two messages each sent twice", byID)
	}
	for id, n := range byID {
		if n != 2 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
}
