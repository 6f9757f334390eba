package api

import (
	"context"
	"io"
	"net/http"
)

// LearningEntry is one line of a citizen's learning record (registration's GET /v1/me/learning-record).
type LearningEntry struct {
	ID           string `json:"id"`
	Source       string `json:"source"`
	SelfReported bool   `json:"self_reported"`
	Status       string `json:"status"`
	Title        string `json:"title"`
	TitleEN      string `json:"title_en"`
	Code         string `json:"code"`
	Level        string `json:"level"`
	Institution  struct {
		Name string `json:"name"`
	} `json:"institution"`
	StartsOn          string   `json:"starts_on"`
	EndsOn            string   `json:"ends_on"`
	EndedOn           string   `json:"ended_on"`
	Year              int      `json:"year"`
	HoursPlanned      float64  `json:"hours_planned"`
	HoursAttended     float64  `json:"hours_attended"`
	ECTS              *float64 `json:"ects"`
	Skills            []string `json:"skills"`
	Reason            string   `json:"reason"`
	CredentialID      string   `json:"credential_id"`
	CredentialRevoked bool     `json:"credential_revoked"`
}

// LearningRecord is the caller's learning record, newest first.
func (c *Client) LearningRecord(ctx context.Context, token string) ([]LearningEntry, error) {
	var out struct {
		Entries []LearningEntry `json:"entries"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/learning-record", token: token}, &out)
	return out.Entries, err
}

// LearningRecordFile opens the caller's learning record as a JSON file.
func (c *Client) LearningRecordFile(ctx context.Context, token string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/learning-record?download=true", token: token})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// NewEducation is what a citizen adds to their record themselves.
type NewEducation struct {
	Level       string `json:"level"`
	Name        string `json:"name"`
	Year        int    `json:"year"`
	Institution string `json:"institution"`
}

// AddEducation adds an education to the caller's record; the key makes a repeated submit one entry.
func (c *Client) AddEducation(ctx context.Context, token, key string, e NewEducation) error {
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/me/learning-record/entries", token: token,
		body: e, header: map[string]string{"Idempotency-Key": key}}, nil)
}
