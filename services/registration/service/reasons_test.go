package service_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

// Every reason registration gives travels as a code with its parameters beside today's English
// sentence, in the events and the history; a confirmed enrolment carries the institution's deadline.
func TestReasonCodesAndAnswerBy(t *testing.T) {
	t.Parallel()
	b := setupWith(t, map[string]string{"LIVSLANG_REGISTRATION_MAX_IN_FLIGHT": "100000",
		"LIVSLANG_REGISTRATION_RATE_PER_CITIZEN": "1000", "LIVSLANG_REGISTRATION_RATE_PER_ADDRESS": "100000",
		"LIVSLANG_RATE_PER_CALLER": "100000", "LIVSLANG_REGISTRATION_ANSWER_DAYS": "3"})
	course := b.course(t, 1)
	first, second := b.citizen(t, 1), b.citizen(t, 2)
	e1, e2 := b.enrolAs(t, first, course, "veu"), b.enrolAs(t, second, course, "veu")
	decide := func(id, outcome string, version int64) {
		env, err := events.New("/livslang/funding", events.TypeFundingRejected, events.SubjectFundingRejected, id, time.Now(),
			events.FundingDecided{DecisionID: uuid.NewString(), EnrolmentID: id, EnrolmentVersion: version,
				Summary: events.FundingSummary{Outcome: outcome, Scheme: "veu", Reasons: []string{"You are not employed."}}})
		if err != nil {
			t.Fatal(err)
		}
		b.env.Publish(t, env, env.ID)
	}
	decide(e1.ID, "rejected", 1)
	testenv.Eventually(t, 10*time.Second, "the seat offered to the second", func() bool { return b.view(t, second, e2.ID).Status == "offered" })
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e2.ID+"/offer/accept", second, nil), http.StatusOK)
	before := time.Now()
	decide(e2.ID, "approved", 3)
	testenv.Eventually(t, 10*time.Second, "the second confirmed", func() bool { return b.view(t, second, e2.ID).Status == "confirmed" })

	type row struct {
		Status, Cause, Reason string
		Code                  string            `json:"reason_code"`
		Params                map[string]string `json:"reason_params"`
	}
	var got struct{ History []row }
	testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+e2.ID, second, nil).JSON(t, &got)
	if len(got.History) != 4 {
		t.Fatalf("history %+v", got.History)
	}
	offered := got.History[1]
	if offered.Code != string(events.ReasonSeatOffered) || offered.Params[events.ParamUntil] == "" ||
		offered.Reason != "a seat became free: accept by "+offered.Params[events.ParamUntil] {
		t.Errorf("offer in the history: %+v", offered)
	}
	for i, want := range []row{{Status: "waitlisted", Cause: "citizen"},
		{Status: "pending", Cause: "citizen", Reason: "accepted the offer", Code: string(events.ReasonOfferAccepted)},
		{Status: "confirmed", Cause: "funding", Reason: "funding approved: veu", Code: string(events.ReasonFundingApproved),
			Params: map[string]string{events.ParamScheme: "veu"}}} {
		h := got.History[map[int]int{0: 0, 1: 2, 2: 3}[i]]
		if h.Status != want.Status || h.Cause != want.Cause || h.Reason != want.Reason || h.Code != want.Code ||
			len(h.Params) != len(want.Params) || h.Params[events.ParamScheme] != want.Params[events.ParamScheme] {
			t.Errorf("history row %+v, want %+v", h, want)
		}
	}

	event := func(subject, id string) events.Enrolment {
		t.Helper()
		var raw []byte
		if err := b.pool.QueryRow(t.Context(), `SELECT envelope FROM outbox WHERE subject = $1 AND convert_from(envelope, 'UTF8') LIKE '%' || $2 || '%'
			ORDER BY seq DESC LIMIT 1`, subject, id).Scan(&raw); err != nil {
			t.Fatalf("%s for %s: %v", subject, id, err)
		}
		var env events.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		var data events.Enrolment
		if err := json.Unmarshal(env.Data, &data); err != nil {
			t.Fatal(err)
		}
		return data
	}
	rejected := event(events.SubjectEnrolmentRejected, e1.ID)
	if rejected.ReasonCode != string(events.ReasonFundingRejected) || rejected.Reason != "funding rejected: You are not employed." ||
		rejected.ReasonParams[events.ParamReason] != "You are not employed." {
		t.Errorf("rejected: %q %q %v", rejected.ReasonCode, rejected.Reason, rejected.ReasonParams)
	}
	confirmed := event(events.SubjectEnrolmentConfirmed, e2.ID)
	if confirmed.ReasonCode != string(events.ReasonFundingApproved) || confirmed.Reason != "funding approved: veu" {
		t.Errorf("confirmed: %q %q", confirmed.ReasonCode, confirmed.Reason)
	}
	earliest, latest := businessday.Denmark().Deadline(before, 3), businessday.Denmark().Deadline(time.Now(), 3)
	if confirmed.AnswerBy == nil || confirmed.AnswerBy.Before(earliest) || confirmed.AnswerBy.After(latest) {
		t.Errorf("answer_by %v, want 3 business days (%v to %v)", confirmed.AnswerBy, earliest, latest)
	}
	if cancelled := event(events.SubjectEnrolmentRequested, e2.ID); cancelled.AnswerBy != nil {
		t.Errorf("a request carries answer_by %v", cancelled.AnswerBy)
	}
}
