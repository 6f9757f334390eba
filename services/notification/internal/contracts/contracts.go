// Package contracts holds the events notification reads that are not in pkg/events yet, declared
// with the same JSON fields as their producers' (docs/events/<type>.schema.json). Each moves to
// pkg/events when its producer puts it there.
package contracts

import (
	"time"

	"livslang.dk/pkg/events"
)

const (
	// TypeDemandOffered: a run an institution published matches a company's skills demand, and seats
	// on it are held for the company (registration).
	TypeDemandOffered = "livslang.demand.offered.v1"
	// SubjectDemandOffered is the NATS subject of TypeDemandOffered (on the REGISTRATION stream).
	SubjectDemandOffered = "livslang.registration.demand.offered"
)

// DemandOffered is the data of livslang.demand.offered.v1: which seats are held for which company,
// on which run, until when. No employee is named; the event carries no e-mail address.
type DemandOffered struct {
	OfferID     string             `json:"offer_id"`
	DemandID    string             `json:"demand_id"`
	CVR         string             `json:"cvr"`
	CompanyName string             `json:"company_name"`
	Course      events.CourseFacts `json:"course"`
	Location    string             `json:"location"`
	Employees   int                `json:"employees"`
	Seats       int                `json:"seats"`
	ExpiresAt   time.Time          `json:"expires_at"`
}
