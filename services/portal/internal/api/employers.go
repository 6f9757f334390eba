package api

import (
	"context"
	"net/http"
	"net/url"
)

// Employers: a company (named by its CVR number) answers what funding plans ask of it, its
// commitments, and keeps its contact. Funding holds both; an employer user reaches only the company
// its token names.

// Company is a company's contact: where and in which language Livslang writes to it.
type Company struct {
	CVR      string `json:"cvr"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
}

// Commitment asks of an employee's company (pays_fee, salary_continues, leave_agreement) before a
// funding plan counts on its money; the company approves or declines by its due date.
type Commitment struct {
	ID          string `json:"id"`
	DecisionID  string `json:"decision_id"`
	EnrolmentID string `json:"enrolment_id"`
	Citizen     struct {
		Name string `json:"name"`
		CPR  string `json:"cpr"` // masked, DDMMYY-XXXX
	} `json:"citizen"`
	Course struct {
		ID              string `json:"id"`
		Title           string `json:"title"`
		TitleEN         string `json:"title_en"`
		InstitutionName string `json:"institution_name"`
		StartsOn        string `json:"starts_on"`
	} `json:"course"`
	Asks              []string          `json:"asks"`
	FeeDKK            int64             `json:"fee_dkk"`
	RefundEstimateDKK int64             `json:"refund_estimate_dkk"`
	Status            string            `json:"status"` // pending, approved, declined, expired, withdrawn
	DueOn             string            `json:"due_on"`
	Answer            *CommitmentAnswer `json:"answer"`
	CreatedAt         string            `json:"created_at"`
}

// CommitmentAnswer is what the company answered.
type CommitmentAnswer struct {
	PaysFee         *bool  `json:"pays_fee"`
	SalaryContinues *bool  `json:"salary_continues"`
	Reason          string `json:"reason"`
	AnsweredAt      string `json:"answered_at"`
}

// EmployerPart is what a citizen's pending enrolment waits for from the employer.
type EmployerPart struct {
	CommitmentID string   `json:"commitment_id"`
	CVR          string   `json:"cvr"`
	Name         string   `json:"name"`
	Asks         []string `json:"asks"`
	DueOn        string   `json:"due_on"`
}

func (c *Client) employerURL(cvr string, rest ...string) string {
	u := c.Funding + "/v1/employers/" + url.PathEscape(cvr)
	for _, p := range rest {
		u += "/" + url.PathEscape(p)
	}
	return u
}

// Company reads the company's contact (404: not saved yet).
func (c *Client) Company(ctx context.Context, token, cvr string) (Company, error) {
	var out Company
	err := c.do(ctx, request{method: http.MethodGet, url: c.employerURL(cvr), token: token}, &out)
	return out, err
}

// SaveCompany replaces the company's contact.
func (c *Client) SaveCompany(ctx context.Context, token string, co Company) (Company, error) {
	var out Company
	// The path names the company; the body is only what it keeps (funding refuses unknown fields).
	body := map[string]string{"name": co.Name, "email": co.Email, "language": co.Language}
	err := c.do(ctx, request{method: http.MethodPut, url: c.employerURL(co.CVR), token: token, body: body}, &out)
	return out, err
}

// Commitments lists the company's commitments, of one status or ("") all of them.
func (c *Client) Commitments(ctx context.Context, token, cvr, status string) ([]Commitment, error) {
	u := c.employerURL(cvr, "commitments")
	if status != "" {
		u += "?" + url.Values{"status": {status}}.Encode()
	}
	var out struct {
		Items []Commitment `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: u, token: token}, &out)
	return out.Items, err
}

// Commitment reads one of the company's commitments.
func (c *Client) Commitment(ctx context.Context, token, cvr, id string) (Commitment, error) {
	var out Commitment
	err := c.do(ctx, request{method: http.MethodGet, url: c.employerURL(cvr, "commitments", id), token: token}, &out)
	return out, err
}

// ApproveCommitment gives the company's commitment; the idempotency key makes a repeated approval
// answer the same.
func (c *Client) ApproveCommitment(ctx context.Context, token, cvr, id, key string, paysFee, salaryContinues bool) (Commitment, error) {
	var out Commitment
	err := c.do(ctx, request{method: http.MethodPost, url: c.employerURL(cvr, "commitments", id, "approve"), token: token,
		body:   map[string]bool{"pays_fee": paysFee, "salary_continues": salaryContinues},
		header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}

// DeclineCommitment declines what was asked, with the company's reason.
func (c *Client) DeclineCommitment(ctx context.Context, token, cvr, id, key, reason string) (Commitment, error) {
	var out Commitment
	err := c.do(ctx, request{method: http.MethodPost, url: c.employerURL(cvr, "commitments", id, "decline"), token: token,
		body:   map[string]string{"reason": reason},
		header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}
