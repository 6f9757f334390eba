package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/templates"
)

// OutcomeEmployerRequired is the outcome of a funding decision that waits for the citizen's employer.
const OutcomeEmployerRequired = "employer_required"

// OnFundingDecision applies one of funding's decisions in tx. Registration announces approvals and
// rejections in its enrolment events, which tell the citizen; only a decision that waits for the
// citizen's employer (the enrolment stays pending, so registration announces nothing) is told here:
// which company must answer what, by when, and that the seat is held meanwhile. Any other outcome is
// left to the enrolment events.
func (n *Notifier) OnFundingDecision(ctx context.Context, tx pgx.Tx, e events.Envelope, d events.FundingDecided) error {
	if d.Summary.Outcome != OutcomeEmployerRequired {
		return nil
	}
	if erased, err := n.Store.Ring.Erased(ctx, tx, d.CitizenID); err != nil || erased {
		return err
	}
	// The run as notification knows it from the enrolment's events; the decision carries none. An
	// enrolment not seen yet (the streams are not ordered with each other) is told without the run.
	en := events.Enrolment{EnrolmentID: d.EnrolmentID, CitizenID: d.CitizenID, Status: "pending"}
	if st, ok, err := n.Store.Enrolment(ctx, tx, d.EnrolmentID); err != nil {
		return err
	} else if ok {
		en = st.Data
	}
	summary := d.Summary
	en.Funding = &summary
	en.Profile = events.ProfileFacts{}
	return n.queue(ctx, tx, e.ID, d.CitizenID, policy.FundingEmployerRequired, false, templates.Input{Enrolment: &en}, nil)
}

// companyKind is the kind of message a commitment event sends the company, if any: a new request, a
// reminder, and an answer only when the deadline passed without one (approvals and declines are the
// company's own doing; withdrawals are the citizen's or the municipality's and are told to the citizen).
func companyKind(eventType, status string) (string, bool) {
	switch eventType {
	case events.TypeCommitmentRequested:
		return policy.CommitmentRequested, true
	case events.TypeCommitmentReminded:
		return policy.CommitmentReminder, true
	case events.TypeCommitmentAnswered:
		return policy.CommitmentExpired, status == "expired"
	}
	return "", false
}

// OnCommitment applies a commitment event in tx: the company gets an e-mail at its contact address,
// in its language, once per event. The message holds no readable personal data: the employee's name
// is sealed with the citizen's data key. A company without an e-mail address gets nothing, and an
// event about an erased citizen sends nothing.
func (n *Notifier) OnCommitment(ctx context.Context, tx pgx.Tx, e events.Envelope, c events.Commitment) error {
	kind, ok := companyKind(e.Type, c.Status)
	if !ok {
		return nil
	}
	if c.Company.CVR == "" || c.CitizenID == "" {
		return fmt.Errorf("commitment %s: %w: no company CVR number or no citizen", c.CommitmentID, events.ErrMalformed)
	}
	if c.Company.Email == "" {
		n.log().Info("commitment message skipped: the company has no e-mail address", zap.String("commitment_id", c.CommitmentID),
			zap.String("kind", kind), zap.String("event_id", e.ID))
		return nil
	}
	sealed, err := n.Store.SealEmployee(ctx, tx, c.CitizenID, c.EmployeeName)
	if errors.Is(err, datakeys.ErrErased) {
		return nil
	} else if err != nil {
		return err
	}
	if err := n.Store.UpsertCompany(ctx, tx, c.Company, e.Time.UnixMicro()); err != nil {
		return err
	}
	c.EmployeeName = ""
	c.Company.Email = "" // the address is the recipient's, sealed there
	_, err = n.Store.AddMessage(ctx, tx, store.NewMessage{EventID: e.ID, RecipientID: policy.CompanyRecipient(c.Company.CVR),
		Channel: policy.Email, Kind: kind, Data: templates.Input{Commitment: &c, EmployeeSealed: sealed}})
	return err
}

func (n *Notifier) log() *zap.Logger {
	if n.Log == nil {
		return zap.NewNop()
	}
	return n.Log
}
