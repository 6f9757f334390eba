package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// DataRequest is a citizen's request for their data (export) or its erasure, with each service's part.
type DataRequest struct {
	ID          string                     `json:"id"`
	Kind        string                     `json:"kind"`
	Status      string                     `json:"status"`
	RequestedAt string                     `json:"requested_at"`
	CompletedAt string                     `json:"completed_at"`
	ExpiresAt   string                     `json:"expires_at"`
	Services    map[string]DataRequestPart `json:"services"`
	DownloadURL string                     `json:"download_url"`
}

// DataRequestPart is one service's part.
type DataRequestPart struct {
	Status string         `json:"status"`
	Report *ErasureReport `json:"report"`
}

// ErasureReport is what a service deleted and kept.
type ErasureReport struct {
	Deleted []struct {
		What  string `json:"what"`
		Count int64  `json:"count"`
	} `json:"deleted"`
	Kept []struct {
		What       string `json:"what"`
		Count      int64  `json:"count"`
		Why        string `json:"why"`
		LegalBasis string `json:"legal_basis"`
		Until      string `json:"until"`
	} `json:"kept"`
}

// RequestData asks registration for an export or the erasure of the caller's data; the key makes a
// repeated submit one request.
func (c *Client) RequestData(ctx context.Context, token, key, kind string) (DataRequest, error) {
	var out DataRequest
	err := c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/me/data-requests", token: token,
		body: map[string]string{"kind": kind}, header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}

// DataRequests lists the caller's data requests, newest first.
func (c *Client) DataRequests(ctx context.Context, token string) ([]DataRequest, error) {
	var out struct {
		Items []DataRequest `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/data-requests", token: token}, &out)
	return out.Items, err
}

// Export opens the file of the caller's completed export.
func (c *Client) Export(ctx context.Context, token, id string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/data-requests/" + url.PathEscape(id) + "/export",
		token: token})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// AuditEntry is one access to the caller's data, in one service's audit log.
type AuditEntry struct {
	Service   string `json:"-"`
	At        string `json:"at"`
	ActorRole string `json:"actor_role"`
	Action    string `json:"action"`
	Resource  string `json:"resource"`
	Purpose   string `json:"purpose"`
}

// Audit reads the newest entries about the caller from every service's audit log, newest first.
func (c *Client) Audit(ctx context.Context, token string) ([]AuditEntry, error) {
	var all []AuditEntry
	for _, svc := range []struct{ name, base string }{{"registration", c.Registration}, {"funding", c.Funding}, {"notification", c.Notification}} {
		var page struct {
			Items []AuditEntry `json:"items"`
		}
		if err := c.do(ctx, request{method: http.MethodGet, url: svc.base + "/v1/me/audit?limit=50", token: token}, &page); err != nil {
			return nil, err
		}
		for _, e := range page.Items {
			e.Service = svc.name
			all = append(all, e)
		}
	}
	at := func(e AuditEntry) time.Time { t, _ := time.Parse(time.RFC3339Nano, e.At); return t }
	sort.SliceStable(all, func(i, j int) bool { return at(all[i]).After(at(all[j])) })
	return all, nil
}
