package events

import "time"

// Employers' events other than the commitments (catalogue.go): an employer's refund paid out
// (funding), and an employee invited to complete their profile (registration).
const (
	// TypeRefundPaid: funding recorded an employer's refund paid out.
	TypeRefundPaid = "livslang.refund.paid.v1"
	// SubjectRefundPaid is the NATS subject of TypeRefundPaid (on the FUNDING stream).
	SubjectRefundPaid = "livslang.funding.refund.paid"
	// TypeCompanyUpdated: a company's contact was given or changed (funding keeps it).
	TypeCompanyUpdated = "livslang.company.updated.v1"
	// SubjectCompanyUpdated is the NATS subject of TypeCompanyUpdated (on the FUNDING stream).
	SubjectCompanyUpdated = "livslang.funding.company.updated"
	// TypeDemandOffered: a run an institution published matches a company's skills demand; seats are
	// held for the company until the offer expires.
	TypeDemandOffered = "livslang.demand.offered.v1"
	// SubjectDemandOffered is the NATS subject of TypeDemandOffered (on the REGISTRATION stream).
	SubjectDemandOffered = "livslang.registration.demand.offered"
	// TypeStaffInvited: a company enrolled an employee who has no profile yet.
	TypeStaffInvited = "livslang.staff.invited.v1"
	// SubjectStaffInvited is the NATS subject of TypeStaffInvited (on the REGISTRATION stream).
	SubjectStaffInvited = "livslang.registration.staff.invited"
)

// RefundPaid is the data of livslang.refund.paid.v1: VEU or SVU for an employee's course was paid to
// the company as a refund (AUB or SVU pay it; Livslang records it). Never a CPR number: the employee
// is named by name.
type RefundPaid struct {
	RefundID      string      `json:"refund_id"`
	DecisionID    string      `json:"decision_id"`
	EnrolmentID   string      `json:"enrolment_id"`
	CitizenID     string      `json:"citizen_id"`
	Company       Company     `json:"company"`
	EmployeeName  string      `json:"employee_name"`
	Course        CourseFacts `json:"course"`
	Scheme        string      `json:"scheme"`       // veu or svu
	ExpectedDKK   int64       `json:"expected_dkk"` // the decision's refund for every planned hour
	PaidDKK       int64       `json:"paid_dkk"`     // what was paid, for the attended hours
	AttendedHours float64     `json:"attended_hours"`
	PlannedHours  float64     `json:"planned_hours"`
	PaidAt        string      `json:"paid_at"` // RFC 3339
}

// StaffInvited is the data of livslang.staff.invited.v1: whom to ask (by e-mail; no CPR number), for
// which run and company, and by when their profile is needed (the seat is held until then).
type StaffInvited struct {
	InvitationID string      `json:"invitation_id"`
	CVR          string      `json:"cvr"`
	CompanyName  string      `json:"company_name"`
	Name         string      `json:"name"`
	Email        string      `json:"email"`
	Course       CourseFacts `json:"course"`
	DueAt        time.Time   `json:"due_at"`
}

// DemandOffered is the data of livslang.demand.offered.v1: an offer of seats on a run to a company
// whose demand the run matches; the seats are held for it until ExpiresAt.
type DemandOffered struct {
	OfferID     string      `json:"offer_id"`
	DemandID    string      `json:"demand_id"`
	CVR         string      `json:"cvr"`
	CompanyName string      `json:"company_name"`
	Course      CourseFacts `json:"course"`
	Location    string      `json:"location"`
	Employees   int         `json:"employees"`
	Seats       int         `json:"seats"`
	ExpiresAt   time.Time   `json:"expires_at"`
}
