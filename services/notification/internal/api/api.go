// Package api is notification's HTTP API.
package api

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/notification/internal/store"
	"livslang.dk/services/notification/internal/webhooks"
)

// API serves notification's endpoints.
type API struct {
	Store *store.Store
	Log   *zap.Logger
	// SecretOverlap is how long a webhook endpoint's old secret keeps signing after a rotation.
	SecretOverlap time.Duration
	// Targets is where a webhook endpoint may point.
	Targets webhooks.Targets
}

type notificationJSON struct {
	ID        string  `json:"id"`
	EventID   string  `json:"event_id"`
	Kind      string  `json:"kind"`
	Channel   string  `json:"channel"`
	Language  string  `json:"language"`
	Subject   string  `json:"subject"`
	Status    string  `json:"status"`
	CreatedAt string  `json:"created_at"`
	SentAt    *string `json:"sent_at"`
}

func (a *API) myNotifications(w http.ResponseWriter, r *http.Request) error {
	msgs, err := a.Store.ForRecipient(r.Context(), auth.Caller(r).Subject, 500)
	if err != nil {
		return err
	}
	return writeNotifications(w, msgs)
}

// companyNotifications lists the e-mails to the caller's company, newest first.
func (a *API) companyNotifications(w http.ResponseWriter, r *http.Request) error {
	cvr, err := company(r)
	if err != nil {
		return err
	}
	msgs, err := a.Store.ForCompany(r.Context(), cvr, 500)
	if err != nil {
		return err
	}
	return writeNotifications(w, msgs)
}

func writeNotifications(w http.ResponseWriter, msgs []store.Message) error {
	out := struct {
		Items []notificationJSON `json:"items"`
		Next  string             `json:"next"`
	}{Items: []notificationJSON{}}
	for _, m := range msgs {
		n := notificationJSON{ID: m.ID.String(), EventID: m.EventID.String(), Kind: m.Kind, Channel: m.Channel,
			Language: m.Language, Subject: m.Subject, Status: m.Status, CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339)}
		if m.SentAt != nil {
			s := m.SentAt.UTC().Format(time.RFC3339)
			n.SentAt = &s
		}
		out.Items = append(out.Items, n)
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}
