package events

import "time"

// Streams: one per producing service. Subjects are livslang.<service>.<aggregate>.<event>.
const (
	StreamRegistration = "REGISTRATION"
	StreamFunding      = "FUNDING"
	StreamNotification = "NOTIFICATION"
)

// StreamSubjects maps each stream to the subjects it stores.
var StreamSubjects = map[string]string{
	StreamRegistration: "livslang.registration.>",
	StreamFunding:      "livslang.funding.>",
	StreamNotification: "livslang.notification.>",
}

// Event types (CloudEvents "type") and the NATS subjects they are published on.
const (
	TypeCourseUpdated       = "livslang.course.updated.v1"
	TypeProfileUpdated      = "livslang.profile.updated.v1"
	TypeEnrolmentRequested  = "livslang.enrolment.requested.v1"
	TypeEnrolmentWaitlisted = "livslang.enrolment.waitlisted.v1"
	TypeEnrolmentConfirmed  = "livslang.enrolment.confirmed.v1"
	TypeEnrolmentRejected   = "livslang.enrolment.rejected.v1"
	TypeEnrolmentCancelled  = "livslang.enrolment.cancelled.v1"
	TypeEnrolmentCompleted  = "livslang.enrolment.completed.v1"
	TypeEnrolmentAccepted   = "livslang.enrolment.accepted.v1"
	TypeEnrolmentOffered    = "livslang.enrolment.offered.v1"
	TypeEnrolmentStarted    = "livslang.enrolment.started.v1"
	TypeEnrolmentWithdrawn  = "livslang.enrolment.withdrawn.v1"
	TypeFundingApproved     = "livslang.funding.approved.v1"
	TypeFundingRejected     = "livslang.funding.rejected.v1"
	TypeFundingReview       = "livslang.funding.review_required.v1"
	TypeNotificationSent    = "livslang.notification.sent.v1"
	TypeReferralCreated     = "livslang.referral.created.v1"
	TypeReferralAccepted    = "livslang.referral.accepted.v1"
	TypeReferralDeclined    = "livslang.referral.declined.v1"
	TypeReferralExpired     = "livslang.referral.expired.v1"
	TypeReferralWithdrawn   = "livslang.referral.withdrawn.v1"
	TypeFundedCourses       = "livslang.funding.funded_courses.v1"
	TypeFundingEmployer     = "livslang.funding.employer_required.v1"
	TypeCommitmentRequested = "livslang.commitment.requested.v1"
	TypeCommitmentReminded  = "livslang.commitment.reminded.v1"
	TypeCommitmentAnswered  = "livslang.commitment.answered.v1"

	SubjectCourseUpdated       = "livslang.registration.course.updated"
	SubjectProfileUpdated      = "livslang.registration.profile.updated"
	SubjectEnrolmentRequested  = "livslang.registration.enrolment.requested"
	SubjectEnrolmentWaitlisted = "livslang.registration.enrolment.waitlisted"
	SubjectEnrolmentConfirmed  = "livslang.registration.enrolment.confirmed"
	SubjectEnrolmentRejected   = "livslang.registration.enrolment.rejected"
	SubjectEnrolmentCancelled  = "livslang.registration.enrolment.cancelled"
	SubjectEnrolmentCompleted  = "livslang.registration.enrolment.completed"
	SubjectEnrolmentAccepted   = "livslang.registration.enrolment.accepted"
	SubjectEnrolmentOffered    = "livslang.registration.enrolment.offered"
	SubjectEnrolmentStarted    = "livslang.registration.enrolment.started"
	SubjectEnrolmentWithdrawn  = "livslang.registration.enrolment.withdrawn"
	SubjectFundingApproved     = "livslang.funding.decision.approved"
	SubjectFundingRejected     = "livslang.funding.decision.rejected"
	SubjectFundingReview       = "livslang.funding.decision.review_required"
	SubjectFundingEmployer     = "livslang.funding.decision.employer_required"
	SubjectCommitments         = "livslang.funding.commitment.>"
	SubjectNotificationSent    = "livslang.notification.message.sent"
	SubjectReferrals           = "livslang.funding.referral.>"
	SubjectFundedCourses       = "livslang.funding.citizen.funded_courses"
)

// The event types each kind of consumer reads (stream.Consumer.Types): a type not listed, such as a
// newer version, is parked rather than read as if it were an older one.
var (
	EnrolmentTypes = []string{TypeEnrolmentRequested, TypeEnrolmentWaitlisted, TypeEnrolmentConfirmed, TypeEnrolmentRejected,
		TypeEnrolmentCancelled, TypeEnrolmentCompleted, TypeEnrolmentAccepted, TypeEnrolmentOffered, TypeEnrolmentStarted,
		TypeEnrolmentWithdrawn}
	FundingDecisionTypes = []string{TypeFundingApproved, TypeFundingRejected, TypeFundingReview, TypeFundingEmployer}
	CommitmentTypes      = []string{TypeCommitmentRequested, TypeCommitmentReminded, TypeCommitmentAnswered}
	ReferralTypes        = []string{TypeReferralCreated, TypeReferralAccepted, TypeReferralDeclined, TypeReferralExpired,
		TypeReferralWithdrawn}
)

// Education is a citizen's highest completed education.
type Education struct {
	Level         string `json:"level"`
	CompletedYear int    `json:"completed_year"`
}

// Employment is a citizen's current employment.
type Employment struct {
	Status      string  `json:"status"`
	EmployerCVR string  `json:"employer_cvr,omitempty"`
	Since       string  `json:"since,omitempty"` // YYYY-MM-DD
	WeeklyHours float64 `json:"weekly_hours,omitempty"`
}

// ProfileFacts are the facts about a citizen that funding needs. Never a CPR number.
type ProfileFacts struct {
	BirthDate    string     `json:"birth_date"`             // YYYY-MM-DD, derived from the CPR number
	Municipality string     `json:"municipality,omitempty"` // municipality code, e.g. "657" (Herning)
	Language     string     `json:"language"`
	Education    Education  `json:"education"`
	Employment   Employment `json:"employment"`
	Benefits     string     `json:"benefits"`
}

// CourseFacts describe a course run as consumers need it.
type CourseFacts struct {
	ID              string   `json:"id"`
	Code            string   `json:"code"`
	Title           string   `json:"title"`
	TitleEN         string   `json:"title_en"`
	Category        string   `json:"category"`
	InstitutionID   string   `json:"institution_id"`
	InstitutionName string   `json:"institution_name"`
	StartsOn        string   `json:"starts_on"` // civil date, Europe/Copenhagen
	EndsOn          string   `json:"ends_on"`
	HoursPerWeek    float64  `json:"hours_per_week"`
	FeeDKK          int64    `json:"fee_dkk"`
	Schemes         []string `json:"schemes"`
	SeatsTotal      int      `json:"seats_total"`
	// Status is published or cancelled.
	Status string `json:"status,omitempty"`
}

// PlannedHours is a run's teaching hours: hours per week over its weeks (its days / 7, rounded up).
func PlannedHours(startsOn, endsOn time.Time, hoursPerWeek float64) float64 {
	days := int(endsOn.Sub(startsOn).Hours()/24) + 1
	return hoursPerWeek * float64((days+6)/7)
}

// PlannedHours is the run's teaching hours (PlannedHours); 0 when a date is missing.
func (c CourseFacts) PlannedHours() float64 {
	start, err1 := time.Parse(time.DateOnly, c.StartsOn)
	end, err2 := time.Parse(time.DateOnly, c.EndsOn)
	if err1 != nil || err2 != nil {
		return 0
	}
	return PlannedHours(start, end, c.HoursPerWeek)
}

// CourseUpdated (livslang.course.updated.v1) carries a course run's description when it is published or
// changed. Seat counts are not in it: they change with every enrolment and only registration needs them.
type CourseUpdated struct {
	Course  CourseFacts `json:"course"`
	Version int64       `json:"version"`
}

// ProfileUpdated (livslang.profile.updated.v1) carries a citizen's contact details and facts.
// It names the citizen by a pseudonymous id, never by CPR number.
type ProfileUpdated struct {
	CitizenID string `json:"citizen_id"`
	// CPRIndex is a keyed hash (HMAC-SHA256 under LIVSLANG_CPR_INDEX_KEY, base64) of the CPR number, so
	// a service can find the citizen a caseworker names by CPR without ever holding the number.
	CPRIndex string       `json:"cpr_index"`
	Version  int64        `json:"version"`
	Name     string       `json:"name"`
	Email    string       `json:"email"`
	Phone    string       `json:"phone,omitempty"`
	Facts    ProfileFacts `json:"facts"`
}

// Enrolment is the common data of every livslang.enrolment.* event.
type Enrolment struct {
	EnrolmentID       string       `json:"enrolment_id"`
	Version           int64        `json:"version"`
	Status            string       `json:"status"`
	CitizenID         string       `json:"citizen_id"`
	FundingPreference string       `json:"funding_preference"`
	Course            CourseFacts  `json:"course"`
	Profile           ProfileFacts `json:"profile"`
	// Cause says who or what caused the state change (citizen, institution, funding, caseworker, system).
	Cause string `json:"cause,omitempty"`
	// Reason is a short explanation, e.g. why funding rejected: the English sentence of ReasonCode
	// (Reason.English), or a person's own words when ReasonCode is empty.
	Reason string `json:"reason,omitempty"`
	// ReasonCode is the code of the reason registration gave (a Reason, see reasons.go), and
	// ReasonParams its parameters; empty for a person's own words in Reason, and in events from
	// before codes (read them with ReasonOf).
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
	// AnswerBy is the institution's deadline to accept or reject a confirmed enrolment (registration
	// counts it in Danish business days); set on livslang.enrolment.confirmed.v1.
	AnswerBy *time.Time `json:"answer_by,omitempty"`
	// WaitlistPosition is the 1-based position for waitlisted enrolments.
	WaitlistPosition int `json:"waitlist_position,omitempty"`
	// OfferExpiresAt is when an offered seat lapses unless accepted.
	OfferExpiresAt *time.Time `json:"offer_expires_at,omitempty"`
	// Funding summarises the funding decision once there is one.
	Funding *FundingSummary `json:"funding,omitempty"`
	// ReferralID names the caseworker's referral the enrolment comes from, if any.
	ReferralID string `json:"referral_id,omitempty"`
	// AttendedHours and PlannedHours are reported with completion or withdrawal; funding pays
	// schemes that pay by the hour pro rata.
	AttendedHours float64 `json:"attended_hours,omitempty"`
	PlannedHours  float64 `json:"planned_hours,omitempty"`
	// Employer is the company that enrolled the employee, with the commitment it gave then (funding
	// asks it nothing more).
	Employer *EmployerCommitment `json:"employer,omitempty"`
	// Erasure is true on the cancellations and withdrawals that end a citizen's enrolments for the
	// erasure of their data: whatever order a consumer sees them in with the erasure's own request,
	// it tells the citizen nothing of them.
	Erasure bool `json:"erasure,omitempty"`
}

// EmployerCommitment is a company's commitment given when it enrolled its employee.
type EmployerCommitment struct {
	CVR             string `json:"cvr"`
	Name            string `json:"name,omitempty"`
	PaysFee         bool   `json:"pays_fee"`
	SalaryContinues bool   `json:"salary_continues"`
}

// FundingSummary is what registration and notification keep of a funding decision.
type FundingSummary struct {
	Outcome        string   `json:"outcome"`
	Scheme         string   `json:"scheme"`
	CitizenPaysDKK int64    `json:"citizen_pays_dkk"`
	WeeklyDKK      int64    `json:"weekly_allowance_dkk"`
	Reasons        []string `json:"reasons,omitempty"`
	ReasonsDA      []string `json:"reasons_da,omitempty"`
	// Employer is set while the decision waits for the citizen's employer (outcome employer_required).
	Employer *EmployerPart `json:"employer,omitempty"`
}

// What a funding plan can ask of the citizen's employer (EmployerPart.Asks, Commitment.Asks).
const (
	AskPaysFee         = "pays_fee"         // the company pays (part of) the participant fee
	AskSalaryContinues = "salary_continues" // whether the salary continues, which decides who gets the allowance
	AskLeaveAgreement  = "leave_agreement"  // SVU: the leave agreement (orlovsaftale)
)

// EmployerPart is what a decision waits for from the citizen's employer: the company's commitment,
// due by the end of DueOn (Europe/Copenhagen). Registration holds the seat until then.
type EmployerPart struct {
	CommitmentID string   `json:"commitment_id"`
	CVR          string   `json:"cvr"`
	Name         string   `json:"name,omitempty"` // the company's name, when Livslang knows it
	Asks         []string `json:"asks"`
	DueOn        string   `json:"due_on"` // YYYY-MM-DD
}

// CommitmentSubject is the NATS subject of a commitment event ("requested", "reminded", "answered").
func CommitmentSubject(event string) string { return "livslang.funding.commitment." + event }

// Company is a company's contact, as its users keep it.
type Company struct {
	CVR      string `json:"cvr"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Language string `json:"language"` // da or en
}

// Commitment is the data of livslang.commitment.*.v1: what a funding plan asks of the citizen's
// employer, and the company's answer. Never a CPR number: the employee is named by name.
type Commitment struct {
	CommitmentID      string      `json:"commitment_id"`
	Status            string      `json:"status"` // pending, approved, declined, expired, withdrawn
	EnrolmentID       string      `json:"enrolment_id"`
	DecisionID        string      `json:"decision_id"`
	CitizenID         string      `json:"citizen_id"`
	EmployeeName      string      `json:"employee_name"`
	Company           Company     `json:"company"`
	Course            CourseFacts `json:"course"`
	Asks              []string    `json:"asks"`
	FeeDKK            int64       `json:"fee_dkk"`             // what the company is asked to pay of the fee
	RefundEstimateDKK int64       `json:"refund_estimate_dkk"` // the allowance it gets back if the salary continues
	DueOn             string      `json:"due_on"`              // YYYY-MM-DD: the company answers by the end of this day
	// The company's answer, once it has given one.
	PaysFee         *bool  `json:"pays_fee,omitempty"`
	SalaryContinues *bool  `json:"salary_continues,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// FundingDecided is the data of livslang.funding.{approved,rejected,review_required}.v1.
type FundingDecided struct {
	DecisionID       string         `json:"decision_id"`
	EnrolmentID      string         `json:"enrolment_id"`
	EnrolmentVersion int64          `json:"enrolment_version"`
	CitizenID        string         `json:"citizen_id"`
	Summary          FundingSummary `json:"summary"`
}

// NotificationSent is the data of livslang.notification.sent.v1.
type NotificationSent struct {
	MessageID   string `json:"message_id"`
	EventID     string `json:"event_id"`
	RecipientID string `json:"recipient_id"`
	Channel     string `json:"channel"`
	Kind        string `json:"kind"`
}

// ReferralSubject is the NATS subject of a referral event ("created", "accepted", …).
func ReferralSubject(event string) string { return "livslang.funding.referral." + event }

// Referral is the data of livslang.referral.*.v1: a caseworker's referral of a citizen to a run,
// with funding checked and reserved when it was made.
type Referral struct {
	ReferralID   string      `json:"referral_id"`
	Status       string      `json:"status"` // open, accepted, declined, expired, withdrawn
	CitizenID    string      `json:"citizen_id"`
	Municipality string      `json:"municipality"`
	Course       CourseFacts `json:"course"`
	Scheme       string      `json:"scheme"`
	Reason       string      `json:"reason"`
	ValidUntil   string      `json:"valid_until"` // YYYY-MM-DD: the citizen answers by the end of this day
	EnrolmentID  string      `json:"enrolment_id,omitempty"`
	Note         string      `json:"note,omitempty"` // why it was declined or withdrawn
}

// Data requests: a citizen's request for all their data (export) or its erasure. registration
// coordinates: it publishes the request, and funding and notification each answer with their part.
const (
	TypeDataRequestRequested    = "livslang.data_request.requested.v1"
	TypeDataRequestAnswered     = "livslang.data_request.answered.v1"
	SubjectDataRequestRequested = "livslang.registration.data_request.requested"
)

// Kinds of data request.
const (
	DataExport  = "export"
	DataErasure = "erasure"
)

// DataRequestAnsweredSubject is the subject a service answers a data request on.
func DataRequestAnsweredSubject(service string) string {
	return "livslang." + service + ".data_request.answered"
}

// FundedCourses (livslang.funding.funded_courses.v1) is every open course run a citizen can get
// funded by a scheme other than paying themselves, as funding's eligibility rules answer it with
// their facts and their use of capped schemes. Funding publishes the whole list whenever it changes
// (their profile, their use of a capped scheme, or a run changed); Version grows with every list, so
// a consumer keeps the highest.
type FundedCourses struct {
	CitizenID string         `json:"citizen_id"`
	Version   int64          `json:"version"`
	Courses   []FundedCourse `json:"courses"`
}

// FundedCourse is a run and the schemes other than "self" the citizen is eligible for on it.
type FundedCourse struct {
	CourseID string   `json:"course_id"`
	Schemes  []string `json:"schemes"`
}

// DataRequest is the data of livslang.data_request.requested.v1.
type DataRequest struct {
	RequestID   string    `json:"request_id"`
	CitizenID   string    `json:"citizen_id"`
	Kind        string    `json:"kind"` // export or erasure
	RequestedAt time.Time `json:"requested_at"`
	// ExportKey (export only, base64) is the one-time public key each service seals its section to
	// (HPKE, see pii.SealExport), so only registration can read it, and only until the export expires.
	ExportKey string `json:"export_key,omitempty"`
}

// ExportChunkSize is the most sealed section bytes one answer carries; a larger section is sent in
// several answers.
const ExportChunkSize = 256 << 10

// DataRequestAnswered is the data of livslang.data_request.answered.v1: one service's part.
type DataRequestAnswered struct {
	RequestID string `json:"request_id"`
	CitizenID string `json:"citizen_id"`
	Kind      string `json:"kind"`
	Service   string `json:"service"`
	// Section (export only) is the service's section of the export (JSON), sealed to the request's
	// export key and base64-encoded; a section over ExportChunkSize comes as Chunks answers, the
	// Chunk-th (from 0) carrying that slice of the sealed bytes.
	Section string `json:"section,omitempty"`
	Chunk   int    `json:"chunk"`
	Chunks  int    `json:"chunks"`
	// Report (erasure only) says what the service deleted and what it kept, and why.
	Report *ErasureReport `json:"report,omitempty"`
}

// ErasureReport is one service's account of an erasure.
type ErasureReport struct {
	Deleted []Deleted `json:"deleted"`
	Kept    []Kept    `json:"kept"`
}

// Keep adds a kind of record that is kept, when there is any.
func (r *ErasureReport) Keep(k Kept) {
	if k.Count > 0 {
		r.Kept = append(r.Kept, k)
	}
}

// Deleted is a kind of record the service deleted, or made unreadable by destroying its key.
type Deleted struct {
	What  string `json:"what"`
	Count int64  `json:"count"`
}

// Kept is a kind of record the service keeps, why, on which legal basis, and until when.
type Kept struct {
	What       string `json:"what"`
	Count      int64  `json:"count"`
	Why        string `json:"why"`
	LegalBasis string `json:"legal_basis"`
	Until      string `json:"until"` // a date (YYYY-MM-DD) or a rule, e.g. "5 years after the end of the year it is paid out"
}
