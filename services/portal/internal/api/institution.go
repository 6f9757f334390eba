package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// CourseInput is a run as an institution publishes it.
type CourseInput struct {
	Code              string   `json:"code"`
	Title             string   `json:"title"`
	TitleEN           string   `json:"title_en,omitempty"`
	Category          string   `json:"category"`
	Schemes           []string `json:"schemes"`
	Location          string   `json:"location"`
	StartsOn          string   `json:"starts_on"`
	EndsOn            string   `json:"ends_on"`
	HoursPerWeek      float64  `json:"hours_per_week"`
	FeeDKK            int64    `json:"fee_dkk"`
	SeatsTotal        int      `json:"seats_total"`
	MinParticipants   int      `json:"min_participants"`
	EnrolmentDeadline string   `json:"enrolment_deadline,omitempty"`
	Description       string   `json:"description"`
	DescriptionEN     string   `json:"description_en"`
}

func (c *Client) institution(id string) string {
	return c.Registration + "/v1/institutions/" + url.PathEscape(id)
}

// CreateCourse publishes a run of the institution.
func (c *Client) CreateCourse(ctx context.Context, token, institution string, in CourseInput) (Course, error) {
	var out Course
	err := c.do(ctx, request{method: http.MethodPost, url: c.institution(institution) + "/courses", token: token, body: in}, &out)
	return out, err
}

// SetSeats changes the number of seats of a run.
func (c *Client) SetSeats(ctx context.Context, token, id string, seats int) error {
	return c.do(ctx, request{method: http.MethodPatch, url: c.Registration + "/v1/courses/" + url.PathEscape(id), token: token,
		body: map[string]int{"seats_total": seats}}, nil)
}

// CancelCourse cancels a run; everyone enrolled is told the reason.
func (c *Client) CancelCourse(ctx context.Context, token, id, reason string) error {
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/courses/" + url.PathEscape(id) + "/cancel", token: token,
		body: map[string]string{"reason": reason}}, nil)
}

// ImportResult is the answer to a CSV import.
type ImportResult struct {
	Imported int `json:"imported"`
	Created  int `json:"created"`
	Updated  int `json:"updated"`
}

// ImportCourses imports runs from CSV: all lines or none.
func (c *Client) ImportCourses(ctx context.Context, token, institution string, csvBody []byte) (ImportResult, error) {
	var out ImportResult
	err := c.do(ctx, request{method: http.MethodPost, url: c.institution(institution) + "/courses/import", token: token,
		raw: csvBody, contentType: "text/csv"}, &out)
	return out, err
}

// CSV opens one of the institution's CSV exports ("courses.csv" or "enrolments.csv").
func (c *Client) CSV(ctx context.Context, token, institution, name string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.institution(institution) + "/" + name, token: token})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// EnrolmentRow is a line of the institution's enrolment export.
type EnrolmentRow struct {
	ID, CourseID, CourseCode, CourseTitle, StartsOn, Status, RequestedAt string
	Name, Email, Phone, FundingScheme, FundingOutcome, AttendedHours     string
}

// InstitutionEnrolments reads the institution's enrolment export.
func (c *Client) InstitutionEnrolments(ctx context.Context, token, institution string) ([]EnrolmentRow, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.institution(institution) + "/enrolments.csv", token: token})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read enrolments.csv: %w", err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []EnrolmentRow
	for _, rec := range recs[1:] {
		out = append(out, EnrolmentRow{ID: get(rec, "enrolment_id"), CourseID: get(rec, "course_id"), CourseCode: get(rec, "course_code"),
			CourseTitle: get(rec, "course_title"), StartsOn: get(rec, "starts_on"), Status: get(rec, "status"),
			RequestedAt: get(rec, "requested_at"), Name: get(rec, "name"), Email: get(rec, "email"), Phone: get(rec, "phone"),
			FundingScheme: get(rec, "funding_scheme"), FundingOutcome: get(rec, "funding_outcome"), AttendedHours: get(rec, "attended_hours")})
	}
	return out, nil
}

// Answer accepts or rejects a confirmed enrolment.
func (c *Client) Answer(ctx context.Context, token, id string, accept bool, reason string) error {
	action := "reject"
	if accept {
		action = "accept"
	}
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/enrolments/" + url.PathEscape(id) + "/" + action, token: token,
		body: map[string]string{"reason": reason}}, nil)
}

// Attendance reports hours attended on a day.
func (c *Client) Attendance(ctx context.Context, token, id, day string, hours float64) error {
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/enrolments/" + url.PathEscape(id) + "/attendance", token: token,
		body: map[string]any{"date": day, "hours": hours}}, nil)
}

// Outcome reports that an enrolment ended: completed or withdrawn.
func (c *Client) Outcome(ctx context.Context, token, id, outcome, reason string, hours *float64) error {
	body := map[string]any{"outcome": outcome, "reason": reason}
	if hours != nil {
		body["attended_hours"] = *hours
	}
	return c.do(ctx, request{method: http.MethodPost, url: c.Registration + "/v1/enrolments/" + url.PathEscape(id) + "/outcome", token: token,
		body: body}, nil)
}

// DemandRow is one open run's seats and waiting list, with the demand for its course across runs.
type DemandRow struct {
	CourseID        string `json:"course_id"`
	Code            string `json:"code"`
	Title           string `json:"title"`
	Location        string `json:"location"`
	StartsOn        string `json:"starts_on"`
	SeatsTotal      int    `json:"seats_total"`
	SeatsTaken      int    `json:"seats_taken"`
	Waitlisted      int    `json:"waitlisted"`
	MinParticipants int    `json:"min_participants"`
	BelowMinimum    bool   `json:"below_minimum"`
	DemandForCourse int    `json:"demand_for_course"`
}

// Demand lists the institution's open runs by course code and start date.
func (c *Client) Demand(ctx context.Context, token, institution string) ([]DemandRow, error) {
	var out struct {
		Items []DemandRow `json:"items"`
	}
	err := c.do(ctx, request{method: http.MethodGet, url: c.institution(institution) + "/demand", token: token}, &out)
	return out.Items, err
}

// Ballot is a run's drawn ballot, published so anyone can check it.
type Ballot struct {
	CourseID  string   `json:"course_id"`
	Seed      string   `json:"seed"`
	DrawnAt   string   `json:"drawn_at"`
	Order     []string `json:"order"`
	Algorithm string   `json:"algorithm"`
}

// Ballot reads a run's drawn ballot (public); a run without a drawn ballot is 404.
func (c *Client) Ballot(ctx context.Context, courseID string) (Ballot, error) {
	var out Ballot
	err := c.do(ctx, request{method: http.MethodGet, url: c.Registration + "/v1/courses/" + url.PathEscape(courseID) + "/ballot"}, &out)
	return out, err
}
