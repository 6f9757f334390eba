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

// ErrEnrolmentNotYetKnown is a decision that overtook its enrolment's events: it is retried.
var ErrEnrolmentNotYetKnown = errors.New("the enrolment is not known yet")

// OutcomeEmployerRequired is the outcome of a funding decision that waits for the citizen's employer.
const OutcomeEmployerRequired = events.OutcomeEmployerRequired

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
	// The run as notification knows it from the enrolment's events; the decision carries none. The
	// streams are not ordered with each other: a decision about an enrolment not seen yet is tried
	// again (redelivered after a pause), so the message always names the run.
	st, ok, err := n.Store.Enrolment(ctx, tx, d.EnrolmentID)
	if err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("decision for enrolment %s: %w", d.EnrolmentID, ErrEnrolmentNotYetKnown)
	}
	en := st.Data
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
// is sealed with the citizen's data key. A company without an e-mail address (in the event, or in
// the copy of its contact) gets nothing, and an event about an erased citizen sends nothing.
func (n *Notifier) OnCommitment(ctx context.Context, tx pgx.Tx, e events.Envelope, c events.Commitment) error {
	kind, ok := companyKind(e.Type, c.Status)
	if !ok {
		return nil
	}
	if c.Company.CVR == "" || c.CitizenID == "" {
		return fmt.Errorf("commitment %s: %w: no company CVR number or no citizen", c.CommitmentID, events.ErrMalformed)
	}
	if erased, err := n.Store.Ring.Erased(ctx, tx, c.CitizenID); err != nil || erased {
		return err
	}
	if ok, err := n.companyContact(ctx, tx, e, c.Company); err != nil {
		return err
	} else if !ok {
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
	c.EmployeeName = ""
	c.Company.Email = "" // the address is the recipient's, sealed there
	_, err = n.Store.AddMessage(ctx, tx, store.NewMessage{EventID: e.ID, RecipientID: policy.CompanyRecipient(c.Company.CVR),
		Channel: policy.Email, Kind: kind, Data: templates.Input{Commitment: &c, EmployeeSealed: sealed}})
	return err
}

// companyContact keeps the contact a company's event carries, when it has an e-mail address, as the
// company's (unless a newer one is kept: the event's time orders them), and reports whether the
// company's contact as kept now has an e-mail address to write to. An event without one falls back on
// the copy from livslang.company.updated.v1 (OnCompanyUpdated).
func (n *Notifier) companyContact(ctx context.Context, tx pgx.Tx, e events.Envelope, c events.Company) (bool, error) {
	if c.Email != "" {
		if err := n.Store.UpsertCompany(ctx, tx, c, e.Time.UnixMicro()); err != nil {
			return false, err
		}
	}
	return n.Store.CompanyCanBeMailed(ctx, tx, c.CVR)
}

// OnCompanyUpdated keeps the company's contact from funding's livslang.company.updated.v1: the
// newest by the event's time (an older event arriving late changes nothing), sealed, as the
// recipient of the company's messages.
func (n *Notifier) OnCompanyUpdated(ctx context.Context, tx pgx.Tx, e events.Envelope, c events.Company) error {
	if c.CVR == "" {
		return fmt.Errorf("company update: %w: no CVR number", events.ErrMalformed)
	}
	return n.Store.UpsertCompany(ctx, tx, c, e.Time.UnixMicro())
}

// OnRefundPaid applies funding's livslang.refund.paid.v1 in tx: the company gets an e-mail at its
// contact address (the event's, else the copy of its contact), in its language, once per event. The
// employee's name is sealed with the citizen's data key, as in a commitment's message; a refund for an
// erased citizen sends nothing.
func (n *Notifier) OnRefundPaid(ctx context.Context, tx pgx.Tx, e events.Envelope, r events.RefundPaid) error {
	if r.RefundID == "" || r.Company.CVR == "" || r.CitizenID == "" {
		return fmt.Errorf("refund %s: %w: no refund id, company CVR number or citizen", r.RefundID, events.ErrMalformed)
	}
	if erased, err := n.Store.Ring.Erased(ctx, tx, r.CitizenID); err != nil || erased {
		return err
	}
	if ok, err := n.companyContact(ctx, tx, e, r.Company); err != nil {
		return err
	} else if !ok {
		n.log().Info("refund message skipped: the company has no e-mail address", zap.String("refund_id", r.RefundID),
			zap.String("event_id", e.ID))
		return nil
	}
	sealed, err := n.Store.SealEmployee(ctx, tx, r.CitizenID, r.EmployeeName)
	if errors.Is(err, datakeys.ErrErased) {
		return nil
	} else if err != nil {
		return err
	}
	r.EmployeeName = ""
	r.Company.Email = "" // the address is the recipient's, sealed there
	_, err = n.Store.AddMessage(ctx, tx, store.NewMessage{EventID: e.ID, RecipientID: policy.CompanyRecipient(r.Company.CVR),
		Channel: policy.Email, Kind: policy.RefundPaid, Data: templates.Input{Refund: &r, EmployeeSealed: sealed}})
	return err
}

// OnDemandOffered applies registration's livslang.demand.offered.v1 in tx: the company is told by
// e-mail, in its language, that seats on a new run are held for its demand until the offer expires,
// once per event. The event carries no e-mail address: the company is written to at the copy of its
// contact (OnCompanyUpdated); a company without one gets nothing (the offer is in its portal).
func (n *Notifier) OnDemandOffered(ctx context.Context, tx pgx.Tx, e events.Envelope, o events.DemandOffered) error {
	if o.OfferID == "" || o.CVR == "" || o.ExpiresAt.IsZero() {
		return fmt.Errorf("demand offer %s: %w: no offer id, company CVR number or expiry", o.OfferID, events.ErrMalformed)
	}
	if ok, err := n.Store.CompanyCanBeMailed(ctx, tx, o.CVR); err != nil {
		return err
	} else if !ok {
		n.log().Info("demand offer message skipped: no e-mail address is known for the company", zap.String("offer_id", o.OfferID),
			zap.String("event_id", e.ID))
		return nil
	}
	_, err := n.Store.AddMessage(ctx, tx, store.NewMessage{EventID: e.ID, RecipientID: policy.CompanyRecipient(o.CVR),
		Channel: policy.Email, Kind: policy.DemandOffer, Data: templates.Input{Offer: &o}})
	return err
}

// OnStaffInvited applies registration's livslang.staff.invited.v1 in tx: the employee a company
// enrolled, who has no profile yet, is asked by e-mail at the address the company gave to log in and
// complete their profile by the deadline, once per event. They are no citizen yet: their name and
// address are kept sealed as a recipient of the invitation's own, and the mail is in Danish with
// English below, as their language is not known.
func (n *Notifier) OnStaffInvited(ctx context.Context, tx pgx.Tx, e events.Envelope, i events.StaffInvited) error {
	if i.InvitationID == "" || i.DueAt.IsZero() {
		return fmt.Errorf("staff invitation %s: %w: no invitation id or deadline", i.InvitationID, events.ErrMalformed)
	}
	if i.Email == "" {
		n.log().Info("invitation message skipped: the employee has no e-mail address", zap.String("invitation_id", i.InvitationID),
			zap.String("event_id", e.ID))
		return nil
	}
	if err := n.Store.AddInvitee(ctx, tx, i.InvitationID, i.Name, i.Email); err != nil {
		return err
	}
	i.Name, i.Email = "", "" // the recipient's, sealed there
	_, err := n.Store.AddMessage(ctx, tx, store.NewMessage{EventID: e.ID, RecipientID: policy.InvitationRecipient(i.InvitationID),
		Channel: policy.Email, Kind: policy.StaffInvited, Data: templates.Input{Invitation: &i}})
	return err
}

func (n *Notifier) log() *zap.Logger {
	if n.Log == nil {
		return zap.NewNop()
	}
	return n.Log
}
