package webhooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"livslang.dk/pkg/events"
)

// TypeAnswerDue is notification's reminder to an institution that an enrolment waits for its answer
// (accept or reject) and the deadline is today; data is the enrolment as in the other webhooks plus
// answer_by. Registration applies its default answer once the deadline has passed.
const TypeAnswerDue = "livslang.enrolment.answer_due.v1"

// EventTypes are the event types an endpoint may subscribe to; "*" subscribes to all of them (and to
// enrolment event types added later).
var EventTypes = []string{
	events.TypeEnrolmentRequested, events.TypeEnrolmentWaitlisted, events.TypeEnrolmentOffered,
	events.TypeEnrolmentConfirmed, events.TypeEnrolmentAccepted, events.TypeEnrolmentRejected,
	events.TypeEnrolmentCancelled, events.TypeEnrolmentStarted, events.TypeEnrolmentCompleted,
	events.TypeEnrolmentWithdrawn, TypeAnswerDue,
}

// AllTypes is the subscription to every enrolment event.
const AllTypes = "*"

// KnownType reports whether an endpoint may subscribe to t.
func KnownType(t string) bool { return t == AllTypes || slices.Contains(EventTypes, t) }

// enrolment is what an institution gets of an enrolment event: the enrolment, its course and the
// funding that pays the fee. The citizen is named by the same pseudonymous id as in the institution's
// feed and CSV export; the profile facts funding decides on (birth date, education, employment,
// benefits) and the citizen's allowance are left out.
type enrolment struct {
	EnrolmentID       string             `json:"enrolment_id"`
	Version           int64              `json:"version"`
	Status            string             `json:"status"`
	CitizenID         string             `json:"citizen_id"`
	FundingPreference string             `json:"funding_preference,omitempty"`
	Course            events.CourseFacts `json:"course"`
	Cause             string             `json:"cause,omitempty"`
	Reason            string             `json:"reason,omitempty"`
	WaitlistPosition  int                `json:"waitlist_position,omitempty"`
	OfferExpiresAt    *time.Time         `json:"offer_expires_at,omitempty"`
	Funding           *funding           `json:"funding,omitempty"`
	ReferralID        string             `json:"referral_id,omitempty"`
	AttendedHours     float64            `json:"attended_hours,omitempty"`
	PlannedHours      float64            `json:"planned_hours,omitempty"`
	AnswerBy          *time.Time         `json:"answer_by,omitempty"` // answer_due only
}

type funding struct {
	Outcome        string `json:"outcome"`
	Scheme         string `json:"scheme"`
	CitizenPaysDKK int64  `json:"citizen_pays_dkk"`
}

// Payload returns the institution the enrolment event e concerns (its course's institution) and the
// body to send it: the CloudEvent as published, with data cut to what an institution may see.
func Payload(e events.Envelope) (institution string, body []byte, err error) {
	var en events.Enrolment
	if err := e.Decode(&en); err != nil {
		return "", nil, err
	}
	if e.Data, err = json.Marshal(viewOf(en)); err != nil {
		return "", nil, fmt.Errorf("webhook payload: %w", err)
	}
	if body, err = json.Marshal(e); err != nil {
		return "", nil, fmt.Errorf("webhook payload: %w", err)
	}
	return en.Course.InstitutionID, body, nil
}

// AnswerDuePayload is the body of the reminder (id: the reminder's id, also the event id) that the
// enrolment en waits for the institution's answer by answerBy.
func AnswerDuePayload(id string, at time.Time, en events.Enrolment, answerBy time.Time) ([]byte, error) {
	view := viewOf(en)
	answerBy = answerBy.UTC()
	view.AnswerBy = &answerBy
	e, err := events.New("/livslang/notification", TypeAnswerDue, "livslang.notification.enrolment.answer_due",
		en.EnrolmentID, at, view)
	if err != nil {
		return nil, fmt.Errorf("webhook payload: %w", err)
	}
	e.ID = id
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("webhook payload: %w", err)
	}
	return body, nil
}

func viewOf(en events.Enrolment) enrolment {
	view := enrolment{EnrolmentID: en.EnrolmentID, Version: en.Version, Status: en.Status, CitizenID: en.CitizenID,
		FundingPreference: en.FundingPreference, Course: en.Course, Cause: en.Cause, Reason: en.Reason,
		WaitlistPosition: en.WaitlistPosition, OfferExpiresAt: en.OfferExpiresAt, ReferralID: en.ReferralID,
		AttendedHours: en.AttendedHours, PlannedHours: en.PlannedHours}
	if f := en.Funding; f != nil {
		view.Funding = &funding{Outcome: f.Outcome, Scheme: f.Scheme, CitizenPaysDKK: f.CitizenPaysDKK}
	}
	return view
}
