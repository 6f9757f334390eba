// Package datarequest is the participants' side of a citizen's data request (see events.DataRequest):
// a service answers an export with its section, sealed to the request's one-time key and cut into
// chunks small enough for one event each, and an erasure with its report. The answers go through the
// service's outbox like every event.
package datarequest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pii"
)

// Info binds a sealed section to its request and service (the HPKE info).
func Info(requestID, service string) []byte {
	return []byte("livslang export " + requestID + " " + service)
}

// ExportAnswers seals section (marshalled to JSON) to the request's export key and returns the
// answer events that carry it, one per chunk.
func ExportAnswers(source, service string, at time.Time, req events.DataRequest, section any) ([]events.Envelope, error) {
	raw, err := json.Marshal(section)
	if err != nil {
		return nil, fmt.Errorf("marshal export section: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(req.ExportKey)
	if err != nil {
		return nil, fmt.Errorf("%w: export_key is not base64", events.ErrMalformed)
	}
	sealed, err := pii.SealExport(key, Info(req.RequestID, service), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", events.ErrMalformed, err)
	}
	chunks := (len(sealed) + events.ExportChunkSize - 1) / events.ExportChunkSize
	out := make([]events.Envelope, 0, chunks)
	for i := range chunks {
		part := sealed[i*events.ExportChunkSize : min((i+1)*events.ExportChunkSize, len(sealed))]
		env, err := answer(source, service, at, events.DataRequestAnswered{RequestID: req.RequestID, CitizenID: req.CitizenID,
			Kind: req.Kind, Service: service, Section: base64.StdEncoding.EncodeToString(part), Chunk: i, Chunks: chunks})
		if err != nil {
			return nil, err
		}
		out = append(out, env)
	}
	return out, nil
}

// ErasureAnswer is the answer event that reports an erasure.
func ErasureAnswer(source, service string, at time.Time, req events.DataRequest, report events.ErasureReport) (events.Envelope, error) {
	if report.Deleted == nil {
		report.Deleted = []events.Deleted{}
	}
	if report.Kept == nil {
		report.Kept = []events.Kept{}
	}
	return answer(source, service, at, events.DataRequestAnswered{RequestID: req.RequestID, CitizenID: req.CitizenID,
		Kind: req.Kind, Service: service, Chunks: 1, Report: &report})
}

func answer(source, service string, at time.Time, a events.DataRequestAnswered) (events.Envelope, error) {
	return events.New(source, events.TypeDataRequestAnswered, events.DataRequestAnsweredSubject(service), a.RequestID, at, a)
}

// Check refuses a request that can never be answered (parked, not retried).
func Check(req events.DataRequest) error {
	switch {
	case req.RequestID == "" || req.CitizenID == "":
		return fmt.Errorf("%w: request_id and citizen_id are required", events.ErrMalformed)
	case req.Kind == events.DataExport && req.ExportKey == "":
		return fmt.Errorf("%w: an export needs export_key", events.ErrMalformed)
	case req.Kind != events.DataExport && req.Kind != events.DataErasure:
		return fmt.Errorf("%w: kind %q", events.ErrMalformed, req.Kind)
	}
	return nil
}
