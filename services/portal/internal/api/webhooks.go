package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Webhook is one of an institution's webhook endpoints. Secret is only set in the answer to
// creating it.
type Webhook struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	Secret     string   `json:"secret"`
	Status     string   `json:"status"` // active or disabled
	CreatedAt  string   `json:"created_at"`
	DisabledAt *string  `json:"disabled_at"`
}

func (c *Client) webhooks(institution string) string {
	return c.Notification + "/v1/institutions/" + url.PathEscape(institution) + "/webhooks"
}

// Webhooks lists the institution's endpoints.
func (c *Client) Webhooks(ctx context.Context, token, institution string) ([]Webhook, error) {
	var out struct {
		Items []Webhook `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.webhooks(institution), token: token}, &out)
	return out.Items, err
}

// CreateWebhook adds an endpoint; the answer carries its secret, the only time it is shown.
func (c *Client) CreateWebhook(ctx context.Context, token, institution, endpointURL string, eventTypes []string) (Webhook, error) {
	var out Webhook
	err := c.do(ctx, request{method: http.MethodPost, url: c.webhooks(institution), token: token,
		body: map[string]any{"url": endpointURL, "event_types": eventTypes}}, &out)
	return out, err
}

// DeleteWebhook removes an endpoint: nothing more is sent to it.
func (c *Client) DeleteWebhook(ctx context.Context, token, institution, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, url: c.webhooks(institution) + "/" + url.PathEscape(id), token: token}, nil)
}

// RotatedSecret is an endpoint's new secret; the previous one keeps signing until PreviousExpiresAt.
type RotatedSecret struct {
	Secret            string `json:"secret"`
	PreviousExpiresAt string `json:"previous_secret_expires_at"`
}

// RotateSecret gives an endpoint a new secret.
func (c *Client) RotateSecret(ctx context.Context, token, institution, id string) (RotatedSecret, error) {
	var out RotatedSecret
	err := c.do(ctx, request{method: http.MethodPost, url: c.webhooks(institution) + "/" + url.PathEscape(id) + "/rotate-secret", token: token}, &out)
	return out, err
}

// Attempt is one try at delivering; StatusCode is nil when the endpoint did not answer.
type Attempt struct {
	At         string `json:"at"`
	StatusCode *int   `json:"status_code"`
	LatencyMS  int64  `json:"latency_ms"`
	Error      string `json:"error"`
}

// Delivery is one event sent (or to be sent) to an endpoint, with its attempts.
type Delivery struct {
	ID            string    `json:"id"`
	EventID       string    `json:"event_id"`
	EventType     string    `json:"event_type"`
	Status        string    `json:"status"` // pending, failed (to be retried), succeeded or gave_up
	CreatedAt     string    `json:"created_at"`
	NextAttemptAt *string   `json:"next_attempt_at"`
	Attempts      []Attempt `json:"attempts"`
}

// DeliveryPage is a page of an endpoint's delivery log, newest first.
type DeliveryPage struct {
	Items []Delivery `json:"items"`
	Next  string     `json:"next"`
}

// Deliveries reads a page of an endpoint's delivery log; after is the cursor of a previous page.
func (c *Client) Deliveries(ctx context.Context, token, institution, id, after string, limit int) (DeliveryPage, error) {
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		v.Set("after", after)
	}
	var out DeliveryPage
	err := c.do(ctx, request{method: http.MethodGet, url: c.webhooks(institution) + "/" + url.PathEscape(id) + "/deliveries?" + v.Encode(),
		token: token}, &out)
	return out, err
}

// Replay sends again every delivery to the endpoint created in [from, to); it answers how many.
func (c *Client) Replay(ctx context.Context, token, institution, id string, from, to time.Time) (int, error) {
	var out struct {
		Replayed int `json:"replayed"`
	}
	err := c.do(ctx, request{method: http.MethodPost, url: c.webhooks(institution) + "/" + url.PathEscape(id) + "/replay", token: token,
		body: map[string]string{"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339)}}, &out)
	return out.Replayed, err
}
