package web

import (
	"io"
	"net/http"
	"slices"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/oidc"
)

// dataServices are the services a data request reaches, in the order the page lists them.
var dataServices = []string{"registration", "funding", "notification"}

// DataRequestView is a data request with its parts in order.
type DataRequestView struct {
	api.DataRequest
	Parts []DataPartView
}

// DataPartView is one service's part of a data request.
type DataPartView struct {
	Service string
	api.DataRequestPart
}

// myData is "Mine data": the citizen asks for a copy of their data or its erasure, follows each
// service's part, downloads the copy, and sees who read or changed their data.
func (s *Server) myData(w http.ResponseWriter, r *http.Request) error {
	return s.renderMyData(w, r, nil, http.StatusOK)
}

func (s *Server) renderMyData(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	token := s.token(r)
	requests, err := s.API.DataRequests(r.Context(), token)
	if err != nil {
		return err
	}
	views := make([]DataRequestView, 0, len(requests))
	erased := false
	for _, d := range requests {
		v := DataRequestView{DataRequest: d}
		for _, svc := range dataServices {
			v.Parts = append(v.Parts, DataPartView{Service: svc, DataRequestPart: d.Services[svc]})
		}
		views = append(views, v)
		erased = erased || d.Kind == "erasure"
	}
	var entries []api.AuditEntry
	if !erased {
		if entries, err = s.API.Audit(r.Context(), token); err != nil {
			return err
		}
	}
	if f == nil {
		f = &Form{}
	}
	f.Key = oidc.Random(18) // a new key for every rendering: submitting a form twice asks once
	return s.render(w, r, status, "mydata", Page{Title: l.T("mydata.title"), Nav: "mydata", Form: f,
		Data: map[string]any{"Requests": views, "Erased": erased, "Audit": entries}})
}

// requestData asks for an export, or, when the citizen confirms it, the erasure of their data.
func (s *Server) requestData(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	kind := f.Get("kind")
	if !slices.Contains([]string{"export", "erasure"}, kind) {
		return errNotFound
	}
	f.Scope = kind
	if kind == "erasure" && f.Get("confirm") != "yes" {
		f.Add("confirm", l.T("mydata.erasure_confirm"), l.T("err.erasure_confirm"))
		return s.renderMyData(w, r, f, http.StatusBadRequest)
	}
	key := f.Get("idempotency_key")
	if key == "" {
		key = oidc.Random(18)
	}
	_, err := s.API.RequestData(r.Context(), s.token(r), key, kind)
	switch api.StatusOf(err) {
	case 0:
		s.flash(r, "success", "flash.data_"+kind)
		return redirect(w, r, "/me/data")
	case http.StatusConflict, http.StatusGone:
		f.Add("", l.T("mydata.heading"), l.T("err.data_erased"))
		return s.renderMyData(w, r, f, http.StatusConflict)
	}
	return err
}

// downloadData passes the citizen's export file on.
func (s *Server) downloadData(w http.ResponseWriter, r *http.Request) error {
	body, err := s.API.Export(r.Context(), s.token(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	sendJSONFile(w, body, "livslang-data.json")
	return nil
}

// sendJSONFile passes a JSON file from a service on as a download, and closes it.
func sendJSONFile(w http.ResponseWriter, body io.ReadCloser, name string) {
	defer body.Close()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.Copy(w, body) // the header is sent: a broken copy cannot become an error page any more
}
