package testenv

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
)

// The kinds of caller an authorization matrix has a column for, in column order.
const (
	Anonymous       = iota // no token
	Citizen                // the citizen whose data the request names
	OtherCitizen           // another citizen
	Caseworker             // a caseworker of the citizen's municipality
	OtherCaseworker        // a caseworker of another municipality
	Staff                  // staff of the institution the request names
	OtherStaff             // staff of another institution
	Admin                  // an administrator
	Employer               // a user of the company the request names (or the citizen's employer)
	OtherEmployer          // a user of another company
	callerKinds
)

var callerNames = [callerKinds]string{"anonymous", "citizen", "other citizen", "caseworker", "other caseworker", "staff", "other staff",
	"admin", "employer", "other employer"}

// Callers are the bearer tokens of each kind of caller ("" for Anonymous).
type Callers [callerKinds]string

// Want is the status each kind of caller gets, in column order. A row that leaves out both employer
// columns (a route no company is a party to) gives them what an anonymous caller gets on a public
// route and 403 on every other.
type Want [callerKinds]int

// Request is one call of a route: its concrete path, a body (nil, a string sent as is, or a value
// sent as JSON) and headers as name, value pairs.
type Request struct {
	Path   string
	Body   any
	Header []string
}

// Case is one row of an authorization matrix: a route of the service's table, how to call it and
// what each kind of caller gets. Call is called once per kind of caller, in column order, so a write
// can act on a fresh resource each time, or a body can suit the caller (a caseworker names a client).
type Case struct {
	Route string
	Call  func(t *testing.T, caller int) Request
	Want  Want
}

// Path is a Call of a fixed path without a body.
func Path(p string) func(*testing.T, int) Request {
	return func(*testing.T, int) Request { return Request{Path: p} }
}

// All is the same status for every kind of caller.
func All(status int) Want {
	var w Want
	for i := range w {
		w[i] = status
	}
	return w
}

// CheckMatrix checks a service's authorization matrix: every route of its table (and the health,
// readiness and metrics routes every service has) must have exactly one case, so adding an endpoint
// without deciding who may call it fails; then every case is called as every kind of caller and
// the statuses compared. A 401 must carry a WWW-Authenticate challenge.
func CheckMatrix(t *testing.T, base string, routes []auth.Route, callers Callers, cases []Case) {
	t.Helper()
	served := slices.Clone(httpapi.OpsPatterns)
	for _, r := range routes {
		served = append(served, r.Pattern)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		if covered[c.Route] {
			t.Errorf("authorization matrix: %s has two rows", c.Route)
		}
		covered[c.Route] = true
		if !slices.Contains(served, c.Route) {
			t.Errorf("authorization matrix: %s is not a route the service serves", c.Route)
		}
	}
	for _, p := range served {
		if !covered[p] {
			t.Errorf("authorization matrix: route %s has no row: decide what each kind of caller gets", p)
		}
	}
	var wrong []string
	for _, c := range cases {
		method, _, _ := strings.Cut(c.Route, " ")
		if c.Want[Employer] == 0 && c.Want[OtherEmployer] == 0 {
			def := http.StatusForbidden
			if c.Want[Anonymous] != http.StatusUnauthorized {
				def = c.Want[Anonymous]
			}
			c.Want[Employer], c.Want[OtherEmployer] = def, def
		}
		for kind := range callerKinds {
			req := c.Call(t, kind)
			r := Do(t, method, base+req.Path, callers[kind], req.Body, req.Header...)
			if r.Status != c.Want[kind] {
				wrong = append(wrong, fmt.Sprintf("%-50s %-16s got %d, want %d: %.200s", c.Route, callerNames[kind], r.Status, c.Want[kind], r.Body))
			}
			if r.Status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer ") {
				wrong = append(wrong, fmt.Sprintf("%-50s %-16s 401 without a Bearer challenge", c.Route, callerNames[kind]))
			}
		}
	}
	if len(wrong) > 0 {
		t.Errorf("authorization matrix: %d answers differ:\n%s", len(wrong), strings.Join(wrong, "\n"))
	}
}
