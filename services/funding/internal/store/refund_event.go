package store

import "livslang.dk/pkg/events"

// The refund event's contract. It belongs in pkg/events with the other event types (catalogue.go);
// it is here until it moves there.
const (
	// TypeRefundPaid: funding recorded an employer's refund paid out.
	TypeRefundPaid = "livslang.refund.paid.v1"
	// SubjectRefundPaid is the NATS subject of TypeRefundPaid (on the FUNDING stream).
	SubjectRefundPaid = "livslang.funding.refund.paid"
)

// RefundPaidData is the data of livslang.refund.paid.v1: VEU or SVU for an employee's course was
// paid to the company as a refund (AUB or SVU pay it; Livslang records it). Never a CPR number: the
// employee is named by name.
type RefundPaidData struct {
	RefundID      string             `json:"refund_id"`
	DecisionID    string             `json:"decision_id"`
	EnrolmentID   string             `json:"enrolment_id"`
	CitizenID     string             `json:"citizen_id"`
	Company       events.Company     `json:"company"`
	EmployeeName  string             `json:"employee_name"`
	Course        events.CourseFacts `json:"course"`
	Scheme        string             `json:"scheme"`       // veu or svu
	ExpectedDKK   int64              `json:"expected_dkk"` // the decision's refund for every planned hour
	PaidDKK       int64              `json:"paid_dkk"`     // what was paid, for the attended hours
	AttendedHours float64            `json:"attended_hours"`
	PlannedHours  float64            `json:"planned_hours"`
	PaidAt        string             `json:"paid_at"` // RFC 3339
}
