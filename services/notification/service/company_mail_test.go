package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/service"
)

// companyUpdated is funding's announcement of a company's contact at at.
func companyUpdated(t *testing.T, c events.Company, at time.Time) events.Envelope {
	t.Helper()
	e, err := events.New("/livslang/funding", events.TypeCompanyUpdated, events.SubjectCompanyUpdated, c.CVR, at, c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// demandOffered is registration's offer of seats to the company; lane is the envelope's subject
// (events on one subject are handled in order).
func demandOffered(t *testing.T, cvr, lane string) events.Envelope {
	t.Helper()
	o := events.DemandOffered{OfferID: uuid.NewString(), DemandID: uuid.NewString(), CVR: cvr, CompanyName: "Vestas Wind Systems A/S",
		Course: newRun(), Location: "Herning", Employees: 4, Seats: 3, ExpiresAt: cph("2026-12-10 23:59:00")}
	e, err := events.New("/livslang/registration", events.TypeDemandOffered, events.SubjectDemandOffered, lane, time.Now(), o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// refundPaid is funding's refund paid to the company for the citizen's course.
func refundPaid(t *testing.T, citizen string, company events.Company) events.Envelope {
	t.Helper()
	r := events.RefundPaid{RefundID: uuid.NewString(), DecisionID: uuid.NewString(), EnrolmentID: uuid.NewString(), CitizenID: citizen,
		Company: company, EmployeeName: "Mette Nielsen", Course: newRun(), Scheme: "veu", ExpectedDKK: 4865, PaidDKK: 3649,
		AttendedHours: 27.75, PlannedHours: 37, PaidAt: "2027-01-20T09:30:00Z"}
	e, err := events.New("/livslang/funding", events.TypeRefundPaid, events.SubjectRefundPaid, r.RefundID, time.Now(), r)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// applied reports whether the consumer has applied every event.
func (s *stack) applied(t *testing.T, consumer string, es ...events.Envelope) bool {
	t.Helper()
	ids := make([]string, 0, len(es))
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return s.count(t, `SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id::text = ANY($2)`, consumer, ids) == len(ids)
}

func TestTheCompanyContactCopyKeepsTheNewestAndOffersGoToIt(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2026-12-01 10:00:00"), nil, service.Options{})
	// The newer contact (English, hr@) comes first; the older one (Danish, old@) arrives late and
	// changes nothing.
	at := time.Now()
	newer := companyUpdated(t, events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Email: "hr@vestas.example", Language: "en"}, at)
	older := companyUpdated(t, events.Company{CVR: "12345674", Name: "Vestas (gammel)", Email: "old@vestas.example", Language: "da"}, at.Add(-time.Hour))
	s.publish(t, newer)
	s.publish(t, older)
	testenv.Eventually(t, 15*time.Second, "both contacts applied", func() bool { return s.applied(t, "notification-companies", newer, older) })

	// The offer, delivered twice, is one mail in English to the newest contact; a second offer on
	// the same lane after it shows the redelivery was handled.
	offer := demandOffered(t, "12345674", "lane-"+uuid.NewString())
	s.publish(t, offer)
	s.env.Publish(t, offer, "again-"+offer.ID) // redelivered past JetStream's deduplication
	// A company whose contact is not known is skipped, and that is no error.
	unknown := demandOffered(t, "41657006", offer.Subject)
	s.publish(t, unknown)
	second := demandOffered(t, "12345674", offer.Subject)
	s.publish(t, second)
	testenv.Eventually(t, 15*time.Second, "the two offers", func() bool { return len(s.smtp.To("hr@vestas.example")) == 2 })
	if !s.applied(t, "notification-demand-offers", offer, unknown, second) {
		t.Fatal("the offers were not all applied")
	}
	m := s.smtp.To("hr@vestas.example")[0]
	if m.Subject != "Seats offered: Forklift certificate (B)" {
		t.Errorf("offer subject %q", m.Subject)
	}
	for _, want := range []string{"Dear Vestas Wind Systems A/S", `Herningsholm Erhvervsskole has published a new course run, "Forklift certificate (B)"`,
		"for 4 employees", "We are holding 3 seats for you until Thursday 10 December 2026 at 23:59",
		"The course starts on Monday 11 January 2027", "Place: Herning", "https://livslang.herning.dk/employer/offers"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("offer lacks %q:\n%s", want, m.Body)
		}
	}
	if !strings.Contains(m.HTML, `<a href="https://livslang.herning.dk/employer/offers"`) || !strings.Contains(m.HTML, `<html lang="en">`) {
		t.Errorf("offer HTML:\n%s", m.HTML)
	}
	if n := len(s.smtp.To("old@vestas.example")); n != 0 {
		t.Errorf("%d mails to the older contact", n)
	}
	if n := s.count(t, `SELECT count(*) FROM messages WHERE recipient_id = 'company:41657006'`); n != 0 {
		t.Errorf("%d messages to the company without a contact", n)
	}
	if n := s.count(t, `SELECT count(*) FROM messages WHERE kind = 'demand_offer'`); n != 2 {
		t.Errorf("%d offer messages, want 2", n)
	}

	// A contact without an e-mail address is a contact too: newer, it stops the offers.
	gone := companyUpdated(t, events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Language: "en"}, at.Add(time.Hour))
	s.publish(t, gone)
	testenv.Eventually(t, 15*time.Second, "the contact without an address applied", func() bool { return s.applied(t, "notification-companies", gone) })
	third := demandOffered(t, "12345674", offer.Subject)
	s.publish(t, third)
	testenv.Eventually(t, 15*time.Second, "the third offer applied", func() bool { return s.applied(t, "notification-demand-offers", third) })
	if n := s.count(t, `SELECT count(*) FROM messages WHERE kind = 'demand_offer'`); n != 2 {
		t.Errorf("%d offer messages after the address was taken away, want 2", n)
	}
	if n := s.count(t, `SELECT count(*) FROM recipients WHERE id = 'company:12345674' AND name IS NULL AND email IS NULL
		AND contact_sealed IS NOT NULL`); n != 1 {
		t.Errorf("the company's contact is not sealed (%d)", n)
	}
	if n := s.count(t, `SELECT count(*) FROM parked_messages`); n != 0 {
		t.Fatalf("%d events parked", n)
	}
}

func TestARefundPaidIsMailedToTheCompanyOnceInItsLanguage(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-20 10:30:00"), nil, service.Options{})
	mette := s.citizen(t, "Mette Nielsen", "mette@example.dk", "", "da")
	// Vestas' contact is known only from its copy (English); the refund's event carries none.
	contact := companyUpdated(t, events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Email: "hr@vestas.example", Language: "en"}, time.Now())
	s.publish(t, contact)
	testenv.Eventually(t, 15*time.Second, "the contact applied", func() bool { return s.applied(t, "notification-companies", contact) })

	paid := refundPaid(t, mette, events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Language: "da"})
	s.publish(t, paid)
	s.env.Publish(t, paid, "again-"+paid.ID) // redelivered past JetStream's deduplication
	// A commitment whose event carries no address falls back on the copy too.
	s.publish(t, commitmentEvent(t, "requested", events.Commitment{CommitmentID: uuid.NewString(), Status: "pending",
		EnrolmentID: uuid.NewString(), DecisionID: uuid.NewString(), CitizenID: mette, EmployeeName: "Mette Nielsen",
		Company: events.Company{CVR: "12345674", Name: "Vestas Wind Systems A/S", Language: "en"}, Course: newRun(),
		Asks: []string{events.AskPaysFee}, FeeDKK: 1040, DueOn: "2027-01-27"}))
	// A refund whose event carries the contact goes there, in its language; it is on the same lane
	// (the citizen), so once it is sent the redelivery was handled.
	danish := refundPaid(t, mette, events.Company{CVR: "29189854", Name: "Herning Kommune", Email: "loen@herning.example", Language: "da"})
	s.publish(t, danish)
	testenv.Eventually(t, 15*time.Second, "both refunds and the commitment", func() bool {
		return len(s.smtp.To("hr@vestas.example")) == 2 && len(s.smtp.To("loen@herning.example")) == 1
	})
	en, ask := s.smtp.To("hr@vestas.example")[0], s.smtp.To("hr@vestas.example")[1]
	if strings.HasPrefix(en.Subject, "Please approve") { // sent side by side: in either order
		en, ask = ask, en
	}
	if ask.Subject != "Please approve: Mette Nielsen on Forklift certificate (B)" {
		t.Errorf("commitment subject %q", ask.Subject)
	}
	if en.Subject != "Refund paid: Mette Nielsen – Forklift certificate (B)" {
		t.Errorf("English subject %q", en.Subject)
	}
	for _, want := range []string{"Dear Vestas Wind Systems A/S", `The refund for Mette Nielsen on "Forklift certificate (B)" at Herningsholm Erhvervsskole`,
		"paid to the company on Wednesday 20 January 2027. Scheme: VEU allowance.", "Paid: DKK 3,649 for 27.75 of 37 planned hours",
		"Expected for every planned hour: DKK 4,865", "https://livslang.herning.dk/employer/refunds"} {
		if !strings.Contains(en.Body, want) {
			t.Errorf("English refund lacks %q:\n%s", want, en.Body)
		}
	}
	da := s.smtp.To("loen@herning.example")[0]
	if da.Subject != "Refusion udbetalt: Mette Nielsen – Gaffeltruckcertifikat (B)" {
		t.Errorf("Danish subject %q", da.Subject)
	}
	for _, want := range []string{"Kære Herning Kommune", "Udbetalt: 3.649 kr. for 27,75 af 37 planlagte timer",
		"Forventet for alle planlagte timer: 4.865 kr.", "Ordning: VEU-godtgørelse."} {
		if !strings.Contains(da.Body, want) {
			t.Errorf("Danish refund lacks %q:\n%s", want, da.Body)
		}
	}
	if n := len(s.smtp.Messages()); n != 3 {
		t.Fatalf("%d mails, want the two refunds and the commitment", n)
	}
	if n := s.count(t, `SELECT count(*) FROM messages WHERE kind = 'refund_paid' AND data::text NOT LIKE '%Mette%'
		AND data::text NOT LIKE '%@%'`); n != 2 {
		t.Fatalf("%d stored refund messages without personal data, want 2", n)
	}

	// A refund that names no refund or company is parked with the reason, not retried.
	broken := refundPaid(t, mette, events.Company{Name: "Uden CVR"})
	s.publish(t, broken)
	testenv.Eventually(t, 15*time.Second, "the broken refund parked", func() bool {
		return s.count(t, `SELECT count(*) FROM parked_messages WHERE consumer = 'notification-refunds'
			AND reason LIKE '%malformed event%no refund id, company CVR number or citizen%'`) == 1
	})

	// Mette's erasure takes the companies' refund messages about her with it.
	req := events.DataRequest{RequestID: uuid.NewString(), CitizenID: mette, Kind: events.DataErasure, RequestedAt: time.Now()}
	e, err := events.New("/livslang/registration", events.TypeDataRequestRequested, events.SubjectDataRequestRequested, req.RequestID, time.Now(), req)
	if err != nil {
		t.Fatal(err)
	}
	s.publish(t, e)
	testenv.Eventually(t, 15*time.Second, "the refund messages about Mette erased", func() bool {
		return s.count(t, `SELECT count(*) FROM messages WHERE kind = 'refund_paid'`) == 0
	})
}

func TestTheInvitedEmployeeIsMailedOnceInBothLanguages(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2026-12-01 10:00:00"), nil, service.Options{})
	invite := func(name, email string) events.Envelope {
		i := events.StaffInvited{InvitationID: uuid.NewString(), CVR: "12345674", CompanyName: "Vestas Wind Systems A/S", Name: name,
			Email: email, Course: newRun(), DueAt: cph("2026-12-10 23:59:00")}
		// One envelope subject for both, so they are handled in order.
		e, err := events.New("/livslang/registration", events.TypeStaffInvited, events.SubjectStaffInvited, "12345674", time.Now(), i)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	first := invite("Lars Holm", "lars@example.dk")
	s.publish(t, first)
	s.env.Publish(t, first, "again-"+first.ID) // redelivered past JetStream's deduplication
	s.publish(t, invite("Sofie Berg", "sofie@example.dk"))
	testenv.Eventually(t, 15*time.Second, "both invitations", func() bool {
		return len(s.smtp.To("lars@example.dk")) == 1 && len(s.smtp.To("sofie@example.dk")) == 1
	})
	m := s.smtp.To("lars@example.dk")[0]
	if m.Subject != "Vestas Wind Systems A/S har tilmeldt dig Gaffeltruckcertifikat (B) / Vestas Wind Systems A/S has enrolled you on Forklift certificate (B)" {
		t.Errorf("subject %q", m.Subject)
	}
	da := strings.Index(m.Body, "Kære Lars Holm")
	en := strings.Index(m.Body, "Dear Lars Holm")
	if da != 0 || en < da {
		t.Errorf("the Danish text is not first, the English below it:\n%s", m.Body)
	}
	for _, want := range []string{`Vestas Wind Systems A/S har tilmeldt dig "Gaffeltruckcertifikat (B)" hos Herningsholm Erhvervsskole; log ind på Livslang og udfyld din profil senest torsdag den 10. december 2026 kl. 23.59, så din plads holdes.`,
		`Vestas Wind Systems A/S has enrolled you on "Forklift certificate (B)" at Herningsholm Erhvervsskole; log in to Livslang and complete your profile by Thursday 10 December 2026 at 23:59`,
		"https://livslang.herning.dk/me/profile"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("invitation lacks %q:\n%s", want, m.Body)
		}
	}
	if n := len(s.smtp.Messages()); n != 2 {
		t.Fatalf("%d mails, want the two invitations", n)
	}
	// The invited employees are recipients of their invitations' own, their name and address sealed.
	if n := s.count(t, `SELECT count(*) FROM recipients WHERE id LIKE 'invitation:%' AND name IS NULL AND email IS NULL
		AND language = 'da'`); n != 2 {
		t.Fatalf("%d sealed invitation recipients, want 2", n)
	}
	if n := s.count(t, `SELECT count(*) FROM messages WHERE kind = 'staff_invited' AND recipient_id LIKE 'invitation:%'
		AND data::text NOT LIKE '%Lars%' AND data::text NOT LIKE '%@%'`); n != 2 {
		t.Fatalf("%d stored invitation messages without personal data, want 2", n)
	}
	if n := s.count(t, `SELECT count(*) FROM parked_messages`); n != 0 {
		t.Fatalf("%d events parked", n)
	}

	// An invited employee's name and address go with the last message to them: their data keys too.
	testenv.Eventually(t, 15*time.Second, "the invitations recorded as sent", func() bool {
		return s.count(t, `SELECT count(*) FROM messages WHERE kind = 'staff_invited' AND status = 'sent'`) == 2
	})
	keys, err := pii.ParseSealingKeys(s.env.SealingKeys("notification"))
	if err != nil {
		t.Fatal(err)
	}
	st := &store.Store{Pool: s.pool, Ring: datakeys.Keyring{Keys: keys},
		Retention: store.Retention{Messages: retention.Period{Months: 6}, WebhookDeliveries: retention.Period{Days: 90}}}
	later := time.Now()
	if c := s.clock.Now(); c.After(later) {
		later = c
	}
	later = later.AddDate(0, 6, 2)
	done, err := retention.Job{Steps: st.RetentionSteps(), Now: func() time.Time { return later }}.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if done["messages"] != 2 || done["invitees"] != 2 {
		t.Fatalf("retention after six months: %v", done)
	}
	if n := s.count(t, `SELECT count(*) FROM recipients WHERE id LIKE 'invitation:%'`) +
		s.count(t, `SELECT count(*) FROM citizen_keys WHERE citizen_id LIKE 'invitation:%'`); n != 0 {
		t.Fatalf("%d invitation recipients or keys left", n)
	}
}
