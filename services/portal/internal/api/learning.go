package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
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

// Shared is what a certificate's share link shows (registration's public GET /v1/shared/{token}).
type Shared struct {
	Credential struct {
		Status     string `json:"status"`
		IssuedAt   string `json:"issued_at"`
		ValidUntil string `json:"valid_until"`
		JWT        string `json:"jwt"`
		Credential struct {
			Name              string `json:"name"`
			CredentialSubject struct {
				Achievement struct {
					Name        string   `json:"name"`
					Description string   `json:"description"`
					HumanCode   string   `json:"humanCode"`
					Tag         []string `json:"tag"`
				} `json:"achievement"`
				ActivityStartDate string   `json:"activityStartDate"`
				ActivityEndDate   string   `json:"activityEndDate"`
				CreditsEarned     *float64 `json:"creditsEarned"`
			} `json:"credentialSubject"`
		} `json:"credential"`
	} `json:"credential"`
	Verification struct {
		Valid  bool `json:"valid"`
		Checks []struct {
			Check  string `json:"check"`
			OK     bool   `json:"ok"`
			Reason string `json:"reason"`
		} `json:"checks"`
	} `json:"verification"`
	HolderName string `json:"holder_name"`
	ExpiresAt  string `json:"expires_at"`
	Issuer     struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"issuer"`
}

// SharedCredential reads what a share link shows; no one needs to be signed in.
func (c *Client) SharedCredential(ctx context.Context, token string) (Shared, error) {
	var out Shared
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/shared/" + url.PathEscape(token)}, &out)
	return out, err
}

// NextStep is a run suggested after what a citizen learned, and why (registration's next steps).
type NextStep struct {
	Course  Course       `json:"course"`
	Reasons []NextReason `json:"reasons"`
}

// NextReason is why a run is suggested, in both languages.
type NextReason struct {
	Code        string `json:"code"`
	After       string `json:"after"`
	Explanation struct {
		DA string `json:"da"`
		EN string `json:"en"`
	} `json:"explanation"`
}

// NextSteps are the runs that follow the caller's learning record.
func (c *Client) NextSteps(ctx context.Context, token string) ([]NextStep, error) {
	return c.nextSteps(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/next-steps", token: token})
}

// CourseNextSteps are the runs that follow a run.
func (c *Client) CourseNextSteps(ctx context.Context, id string) ([]NextStep, error) {
	return c.nextSteps(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/courses/" + url.PathEscape(id) + "/next-steps"})
}

func (c *Client) nextSteps(ctx context.Context, req request) ([]NextStep, error) {
	var out struct {
		Items []NextStep `json:"items"`
	}
	err := c.do(ctx, req, &out)
	return out.Items, err
}
