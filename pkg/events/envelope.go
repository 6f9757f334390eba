// Package events defines the CloudEvents 1.0 envelope every Livslang event travels in, the stream
// and subject names, and the data contracts of the events services exchange.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents version of every envelope.
const SpecVersion = "1.0"

// Envelope is a CloudEvents 1.0 event in JSON structured mode.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	TraceParent     string          `json:"traceparent,omitempty"`
	Data            json.RawMessage `json:"data"`

	// NATSSubject is where the event is published; it is not part of the envelope.
	NATSSubject string `json:"-"`
}

// New builds an envelope for data, with a fresh id and the given time.
func New(source, eventType, natsSubject, subject string, at time.Time, data any) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s data: %w", eventType, err)
	}
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              uuid.NewString(),
		Source:          source,
		Type:            eventType,
		Subject:         subject,
		Time:            at.UTC(),
		DataContentType: "application/json",
		Data:            raw,
		NATSSubject:     natsSubject,
	}, nil
}

// ErrMalformed marks an event that can never be processed (it is parked, not retried).
var ErrMalformed = errors.New("malformed event")

// Parse decodes and checks an envelope.
func Parse(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case e.SpecVersion != SpecVersion:
		return Envelope{}, fmt.Errorf("%w: specversion %q", ErrMalformed, e.SpecVersion)
	case e.ID == "" || e.Type == "" || e.Source == "":
		return Envelope{}, fmt.Errorf("%w: id, type and source are required", ErrMalformed)
	case len(e.Data) == 0:
		return Envelope{}, fmt.Errorf("%w: no data", ErrMalformed)
	}
	return e, nil
}

// Decode unmarshals the event's data into v; a failure is ErrMalformed.
func (e Envelope) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: %s data: %v", ErrMalformed, e.Type, err)
	}
	return nil
}
