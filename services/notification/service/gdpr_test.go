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

func (s *stack) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Contact details are sealed at rest; an erasure deletes everything about the citizen and destroys
// their key, and events about them that arrive later are not kept; sent messages go after six months
// by the injected clock.
func TestErasureAndRetention(t *testing.T) {
	t.Parallel()
	at := cph("2027-01-04 10:00:00")
	s := newStack(t, at, nil, service.Options{})
	ctx := context.Background()
	course := newRun()
	ida := s.citizen(t, "Ida Lund", "ida@example.dk", "+4520000001", "da")
	ole := s.citizen(t, "Ole Berg", "ole@example.dk", "+4520000002", "da")
	for _, c := range []string{ida, ole} {
		e := newEnrolment(c, course)
		s.publish(t, e.event(t, events.TypeEnrolmentWaitlisted, "waitlisted", "citizen", "", at))
	}
	testenv.Eventually(t, 15*time.Second, "both waiting-list mails sent", func() bool { return s.settled(t, ida, 1) && s.settled(t, ole, 1) })
	if n := s.count(t, `SELECT count(*) FROM recipients WHERE name IS NOT NULL OR email IS NOT NULL OR contact_sealed IS NULL
		OR position('ida@example.dk' IN encode(contact_sealed, 'escape')) > 0`); n != 0 {
		t.Fatalf("%d recipients with contact details in the clear", n)
	}
	if n := s.count(t, `SELECT count(*) FROM enrolments WHERE data -> 'profile' ->> 'birth_date' <> ''`); n != 0 {
		t.Fatalf("%d enrolments keep the citizen's profile facts", n)
	}

	// Ida's erasure.
	req := events.DataRequest{RequestID: uuid.NewString(), CitizenID: ida, Kind: events.DataErasure, RequestedAt: time.Now()}
	e, err := events.New("/livslang/registration", events.TypeDataRequestRequested, events.SubjectDataRequestRequested, req.RequestID, time.Now(), req)
	if err != nil {
		t.Fatal(err)
	}
	s.publish(t, e)
	var answer events.DataRequestAnswered
	testenv.Eventually(t, 15*time.Second, "notification's answer", func() bool {
		list := s.env.Events(t, events.StreamNotification, events.DataRequestAnsweredSubject("notification"))
		return len(list) == 1 && list[0].Decode(&answer) == nil
	})
	if answer.RequestID != req.RequestID || answer.Service != "notification" || answer.Report == nil || len(answer.Report.Kept) == 0 {
		t.Fatalf("answer %+v", answer)
	}
	deleted := map[string]int64{}
	for _, d := range answer.Report.Deleted {
		deleted[strings.SplitN(d.What, " ", 3)[1]] = d.Count
	}
	if deleted["name,"] != 1 || deleted["messages"] != 1 || deleted["data"] != 1 {
		t.Fatalf("deleted %v", answer.Report.Deleted)
	}
	if n := s.count(t, `SELECT count(*) FROM recipients WHERE id = $1`, ida) + s.count(t, `SELECT count(*) FROM messages WHERE recipient_id = $1`, ida) +
		s.count(t, `SELECT count(*) FROM enrolments WHERE citizen_id = $1`, ida); n != 0 {
		t.Fatalf("%d rows about Ida after her erasure", n)
	}
	// Late events about Ida keep nothing.
	late, err := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, ida, time.Now(),
		events.ProfileUpdated{CitizenID: ida, Version: 2, Name: "Ida Lund", Email: "ida@example.dk", Facts: events.ProfileFacts{Language: "da"}})
	if err != nil {
		t.Fatal(err)
	}
	s.publish(t, late)
	s.publish(t, newEnrolment(ida, course).event(t, events.TypeEnrolmentWaitlisted, "waitlisted", "citizen", "", at))
	marker := newEnrolment(ole, course)
	markerEvent := marker.event(t, events.TypeEnrolmentWaitlisted, "waitlisted", "citizen", "", at)
	s.publish(t, markerEvent) // published last: once it is applied, so are the late events
	testenv.Eventually(t, 15*time.Second, "the marker applied", func() bool {
		return s.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'notification-registration' AND event_id = $1`, markerEvent.ID) == 1
	})
	if n := s.count(t, `SELECT count(*) FROM recipients WHERE id = $1`, ida) + s.count(t, `SELECT count(*) FROM messages WHERE recipient_id = $1`, ida); n != 0 {
		t.Fatalf("late events brought back %d rows about Ida", n)
	}
	if n := s.count(t, `SELECT count(*) FROM citizen_keys WHERE citizen_id = $1 AND wrapped IS NULL AND erased_at IS NOT NULL`, ida); n != 1 {
		t.Fatal("Ida's key is not destroyed")
	}

	// Retention by the injected clock: Ole's sent mail stays six months.
	testenv.Eventually(t, 15*time.Second, "Ole's mails sent", func() bool { return s.settled(t, ole, 2) })
	keys, err := pii.ParseSealingKeys(s.env.SealingKeys("notification"))
	if err != nil {
		t.Fatal(err)
	}
	st := &store.Store{Pool: s.pool, Ring: datakeys.Keyring{Keys: keys},
		Retention: store.Retention{Messages: retention.Period{Months: 6}, WebhookDeliveries: retention.Period{Days: 90}}}
	runAt := func(now time.Time) map[string]int64 {
		t.Helper()
		done, err := retention.Job{Steps: st.RetentionSteps(), Now: func() time.Time { return now }}.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return done
	}
	if done := runAt(at.AddDate(0, 5, 0)); done["messages"] != 0 {
		t.Fatalf("after five months: %v", done)
	}
	if done := runAt(at.AddDate(0, 6, 1)); done["messages"] != 2 {
		t.Fatalf("after six months: %v", done)
	}
	if n := s.count(t, `SELECT count(*) FROM messages`); n != 0 {
		t.Fatalf("%d messages left", n)
	}
}

// The cancellations an erasure makes follow its request on the stream, but a redelivery or another
// instance can hand one over first: it tells the citizen nothing, in either order.
func TestAnErasuresCancellationThatOvertakesItsRequestTellsNobody(t *testing.T) {
	t.Parallel()
	at := cph("2027-01-04 10:00:00")
	s := newStack(t, at, nil, service.Options{})
	course := newRun()
	eva := s.citizen(t, "Eva Holm", "eva@example.dk", "+4520000003", "da")
	e := newEnrolment(eva, course)
	s.publish(t, e.event(t, events.TypeEnrolmentWaitlisted, "waitlisted", "citizen", "", at))
	testenv.Eventually(t, 15*time.Second, "the waiting-list mail sent", func() bool { return s.settled(t, eva, 1) })

	e.Erasure = true
	cancelled := e.event(t, events.TypeEnrolmentCancelled, "cancelled", "citizen", "the citizen's data was erased at their request", at)
	s.publish(t, cancelled)
	testenv.Eventually(t, 15*time.Second, "the cancellation applied", func() bool {
		return s.count(t, `SELECT count(*) FROM inbox WHERE consumer = 'notification-registration' AND event_id = $1`, cancelled.ID) == 1
	})
	if n := s.count(t, `SELECT count(*) FROM messages WHERE recipient_id = $1`, eva); n != 1 {
		t.Fatalf("%d messages to Eva, want only the waiting-list mail", n)
	}
}
