package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
)

// Refunds: what a company gets back (VEU or SVU, when the salary continued) for its employees'
// courses, as JSON or as a spreadsheet. Same access as its commitments (companyCVR).

// companyRefunds reads the company's refunds with the request's filters (status, from, to) and
// records the read in the citizens' audit logs.
func (a *API) companyRefunds(r *http.Request) (string, []store.Refund, error) {
	number, err := auth.Company(r)
	if err != nil {
		return "", nil, err
	}
	q := r.URL.Query()
	f := store.RefundFilter{Status: q.Get("status"), From: q.Get("from"), To: q.Get("to")}
	v := &httpapi.ValidationError{}
	switch f.Status {
	case "", store.RefundExpected, store.RefundDue, store.RefundPaid, store.RefundCancelled:
	default:
		v.Add("status", "expected, due, paid or cancelled")
	}
	for _, d := range []struct{ field, value string }{{"from", f.From}, {"to", f.To}} {
		if d.value == "" {
			continue
		}
		if _, err := rules.ParseDate(d.value); err != nil {
			v.Add(d.field, "must be a date YYYY-MM-DD (the course's first day)")
		}
	}
	if f.From != "" && f.To != "" && f.To < f.From {
		v.Add("to", "must not be before from")
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	list, err := a.Store.CompanyRefunds(r.Context(), number, f)
	if err != nil {
		return "", nil, err
	}
	if list == nil {
		list = []store.Refund{}
	}
	for _, rf := range list {
		if err := a.record(r, rf.CitizenID, audit.Read, "refund", rf.ID.String(), "the employer's refunds"); err != nil {
			return "", nil, err
		}
	}
	return number, list, nil
}

func (a *API) listRefunds(w http.ResponseWriter, r *http.Request) error {
	_, list, err := a.companyRefunds(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": list, "totals": store.Totals(list)})
}

// refundColumns is the CSV's header row.
var refundColumns = []string{"id", "enrolment_id", "decision_id", "employee_name", "employee_cpr", "course_id", "course_title",
	"starts_on", "ends_on", "scheme", "expected_dkk", "paid_dkk", "attended_hours", "planned_hours", "status", "paid_at"}

// exportRefunds serves the refunds as a spreadsheet for Danish Excel: UTF-8 with a byte order mark,
// fields separated by semicolons, CRLF line ends, amounts in whole kroner, hours with a decimal comma,
// paid_at in RFC 3339 (UTC). Text that a spreadsheet would read as a formula is prefixed with '.
func (a *API) exportRefunds(w http.ResponseWriter, r *http.Request) error {
	number, list, err := a.companyRefunds(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="refusioner-`+number+`.csv"`)
	if _, err := w.Write([]byte("\uFEFF")); err != nil {
		return err
	}
	out := csv.NewWriter(w)
	out.Comma, out.UseCRLF = ';', true
	_ = out.Write(refundColumns)
	for _, rf := range list {
		paidAt := ""
		if rf.PaidAt != nil {
			paidAt = rf.PaidAt.UTC().Format(time.RFC3339)
		}
		_ = out.Write([]string{rf.ID.String(), rf.EnrolmentID.String(), rf.DecisionID.String(), cell(rf.Employee.Name),
			rf.Employee.CPR, rf.Course.ID, cell(rf.Course.Title), rf.Course.StartsOn, rf.Course.EndsOn, rf.Scheme,
			strconv.FormatInt(rf.ExpectedDKK, 10), strconv.FormatInt(rf.PaidDKK, 10), hours(rf.AttendedHours),
			hours(rf.PlannedHours), rf.Status, paidAt})
	}
	out.Flush()
	return out.Error()
}

// hours writes a number of hours with a decimal comma, as Danish spreadsheets read it.
func hours(h float64) string {
	return strings.Replace(strconv.FormatFloat(h, 'f', -1, 64), ".", ",", 1)
}

// cell keeps a spreadsheet from reading text as a formula (CSV injection).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
