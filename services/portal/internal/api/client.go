// Package api is the portal's client of the registration, funding and notification HTTP APIs. Every
// call carries the signed-in user's bearer token; answers that are not 2xx become *Error.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
)

// Client calls the three APIs.
type Client struct {
	Registration, Funding, Notification string // base URLs
	HTTP                                *http.Client
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an API's problem answer (RFC 9457). Its kind (from the problem type) makes
// errors.Is(err, fault.NotFound) and the like true; its detail is written for the user by the API,
// never an internal error's text.
type Error struct {
	Status int
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors"`
	// Rejected lists the bad lines of a CSV import.
	Rejected []LineError `json:"rejected"`
}

// LineError is a rejected line of a CSV import.
type LineError struct {
	Line   int          `json:"line"`
	Code   string       `json:"code"`
	Errors []FieldError `json:"errors"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("api: %d %s: %s", e.Status, e.Title, e.Detail)
}

// Kind is the fault kind the API answered, or 0 for a problem of no known type (a 500, or an answer
// that was not a problem document).
func (e *Error) Kind() fault.Kind { return httpapi.KindOfType(e.Type) }

// Is makes errors.Is(e, kind) true for the kind the API answered.
func (e *Error) Is(target error) bool {
	k, ok := target.(fault.Kind)
	return ok && k != 0 && k == e.Kind()
}

// KindOf is the fault kind of an API's answer, or 0 for another error (ErrUnavailable included).
func KindOf(err error) fault.Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind()
	}
	return 0
}

// ErrUnavailable is an API that cannot be reached.
var ErrUnavailable = errors.New("api unavailable")

// StatusOf returns the HTTP status of an API error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// FieldErrors returns the field errors of an API validation error.
func FieldErrors(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Errors
	}
	return nil
}

type request struct {
	method, url, token string
	body               any    // JSON
	raw                []byte // sent as is with contentType
	contentType        string
	header             map[string]string
}

func (c *Client) send(ctx context.Context, rq request) (*http.Response, error) {
	var body io.Reader
	ct := rq.contentType
	switch {
	case rq.raw != nil:
		body = bytes.NewReader(rq.raw)
	case rq.body != nil:
		b, err := json.Marshal(rq.body)
		if err != nil {
			return nil, err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, rq.url, body)
	if err != nil {
		return nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if visitor, ok := httpapi.ClientOf(ctx); ok {
		// The APIs limit anonymous calls by address: the visitor's, when they trust the portal.
		req.Header.Set("X-Forwarded-For", visitor)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrUnavailable, rq.method, req.URL.Path, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		e := &Error{Status: resp.StatusCode}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = json.Unmarshal(raw, e)
		if e.Title == "" {
			e.Title = resp.Status
		}
		return nil, e
	}
	return resp, nil
}

// maxResponse is the most of an API's JSON answer the portal reads.
const maxResponse = 16 << 20

func (c *Client) do(ctx context.Context, rq request, out any) error {
	resp, err := c.send(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", rq.method, rq.url, err)
	}
	return nil
}

// Course is a course run.
type Course struct {
	ID                string   `json:"id"`
	Code              string   `json:"code"`
	Title             string   `json:"title"`
	TitleEN           string   `json:"title_en"`
	Category          string   `json:"category"`
	Institution       Named    `json:"institution"`
	StartsOn          string   `json:"starts_on"`
	EndsOn            string   `json:"ends_on"`
	HoursPerWeek      float64  `json:"hours_per_week"`
	FeeDKK            int64    `json:"fee_dkk"`
	Schemes           []string `json:"schemes"`
	SeatsTotal        int      `json:"seats_total"`
	SeatsAvailable    int      `json:"seats_available"`
	Location          string   `json:"location"`
	Description       string   `json:"description"`
	DescriptionEN     string   `json:"description_en"`
	Status            string   `json:"status"`
	CancelReason      string   `json:"cancel_reason"`
	MinParticipants   int      `json:"min_participants"`
	EnrolmentDeadline *string  `json:"enrolment_deadline"`
	// OpensAt and BallotMinutes: enrolment opens at a time and requests in the first minutes are
	// drawn by ballot (0: no ballot).
	OpensAt       *string `json:"opens_at"`
	BallotMinutes int     `json:"ballot_minutes"`
	// FundedBy (a search with FundedForMe only): the schemes other than paying yourself that fund it.
	FundedBy []string `json:"funded_by"`
}

// Named is an id and a name.
type Named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CoursePage is a page of courses.
type CoursePage struct {
	Items []Course `json:"items"`
	Next  string   `json:"next"`
}

// CourseQuery filters the catalogue.
type CourseQuery struct {
	Q, Category, Place, StartsAfter, After, InstitutionID string
	IncludeCancelled                                      bool
	// FundedForMe keeps the runs the calling citizen can get funded (their token is needed).
	FundedForMe bool
	Limit       int
}

// Courses searches the catalogue (public).
func (c *Client) Courses(ctx context.Context, token string, q CourseQuery) (CoursePage, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Q)
	set("category", q.Category)
	set("place", q.Place)
	set("starts_after", q.StartsAfter)
	set("after", q.After)
	set("institution_id", q.InstitutionID)
	if q.IncludeCancelled {
		v.Set("include_cancelled", "true")
	}
	if q.FundedForMe {
		v.Set("funded_for_me", "true")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p CoursePage
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/courses?" + v.Encode(), token: token}, &p)
	return p, err
}

// Course reads one run (public).
func (c *Client) Course(ctx context.Context, id string) (Course, error) {
	var out Course
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/courses/" + url.PathEscape(id)}, &out)
	return out, err
}

// Profile is a citizen's enrolment profile.
type Profile struct {
	Name       string     `json:"name"`
	Email      string     `json:"email"`
	Phone      string     `json:"phone"`
	Language   string     `json:"language"`
	Education  Education  `json:"education"`
	Employment Employment `json:"employment"`
	Benefits   string     `json:"benefits"`
	// Read-only.
	CPR          string `json:"cpr,omitempty"`
	BirthDate    string `json:"birth_date,omitempty"`
	Municipality string `json:"municipality,omitempty"`
	// Version is the version read; sent back, it makes a save over a newer one a conflict (409).
	Version int64 `json:"version,omitempty"`
}

// Education is the highest completed education.
type Education struct {
	Level         string `json:"level"`
	CompletedYear int    `json:"completed_year"`
}

// Employment is the citizen's work situation.
type Employment struct {
	Status      string  `json:"status"`
	EmployerCVR string  `json:"employer_cvr"`
	Since       string  `json:"since"`
	WeeklyHours float64 `json:"weekly_hours"`
}

// Profile reads the caller's profile.
func (c *Client) Profile(ctx context.Context, token string) (Profile, error) {
	var p Profile
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/profile", token: token}, &p)
	return p, err
}

// SaveProfile replaces the caller's profile: the version read, when p has it, or whatever is stored.
func (c *Client) SaveProfile(ctx context.Context, token string, p Profile) (Profile, error) {
	p.CPR, p.BirthDate, p.Municipality = "", "", ""
	var out Profile
	err := c.do(ctx, request{method: http.MethodPut, url: c.Registration + "/v1/me/profile", token: token, body: p}, &out)
	return out, err
}

// Enrolment is a request for a seat and what became of it.
type Enrolment struct {
	ID                string  `json:"id"`
	Status            string  `json:"status"`
	CourseID          string  `json:"course_id"`
	Course            *Course `json:"course"`
	FundingPreference string  `json:"funding_preference"`
	Funding           struct {
		Outcome        string   `json:"outcome"`
		Scheme         string   `json:"scheme"`
		CitizenPaysDKK *int64   `json:"citizen_pays_dkk"`
		WeeklyDKK      *int64   `json:"weekly_allowance_dkk"`
		Reasons        []string `json:"reasons"`
		// Employer is what the enrolment waits for from the citizen's employer (outcome employer_required).
		Employer *EmployerPart `json:"employer"`
	} `json:"funding"`
	WaitlistPosition int      `json:"waitlist_position"`
	ReferralID       string   `json:"referral_id"`
	OfferExpiresAt   *string  `json:"offer_expires_at"`
	RequestedAt      string   `json:"requested_at"`
	AttendedHours    *float64 `json:"attended_hours"`
	History          []struct {
		Status string `json:"status"`
		At     string `json:"at"`
		Cause  string `json:"cause"`
		Reason string `json:"reason"`
		// ReasonCode and ReasonParams are the reason's code (events.Reason) where registration gave one.
		ReasonCode   string            `json:"reason_code"`
		ReasonParams map[string]string `json:"reason_params"`
	} `json:"history"`
}

// Enrol asks for a seat; the idempotency key makes a repeated request answer the same enrolment.
func (c *Client) Enrol(ctx context.Context, token, key, courseID, preference string) (Enrolment, error) {
	var out Enrolment
	err := c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/enrolments", token: token,
		body:   map[string]string{"course_id": courseID, "funding_preference": preference},
		header: map[string]string{"Idempotency-Key": key}}, &out)
	return out, err
}

// MyEnrolments lists the caller's enrolments.
func (c *Client) MyEnrolments(ctx context.Context, token string) ([]Enrolment, error) {
	var out struct {
		Items []Enrolment `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/me/enrolments", token: token}, &out)
	return out.Items, err
}

// Enrolment reads one enrolment the caller may see.
func (c *Client) Enrolment(ctx context.Context, token, id string) (Enrolment, error) {
	var out Enrolment
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/enrolments/" + url.PathEscape(id), token: token}, &out)
	return out, err
}

// Cancel cancels the caller's enrolment.
func (c *Client) Cancel(ctx context.Context, token, id, reason string) error {
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/enrolments/" + url.PathEscape(id) + "/cancel",
		token: token, body: map[string]string{"reason": reason}}, nil)
}

// AnswerOffer accepts or declines a seat offered from the waiting list.
func (c *Client) AnswerOffer(ctx context.Context, token, id string, accept bool) error {
	answer := "decline"
	if accept {
		answer = "accept"
	}
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/enrolments/" + url.PathEscape(id) + "/offer/" + answer,
		token: token}, nil)
}

// Amounts are what a scheme pays and what the citizen pays.
type Amounts struct {
	FeeCoveredDKK      int64 `json:"fee_covered_dkk"`
	CitizenPaysDKK     int64 `json:"citizen_pays_dkk"`
	WeeklyAllowanceDKK int64 `json:"weekly_allowance_dkk"`
	TotalDKK           int64 `json:"total_dkk"`
}

// Rule is one rule's outcome with its explanation and legal reference.
type Rule struct {
	ID            string `json:"id"`
	Scheme        string `json:"scheme"`
	Outcome       string `json:"outcome"`
	Reference     string `json:"reference"`
	Explanation   string `json:"explanation"`
	ExplanationDA string `json:"explanation_da"`
}

// Decision is a funding decision.
type Decision struct {
	ID           string  `json:"id"`
	EnrolmentID  string  `json:"enrolment_id"`
	CourseID     string  `json:"course_id"`
	Preference   string  `json:"funding_preference"`
	Outcome      string  `json:"outcome"`
	Scheme       string  `json:"scheme"`
	Amounts      Amounts `json:"amounts"`
	Rules        []Rule  `json:"rules"`
	Alternatives []struct {
		Scheme  string  `json:"scheme"`
		Outcome string  `json:"outcome"`
		Amounts Amounts `json:"amounts"`
	} `json:"alternatives"`
	Status    string `json:"status"`
	DecidedAt string `json:"decided_at"`
	Review    *struct {
		Status     string  `json:"status"`
		Reason     string  `json:"reason"`
		ReviewedAt *string `json:"reviewed_at"`
	} `json:"review"`
}

// Decision reads the funding decision of an enrolment.
func (c *Client) Decision(ctx context.Context, token, enrolmentID string) (Decision, error) {
	var out Decision
	err := c.do(ctx, request{method: http.MethodGet, url: c.Funding + "/v1/decisions/" + url.PathEscape(enrolmentID), token: token}, &out)
	return out, err
}

// SchemeAnswer is what one scheme would give.
type SchemeAnswer struct {
	Scheme  string  `json:"scheme"`
	Outcome string  `json:"outcome"`
	Amounts Amounts `json:"amounts"`
	Rules   []Rule  `json:"rules"`
}

// Eligibility is the pre-check of what each scheme a run lists would give.
type Eligibility struct {
	CourseID string         `json:"course_id"`
	On       string         `json:"on"`
	Schemes  []SchemeAnswer `json:"schemes"`
}

// Eligibility asks funding what the caller (or, for a caseworker, the client with the CPR number)
// would get on the run. The CPR number travels only in the body.
func (c *Client) Eligibility(ctx context.Context, token, courseID, cprNumber string) (Eligibility, error) {
	body := map[string]string{"course_id": courseID}
	if cprNumber != "" {
		body["cpr"] = cprNumber
	}
	var out Eligibility
	err := c.do(ctx, request{method: http.MethodPost, url: c.Funding + "/v1/eligibility", token: token, body: body}, &out)
	return out, err
}

// Reviews lists the open reviews of the caseworker's municipality.
func (c *Client) Reviews(ctx context.Context, token string) ([]Decision, error) {
	var out struct {
		Items []Decision `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.Funding + "/v1/reviews", token: token}, &out)
	return out.Items, err
}

// DecideReview records a caseworker's decision.
func (c *Client) DecideReview(ctx context.Context, token, id, outcome, reason string) error {
	return c.do(ctx, request{method: http.MethodPost, url: c.Funding + "/v1/reviews/" + url.PathEscape(id) + "/decide", token: token,
		body: map[string]string{"outcome": outcome, "reason": reason}}, nil)
}

// Pool is a budget pool.
type Pool struct {
	ID           string `json:"id"`
	Scheme       string `json:"scheme"`
	Owner        string `json:"owner"`
	Year         int    `json:"year"`
	Name         string `json:"name"`
	AmountDKK    int64  `json:"amount_dkk"`
	ReservedDKK  int64  `json:"reserved_dkk"`
	PaidDKK      int64  `json:"paid_dkk"`
	RemainingDKK int64  `json:"remaining_dkk"`
}

// Budgets lists the caseworker's municipality's pools.
func (c *Client) Budgets(ctx context.Context, token string) ([]Pool, error) {
	var out struct {
		Items []Pool `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.Funding + "/v1/budgets", token: token}, &out)
	return out.Items, err
}

// Notification is a message sent to the caller.
type Notification struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Channel   string  `json:"channel"`
	Language  string  `json:"language"`
	Subject   string  `json:"subject"`
	Status    string  `json:"status"`
	CreatedAt string  `json:"created_at"`
	SentAt    *string `json:"sent_at"`
}

// Notifications lists the caller's messages.
func (c *Client) Notifications(ctx context.Context, token string) ([]Notification, error) {
	var out struct {
		Items []Notification `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.Notification + "/v1/me/notifications", token: token}, &out)
	return out.Items, err
}

// Preferences are how a citizen wants to be told: the language of messages and the channels per
// kind of message. AlwaysDigitalPost lists the kinds that also go by Digital Post whatever is chosen
// (they are a public authority's decisions).
type Preferences struct {
	Language          string              `json:"language"`
	Channels          map[string][]string `json:"channels"`
	AlwaysDigitalPost []string            `json:"always_digital_post"`
}

// Preferences reads the caller's choices, with the defaults filled in.
func (c *Client) Preferences(ctx context.Context, token string) (Preferences, error) {
	var out Preferences
	err := c.do(ctx, request{method: http.MethodGet, url: c.Notification + "/v1/me/preferences", token: token}, &out)
	return out, err
}

// SavePreferences replaces the caller's choices.
func (c *Client) SavePreferences(ctx context.Context, token, language string, channels map[string][]string) (Preferences, error) {
	var out Preferences
	err := c.do(ctx, request{method: http.MethodPut, url: c.Notification + "/v1/me/preferences", token: token,
		body: map[string]any{"language": language, "channels": channels}}, &out)
	return out, err
}
