package service_test

import (
	"slices"
	"testing"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/service"
)

// The institution's answer deadline comes in enrolment.confirmed's answer_by, as registration
// counted it (whatever its number of days): notification keeps no setting of its own for it. An
// event from before answer_by falls back to five Danish business days.
func TestTheAnswerDeadlineTravelsInTheEvent(t *testing.T) {
	t.Parallel()
	s := newStack(t, cph("2027-01-01 10:00:00"), nil, service.Options{})
	course := newRun() // starts Monday 11 January
	ida := s.citizen(t, "Ida Holm", "ida@example.dk", "", "da")
	jon := s.citizen(t, "Jon Vang", "jon@example.dk", "", "da")
	now := s.clock.Now()
	id, jo := newEnrolment(ida, course), newEnrolment(jon, course)
	id.Funding, jo.Funding = approved, approved
	answerBy := cph("2027-01-06 23:59:59") // registration's 3 business days after a holiday
	id.AnswerBy = &answerBy
	s.publish(t, id.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "funding approved: veu", now))
	s.publish(t, jo.event(t, events.TypeEnrolmentConfirmed, "confirmed", "funding", "funding approved: veu", now)) // before answer_by
	want := map[string]string{id.EnrolmentID: "institution_answer_due@01-06 09:00 scheduled",
		jo.EnrolmentID: "institution_answer_due@01-08 09:00 scheduled"}
	testenv.Eventually(t, 15*time.Second, "the institutions' answer reminders", func() bool {
		for enrolment, w := range want {
			if !slices.Contains(summary(s.reminders(t, enrolment)), w) {
				return false
			}
		}
		return true
	})
}
