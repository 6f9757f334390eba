package store

import (
	"encoding/json"

	"livslang.dk/pkg/idempotency"
)

// Kept is what a create request with an Idempotency-Key answers: what it created (the first time,
// or again for a repeat with the same key and body). The API renders it; the store keeps the value,
// not the response, with the key.
type Kept[T any] struct {
	Value T
	// Stored is, for a repeat of a request answered by an older version (which kept the response
	// as it was sent), that response, to send again as it is; nil otherwise.
	Stored *Created
}

// keep is what the key keeps of v: v under name ({"enrolment": {…}}), so that a repeated request
// is answered as the first was.
func keep(name string, v any) ([]byte, error) { return json.Marshal(map[string]any{name: v}) }

// replay is the answer to a repeated request from what its key keeps under name.
func replay[T any](name string, r *idempotency.Response) Kept[T] {
	var (
		kept map[string]json.RawMessage
		v    T
	)
	if json.Unmarshal(r.Body, &kept) != nil || kept[name] == nil || json.Unmarshal(kept[name], &v) != nil {
		return Kept[T]{Stored: &Created{Status: r.Status, Body: r.Body}} // kept by an older version
	}
	return Kept[T]{Value: v}
}
