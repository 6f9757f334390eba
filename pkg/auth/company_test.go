package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"livslang.dk/pkg/httpapi"
)

func TestCompany(t *testing.T) {
	for _, c := range []struct {
		name, method, path string
		claims             Claims
		want               error // nil: allowed
	}{
		{"its own user", http.MethodPost, "12345674", Claims{Role: RoleEmployer, CVR: "12345674"}, nil},
		{"another company", http.MethodGet, "12345674", Claims{Role: RoleEmployer, CVR: "41657006"}, httpapi.ErrForbidden},
		{"an admin reads", http.MethodGet, "12345674", Claims{Role: RoleAdmin}, nil},
		{"an admin writes", http.MethodPost, "12345674", Claims{Role: RoleAdmin}, httpapi.ErrForbidden},
		{"a citizen", http.MethodGet, "12345674", Claims{Role: RoleCitizen}, httpapi.ErrForbidden},
		{"not a CVR number", http.MethodGet, "12345678", Claims{Role: RoleEmployer, CVR: "12345678"}, httpapi.ErrInvalid},
	} {
		r := httptest.NewRequest(c.method, "/v1/employers/"+c.path, nil)
		r.SetPathValue("cvr", c.path)
		r = r.WithContext(WithClaims(r.Context(), c.claims))
		got, err := Company(r)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) || (err == nil && got != c.path) {
			t.Errorf("%s: Company = %q, %v; want %v", c.name, got, err, c.want)
		}
	}
}
