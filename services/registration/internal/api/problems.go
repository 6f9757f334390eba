package api

import (
	"errors"
	"net/http"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/registration/internal/enrolment"
)

// domainKinds are the domain's error kinds and the HTTP API's kind each is answered with: the one
// place where the enrolment's refusals become problem responses.
var domainKinds = []struct{ domain, http error }{
	{enrolment.ErrNotAllowed, httpapi.ErrConflict},
}

// kinded is a domain error that also is the HTTP kind it is answered with; it reads as the domain
// error does.
type kinded struct{ err, kind error }

func (k kinded) Error() string   { return k.err.Error() }
func (k kinded) Unwrap() []error { return []error{k.err, k.kind} }

// translate gives a domain error the HTTP kind it is answered with.
func translate(err error) error {
	for _, k := range domainKinds {
		if errors.Is(err, k.domain) {
			return kinded{err: err, kind: k.http}
		}
	}
	return err
}

// handle serves f, answering its errors, the domain's translated, with problem responses.
func (a *API) handle(f httpapi.HandlerFunc) http.Handler {
	return httpapi.Handle(a.Log, func(w http.ResponseWriter, r *http.Request) error { return translate(f(w, r)) })
}
