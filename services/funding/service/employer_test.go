package service_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

const companyCVR = "12345674" // the employer in facts()

type commitment struct {
	ID, EnrolmentID string `json:"-"`
	Status          string
	Citizen         struct{ Name, CPR string }
	Course          struct{ ID, Title, StartsOn string }
	Asks            []string
	FeeDKK          int64  `json:"fee_dkk"`
	RefundDKK       int64  `json:"refund_estimate_dkk"`
	DueOn           string `json:"due_on"`
	Answer          *struct {
		PaysFee         *bool `json:"pays_fee"`
		SalaryContinues *bool `json:"salary_continues"`
		Reason          string
	}
}

// amuRun is a week's AMU course with VEU and the employer on the run (fee 1,040 kr.).
func amuRun() events.CourseFacts {
	start := time.Now().AddDate(0, 1, 0)
	return events.CourseFacts{ID: uuid.NewString(), Code: "AMU 47583", Title: "Gaffeltruckcertifikat", Category: "amu",
		InstitutionID: uuid.NewString(), InstitutionName: "Herningsholm Erhvervsskole", StartsOn: start.Format(time.DateOnly),
		EndsOn: start.AddDate(0, 0, 4).Format(time.DateOnly), HoursPerWeek: 37, FeeDKK: 1040,
		Schemes: []string{"self", "veu", "employer"}, SeatsTotal: 16}
}

// pendingRequest publishes a citizen's profile and a VEU enrolment request, and waits for the request
// to the company; it returns the company's view of it and the enrolment event.
func pendingRequest(t *testing.T, f fundingEnv, employer string) (map[string]any, events.Envelope) {
	t.Helper()
	citizen, run := knownEmployee(t, f, "emp-", "Mette Nielsen")
	e, id := request(t, citizen, "veu", run, facts("erhvervsuddannelse"))
	f.env.Publish(t, e, e.ID)
	var found map[string]any
	testenv.Eventually(t, 10*time.Second, "the request to the company", func() bool {
		var list struct{ Items []map[string]any }
		testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/commitments?status=pending", employer, nil).JSON(t, &list)
		for _, c := range list.Items {
			if c["enrolment_id"] == id {
				found = c
			}
		}
		return found != nil
	})
	return found, e
}

// knownEmployee publishes a new citizen's profile (employed by companyCVR) and an AMU run, and waits
// until funding knows both, so what the company sees names the employee.
func knownEmployee(t *testing.T, f fundingEnv, prefix, name string) (string, events.CourseFacts) {
	t.Helper()
	citizen := prefix + uuid.NewString()
	p, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, citizen, time.Now(),
		events.ProfileUpdated{CitizenID: citizen, Version: 1, Name: name, Email: "m@example.dk", Facts: facts("erhvervsuddannelse")})
	f.env.Publish(t, p, p.ID)
	run := amuRun()
	known, _ := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, run.ID, time.Now(),
		events.CourseUpdated{Course: run, Version: 1})
	f.env.Publish(t, known, known.ID)
	token := f.env.Token(t, auth.Claims{Subject: citizen, Role: auth.RoleCitizen, CPR: "0204851234"})
	testenv.Eventually(t, 10*time.Second, "funding knows the citizen", func() bool {
		return testenv.Do(t, http.MethodPost, f.base+"/v1/eligibility", token, map[string]string{"course_id": run.ID}).Status == http.StatusOK
	})
	return citizen, run
}

func employerToken(f fundingEnv, t *testing.T, number string) string {
	return f.env.Token(t, auth.Claims{Subject: "hr-" + number, Role: auth.RoleEmployer, CVR: number, Name: "HR"})
}

// decisionEvents are the funding decision events for the enrolment, in order.
func decisionEvents(t *testing.T, f fundingEnv, enrolmentID string) []events.FundingDecided {
	var out []events.FundingDecided
	for _, e := range f.env.Events(t, events.StreamFunding, "livslang.funding.decision.>") {
		var d events.FundingDecided
		if e.Decode(&d) == nil && d.EnrolmentID == enrolmentID {
			out = append(out, d)
		}
	}
	return out
}

// A plan that has the employer pay waits for the company; its approval makes the plan final as asked.
func TestEmployerApprovalMakesThePlanFinal(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	employer := employerToken(f, t, companyCVR)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, f.base+"/v1/employers/"+companyCVR, employer,
		map[string]string{"name": "Herning Stål A/S", "email": "hr@example.dk", "language": "da"}), http.StatusOK)
	raw, e := pendingRequest(t, f, employer)
	var en events.Enrolment
	_ = e.Decode(&en)
	id := raw["id"].(string)
	var c commitment
	testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/commitments/"+id, employer, nil).JSON(t, &c)
	due, _ := time.Parse(time.DateOnly, c.DueOn)
	if c.Citizen.Name != "Mette Nielsen" || c.Citizen.CPR != "020485-XXXX" || !slices.Equal(c.Asks, []string{"pays_fee", "salary_continues"}) ||
		c.FeeDKK != 1040 || c.RefundDKK <= 0 || c.Status != "pending" || c.Course.Title != "Gaffeltruckcertifikat" ||
		due.Before(time.Now().AddDate(0, 0, 6)) || due.After(time.Now().AddDate(0, 0, 12)) {
		t.Fatalf("the company's request: %+v", c)
	}
	decided := decisionEvents(t, f, en.EnrolmentID)
	if len(decided) != 1 || decided[0].Summary.Outcome != "employer_required" || decided[0].Summary.Employer == nil ||
		decided[0].Summary.Employer.Name != "Herning Stål A/S" || decided[0].Summary.Employer.DueOn != c.DueOn {
		t.Fatalf("decision events %+v", decided)
	}
	if strings.Contains(string(f.env.Events(t, events.StreamFunding, events.CommitmentSubject("requested"))[0].Data), "0204") {
		t.Fatal("the CPR number's digits are on the bus")
	}
	// Another company sees nothing and cannot answer; the body must answer what is asked.
	other := employerToken(f, t, "41657006")
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/commitments", other, nil), http.StatusForbidden)
	path := f.base + "/v1/employers/" + companyCVR + "/commitments/" + id
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path+"/approve", other, map[string]bool{"pays_fee": true, "salary_continues": true}), http.StatusForbidden)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path+"/approve", employer, map[string]bool{"pays_fee": true}), http.StatusBadRequest)

	answer := map[string]bool{"pays_fee": true, "salary_continues": false}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path+"/approve", employer, answer), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path+"/approve", employer, answer), http.StatusOK) // a retry
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, path+"/decline", employer, map[string]string{"reason": "alligevel ikke"}), http.StatusConflict)
	testenv.Eventually(t, 10*time.Second, "approved", func() bool {
		d := decisionEvents(t, f, en.EnrolmentID)
		return len(d) == 2 && d[1].Summary.Outcome == "approved"
	})
	var dec struct {
		Outcome string
		Plan    struct {
			FeeScheme         string `json:"fee_scheme"`
			EmployerPaysDKK   int64  `json:"employer_pays_dkk"`
			EmployerRefundDKK int64  `json:"employer_refund_dkk"`
			CitizenPaysDKK    int64  `json:"citizen_pays_dkk"`
		}
		Rules []struct{ ID, Outcome string }
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+en.EnrolmentID, f.admin, nil).JSON(t, &dec)
	if dec.Outcome != "approved" || dec.Plan.FeeScheme != "employer" || dec.Plan.EmployerPaysDKK != 1040 || dec.Plan.EmployerRefundDKK != 0 ||
		dec.Plan.CitizenPaysDKK != 0 || !slices.ContainsFunc(dec.Rules, func(r struct{ ID, Outcome string }) bool { return r.ID == "veu.employer_leave" && r.Outcome == "met" }) {
		t.Fatalf("decision after the approval: %+v", dec)
	}
	testenv.Do(t, http.MethodGet, path, employer, nil).JSON(t, &c)
	if c.Status != "approved" || c.Answer == nil || c.Answer.PaysFee == nil || !*c.Answer.PaysFee || *c.Answer.SalaryContinues {
		t.Fatalf("answered request: %+v", c)
	}
}

// A decline falls back to a rejection that names the company's answer; silence past the due date too.
func TestEmployerDeclineAndSilence(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	employer := employerToken(f, t, companyCVR)
	declined, e1 := pendingRequest(t, f, employer)
	silent, e2 := pendingRequest(t, f, employer)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/employers/"+companyCVR+"/commitments/"+declined["id"].(string)+"/decline",
		employer, map[string]string{"reason": "Vi har travlt i produktionen"}), http.StatusOK)
	for _, tc := range []struct {
		e    events.Envelope
		want string
	}{{e1, "afviste: Vi har travlt i produktionen"}} {
		var en events.Enrolment
		_ = tc.e.Decode(&en)
		testenv.Eventually(t, 10*time.Second, "rejected", func() bool {
			d := decisionEvents(t, f, en.EnrolmentID)
			return len(d) == 2 && d[1].Summary.Outcome == "rejected" && len(d[1].Summary.ReasonsDA) > 0 &&
				strings.Contains(d[1].Summary.ReasonsDA[0], tc.want)
		})
	}
	// The reminder comes once, two business days before the due date; then silence expires it.
	later := f.decisionsAt(t, 8)
	if n, err := later.RemindCommitments(context.Background()); err != nil || n != 1 {
		t.Fatalf("reminded %d: %v", n, err)
	}
	if n, _ := later.RemindCommitments(context.Background()); n != 0 {
		t.Fatalf("reminded again: %d", n)
	}
	if n, err := f.decisionsAt(t, 16).ExpireCommitments(context.Background()); err != nil || n != 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	var en events.Enrolment
	_ = e2.Decode(&en)
	testenv.Eventually(t, 10*time.Second, "rejected after the due date", func() bool {
		d := decisionEvents(t, f, en.EnrolmentID)
		return len(d) == 2 && d[1].Summary.Outcome == "rejected" && strings.Contains(d[1].Summary.ReasonsDA[0], "svarede ikke senest "+silent["due_on"].(string))
	})
	var answered []events.Envelope
	testenv.Eventually(t, 10*time.Second, "the answers announced", func() bool {
		answered = f.env.Events(t, events.StreamFunding, events.CommitmentSubject("answered"))
		return len(answered) == 2
	})
	var statuses []string
	for _, a := range answered {
		var c events.Commitment
		_ = a.Decode(&c)
		statuses = append(statuses, c.Status)
	}
	slices.Sort(statuses)
	if !slices.Equal(statuses, []string{"declined", "expired"}) || len(f.env.Events(t, events.StreamFunding, events.CommitmentSubject("reminded"))) != 1 {
		t.Fatalf("commitment events: answered %v", statuses)
	}
}

// A cancelled enrolment withdraws its request to the company.
func TestCancelWithdrawsTheRequestToTheEmployer(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	employer := employerToken(f, t, companyCVR)
	c, e := pendingRequest(t, f, employer)
	var en events.Enrolment
	_ = e.Decode(&en)
	f.env.Publish(t, cancelled(t, en.EnrolmentID, en.CitizenID, 2, en.Course, ""), uuid.NewString())
	testenv.Eventually(t, 10*time.Second, "withdrawn", func() bool {
		var got struct{ Status string }
		testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/commitments/"+c["id"].(string), employer, nil).JSON(t, &got)
		return got.Status == "withdrawn"
	})
}
