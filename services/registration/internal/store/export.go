package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/events"
	"livslang.dk/services/registration/internal/learning"
)

// Section is registration's part of a citizen's export: everything it holds about them.
type Section struct {
	Service      string               `json:"service"`
	Profile      *SectionProfile      `json:"profile"`
	Enrolments   []SectionEnrolment   `json:"enrolments"`
	DataRequests []SectionDataRequest `json:"data_requests"`
	// LearningRecord is the record as GET /v1/me/learning-record shows it; Credentials the
	// certificates issued to the citizen (the compact VC-JWT each) with the links they made to share them.
	LearningRecord []learning.Entry    `json:"learning_record"`
	Credentials    []SectionCredential `json:"credentials"`
	AuditLog       []audit.Entry       `json:"audit_log"`
	Notes          []string            `json:"notes"`
}

// SectionProfile is the profile as the citizen gave it, with their CPR number in full.
type SectionProfile struct {
	CPR          string            `json:"cpr"`
	BirthDate    string            `json:"birth_date"`
	Municipality string            `json:"municipality"`
	Name         string            `json:"name"`
	Email        string            `json:"email"`
	Phone        string            `json:"phone"`
	Language     string            `json:"language"`
	Education    events.Education  `json:"education"`
	Employment   events.Employment `json:"employment"`
	Benefits     string            `json:"benefits"`
	Version      int64             `json:"version"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// SectionEnrolment is one enrolment with its history and reported attendance.
type SectionEnrolment struct {
	ID                string                 `json:"id"`
	Course            events.CourseFacts     `json:"course"`
	Status            string                 `json:"status"`
	FundingPreference string                 `json:"funding_preference"`
	Funding           *events.FundingSummary `json:"funding"`
	PriorityGroup     string                 `json:"priority_group"`
	ReferralID        string                 `json:"referral_id,omitempty"`
	RequestedAt       time.Time              `json:"requested_at"`
	AttendedHours     float64                `json:"attended_hours"`
	History           []SectionHistory       `json:"history"`
	Attendance        []SectionAttendance    `json:"attendance"`
}

// SectionHistory is one state an enrolment passed through.
type SectionHistory struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Cause  string    `json:"cause"`
	Reason string    `json:"reason,omitempty"`
	// ReasonCode and ReasonParams are the reason's code and parameters where registration gave it.
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
}

// SectionAttendance is one attendance report (a correction points at the report it corrects).
type SectionAttendance struct {
	ID         int64     `json:"id"`
	Day        string    `json:"day"`
	Hours      float64   `json:"hours"`
	Corrects   *int64    `json:"corrects,omitempty"`
	ReportedAt time.Time `json:"reported_at"`
}

// SectionCredential is one certificate and its share links.
type SectionCredential struct {
	ID            string         `json:"id"`
	EnrolmentID   string         `json:"enrolment_id"`
	JWT           string         `json:"jwt"`
	IssuedAt      time.Time      `json:"issued_at"`
	ValidUntil    *time.Time     `json:"valid_until,omitempty"`
	RevokedAt     *time.Time     `json:"revoked_at,omitempty"`
	RevokedReason string         `json:"revoked_reason,omitempty"`
	Shares        []SectionShare `json:"shares"`
}

// SectionShare is a share link (its secret is not repeated here).
type SectionShare struct {
	ID        string     `json:"id"`
	ShowName  bool       `json:"show_name"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// SectionDataRequest is one of the citizen's earlier data requests.
type SectionDataRequest struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requested_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// exportSection gathers what registration holds about the citizen, in tx.
func (s *Store) exportSection(ctx context.Context, tx pgx.Tx, citizenID string) (Section, error) {
	sec := Section{Service: Service, Enrolments: []SectionEnrolment{}, DataRequests: []SectionDataRequest{},
		Notes: []string{
			"The CPR number is stored encrypted and is shown here in full because this export is for you.",
			"Institutions see your name, e-mail address and phone number for the enrolments on their courses, never your CPR number.",
		}}
	c, err := s.citizen(ctx, tx, citizenID)
	switch {
	case err == nil:
		f := c.Facts()
		sec.Profile = &SectionProfile{CPR: c.CPR.Digits(), BirthDate: f.BirthDate, Municipality: c.Municipality,
			Name: c.Profile.Name, Email: c.Profile.Email, Phone: c.Profile.Phone, Language: c.Profile.Language,
			Education: f.Education, Employment: f.Employment, Benefits: f.Benefits, Version: c.Version, UpdatedAt: c.UpdatedAt.UTC()}
	case !errors.Is(err, pgx.ErrNoRows):
		return Section{}, err
	}
	rows, err := tx.Query(ctx, `SELECT `+enrolmentColumns+` FROM enrolments e WHERE e.citizen_id = $1 ORDER BY e.requested_at`, citizenID)
	if err != nil {
		return Section{}, fmt.Errorf("export enrolments: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Enrolment, error) { return scanEnrolment(r) })
	if err != nil {
		return Section{}, fmt.Errorf("export enrolments: %w", err)
	}
	for _, e := range list {
		if e.Course, err = scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM course_runs c
			JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1`, e.CourseID)); err != nil {
			return Section{}, fmt.Errorf("export enrolment's course: %w", err)
		}
		out := SectionEnrolment{ID: e.ID.String(), Course: e.Course.Facts(), Status: string(e.Status), FundingPreference: e.FundingPreference,
			Funding: e.Funding, PriorityGroup: e.PriorityGroup, ReferralID: e.ReferralID, RequestedAt: e.RequestedAt.UTC(),
			AttendedHours: e.AttendedHours}
		if out.History, err = exportHistory(ctx, tx, e.ID); err != nil {
			return Section{}, err
		}
		if out.Attendance, err = exportAttendance(ctx, tx, e.ID); err != nil {
			return Section{}, err
		}
		sec.Enrolments = append(sec.Enrolments, out)
	}
	rows, err = tx.Query(ctx, `SELECT id, kind, status, requested_at, completed_at FROM data_requests
		WHERE citizen_id = $1 ORDER BY requested_at`, citizenID)
	if err != nil {
		return Section{}, fmt.Errorf("export data requests: %w", err)
	}
	if sec.DataRequests, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SectionDataRequest, error) {
		var d SectionDataRequest
		var id uuid.UUID
		err := r.Scan(&id, &d.Kind, &d.Status, &d.RequestedAt, &d.CompletedAt)
		d.ID = id.String()
		return d, err
	}); err != nil {
		return Section{}, fmt.Errorf("export data requests: %w", err)
	}
	if sec.LearningRecord, err = s.learningRecord(ctx, tx, citizenID); err != nil {
		return Section{}, err
	}
	creds, err := s.credentials(ctx, tx, citizenID, uuid.Nil)
	if err != nil {
		return Section{}, err
	}
	sec.Credentials = []SectionCredential{}
	for _, c := range creds {
		out := SectionCredential{ID: c.ID.String(), EnrolmentID: c.EnrolmentID.String(), JWT: c.Token, IssuedAt: c.IssuedAt.UTC(),
			ValidUntil: c.ValidUntil, RevokedAt: c.RevokedAt, RevokedReason: c.RevokedReason, Shares: []SectionShare{}}
		shares, err := s.Shares(ctx, citizenID, c.ID)
		if err != nil {
			return Section{}, err
		}
		for _, sh := range shares {
			out.Shares = append(out.Shares, SectionShare{ID: sh.ID.String(), ShowName: sh.ShowName, CreatedAt: sh.CreatedAt.UTC(),
				ExpiresAt: sh.ExpiresAt.UTC(), RevokedAt: sh.RevokedAt})
		}
		sec.Credentials = append(sec.Credentials, out)
	}
	if sec.AuditLog, err = audit.ForCitizen(ctx, tx, citizenID, 0, 10000); err != nil {
		return Section{}, err
	}
	return sec, nil
}

func exportHistory(ctx context.Context, tx pgx.Tx, id uuid.UUID) ([]SectionHistory, error) {
	rows, err := tx.Query(ctx, `SELECT status, at, cause, reason, reason_code, reason_params FROM enrolment_history
		WHERE enrolment_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("export history: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SectionHistory, error) {
		var h SectionHistory
		return h, r.Scan(&h.Status, &h.At, &h.Cause, &h.Reason, &h.ReasonCode, &h.ReasonParams)
	})
	if err != nil {
		return nil, fmt.Errorf("export history: %w", err)
	}
	if list == nil {
		list = []SectionHistory{}
	}
	return list, nil
}

func exportAttendance(ctx context.Context, tx pgx.Tx, id uuid.UUID) ([]SectionAttendance, error) {
	rows, err := tx.Query(ctx, `SELECT id, day, hours::float8, corrects, reported_at FROM attendance WHERE enrolment_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("export attendance: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SectionAttendance, error) {
		var a SectionAttendance
		var day time.Time
		err := r.Scan(&a.ID, &day, &a.Hours, &a.Corrects, &a.ReportedAt)
		a.Day = date(day)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("export attendance: %w", err)
	}
	if list == nil {
		list = []SectionAttendance{}
	}
	return list, nil
}
