// Package notify turns events into messages and reminders: in the transaction that records an event
// as applied it keeps what notification knows of the enrolment, run or referral, drops the reminders
// the new state makes untrue, queues the citizen's messages on the channels their preferences and the
// law call for, and schedules reminders from course data. It also sends reminders when they fall due.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/poll"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/templates"
	"livslang.dk/services/notification/internal/webhooks"
)

// Notifier applies events and sends due reminders.
type Notifier struct {
	Store *store.Store
	Log   *zap.Logger // nil logs nothing
}

// kindFor is the kind of message an enrolment event sends the citizen, if any.
func kindFor(eventType string, e events.Enrolment) (string, bool) {
	switch eventType {
	case events.TypeEnrolmentRequested:
		return policy.EnrolmentReceived, true
	case events.TypeEnrolmentWaitlisted:
		return policy.EnrolmentWaitlisted, true
	case events.TypeEnrolmentOffered:
		// A seat held for a caseworker's referral is told by the referral's own message.
		return policy.EnrolmentOffered, e.ReferralID == ""
	case events.TypeEnrolmentConfirmed:
		return policy.EnrolmentConfirmed, true
	case events.TypeEnrolmentRejected:
		return policy.EnrolmentRejected, true
	case events.TypeEnrolmentAccepted:
		return policy.EnrolmentAccepted, true
	case events.TypeEnrolmentCancelled:
		switch {
		case e.Cause == "institution" && reasonOf(e) == events.ReasonRunCancelled:
			return policy.CourseCancelled, true
		case e.ReferralID != "" && e.Cause == "caseworker":
			return "", false // the referral was withdrawn: its own message tells
		}
		return policy.EnrolmentCancelled, true
	}
	return "", false // started, completed, withdrawn: the institution's business
}

// reasonOf is the code of the reason e gives (its reason_code, else the code of its sentence).
func reasonOf(e events.Enrolment) events.Reason {
	code, _ := e.ReasonOf()
	return code
}

// OnEnrolment applies an enrolment event in tx. Notification needs none of the citizen's profile
// facts in it and keeps none; an event about an erased citizen is not kept at all, and neither is one
// that ends an enrolment for the citizen's erasure, when it comes before the erasure's request (which
// removes what notification holds of them).
func (n *Notifier) OnEnrolment(ctx context.Context, tx pgx.Tx, e events.Envelope, en events.Enrolment) error {
	if en.Erasure {
		return nil
	}
	if erased, err := n.Store.Ring.Erased(ctx, tx, en.CitizenID); err != nil || erased {
		return err
	}
	en.Profile = events.ProfileFacts{}
	latest, err := n.Store.TrackEnrolment(ctx, tx, en)
	if err != nil {
		return err
	}
	if latest {
		version := en.Version
		if _, _, err := n.Store.CancelStale(ctx, tx, en.EnrolmentID, en.Status, &version, "the enrolment is now "+en.Status); err != nil {
			return err
		}
	}
	if kind, ok := kindFor(e.Type, en); ok {
		if err := n.queue(ctx, tx, e.ID, en.CitizenID, kind, policy.IsDecision(kind, en.Cause), templates.Input{Enrolment: &en}, nil); err != nil {
			return err
		}
	}
	if !latest { // a late, older event: what it would schedule is already out of date
		return nil
	}
	switch e.Type {
	case events.TypeEnrolmentConfirmed:
		course := en.Course
		if known, ok, err := n.Store.Course(ctx, tx, course.ID); err != nil {
			return err
		} else if ok {
			course = known // as new as any description seen
		}
		if err := n.scheduleCourseStart(ctx, tx, e.ID, en, course, e.Time); err != nil {
			return err
		}
		deadline := answerBy(en, e.Time)
		version := en.Version
		for _, d := range policy.InstitutionAnswer(deadline, e.Time) {
			if err := n.schedule(ctx, tx, d, e.ID, en.EnrolmentID, en.Course.InstitutionID, en.Status, &version, templates.Input{Enrolment: &en}); err != nil {
				return err
			}
		}
	case events.TypeEnrolmentOffered:
		if en.OfferExpiresAt == nil || en.ReferralID != "" {
			return nil
		}
		version := en.Version
		for _, d := range policy.OfferExpiry(*en.OfferExpiresAt, e.Time) {
			if err := n.schedule(ctx, tx, d, e.ID, en.EnrolmentID, en.CitizenID, en.Status, &version, templates.Input{Enrolment: &en}); err != nil {
				return err
			}
		}
	}
	return nil
}

// oldAnswerDays is the institutions' answer deadline in Danish business days for a confirmed
// enrolment whose event is from before registration sent the deadline itself (answer_by).
const oldAnswerDays = 5

// answerBy is when the institution must answer the confirmed enrolment en: the deadline registration
// counted, else (an event from before answer_by) the end of the oldAnswerDays-th business day after
// the confirmation at.
func answerBy(en events.Enrolment, at time.Time) time.Time {
	if en.AnswerBy != nil {
		return *en.AnswerBy
	}
	return businessday.Denmark().Deadline(at, oldAnswerDays)
}

func (n *Notifier) scheduleCourseStart(ctx context.Context, tx pgx.Tx, eventID string, en events.Enrolment, course events.CourseFacts, at time.Time) error {
	en.Course = course
	for _, d := range policy.CourseStart(course.StartsOn, at) {
		if err := n.schedule(ctx, tx, d, eventID, en.EnrolmentID, en.CitizenID, "confirmed", nil, templates.Input{Enrolment: &en}); err != nil {
			return err
		}
	}
	return nil
}

func (n *Notifier) schedule(ctx context.Context, tx pgx.Tx, d policy.Due, eventID, subject, recipient, status string, version *int64, in templates.Input) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return n.Store.ScheduleReminder(ctx, tx, store.Reminder{Kind: d.Kind, SubjectID: subject, RecipientID: recipient, EventID: eventID,
		DueAt: d.At, ExpiresAt: d.Expires, ExpectStatus: status, ExpectVersion: version, Data: data})
}

// OnCourse applies a run's new description in tx: the citizens on the run are told when its dates
// changed, and their reminders move with the start. (A cancelled run needs nothing here: registration
// cancels each enrolment on it, with cause institution, and each of those tells its citizen.)
func (n *Notifier) OnCourse(ctx context.Context, tx pgx.Tx, e events.Envelope, c events.CourseUpdated) error {
	newer, err := n.Store.TrackCourse(ctx, tx, c)
	if err != nil || !newer {
		return err
	}
	live, err := n.Store.LiveOn(ctx, tx, c.Course.ID)
	if err != nil {
		return err
	}
	for _, st := range live {
		before := st.Data.Course
		if before.StartsOn == c.Course.StartsOn && before.EndsOn == c.Course.EndsOn {
			continue
		}
		en := st.Data
		en.Course = c.Course
		if err := n.Store.SetEnrolmentCourse(ctx, tx, en.EnrolmentID, c.Course); err != nil {
			return err
		}
		if err := n.queue(ctx, tx, e.ID, en.CitizenID, policy.CourseChanged, false,
			templates.Input{Enrolment: &en, PreviousCourse: &before}, nil); err != nil {
			return err
		}
		if st.Status != "confirmed" {
			continue
		}
		if err := n.Store.CancelReminders(ctx, tx, en.EnrolmentID, []string{policy.CourseStart7d, policy.CourseStart1d},
			"the course dates changed"); err != nil {
			return err
		}
		if err := n.scheduleCourseStart(ctx, tx, e.ID, en, c.Course, e.Time); err != nil {
			return err
		}
	}
	return nil
}

// OnReferral applies a referral event in tx: the citizen hears of a new referral and of its withdrawal
// (both the municipality's decisions), and is reminded before an open referral lapses.
func (n *Notifier) OnReferral(ctx context.Context, tx pgx.Tx, e events.Envelope, r events.Referral) error {
	if erased, err := n.Store.Ring.Erased(ctx, tx, r.CitizenID); err != nil || erased {
		return err
	}
	moved, err := n.Store.TrackReferral(ctx, tx, r)
	if err != nil {
		return err
	}
	if moved {
		if _, _, err := n.Store.CancelStale(ctx, tx, r.ReferralID, r.Status, nil, "the referral is now "+r.Status); err != nil {
			return err
		}
	}
	switch e.Type {
	case events.TypeReferralCreated:
		if err := n.queue(ctx, tx, e.ID, r.CitizenID, policy.ReferralReceived, true, templates.Input{Referral: &r}, nil); err != nil {
			return err
		}
		if !moved {
			return nil
		}
		for _, d := range policy.ReferralExpiry(r.ValidUntil, e.Time) {
			if err := n.schedule(ctx, tx, d, e.ID, r.ReferralID, r.CitizenID, "open", nil, templates.Input{Referral: &r}); err != nil {
				return err
			}
		}
	case events.TypeReferralWithdrawn:
		return n.queue(ctx, tx, e.ID, r.CitizenID, policy.ReferralWithdrawn, true, templates.Input{Referral: &r}, nil)
	}
	return nil
}

// queue adds a message of kind for each channel it goes by: the recipient's choice for the kind, plus
// Digital Post for a decision.
func (n *Notifier) queue(ctx context.Context, tx pgx.Tx, eventID, recipient, kind string, decision bool, in templates.Input, reminder *uuid.UUID) error {
	prefs, _, err := n.Store.Preferences(ctx, tx, recipient)
	if err != nil {
		return err
	}
	for _, channel := range policy.Plan(prefs, kind, decision) {
		if _, err := n.Store.AddMessage(ctx, tx, store.NewMessage{EventID: eventID, RecipientID: recipient, Channel: channel,
			Kind: kind, Data: in, MustArrive: policy.MustArrive(kind, decision), ReminderID: reminder}); err != nil {
			return err
		}
	}
	return nil
}

// FireReminders sends up to limit reminders that are due, each at most once and each in its own
// transaction: a due reminder is checked against what notification knows now and either queues its
// messages (or the institution's webhook) and is marked sent, or is cancelled with the reason. A
// reminder that fails is skipped for the rest of the round (and tried again in the next), so it holds
// up no other. It returns how many it handled and the failures joined.
func (n *Notifier) FireReminders(ctx context.Context, limit int) (int, error) {
	var (
		handled int
		failed  []uuid.UUID
		errs    []error
	)
	for range limit {
		var r store.Reminder
		found := false
		err := pgdb.Tx(ctx, n.Store.Pool, func(tx pgx.Tx) error {
			now := n.Store.Now()
			due, err := n.Store.DueReminders(ctx, tx, now, 1, failed)
			if err != nil || len(due) == 0 {
				return err
			}
			r, found = due[0], true
			status, note, err := n.fire(ctx, tx, r, now)
			if err != nil {
				return err
			}
			return n.Store.FinishReminder(ctx, tx, r.ID, status, note)
		})
		if err != nil && found {
			failed = append(failed, r.ID)
			errs = append(errs, fmt.Errorf("reminder %s: %w", r.ID, err))
			continue
		}
		if err != nil {
			return handled, errors.Join(append(errs, err)...)
		}
		if !found {
			break
		}
		handled++
	}
	return handled, errors.Join(errs...)
}

func (n *Notifier) fire(ctx context.Context, tx pgx.Tx, r store.Reminder, now time.Time) (status, note string, err error) {
	if !now.Before(r.ExpiresAt) {
		return "cancelled", "too late: it was worth sending until " + r.ExpiresAt.UTC().Format(time.RFC3339), nil
	}
	var in templates.Input
	if err := json.Unmarshal(r.Data, &in); err != nil {
		return "", "", err
	}
	if r.Kind == policy.ReferralExpires {
		current, err := n.Store.ReferralStatus(ctx, tx, r.SubjectID)
		if err != nil {
			return "", "", err
		}
		if current != r.ExpectStatus {
			return "cancelled", "the referral is now " + current, nil
		}
	} else {
		st, ok, err := n.Store.Enrolment(ctx, tx, r.SubjectID)
		if err != nil {
			return "", "", err
		}
		if !ok || st.Status != r.ExpectStatus || (r.ExpectVersion != nil && *r.ExpectVersion != st.Version) {
			return "cancelled", fmt.Sprintf("the enrolment is now %s (version %d)", st.Status, st.Version), nil
		}
		in.Enrolment = &st.Data // the freshest facts: a changed run, a new offer deadline
	}
	if r.Kind == policy.InstitutionAnswerDue {
		body, err := webhooks.AnswerDuePayload(r.ID.String(), now, *in.Enrolment, r.ExpiresAt)
		if err != nil {
			return "", "", err
		}
		queued, err := n.Store.AddDeliveries(ctx, tx, r.RecipientID, r.ID.String(), webhooks.TypeAnswerDue, body)
		if err != nil {
			return "", "", err
		}
		return "sent", fmt.Sprintf("queued for %d webhook endpoint(s) of the institution", queued), nil
	}
	switch r.Kind {
	case policy.CourseStart7d:
		in.DaysBefore = 7
	case policy.CourseStart1d:
		in.DaysBefore = 1
	}
	kind := policy.ReminderMessageKind(r.Kind)
	if err := n.queue(ctx, tx, r.ID.String(), r.RecipientID, kind, false, in, &r.ID); err != nil {
		return "", "", err
	}
	return "sent", "", nil
}

// RunReminders queues due reminders every interval (at once again while a full batch was due) until
// ctx is done, and wakes sending when it queued some.
func (n *Notifier) RunReminders(log *zap.Logger, every time.Duration, sending *poll.Waker) func(context.Context) error {
	return func(ctx context.Context) error {
		var never *poll.Waker // reminders fall due by time alone
		return never.Run(ctx, every, func(ctx context.Context) bool {
			handled, err := n.FireReminders(ctx, 50)
			if err != nil && ctx.Err() == nil {
				log.Warn("sending reminders failed", zap.Error(err))
			}
			if handled > 0 && sending != nil {
				sending.Wake()
			}
			return handled > 0 && err == nil
		})
	}
}
