package api

import (
	"context"
	"io"
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

// --- Staff enrolments (registration) -----------------------------------------------------------

func (c *Client) companyURL(cvr string, rest ...string) string {
	u := c.Registration + "/v1/employers/" + url.PathEscape(cvr)
	for _, p := range rest {
		u += "/" + url.PathEscape(p)
	}
	return u
}

// StaffEmployee is one employee the company enrols: the CPR number travels only in the request body.
type StaffEmployee struct {
	CPR   string `json:"cpr"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// CancellationTerms are the institution's fees for a company that cancels late or whose employee
// does not show up.
type CancellationTerms struct {
	LateCancellationDays   int    `json:"late_cancellation_days"`
	LateCancellationFeeDKK int64  `json:"late_cancellation_fee_dkk"`
	NoShowFeeDKK           int64  `json:"no_show_fee_dkk"`
	Note                   string `json:"note"`
}

// StaffResult is what became of one employee of a staff enrolment.
type StaffResult struct {
	CPR          string `json:"cpr"` // masked
	Name         string `json:"name"`
	Status       string `json:"status"` // pending, waitlisted, awaiting_profile, failed
	EnrolmentID  string `json:"enrolment_id"`
	InvitationID string `json:"invitation_id"`
	ProfileDueAt string `json:"profile_due_at"`
	Reason       string `json:"reason"`
}

// StaffAnswer is registration's answer to a staff enrolment: one result per employee, in order.
type StaffAnswer struct {
	CourseID        string            `json:"course_id"`
	PaysFee         bool              `json:"pays_fee"`
	SalaryContinues bool              `json:"salary_continues"`
	Terms           CancellationTerms `json:"terms"`
	Summary         map[string]int    `json:"summary"`
	Results         []StaffResult     `json:"results"`
}

// EnrolStaff enrols the company's employees on a run with its commitment given; the idempotency
// key makes a repeated request answer the stored results.
func (c *Client) EnrolStaff(ctx context.Context, token, cvr, key, courseID string, paysFee, salaryContinues bool, employees []StaffEmployee) (StaffAnswer, error) {
	var out StaffAnswer
	err := c.do(ctx, request{method: http.MethodPost, url: c.companyURL(cvr, "enrolments"), token: token,
		body:   map[string]any{"course_id": courseID, "pays_fee": paysFee, "salary_continues": salaryContinues, "employees": employees},
		header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}

// StaffEnrolment is an enrolment the company is a party to, with the employee (masked CPR number)
// and what the company committed to.
type StaffEnrolment struct {
	Enrolment
	Employee struct {
		Name string `json:"name"`
		CPR  string `json:"cpr"`
	} `json:"employee"`
	Employer *struct {
		CVR             string `json:"cvr"`
		Name            string `json:"name"`
		PaysFee         bool   `json:"pays_fee"`
		SalaryContinues bool   `json:"salary_continues"`
	} `json:"employer"`
	InvitationID string            `json:"invitation_id"`
	ProfileDueAt string            `json:"profile_due_at"`
	Terms        CancellationTerms `json:"terms"`
}

// StaffFilter narrows the company's staff enrolments: a status (or awaiting_profile), a run, and
// the run's start from and to (YYYY-MM-DD).
type StaffFilter struct {
	Status, CourseID, From, To string
}

func (f StaffFilter) query() string {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "course_id": f.CourseID, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// StaffEnrolments lists the enrolments the company is a party to.
func (c *Client) StaffEnrolments(ctx context.Context, token, cvr string, f StaffFilter) ([]StaffEnrolment, error) {
	var out struct {
		Items []StaffEnrolment `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.companyURL(cvr, "enrolments") + f.query(), token: token}, &out)
	return out.Items, err
}

// --- Refunds (funding) -------------------------------------------------------------------------

// Refund is what the company gets back (VEU or SVU) for an employee's course when the salary
// continued.
type Refund struct {
	ID          string `json:"id"`
	EnrolmentID string `json:"enrolment_id"`
	DecisionID  string `json:"decision_id"`
	Employee    struct {
		Name string `json:"name"`
		CPR  string `json:"cpr"` // masked
	} `json:"employee"`
	Course struct {
		ID              string `json:"id"`
		Title           string `json:"title"`
		TitleEN         string `json:"title_en"`
		InstitutionName string `json:"institution_name"`
		StartsOn        string `json:"starts_on"`
		EndsOn          string `json:"ends_on"`
	} `json:"course"`
	Scheme        string  `json:"scheme"`
	ExpectedDKK   int64   `json:"expected_dkk"`
	PaidDKK       int64   `json:"paid_dkk"`
	AttendedHours float64 `json:"attended_hours"`
	PlannedHours  float64 `json:"planned_hours"`
	Status        string  `json:"status"` // expected, due, paid, cancelled
	Reason        string  `json:"reason"`
	PaidAt        string  `json:"paid_at"`
}

// RefundTotals add up the listed refunds.
type RefundTotals struct {
	ExpectedDKK int64 `json:"expected_dkk"`
	DueDKK      int64 `json:"due_dkk"`
	PaidDKK     int64 `json:"paid_dkk"`
}

// RefundFilter narrows the refunds: a status and the course's first day from and to.
type RefundFilter struct {
	Status, From, To string
}

func (f RefundFilter) query() string {
	return StaffFilter{Status: f.Status, From: f.From, To: f.To}.query()
}

// Refunds lists the company's refunds and their totals.
func (c *Client) Refunds(ctx context.Context, token, cvr string, f RefundFilter) ([]Refund, RefundTotals, error) {
	var out struct {
		Items  []Refund     `json:"items"`
		Totals RefundTotals `json:"totals"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.employerURL(cvr, "refunds") + f.query(), token: token}, &out)
	return out.Items, out.Totals, err
}

// RefundsCSV opens the company's refunds as funding's spreadsheet export.
func (c *Client) RefundsCSV(ctx context.Context, token, cvr string, f RefundFilter) (io.ReadCloser, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.employerURL(cvr, "refunds.csv") + f.query(), token: token})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// --- Skills demand and offers (registration) ---------------------------------------------------

// DemandInput is what a company says its staff need.
type DemandInput struct {
	CourseCode string `json:"course_code,omitempty"`
	Category   string `json:"category,omitempty"`
	Skill      string `json:"skill,omitempty"`
	Employees  int    `json:"employees"`
	Earliest   string `json:"earliest"`
	Latest     string `json:"latest"`
	Place      string `json:"place,omitempty"`
	ContactOK  bool   `json:"contact_ok"`
}

// SkillsDemand is a company's demand as registration keeps it.
type SkillsDemand struct {
	DemandInput
	ID          string `json:"id"`
	CVR         string `json:"cvr"`
	CompanyName string `json:"company_name"`
	Status      string `json:"status"` // open, offered, met, withdrawn
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// CreateDemand records the company's demand; the idempotency key makes a retry answer the same.
func (c *Client) CreateDemand(ctx context.Context, token, cvr, key string, in DemandInput) (SkillsDemand, error) {
	var out SkillsDemand
	err := c.do(ctx, request{method: http.MethodPost, url: c.companyURL(cvr, "demands"), token: token, body: in,
		header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}

// Demands lists the company's demands, newest first.
func (c *Client) Demands(ctx context.Context, token, cvr string) ([]SkillsDemand, error) {
	var out struct {
		Items []SkillsDemand `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.companyURL(cvr, "demands"), token: token}, &out)
	return out.Items, err
}

// WithdrawDemand withdraws one of the company's demands (again: no change).
func (c *Client) WithdrawDemand(ctx context.Context, token, cvr, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, url: c.companyURL(cvr, "demands", id), token: token}, nil)
}

// DemandOffer is seats a run offers the company from its demand, held until ExpiresAt.
type DemandOffer struct {
	ID       string `json:"id"`
	DemandID string `json:"demand_id"`
	Course   struct {
		ID          string `json:"id"`
		Code        string `json:"code"`
		Title       string `json:"title"`
		TitleEN     string `json:"title_en"`
		Institution Named  `json:"institution"`
		StartsOn    string `json:"starts_on"`
		EndsOn      string `json:"ends_on"`
		Location    string `json:"location"`
		FeeDKK      int64  `json:"fee_dkk"`
	} `json:"course"`
	Seats      int     `json:"seats"`
	SeatsHeld  int     `json:"seats_held"`
	Status     string  `json:"status"` // open, accepted, declined, expired, withdrawn, cancelled
	ExpiresAt  string  `json:"expires_at"`
	CreatedAt  string  `json:"created_at"`
	AnsweredAt *string `json:"answered_at"`
}

// Offers lists the seats offered to the company from its demand, newest first.
func (c *Client) Offers(ctx context.Context, token, cvr string) ([]DemandOffer, error) {
	var out struct {
		Items []DemandOffer `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.companyURL(cvr, "offers"), token: token}, &out)
	return out.Items, err
}

// AnswerDemandOffer accepts or declines an open offer (409: it is not open any more).
func (c *Client) AnswerDemandOffer(ctx context.Context, token, cvr, id, key string, accept bool) (DemandOffer, error) {
	answer := "decline"
	if accept {
		answer = "accept"
	}
	var out DemandOffer
	err := c.do(ctx, request{method: http.MethodPost, url: c.companyURL(cvr, "offers", id, answer), token: token,
		header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}

// DemandTotal is the companies' demand added up per course code (or skill, or category), start
// month and place; CompanyNames only of the companies that agreed to be named.
type DemandTotal struct {
	CourseCode string `json:"course_code"`
	Category   string `json:"category"`
	Skill      string `json:"skill"`
	Period     struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"period"`
	Place        string   `json:"place"`
	Employees    int      `json:"employees"`
	Companies    int      `json:"companies"`
	CompanyNames []string `json:"company_names"`
}

// WaitingList is the waiting lists of the caller's runs of one course code.
type WaitingList struct {
	CourseCode string `json:"course_code"`
	Title      string `json:"title"`
	Category   string `json:"category"`
	Runs       int    `json:"runs"`
	Waitlisted int    `json:"waitlisted"`
}

// DemandQuery narrows the demand totals.
type DemandQuery struct {
	CourseCode, Category, From, To string
}

// DemandTotals reads the companies' demand added up, with the caller's waiting lists (institution
// staff, administrators).
func (c *Client) DemandTotals(ctx context.Context, token string, q DemandQuery) ([]DemandTotal, []WaitingList, error) {
	v := url.Values{}
	for k, s := range map[string]string{"course_code": q.CourseCode, "category": q.Category, "from": q.From, "to": q.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	u := c.Registration + "/v1/demand"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var out struct {
		Items        []DemandTotal `json:"items"`
		WaitingLists []WaitingList `json:"waiting_lists"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: u, token: token}, &out)
	return out.Items, out.WaitingLists, err
}
