package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeJSON: any body is either decoded or refused as an invalid request, never a panic or
// another kind of error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"course_id":"x","funding_preference":"self"}`, `{`, `[]`, `{"x":1}`, `{"course_id":1}`, ``, `{} {}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v struct {
			CourseID          string `json:"course_id"`
			FundingPreference string `json:"funding_preference"`
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		err := DecodeJSON(httptest.NewRecorder(), r, &v)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("DecodeJSON(%q) = %v, want nil or ErrInvalid", body, err)
		}
	})
}
