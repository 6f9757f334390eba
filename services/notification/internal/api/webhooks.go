package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/webhooks"
)

type webhookJSON struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	Secret     string   `json:"secret,omitempty"` // only when created
	Status     string   `json:"status"`
	CreatedAt  string   `json:"created_at"`
	DisabledAt *string  `json:"disabled_at,omitempty"`
}

func toWebhookJSON(e store.Endpoint) webhookJSON {
	return webhookJSON{ID: e.ID.String(), URL: e.URL, EventTypes: e.EventTypes, Secret: e.Secret, Status: e.Status,
		CreatedAt: timestamp(e.CreatedAt), DisabledAt: optionalTimestamp(e.DisabledAt)}
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optionalTimestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

// webhookRequest is an endpoint's configuration: where to send, and which event types.
type webhookRequest struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
}

// validate checks the configuration field by field, the URL against where endpoints may point.
func (req webhookRequest) validate(targets webhooks.Targets) error {
	v := &httpapi.ValidationError{}
	if msg := targets.CheckURL(req.URL); msg != "" {
		v.Add("url", "%s", msg)
	}
	if len(req.EventTypes) == 0 {
		v.Add("event_types", "name at least one event type, or \"*\" for every enrolment event")
	}
	for i, t := range req.EventTypes {
		if !webhooks.KnownType(t) {
			v.Add(fmt.Sprintf("event_types[%d]", i), "unknown event type %q; known: \"*\", %s", t, strings.Join(webhooks.EventTypes, ", "))
		}
	}
	return v.Err()
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	inst, err := institution(r)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := req.validate(a.Targets); err != nil {
		return err
	}
	slices.Sort(req.EventTypes)
	e := store.Endpoint{InstitutionID: inst, URL: req.URL, EventTypes: slices.Compact(req.EventTypes), Secret: webhooks.NewSecret()}
	if err := a.Store.CreateEndpoint(r.Context(), &e); err != nil {
		return err
	}
	w.Header().Set("Location", r.URL.Path+"/"+e.ID.String())
	return httpapi.WriteJSON(w, http.StatusCreated, toWebhookJSON(e))
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	inst, err := institution(r)
	if err != nil {
		return err
	}
	list, err := a.Store.Endpoints(r.Context(), inst)
	if err != nil {
		return err
	}
	out := struct {
		Items []webhookJSON `json:"items"`
		Next  string        `json:"next"`
	}{Items: []webhookJSON{}}
	for _, e := range list {
		out.Items = append(out.Items, toWebhookJSON(e))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	inst, id, err := endpoint(r)
	if err != nil {
		return err
	}
	if err := a.Store.DeleteEndpoint(r.Context(), inst, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateSecret gives the endpoint a new secret; the old one keeps signing too for the overlap, so
// the receiver can switch without a gap.
func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	inst, id, err := endpoint(r)
	if err != nil {
		return err
	}
	secret, until := webhooks.NewSecret(), a.Store.Now().Add(a.SecretOverlap).UTC()
	if err := a.Store.RotateSecret(r.Context(), inst, id, secret, until); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]string{"secret": secret, "previous_secret_expires_at": timestamp(until)})
}

type attemptJSON struct {
	At         string `json:"at"`
	StatusCode *int   `json:"status_code"` // null: no response
	LatencyMS  int64  `json:"latency_ms"`
	Error      string `json:"error,omitempty"`
}

type deliveryJSON struct {
	ID            string        `json:"id"` // the webhook-id
	EventID       string        `json:"event_id"`
	EventType     string        `json:"event_type"`
	Status        string        `json:"status"`
	CreatedAt     string        `json:"created_at"`
	NextAttemptAt *string       `json:"next_attempt_at,omitempty"`
	Attempts      []attemptJSON `json:"attempts"`
}

// webhookDeliveries is the endpoint's delivery log, newest first; next is the cursor of the following
// page ("" after the last).
func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	inst, id, err := endpoint(r)
	if err != nil {
		return err
	}
	q, v := r.URL.Query(), &httpapi.ValidationError{}
	limit, before := 50, int64(0)
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			v.Add("limit", "must be a whole number from 1 to 500")
		}
	}
	if s := q.Get("after"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			v.Add("after", "not a cursor from this log")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.Store.Deliveries(r.Context(), inst, id, before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Items []deliveryJSON `json:"items"`
		Next  string         `json:"next"`
	}{Items: []deliveryJSON{}}
	for _, d := range list {
		dj := deliveryJSON{ID: d.ID.String(), EventID: d.EventID.String(), EventType: d.EventType, Status: d.Status,
			CreatedAt: timestamp(d.CreatedAt), NextAttemptAt: optionalTimestamp(d.NextAttempt), Attempts: []attemptJSON{}}
		for _, at := range d.Attempts {
			aj := attemptJSON{At: timestamp(at.At), LatencyMS: at.Latency.Milliseconds(), Error: at.Error}
			if at.StatusCode != 0 {
				aj.StatusCode = &at.StatusCode
			}
			dj.Attempts = append(dj.Attempts, aj)
		}
		out.Items = append(out.Items, dj)
	}
	if len(list) == limit {
		out.Next = strconv.FormatInt(list[len(list)-1].Seq, 10)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// replayWebhooks sends again every delivery to the endpoint created in [from, to), with its original
// webhook-id so the receiver can recognise what it already has.
func (a *API) replayWebhooks(w http.ResponseWriter, r *http.Request) error {
	inst, id, err := endpoint(r)
	if err != nil {
		return err
	}
	var req struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	v := &httpapi.ValidationError{}
	from, errFrom := time.Parse(time.RFC3339, req.From)
	if errFrom != nil {
		v.Add("from", "must be an RFC 3339 time, e.g. 2026-03-01T00:00:00Z")
	}
	to, errTo := time.Parse(time.RFC3339, req.To)
	if errTo != nil {
		v.Add("to", "must be an RFC 3339 time, e.g. 2026-03-02T00:00:00Z")
	}
	if errFrom == nil && errTo == nil && !from.Before(to) {
		v.Add("to", "must be after from")
	}
	if err := v.Err(); err != nil {
		return err
	}
	n, err := a.Store.Replay(r.Context(), inst, id, from, to)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]int{"replayed": n})
}
