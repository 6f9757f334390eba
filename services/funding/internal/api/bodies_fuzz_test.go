package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"livslang.dk/pkg/httpapi"
)

// FuzzReferralBody: any body of POST /v1/referrals (and each line of a bulk referral) is a valid CPR
// number, run, last day and reason, or refused field by field; the CPR number never appears in an
// error message.
func FuzzReferralBody(f *testing.F) {
	for _, s := range []string{
		`{"cpr":"2206791455","course_id":"6f77f3a4-370a-4667-b9cd-a13007411672","funding":"jobrettet_uddannelse","reason":"Lagerjob","valid_until":"2027-01-31"}`,
		`{"cpr":"220679-1455","course_id":"x","reason":"","valid_until":"31-01-2027"}`,
		`{"cpr":3112999999}`, `{"cpr":"9999999999","reason":"` + strings.Repeat("x", 1001) + `"}`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req referralRequest
		err := httpapi.DecodeJSON(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), &req)
		if err != nil {
			if !errors.Is(err, httpapi.ErrInvalid) {
				t.Fatalf("decoding %q: %v", body, err)
			}
			return
		}
		number, _, _, err := req.parse()
		var v *httpapi.ValidationError
		switch {
		case err != nil && (!errors.As(err, &v) || len(v.Fields) == 0):
			t.Fatalf("validating %q: %v, want field errors", body, err)
		case err != nil && len(req.CPR) >= 10 && strings.Contains(err.Error(), req.CPR):
			t.Fatalf("the CPR number is in the error: %v", err)
		case err == nil && (len(number.Digits()) != 10 || req.Reason == ""):
			t.Fatalf("accepted %q", body)
		}
	})
}
