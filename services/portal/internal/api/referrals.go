package api

import (
	"context"
	"net/http"
	"net/url"
)

// CourseFacts is the copy of a run a referral keeps: what the citizen was referred to.
type CourseFacts struct {
	ID              string   `json:"id"`
	Code            string   `json:"code"`
	Title           string   `json:"title"`
	TitleEN         string   `json:"title_en"`
	Category        string   `json:"category"`
	InstitutionID   string   `json:"institution_id"`
	InstitutionName string   `json:"institution_name"`
	StartsOn        string   `json:"starts_on"`
	EndsOn          string   `json:"ends_on"`
	HoursPerWeek    float64  `json:"hours_per_week"`
	FeeDKK          int64    `json:"fee_dkk"`
	Schemes         []string `json:"schemes"`
	SeatsTotal      int      `json:"seats_total"`
}

// ReferralEvent is one entry of a referral's audit trail: what happened, who did it, when.
type ReferralEvent struct {
	At        string `json:"at"`
	Event     string `json:"event"`
	ActorRole string `json:"actor_role"`
	ActorID   string `json:"actor_id"`
	Note      string `json:"note"`
}

// Referral is a caseworker's referral of a citizen to a run, with the funding checked and reserved
// when it was made.
type Referral struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"` // open, accepted, declined, expired, withdrawn
	CourseID        string          `json:"course_id"`
	Funding         string          `json:"funding"`
	ValidUntil      string          `json:"valid_until"`
	EnrolmentID     *string         `json:"enrolment_id"`
	EnrolmentStatus string          `json:"enrolment_status"`
	Reason          string          `json:"reason"`
	Municipality    string          `json:"municipality"`
	CaseworkerID    string          `json:"caseworker_id"`
	Client          *ReferralClient `json:"client"` // nil for referrals made before names were kept
	FundingCheck    SchemeAnswer    `json:"funding_check"`
	Course          CourseFacts     `json:"course"`
	CreatedAt       string          `json:"created_at"`
	History         []ReferralEvent `json:"history"`
}

// ReferralClient is whom a referral is for: the name and the masked CPR number (DDMMYY-XXXX).
type ReferralClient struct {
	Name string `json:"name"`
	CPR  string `json:"cpr"`
}

// ReferralQuery filters a list of referrals.
type ReferralQuery struct {
	Status    string // one status, or "" for all
	DueBefore string // YYYY-MM-DD: answer date on or before
}

// Referrals lists the caseworker's municipality's referrals, or the citizen's own, soonest due first.
func (c *Client) Referrals(ctx context.Context, token string, q ReferralQuery) ([]Referral, error) {
	v := url.Values{}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.DueBefore != "" {
		v.Set("due_before", q.DueBefore)
	}
	u := c.Funding + "/v1/referrals"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var out struct {
		Items []Referral `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: u, token: token}, &out)
	return out.Items, err
}

// Referral reads one referral with its audit trail.
func (c *Client) Referral(ctx context.Context, token, id string) (Referral, error) {
	var out Referral
	err := c.do(ctx, request{method: http.MethodGet, url: c.Funding + "/v1/referrals/" + url.PathEscape(id), token: token}, &out)
	return out, err
}

// NewReferral is what a caseworker refers a client with. The CPR number travels only in the body.
type NewReferral struct {
	CPR        string `json:"cpr"`
	CourseID   string `json:"course_id"`
	Funding    string `json:"funding"`
	Reason     string `json:"reason"`
	ValidUntil string `json:"valid_until"`
}

// CreateReferral refers a client; funding checks and reserves the money at once and refuses (422,
// the reasons in the problem's errors) when it is not possible. The idempotency key (if not empty)
// makes a repeated request answer the referral the first one made.
func (c *Client) CreateReferral(ctx context.Context, token, key string, in NewReferral) (Referral, error) {
	var out Referral
	rq := request{method: http.MethodPost, url: c.Funding + "/v1/referrals", token: token, body: in}
	if key != "" {
		rq.header = map[string]string{"Idempotency-Key": key}
	}
	err := c.do(ctx, rq, &out)
	return out, err
}

// BulkReferral is one run, funding, reason and date for many clients.
type BulkReferral struct {
	CPRs       []string `json:"cprs"`
	CourseID   string   `json:"course_id"`
	Funding    string   `json:"funding"`
	Reason     string   `json:"reason"`
	ValidUntil string   `json:"valid_until"`
}

// BulkLine is one client's result; the CPR number comes back masked.
type BulkLine struct {
	CPR      string       `json:"cpr"`
	Status   int          `json:"status"`
	Referral *Referral    `json:"referral"`
	Detail   string       `json:"detail"`
	Errors   []FieldError `json:"errors"`
}

// BulkResult is the answer to a bulk referral, a line per client in the order sent.
type BulkResult struct {
	Created int        `json:"created"`
	Refused int        `json:"refused"`
	Results []BulkLine `json:"results"`
}

// CreateReferrals refers many clients to one run in one action.
func (c *Client) CreateReferrals(ctx context.Context, token string, in BulkReferral) (BulkResult, error) {
	var out BulkResult
	err := c.do(ctx, request{method: http.MethodPost, url: c.Funding + "/v1/referrals/bulk", token: token, body: in}, &out)
	return out, err
}

// AnswerReferral accepts or declines (the citizen) or withdraws (the caseworker) a referral.
func (c *Client) AnswerReferral(ctx context.Context, token, id, action, reason string) (Referral, error) {
	var out Referral
	err := c.do(ctx, request{method: http.MethodPost, url: c.Funding + "/v1/referrals/" + url.PathEscape(id) + "/" + url.PathEscape(action),
		token: token, body: map[string]string{"reason": reason}}, &out)
	return out, err
}
