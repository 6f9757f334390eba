package auth

import (
	"fmt"
	"livslang.dk/pkg/cvr"
	"net/http"
	"slices"
	"strings"

	"livslang.dk/pkg/httpapi"
)

// Access is who may call a route: anyone, or a signed-in caller with one of some roles. It decides on
// the token alone; which resources a caller may touch (their own enrolments, their institution's
// runs) the route's handler decides, with the predicates kept beside the service's route table.
type Access struct {
	public bool
	roles  []string
}

// Public lets anyone call a route, with a token or without (a token sent is still verified).
var Public = Access{public: true}

// Roles lets a caller with a valid token and one of the roles call a route.
func Roles(roles ...string) Access { return Access{roles: roles} }

// RoleList names the roles access allows; nil for a public route.
func (a Access) RoleList() []string { return slices.Clone(a.roles) }

// IsPublic reports whether anyone may call the route.
func (a Access) IsPublic() bool { return a.public }

func (a Access) String() string {
	if a.public {
		return "public"
	}
	return strings.Join(a.roles, ", ")
}

// Check says whether a caller with claims c (ok false: no token) may call the route: no token is
// ErrUnauthorized; another role, or a token without the claim its role acts by (an institution
// user's institution_id, a caseworker's municipality), is ErrForbidden with insufficient_scope.
func (a Access) Check(c Claims, ok bool) error {
	switch {
	case a.public:
		return nil
	case !ok:
		return fmt.Errorf("%w: send a bearer token", httpapi.ErrUnauthorized)
	case !slices.Contains(a.roles, c.Role):
		return &httpapi.BearerError{Kind: httpapi.ErrForbidden, Code: "insufficient_scope",
			Description: fmt.Sprintf("role %s may not do this; it needs %s", c.Role, strings.Join(a.roles, " or "))}
	case c.Role == RoleInstitution && c.InstitutionID == "":
		return &httpapi.BearerError{Kind: httpapi.ErrForbidden, Code: "insufficient_scope", Description: "the token names no institution_id"}
	case c.Role == RoleCaseworker && c.Municipality == "":
		return &httpapi.BearerError{Kind: httpapi.ErrForbidden, Code: "insufficient_scope", Description: "the token names no municipality"}
	case c.Role == RoleEmployer && !cvr.Valid(c.CVR):
		return &httpapi.BearerError{Kind: httpapi.ErrForbidden, Code: "insufficient_scope", Description: "the token names no valid cvr"}
	}
	return nil
}

// Guard serves next only to callers a allows; others get the problem Check names.
func (a Access) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := FromContext(r.Context())
		if err := a.Check(c, ok); err != nil {
			httpapi.WriteProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Route is one endpoint of a service: its pattern (as http.ServeMux takes it), who may call it and
// its handler. Each service lists all of its routes in one table, which is what it serves and what
// its authorization matrix test checks.
type Route struct {
	Pattern string
	Access  Access
	Handler http.Handler
}

// Handle registers each route on mux behind its Access.
func Handle(mux *http.ServeMux, routes []Route) {
	for _, rt := range routes {
		mux.Handle(rt.Pattern, rt.Access.Guard(rt.Handler))
	}
}

// Caller is the signed-in caller of a route whose Access let it in (zero Claims on a public route
// called without a token).
func Caller(r *http.Request) Claims {
	c, _ := FromContext(r.Context())
	return c
}

// Company is the company a /v1/employers/{cvr}/… path names, if the caller may act for it: a user of
// that company (its CVR number in the token); an administrator only to read (GET). Another company
// is ErrForbidden (insufficient_scope); a path that is not a CVR number is a validation error.
func Company(r *http.Request) (string, error) {
	number := r.PathValue("cvr")
	if err := cvr.Check(number); err != nil {
		return "", &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "cvr", Message: err.Error()}}}
	}
	c := Caller(r)
	switch {
	case c.Role == RoleEmployer && c.CVR == number:
		return number, nil
	case c.Role == RoleAdmin && r.Method == http.MethodGet:
		return number, nil
	}
	return "", &httpapi.BearerError{Kind: httpapi.ErrForbidden, Code: "insufficient_scope",
		Description: "you act for another company (CVR " + c.CVR + ")"}
}
