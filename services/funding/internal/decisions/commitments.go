package decisions

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/businessday"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/services/funding/internal/decide"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// The employer's part: a decision whose plan needs the citizen's employer (rules.EmployerAsks) is
// employer_required until the company answers. The request to the company is a commitment, due at
// the end of a number of Danish business days (EmployerDays, EmployerDaysSVU for SVU's leave
// agreement), and never after the day before the course starts. The company's answer, or its silence
// past the deadline, is a fact the rules evaluate the request again with: the decision becomes
// approved or rejected and flows to registration as any decision does.

// Deadlines are the business days a company has to answer.
type Deadlines struct {
	Days    int // LIVSLANG_FUNDING_EMPLOYER_DAYS (default 5)
	SVUDays int // LIVSLANG_FUNDING_EMPLOYER_DAYS_SVU (default 10): SVU's leave agreement
}

var calendar = businessday.Denmark()

// dueOn is the last day the company may answer: days business days after today, but at the latest
// the day before the course starts (and never before today).
func (d Deadlines) dueOn(now time.Time, svu bool, startsOn string) string {
	n := d.Days
	if svu {
		n = d.SVUDays
	}
	due := rules.DateOf(calendar.Deadline(now, n))
	if start, err := rules.ParseDate(startsOn); err == nil && !start.IsZero() && !due.Before(start) {
		due = start.AddDays(-1)
	}
	if today := rules.DateOf(now.In(businessday.Copenhagen)); due.Before(today) {
		due = today
	}
	return due.String()
}

// askEmployer records the request to the citizen's employer when rec waits for it, and names it on
// the decision (registration holds the seat until its due date).
func (s *Service) askEmployer(ctx context.Context, tx pgx.Tx, rec *decide.Record) error {
	if rec.Outcome != rules.DecisionEmployerRequired {
		return nil
	}
	citizen, _, err := s.Store.CitizenTx(ctx, tx, rec.CitizenID)
	if err != nil {
		return err
	}
	now := s.Now()
	c := rec.Request.Course
	com := store.Commitment{ID: uuid.New(), DecisionID: rec.ID, EnrolmentID: rec.EnrolmentID, CitizenID: rec.CitizenID,
		CVR: rec.Plan.EmployerCVR, Citizen: store.Client{Name: citizen.Name, CPR: maskedCPR(rec.Request.Profile.BirthDate)},
		Facts: c,
		Asks:  rec.Plan.EmployerAsks, FeeDKK: rec.Plan.EmployerPaysDKK, RefundEstimateDKK: rec.Plan.EmployerRefundDKK,
		Status: "pending", DueOn: s.Deadlines.dueOn(now, rec.Plan.AllowanceScheme == rules.SchemeSVU, c.StartsOn), CreatedAt: now.UTC()}
	name, err := s.Store.CompanyName(ctx, tx, com.CVR)
	if err != nil {
		return err
	}
	rec.Employer = &events.EmployerPart{CommitmentID: com.ID.String(), CVR: com.CVR, Name: name, Asks: com.Asks, DueOn: com.DueOn}
	return s.Store.InsertCommitment(ctx, tx, com)
}

// maskedCPR is the CPR number as a company may see it: the birth date, DDMMYY-XXXX.
func maskedCPR(birthDate string) string { return store.MaskedCPR(birthDate) }

// withdrawCommitment ends the enrolment's open request to a company, if any: the decision no longer
// waits for it (the enrolment ended, or the citizen's new facts need no employer).
func (s *Service) withdrawCommitment(ctx context.Context, tx pgx.Tx, enrolmentID uuid.UUID, reason string) error {
	com, ok, err := s.Store.PendingCommitmentFor(ctx, tx, enrolmentID)
	if err != nil || !ok {
		return err
	}
	return s.Store.AnswerCommitment(ctx, tx, &com, "withdrawn", store.Answer{Reason: reason, AnsweredBy: "system",
		AnsweredAt: s.Now().UTC()})
}

// EmployerAnswer is a company's answer to one of its requests.
type EmployerAnswer struct {
	CVR             string
	CommitmentID    uuid.UUID
	Approve         bool
	PaysFee         bool // approved: pays what it was asked of the fee
	SalaryContinues bool // approved: the salary continues during the course
	Reason          string
	By              string // the user who answered
}

// ErrAnswered is an answer to a request that is no longer open.
var ErrAnswered = fault.New(fault.Conflict, "this request has been answered already")

// AnswerCommitment applies a company's answer: the decision is made again with it and flows to
// registration; the request records the answer.
func (s *Service) AnswerCommitment(ctx context.Context, a EmployerAnswer) (store.Commitment, error) {
	seen, err := s.Store.GetCommitment(ctx, a.CVR, a.CommitmentID)
	if err != nil {
		return store.Commitment{}, err
	}
	var com store.Commitment
	err = pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
		// The citizen's lock first, as every decision takes it.
		if err := lockCitizen(ctx, tx, seen.CitizenID); err != nil {
			return err
		}
		rec, err := s.Store.Lock(ctx, tx, seen.DecisionID)
		if err != nil {
			return err
		}
		if com, err = s.Store.LockCommitment(ctx, tx, a.CommitmentID); err != nil {
			return err
		}
		if com.Status != "pending" || rec.Status != "active" || rec.Outcome != rules.DecisionEmployerRequired {
			return fault.Wrap(fault.Conflict, fmt.Sprintf("this request has been answered already (it is %s)", com.Status), ErrAnswered)
		}
		company, err := s.Store.CompanyName(ctx, tx, com.CVR)
		if err != nil {
			return err
		}
		answer := rules.EmployerAnswer{Status: rules.EmployerDeclined, Reason: a.Reason, Company: company}
		status := "declined"
		saved := store.Answer{Reason: a.Reason, AnsweredBy: a.By, AnsweredAt: s.Now().UTC()}
		if a.Approve {
			status = "approved"
			answer = rules.EmployerAnswer{Status: rules.EmployerApproved, Company: company,
				PaysFee:         a.PaysFee && slices.Contains(com.Asks, rules.AskPaysFee),
				SalaryContinues: a.SalaryContinues && slices.Contains(com.Asks, rules.AskSalaryContinues)}
			saved.PaysFee, saved.SalaryContinues = &answer.PaysFee, &answer.SalaryContinues
		}
		return s.settle(ctx, tx, rec, &com, status, answer, saved)
	})
	return com, err
}

// settle makes the decision again with the company's answer and records the answer on the request.
func (s *Service) settle(ctx context.Context, tx pgx.Tx, old decide.Record, com *store.Commitment, status string,
	answer rules.EmployerAnswer, saved store.Answer) error {
	u, err := s.usage(ctx, tx, old.CitizenID, old.Request.Course.StartsOn)
	if err != nil {
		return err
	}
	rec, err := decide.Answered(old.Request, s.Rates, s.Now(), u, &answer)
	if err != nil {
		return err
	}
	rec.ID, rec.Review = old.ID, old.Review
	if err := s.hold(ctx, tx, &rec); err != nil {
		return err
	}
	if err := s.recordSVU(ctx, tx, rec); err != nil {
		return err
	}
	reason := "the employer " + status
	if saved.Reason != "" {
		reason += ": " + saved.Reason
	}
	if err := s.Store.Update(ctx, tx, rec, "employer", reason); err != nil {
		return err
	}
	if err := s.Store.AnswerCommitment(ctx, tx, com, status, saved); err != nil {
		return err
	}
	if !usesCap(rec) {
		return nil
	}
	return s.Store.MarkFundedStale(ctx, tx, rec.CitizenID)
}

// ExpireCommitments answers for the companies that did not answer by their due date: the decision
// is made again without what needed them.
func (s *Service) ExpireCommitments(ctx context.Context) (int, error) {
	ids, err := s.Store.DueCommitments(ctx, rules.DateOf(s.Now().In(businessday.Copenhagen)).String())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done, err := s.expireCommitment(ctx, id)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

func (s *Service) expireCommitment(ctx context.Context, id uuid.UUID) (bool, error) {
	seen, err := s.Store.CommitmentByID(ctx, id)
	if err != nil {
		return false, err
	}
	done := false
	err = pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
		// Lock order as everywhere: the citizen, the decision, then the request.
		if err := lockCitizen(ctx, tx, seen.CitizenID); err != nil {
			return err
		}
		rec, err := s.Store.Lock(ctx, tx, seen.DecisionID)
		if err != nil {
			return err
		}
		com, err := s.Store.LockCommitment(ctx, tx, id)
		if err != nil || com.Status != "pending" {
			return err // answered meanwhile
		}
		if rec.Status != "active" || rec.Outcome != rules.DecisionEmployerRequired {
			return s.Store.AnswerCommitment(ctx, tx, &com, "withdrawn", store.Answer{Reason: "the decision no longer waits for the employer",
				AnsweredBy: "system", AnsweredAt: s.Now().UTC()})
		}
		due, _ := rules.ParseDate(com.DueOn)
		company, err := s.Store.CompanyName(ctx, tx, com.CVR)
		if err != nil {
			return err
		}
		done = true
		return s.settle(ctx, tx, rec, &com, "expired", rules.EmployerAnswer{Status: rules.EmployerExpired, DueOn: due, Company: company},
			store.Answer{Reason: "no answer by " + com.DueOn, AnsweredBy: "system", AnsweredAt: s.Now().UTC()})
	})
	return done, err
}

// remindBefore is how many business days before its due date a company is reminded.
const remindBefore = 2

// RemindCommitments reminds each company of its open requests once, remindBefore business days
// before the due date.
func (s *Service) RemindCommitments(ctx context.Context) (int, error) {
	by := rules.DateOf(calendar.Deadline(s.Now(), remindBefore)).String()
	ids, err := s.Store.CommitmentsToRemind(ctx, by)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		err := pgdb.Tx(ctx, s.DB, func(tx pgx.Tx) error {
			com, err := s.Store.LockCommitment(ctx, tx, id)
			if err != nil || com.Status != "pending" || com.RemindedAt != nil {
				return err
			}
			return s.Store.RemindCommitment(ctx, tx, com)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
