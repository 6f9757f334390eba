package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/testenv"
)

// A company enrols its staff through registration, funding takes its commitment as given, and the
// employees get their seats; bad rows fail alone and another company sees none of it.
func TestEmployerEnrolsStaffEndToEnd(t *testing.T) {
	t.Parallel()
	s := start(t)
	mette := s.citizen(t, "1403881236", "Mette Nielsen", "mette@example.dk", "da")
	bo := s.citizen(t, "0205841457", "Bo Holm", "bo@example.dk", "da")
	truck, _ := s.course(t, "gaffeltruck")
	company := s.env.Token(t, auth.Claims{Subject: "hr-staal", Role: auth.RoleEmployer, CVR: "12345674", Name: "Herning Stål A/S"})
	other := s.env.Token(t, auth.Claims{Subject: "hr-other", Role: auth.RoleEmployer, CVR: "41657006", Name: "Midtjysk Logistik ApS"})
	r := testenv.Do(t, http.MethodPost, s.reg+"/v1/employers/12345674/enrolments", company, map[string]any{
		"course_id": truck, "pays_fee": true, "salary_continues": true, "employees": []map[string]string{
			{"cpr": "1403881236", "name": "Mette Nielsen", "email": "mette@example.dk"},
			{"cpr": "0205841457", "name": "Bo Holm", "email": "bo@example.dk"},
			{"cpr": "9999999999", "name": "Ikke et CPR-nummer", "email": "x@example.dk"},
		}}, "Idempotency-Key", "e2e-staff")
	testenv.MustStatus(t, r, http.StatusAccepted)
	var answer struct {
		Results []struct {
			Status, CPR string
			EnrolmentID string `json:"enrolment_id"`
		}
	}
	r.JSON(t, &answer)
	if len(answer.Results) != 3 || answer.Results[0].Status != "pending" || answer.Results[1].Status != "pending" ||
		answer.Results[2].Status != "failed" || answer.Results[0].CPR != "140388-XXXX" {
		t.Fatalf("results: %s", r.Body)
	}
	// No request to the company: its commitment came with the enrolment.
	got := s.waitStatus(t, mette, answer.Results[0].EnrolmentID, "confirmed")
	s.waitStatus(t, bo, answer.Results[1].EnrolmentID, "confirmed")
	if got.Funding.Outcome != "approved" || got.History[0].Cause != "employer" {
		t.Fatalf("Mette's enrolment: %+v", got)
	}
	var plan struct {
		Plan struct {
			FeeScheme         string `json:"fee_scheme"`
			EmployerPaysDKK   int64  `json:"employer_pays_dkk"`
			EmployerRefundDKK int64  `json:"employer_refund_dkk"`
			AllowanceScheme   string `json:"allowance_scheme"`
		}
	}
	testenv.Do(t, http.MethodGet, s.fund+"/v1/decisions/"+got.ID, mette.token, nil).JSON(t, &plan)
	if plan.Plan.FeeScheme != "employer" || plan.Plan.EmployerPaysDKK <= 0 || plan.Plan.AllowanceScheme != "veu" || plan.Plan.EmployerRefundDKK <= 0 {
		t.Fatalf("plan %+v", plan.Plan)
	}
	var pending struct{ Items []any }
	testenv.Do(t, http.MethodGet, s.fund+"/v1/employers/12345674/commitments?status=pending", company, nil).JSON(t, &pending)
	if len(pending.Items) != 0 {
		t.Fatalf("the company was asked again: %+v", pending)
	}
	var staff struct {
		Items []struct {
			Status   string
			Employee struct{ Name, CPR string }
			Funding  struct{ Outcome string }
		}
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/employers/12345674/enrolments?status=confirmed", company, nil).JSON(t, &staff)
	if len(staff.Items) != 2 || staff.Items[0].Funding.Outcome != "approved" || !strings.HasSuffix(staff.Items[0].Employee.CPR, "-XXXX") {
		t.Fatalf("the company's staff enrolments: %+v", staff)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.reg+"/v1/employers/12345674/enrolments", other, nil), http.StatusForbidden)

	// The refund follows the decision: expected at once, due for the attended hours after the
	// institution reports completion, then paid, to the krone of the decision.
	type refunds struct {
		Items []struct {
			EnrolmentID string `json:"enrolment_id"`
			Status      string
			ExpectedDKK int64 `json:"expected_dkk"`
			PaidDKK     int64 `json:"paid_dkk"`
		}
	}
	refundOf := func() (status string, expected, paid int64) {
		var r refunds
		testenv.Do(t, http.MethodGet, s.fund+"/v1/employers/12345674/refunds", company, nil).JSON(t, &r)
		for _, it := range r.Items {
			if it.EnrolmentID == got.ID {
				return it.Status, it.ExpectedDKK, it.PaidDKK
			}
		}
		return "", 0, 0
	}
	if status, expected, _ := refundOf(); status != "expected" || expected != plan.Plan.EmployerRefundDKK {
		t.Fatalf("refund before completion: %s %d, want expected %d", status, expected, plan.Plan.EmployerRefundDKK)
	}
	const herningsholm = "d7151794-43da-493a-9bb0-dd8a8445f22e"
	hh := s.env.Token(t, auth.Claims{Subject: "staff-hh", Role: auth.RoleInstitution, InstitutionID: herningsholm})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+got.ID+"/outcome", hh,
		map[string]any{"outcome": "completed", "attended_hours": 18.5}), http.StatusOK)
	testenv.Eventually(t, 30*time.Second, "the refund paid for the attended hours", func() bool {
		status, expected, paid := refundOf()
		return status == "paid" && paid == (expected*185+185)/370 // half the hours, rounded as payouts are
	})
}

// A citizen's own VEU enrolment waits for the employer; its decline is a rejection that names the
// company's answer, in the citizen's language, and frees the seat.
func TestEmployerDeclinesEndToEnd(t *testing.T) {
	t.Parallel()
	s := start(t)
	james := s.citizen(t, "0205841457", "James Miller", "james@example.com", "en")
	truck, seats := s.course(t, "gaffeltruck")
	e := s.enrol(t, james, truck, "veu")
	testenv.Eventually(t, 20*time.Second, "waiting for the employer", func() bool {
		e = s.get(t, james, e.ID)
		return e.Funding.Employer != nil
	})
	company := s.env.Token(t, auth.Claims{Subject: "hr-staal", Role: auth.RoleEmployer, CVR: "12345674", Name: "Herning Stål A/S"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.fund+"/v1/employers/12345674/commitments/"+e.Funding.Employer.CommitmentID+"/decline",
		company, map[string]string{"reason": "We cannot spare you that week"}), http.StatusOK)
	got := s.waitStatus(t, james, e.ID, "rejected")
	if last := got.History[len(got.History)-1]; !strings.Contains(last.Reason, "declined: We cannot spare you that week") {
		t.Fatalf("rejection reason: %+v", got.History)
	}
	testenv.Eventually(t, 20*time.Second, "James's rejection mail", func() bool {
		m, ok := s.mailTo(james.email, "Your enrolment was not approved")
		return ok && strings.Contains(m.Body, "We cannot spare you that week")
	})
	if _, left := s.course(t, "gaffeltruck"); left != seats {
		t.Fatalf("%d seats after the rejection, want %d", left, seats)
	}
}
