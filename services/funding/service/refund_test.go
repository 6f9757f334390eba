package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

type refund struct {
	ID          string
	EnrolmentID string `json:"enrolment_id"`
	DecisionID  string `json:"decision_id"`
	Employee    struct{ Name, CPR string }
	Course      struct {
		ID, Title string
		StartsOn  string `json:"starts_on"`
		EndsOn    string `json:"ends_on"`
	}
	Scheme        string
	ExpectedDKK   int64   `json:"expected_dkk"`
	PaidDKK       int64   `json:"paid_dkk"`
	AttendedHours float64 `json:"attended_hours"`
	PlannedHours  float64 `json:"planned_hours"`
	Status        string
	PaidAt        *time.Time `json:"paid_at"`
}

type refundList struct {
	Items  []refund
	Totals struct {
		ExpectedDKK int64 `json:"expected_dkk"`
		DueDKK      int64 `json:"due_dkk"`
		PaidDKK     int64 `json:"paid_dkk"`
	}
}

func refunds(t *testing.T, f fundingEnv, token, query string) refundList {
	t.Helper()
	var out refundList
	r := testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/refunds"+query, token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &out)
	return out
}

// refundOf is the enrolment's refund in the company's list; ok is false if it has none.
func refundOf(t *testing.T, f fundingEnv, token, enrolmentID string) (refund, bool) {
	t.Helper()
	for _, it := range refunds(t, f, token, "").Items {
		if it.EnrolmentID == enrolmentID {
			return it, true
		}
	}
	return refund{}, false
}

// approvedByEmployer makes a VEU request the company approves (paying the fee, with the salary
// continuing or not) and returns the enrolment and the approved decision's refund to the employer.
func approvedByEmployer(t *testing.T, f fundingEnv, employer string, salaryContinues bool) (events.Enrolment, int64) {
	t.Helper()
	c, e := pendingRequest(t, f, employer)
	var en events.Enrolment
	_ = e.Decode(&en)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/employers/"+companyCVR+"/commitments/"+c["id"].(string)+"/approve",
		employer, map[string]bool{"pays_fee": true, "salary_continues": salaryContinues}), http.StatusOK)
	testenv.Eventually(t, 10*time.Second, "approved", func() bool {
		d := decisionEvents(t, f, en.EnrolmentID)
		return len(d) == 2 && d[1].Summary.Outcome == "approved"
	})
	var dec struct {
		Outcome string
		Plan    struct {
			AllowanceScheme   string `json:"allowance_scheme"`
			EmployerRefundDKK int64  `json:"employer_refund_dkk"`
		}
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+en.EnrolmentID, f.admin, nil).JSON(t, &dec)
	if dec.Outcome != "approved" || (salaryContinues != (dec.Plan.EmployerRefundDKK > 0)) || dec.Plan.AllowanceScheme != "veu" {
		t.Fatalf("decision after the approval (salary continues %v): %+v", salaryContinues, dec)
	}
	return en, dec.Plan.EmployerRefundDKK
}

// ended is registration's event that the enrolment ended (completed, withdrawn or cancelled), with
// the hours attended of those planned.
func ended(t *testing.T, en events.Enrolment, typ, subject, status string, attended, planned float64) events.Envelope {
	t.Helper()
	e, err := events.New("/livslang/registration", typ, subject, en.EnrolmentID, time.Now(),
		events.Enrolment{EnrolmentID: en.EnrolmentID, Version: 5, Status: status, CitizenID: en.CitizenID, Course: en.Course,
			Cause: "institution", AttendedHours: attended, PlannedHours: planned})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The refund follows the decision: expected when the company approves with the salary continuing
// (to the krone of the plan), due for half when half the hours were attended, paid once by the
// timer and announced once; cancelled with the enrolment; none when the salary does not continue.
// Another company sees none of it, and the CSV has the rows.
func TestRefundsFollowTheDecision(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	employer := employerToken(f, t, companyCVR)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPut, f.base+"/v1/employers/"+companyCVR, employer,
		map[string]string{"name": "Herning Stål A/S", "email": "hr@example.dk", "language": "da"}), http.StatusOK)

	completed, expected := approvedByEmployer(t, f, employer, true)
	got, ok := refundOf(t, f, employer, completed.EnrolmentID)
	if !ok || got.Status != "expected" || got.ExpectedDKK != expected || got.PaidDKK != 0 || got.Scheme != "veu" ||
		got.Employee.Name != "Mette Nielsen" || got.Employee.CPR != "020485-XXXX" || got.Course.Title != "Gaffeltruckcertifikat" ||
		got.Course.StartsOn != completed.Course.StartsOn || got.Course.EndsOn != completed.Course.EndsOn || got.PaidAt != nil ||
		got.PlannedHours == 0 || got.PlannedHours != completed.Course.PlannedHours() {
		t.Fatalf("refund after the approval (plan refunds %d): %+v", expected, got)
	}
	cancelledRun, cancelledExpected := approvedByEmployer(t, f, employer, true)
	unpaidLeave, _ := approvedByEmployer(t, f, employer, false)
	if _, ok := refundOf(t, f, employer, unpaidLeave.EnrolmentID); ok {
		t.Fatal("a refund although the salary does not continue")
	}
	if l := refunds(t, f, employer, ""); len(l.Items) != 2 || l.Totals.ExpectedDKK != expected+cancelledExpected || l.Totals.DueDKK != 0 {
		t.Fatalf("refunds before the courses: %+v", l)
	}

	// Cancelled before the start: cancelled.
	f.env.Publish(t, cancelled(t, cancelledRun.EnrolmentID, cancelledRun.CitizenID, 3, cancelledRun.Course, ""), uuid.NewString())
	testenv.Eventually(t, 10*time.Second, "the refund cancelled", func() bool {
		r, _ := refundOf(t, f, employer, cancelledRun.EnrolmentID)
		return r.Status == "cancelled"
	})

	// Completed with half the hours: due for half, rounded to the krone as payouts are.
	half := int64(float64(expected)*0.5 + 0.5)
	done := ended(t, completed, events.TypeEnrolmentCompleted, events.SubjectEnrolmentCompleted, "completed", 18.5, 37)
	f.env.Publish(t, done, done.ID)
	f.env.Publish(t, done, uuid.NewString()) // redelivered under another message id: applied once
	testenv.Eventually(t, 10*time.Second, "the refund due", func() bool {
		r, _ := refundOf(t, f, employer, completed.EnrolmentID)
		return r.Status == "due"
	})
	got, _ = refundOf(t, f, employer, completed.EnrolmentID)
	if got.PaidDKK != half || got.ExpectedDKK != expected || got.AttendedHours != 18.5 || got.PlannedHours != 37 {
		t.Fatalf("due refund (want %d of %d): %+v", half, expected, got)
	}
	if l := refunds(t, f, employer, ""); l.Totals.ExpectedDKK != expected || l.Totals.DueDKK != half || l.Totals.PaidDKK != 0 {
		t.Fatalf("totals with one due: %+v", l.Totals)
	}

	// The timer pays it once, and it is announced once.
	later := f.decisionsAt(t, 10)
	if n, err := later.PayRefunds(context.Background()); err != nil || n != 1 {
		t.Fatalf("paid %d: %v", n, err)
	}
	if n, err := later.PayRefunds(context.Background()); err != nil || n != 0 {
		t.Fatalf("paid again %d: %v", n, err)
	}
	var paid []events.Envelope
	testenv.Eventually(t, 10*time.Second, "the refund announced", func() bool {
		paid = f.env.Events(t, events.StreamFunding, events.SubjectRefundPaid)
		return len(paid) == 1
	})
	var data events.RefundPaid
	if err := paid[0].Decode(&data); err != nil || paid[0].Type != events.TypeRefundPaid || data.RefundID != got.ID ||
		data.PaidDKK != half || data.ExpectedDKK != expected || data.Scheme != "veu" || data.EmployeeName != "Mette Nielsen" ||
		data.Company.CVR != companyCVR || data.Company.Email != "hr@example.dk" || data.Company.Name != "Herning Stål A/S" ||
		data.Course.ID != completed.Course.ID || data.EnrolmentID != completed.EnrolmentID {
		t.Fatalf("refund event %s: %+v (%v)", paid[0].Type, data, err)
	}
	if strings.Contains(string(paid[0].Data), "0204") || strings.Contains(string(paid[0].Data), "XXXX") {
		t.Fatal("the CPR number is on the bus")
	}
	got, _ = refundOf(t, f, employer, completed.EnrolmentID)
	if got.Status != "paid" || got.PaidDKK != half || got.PaidAt == nil || got.PaidAt.Before(time.Now().AddDate(0, 0, 9)) {
		t.Fatalf("paid refund: %+v", got)
	}
	l := refunds(t, f, employer, "")
	if l.Totals.ExpectedDKK != expected || l.Totals.DueDKK != 0 || l.Totals.PaidDKK != half {
		t.Fatalf("totals after the payout: %+v", l.Totals)
	}
	if n := len(f.env.Events(t, events.StreamFunding, events.SubjectRefundPaid)); n != 1 {
		t.Fatalf("refund announced %d times", n)
	}

	// Filters: by status and by the course's first day.
	if l := refunds(t, f, employer, "?status=paid"); len(l.Items) != 1 || l.Items[0].EnrolmentID != completed.EnrolmentID {
		t.Fatalf("paid refunds: %+v", l.Items)
	}
	start := completed.Course.StartsOn
	if l := refunds(t, f, employer, "?from="+start+"&to="+start); len(l.Items) != 2 {
		t.Fatalf("refunds of courses starting %s: %+v", start, l.Items)
	}
	if l := refunds(t, f, employer, "?to="+time.Now().Format(time.DateOnly)); len(l.Items) != 0 {
		t.Fatalf("refunds of courses started by today: %+v", l.Items)
	}
	for _, q := range []string{"?status=sent", "?from=1.1.2027", "?from=2027-02-01&to=2027-01-01"} {
		testenv.MustStatus(t, testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/refunds"+q, employer, nil), http.StatusBadRequest)
	}

	// Another company sees nothing of it; an administrator reads it.
	other := employerToken(f, t, "41657006")
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/refunds", other, nil), http.StatusForbidden)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/refunds.csv", other, nil), http.StatusForbidden)
	var own refundList
	testenv.Do(t, http.MethodGet, f.base+"/v1/employers/41657006/refunds", other, nil).JSON(t, &own)
	if len(own.Items) != 0 || own.Totals.ExpectedDKK != 0 {
		t.Fatalf("another company's refunds: %+v", own)
	}
	if l := refunds(t, f, f.admin, ""); len(l.Items) != 2 {
		t.Fatalf("the administrator's view: %+v", l.Items)
	}

	// The CSV: UTF-8 with a byte order mark, semicolons, a header row and one row per refund.
	r := testenv.Do(t, http.MethodGet, f.base+"/v1/employers/"+companyCVR+"/refunds.csv", employer, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(r.Body, []byte("\xef\xbb\xbf")) {
		t.Fatalf("CSV %s: %q", r.Header.Get("Content-Type"), r.Body)
	}
	in := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\xef\xbb\xbf"))))
	in.Comma = ';'
	rows, err := in.ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "id" || rows[0][3] != "employee_name" {
		t.Fatalf("CSV rows %q: %v", rows, err)
	}
	byID := map[string][]string{}
	for _, row := range rows[1:] {
		byID[row[1]] = row
	}
	row := byID[completed.EnrolmentID]
	if len(row) != 16 || row[3] != "Mette Nielsen" || row[4] != "020485-XXXX" || row[6] != "Gaffeltruckcertifikat" || row[9] != "veu" ||
		row[10] != itoa(expected) || row[11] != itoa(half) || row[12] != "18,5" || row[13] != "37" || row[14] != "paid" || row[15] == "" {
		t.Fatalf("the paid refund's row: %q", row)
	}
	if row := byID[cancelledRun.EnrolmentID]; len(row) != 16 || row[14] != "cancelled" || row[11] != "0" {
		t.Fatalf("the cancelled refund's row: %q", row)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Erasing the employee's data deletes the refunds the company saw, and says so.
func TestErasureDeletesTheRefunds(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	employer := employerToken(f, t, companyCVR)
	en, _ := approvedByEmployer(t, f, employer, true)
	if _, ok := refundOf(t, f, employer, en.EnrolmentID); !ok {
		t.Fatal("no refund after the approval")
	}
	erasure := events.DataRequest{RequestID: uuid.NewString(), CitizenID: en.CitizenID, Kind: events.DataErasure, RequestedAt: time.Now()}
	e, err := events.New("/livslang/registration", events.TypeDataRequestRequested, events.SubjectDataRequestRequested, erasure.RequestID, time.Now(), erasure)
	if err != nil {
		t.Fatal(err)
	}
	f.env.Publish(t, e, e.ID)
	var answer events.DataRequestAnswered
	testenv.Eventually(t, 10*time.Second, "funding's answer", func() bool {
		list := f.env.Events(t, events.StreamFunding, events.DataRequestAnsweredSubject("funding"))
		return len(list) == 1 && list[0].Decode(&answer) == nil
	})
	deleted := int64(-1)
	for _, d := range answer.Report.Deleted {
		if strings.HasPrefix(d.What, "the refunds to your employer") {
			deleted = d.Count
		}
	}
	if deleted != 1 {
		t.Fatalf("erasure report %+v", answer.Report.Deleted)
	}
	if l := refunds(t, f, employer, ""); len(l.Items) != 0 {
		t.Fatalf("refunds after the erasure: %+v", l.Items)
	}
}

// A company that enrols its employee with the salary continuing gave its commitment then: the
// decision is approved at once, and so is the refund expected.
func TestStaffEnrolmentExpectsTheRefundAtOnce(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	employer := employerToken(f, t, companyCVR)
	citizen, run := knownEmployee(t, f, "staff-", "Jens Hansen")
	id := uuid.NewString()
	e, err := events.New("/livslang/registration", events.TypeEnrolmentRequested, events.SubjectEnrolmentRequested, id, time.Now(),
		events.Enrolment{EnrolmentID: id, Version: 1, Status: "pending", CitizenID: citizen, FundingPreference: "veu", Course: run,
			Profile: facts("erhvervsuddannelse"), Employer: &events.EmployerCommitment{CVR: companyCVR, PaysFee: true, SalaryContinues: true}})
	if err != nil {
		t.Fatal(err)
	}
	f.env.Publish(t, e, e.ID)
	testenv.Eventually(t, 10*time.Second, "approved", func() bool {
		d := decisionEvents(t, f, id)
		return len(d) == 1 && d[0].Summary.Outcome == "approved"
	})
	var dec struct {
		Plan struct {
			EmployerRefundDKK int64 `json:"employer_refund_dkk"`
		}
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+id, f.admin, nil).JSON(t, &dec)
	got, ok := refundOf(t, f, employer, id)
	if !ok || dec.Plan.EmployerRefundDKK <= 0 || got.ExpectedDKK != dec.Plan.EmployerRefundDKK || got.Status != "expected" ||
		got.Employee.Name != "Jens Hansen" {
		t.Fatalf("refund %+v for the plan's %d", got, dec.Plan.EmployerRefundDKK)
	}
}
