package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/store"
)

type preferencesJSON struct {
	Language string              `json:"language"`
	Channels map[string][]string `json:"channels"`
	// AlwaysDigitalPost lists the kinds that also go by Digital Post whatever the choice, because they
	// are (or can be) a public authority's decision; a rejection is one when funding made it.
	AlwaysDigitalPost []string `json:"always_digital_post"`
}

// preferences answers the caller's choices with the defaults filled in: the language is their choice,
// else their profile's, else Danish; every kind lists its channels (e-mail when not chosen).
func (a *API) preferences(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	return a.writePreferences(w, r, claims.Subject)
}

func (a *API) writePreferences(w http.ResponseWriter, r *http.Request, recipient string) error {
	p, profile, err := a.Store.Preferences(r.Context(), a.Store.Pool, recipient)
	if err != nil {
		return err
	}
	out := preferencesJSON{Language: p.Language, Channels: map[string][]string{}, AlwaysDigitalPost: policy.DecisionKinds}
	if out.Language == "" {
		out.Language = profile
	}
	if out.Language != "en" {
		out.Language = "da"
	}
	for _, k := range policy.Kinds {
		out.Channels[k] = p.For(k)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// savePreferences replaces the caller's choices. language may be left out (then the profile's
// language is used); a kind left out of channels goes by e-mail.
// preferencesRequest is the body of PUT /v1/me/preferences.
type preferencesRequest struct {
	Language *string             `json:"language"`
	Channels map[string][]string `json:"channels"`
}

// preferences validates the request field by field.
func (req preferencesRequest) preferences() (policy.Preferences, error) {
	v := &httpapi.ValidationError{}
	p := policy.Preferences{Channels: map[string][]string{}}
	if req.Language != nil {
		if *req.Language != "da" && *req.Language != "en" {
			v.Add("language", `must be "da" or "en"`)
		}
		p.Language = *req.Language
	}
	kinds := make([]string, 0, len(req.Channels))
	for k := range req.Channels {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		field := "channels." + kind
		if !policy.KnownKind(kind) {
			v.Add(field, "unknown kind of message; known: %s", strings.Join(policy.Kinds, ", "))
			continue
		}
		list := req.Channels[kind]
		if len(list) == 0 {
			v.Add(field, "name at least one channel (messages of this kind must reach you somehow)")
			continue
		}
		var chosen []string
		for i, c := range list {
			if !policy.KnownChannel(c) {
				v.Add(fmt.Sprintf("%s[%d]", field, i), "unknown channel %q; known: %s", c, strings.Join(policy.Channels, ", "))
				continue
			}
			if !slices.Contains(chosen, c) {
				chosen = append(chosen, c)
			}
		}
		p.Channels[kind] = chosen
	}
	return p, v.Err()
}

func (a *API) savePreferences(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	var req preferencesRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := req.preferences()
	if err != nil {
		return err
	}
	if err := a.Store.SavePreferences(r.Context(), claims.Subject, p); err != nil {
		return err
	}
	if e, ok := audit.Of(r, claims.Subject, audit.Change, "preferences", "", "the citizen chose how to be told"); ok {
		if err := audit.Record(r.Context(), a.Store.Pool, e); err != nil {
			return err
		}
	}
	return a.writePreferences(w, r, claims.Subject)
}

type deliveryStatusJSON struct {
	ID            string  `json:"id"`
	EventID       string  `json:"event_id"`
	RecipientID   string  `json:"recipient_id"` // pseudonymous
	Kind          string  `json:"kind"`
	Channel       string  `json:"channel"`
	Language      string  `json:"language,omitempty"`
	Status        string  `json:"status"`
	Attempts      int     `json:"attempts"`
	CreatedAt     string  `json:"created_at"`
	SentAt        *string `json:"sent_at"`
	NextAttemptAt *string `json:"next_attempt_at,omitempty"` // pending: when it is tried (quiet hours, a retry)
	// Outcome says how it went: sent, pending, held_for_quiet_hours, retrying, bounced (refused for
	// good), gave_up (out of attempts), cancelled.
	Outcome    string  `json:"outcome"`
	Detail     string  `json:"detail,omitempty"` // the last error or note, with addresses and numbers removed
	MustArrive bool    `json:"must_arrive"`
	FallbackOf *string `json:"fallback_of,omitempty"`
	ReminderID *string `json:"reminder_id,omitempty"`
}

var deliveryStatuses = []string{"pending", "sending", "sent", "failed", "cancelled"}

// deliveries is the administrators' view of what was sent, to whom (by pseudonymous id), when, by
// which channel and how it went; never a subject or a body. Filters: recipient, kind, status, channel;
// newest first, limit (1-500, default 100) and after (the next cursor).
func (a *API) deliveries(w http.ResponseWriter, r *http.Request) error {
	q, v := r.URL.Query(), &httpapi.ValidationError{}
	f := store.DeliveryFilter{RecipientID: q.Get("recipient"), Kind: q.Get("kind"), Status: q.Get("status"),
		Channel: q.Get("channel"), Limit: 100}
	if f.Kind != "" && !policy.KnownMessageKind(f.Kind) {
		v.Add("kind", "unknown kind of message; known: %s", strings.Join(policy.MessageKinds(), ", "))
	}
	if f.Status != "" && !slices.Contains(deliveryStatuses, f.Status) {
		v.Add("status", "must be one of %s", strings.Join(deliveryStatuses, ", "))
	}
	if f.Channel != "" && !policy.KnownChannel(f.Channel) {
		v.Add("channel", "must be one of %s", strings.Join(policy.Channels, ", "))
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			v.Add("limit", "must be a whole number from 1 to 500")
		}
		f.Limit = n
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			v.Add("after", "not a cursor from this list")
		}
		f.Before = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.Store.MessageDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Items []deliveryStatusJSON `json:"items"`
		Next  string               `json:"next"`
	}{Items: []deliveryStatusJSON{}}
	var entries []audit.Entry
	for _, m := range list {
		if e, ok := audit.Of(r, m.RecipientID, audit.Read, "message", m.ID.String(), "the administrators' delivery view"); ok {
			entries = append(entries, e)
		}
	}
	if err := audit.Record(r.Context(), a.Store.Pool, entries...); err != nil {
		return err
	}
	for _, m := range list {
		d := deliveryStatusJSON{ID: m.ID.String(), EventID: m.EventID.String(), RecipientID: m.RecipientID, Kind: m.Kind,
			Channel: m.Channel, Language: m.Language, Status: m.Status, Attempts: m.Attempts, CreatedAt: timestamp(m.CreatedAt),
			SentAt: optionalTimestamp(m.SentAt), Outcome: outcome(m), Detail: m.LastError, MustArrive: m.MustArrive,
			FallbackOf: optionalID(m.FallbackOf), ReminderID: optionalID(m.ReminderID)}
		if m.Status == "pending" || m.Status == "sending" {
			d.NextAttemptAt = optionalTimestamp(&m.NextAttemptAt)
		}
		out.Items = append(out.Items, d)
	}
	if len(list) == f.Limit {
		out.Next = strconv.FormatInt(list[len(list)-1].Seq, 10)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

func outcome(m store.Message) string {
	switch {
	case m.Status == "pending" && strings.HasPrefix(m.LastError, "quiet hours"):
		return "held_for_quiet_hours"
	case m.Status == "failed" && m.PermanentFailure:
		return "bounced"
	case m.Status == "failed":
		return "gave_up"
	case (m.Status == "pending" || m.Status == "sending") && m.Attempts > 0 && m.LastError != "":
		return "retrying"
	}
	return m.Status
}

func optionalID[T fmt.Stringer](id *T) *string {
	if id == nil {
		return nil
	}
	s := (*id).String()
	return &s
}
