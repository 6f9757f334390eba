package api

import (
	"errors"
	"net/http"

	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/registration/internal/enrolment"
)

// translate gives the domain's errors the fault kind the API answers them with: the one place where
// the enrolment's refusals become problem responses (a refusal is a conflict with the current state,
// its message the problem's detail).
func translate(err error) error {
	if r, ok := errors.AsType[*enrolment.Refusal](err); ok {
		return fault.Wrap(fault.Conflict, r.Message, err)
	}
	return err
}

// handle serves f, answering its errors, the domain's translated, with problem responses.
func (a *API) handle(f httpapi.HandlerFunc) http.Handler {
	return httpapi.Handle(a.Log, func(w http.ResponseWriter, r *http.Request) error { return translate(f(w, r)) })
}
