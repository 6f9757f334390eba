package api

import (
	"encoding/json"
	"net/http"
	"time"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/services/registration/internal/store"
)

type dataRequestRequest struct {
	Kind string `json:"kind"`
}

// dataRequestCreated is the 202 answer to POST /v1/me/data-requests.
type dataRequestCreated struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

type dataRequestJSON struct {
	ID          string                     `json:"id"`
	Kind        string                     `json:"kind"`
	Status      string                     `json:"status"`
	RequestedAt string                     `json:"requested_at"`
	CompletedAt *string                    `json:"completed_at,omitempty"`
	ExpiresAt   *string                    `json:"expires_at,omitempty"`
	Services    map[string]dataRequestPart `json:"services"`
	DownloadURL string                     `json:"download_url,omitempty"`
}

type dataRequestPart struct {
	Status      string                `json:"status"`
	CompletedAt *string               `json:"completed_at,omitempty"`
	Report      *events.ErasureReport `json:"report,omitempty"`
}

func timeString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// baseURL is how the caller reached registration, for links in answers.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func toDataRequestJSON(r *http.Request, d store.DataRequest) dataRequestJSON {
	out := dataRequestJSON{ID: d.ID.String(), Kind: d.Kind, Status: d.Status, RequestedAt: d.RequestedAt.UTC().Format(time.RFC3339),
		CompletedAt: timeString(d.CompletedAt), ExpiresAt: timeString(d.ExpiresAt), Services: map[string]dataRequestPart{}}
	for _, p := range d.Parts {
		out.Services[p.Service] = dataRequestPart{Status: p.Status, CompletedAt: timeString(p.CompletedAt), Report: p.Report}
	}
	if d.Kind == events.DataExport && d.Status == "completed" {
		out.DownloadURL = baseURL(r) + "/v1/me/data-requests/" + d.ID.String() + "/export"
	}
	return out
}

// createDataRequest starts an export of all the citizen's data, or its erasure, across the services.
func (a *API) createDataRequest(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	key, err := idempotency.Key(r)
	if err != nil {
		return err
	}
	var req dataRequestRequest
	if err := httpapi.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Kind != events.DataExport && req.Kind != events.DataErasure {
		return &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "kind", Message: "must be export or erasure"}}}
	}
	canonical, _ := json.Marshal(req)
	created, err := a.Store.RequestData(r.Context(), store.NewDataRequest{CitizenID: claims.Subject, Kind: req.Kind,
		IdempotencyKey: key, RequestHash: idempotency.Hash(r, canonical)})
	if err != nil {
		return err
	}
	const location = "/v1/me/data-requests/"
	if created.Stored != nil {
		return writeStored(w, *created.Stored, location)
	}
	d := created.Value
	w.Header().Set("Location", location+d.ID.String())
	return httpapi.WriteJSON(w, http.StatusAccepted, dataRequestCreated{ID: d.ID.String(), Kind: d.Kind, Status: d.Status})
}

func (a *API) listDataRequests(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	requests, err := a.Store.DataRequests(r.Context(), claims.Subject)
	if err != nil {
		return err
	}
	out := list[dataRequestJSON]{Items: []dataRequestJSON{}}
	for _, d := range requests {
		out.Items = append(out.Items, toDataRequestJSON(r, d))
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getDataRequest(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.Store.GetDataRequest(r.Context(), claims.Subject, id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, toDataRequestJSON(r, d))
}

// downloadExport serves a completed export, to the citizen it is about only.
func (a *API) downloadExport(w http.ResponseWriter, r *http.Request) error {
	claims := auth.Caller(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	file, err := a.Store.ExportFile(r.Context(), claims.Subject, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="livslang-export-`+id.String()+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(file)
	return err
}

// record adds the caller's access to a citizen's data to the audit log (a citizen reading their own
// data is not recorded; every change is).
func (a *API) record(r *http.Request, citizenID, action, resource, resourceID, purpose string) error {
	if e, ok := audit.Of(r, citizenID, action, resource, resourceID, purpose); ok {
		return a.Store.Audit(r.Context(), e)
	}
	return nil
}
