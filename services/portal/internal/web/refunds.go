package web

import (
	"io"
	"net/http"
	"net/url"
	"slices"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
)

// Refunds: what the company gets back (VEU or SVU) for its employees' courses when the salary
// continued, from funding, with the spreadsheet passed through a portal route (the browser never
// holds a token).

// refundStatuses are the statuses the refunds filter by, in the order the filter offers them.
var refundStatuses = []string{"expected", "due", "paid", "cancelled"}

// RefundView is a refund as the page shows it.
type RefundView struct {
	api.Refund
	CPR   string // masked
	Title string // in the user's language
}

// refundFilter reads the refunds filter from the query; a wrong value is left out and shown on f.
func refundFilter(r *http.Request, f *Form) api.RefundFilter {
	l := stateOf(r).lang
	q := r.URL.Query()
	filter := api.RefundFilter{Status: q.Get("status"), From: q.Get("from"), To: q.Get("to")}
	f.Values = map[string][]string{"status": {filter.Status}, "from": {filter.From}, "to": {filter.To}}
	if filter.Status != "" && !slices.Contains(refundStatuses, filter.Status) {
		f.Add("status", l.T("filter.status"), l.T("err.refund_status"))
		filter.Status = ""
	}
	filterDates(f, l, &filter.From, &filter.To)
	return filter
}

func (s *Server) refunds(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	f := &Form{}
	filter := refundFilter(r, f)
	list, totals, err := s.API.Refunds(r.Context(), s.token(r), number, filter)
	if api.StatusOf(err) == http.StatusBadRequest {
		addFieldErrors(f, l, err, map[string]string{"status": "filter.status", "from": "filter.from", "to": "filter.to"}, "err.filter_")
		filter = api.RefundFilter{}
		list, totals, err = s.API.Refunds(r.Context(), s.token(r), number, filter)
	}
	if err != nil {
		return err
	}
	views := make([]RefundView, 0, len(list))
	for _, rf := range list {
		v := RefundView{Refund: rf, CPR: maskCPR(rf.Employee.CPR), Title: rf.Course.Title}
		if l == i18n.EN && rf.Course.TitleEN != "" {
			v.Title = rf.Course.TitleEN
		}
		views = append(views, v)
	}
	csv := url.Values{}
	for k, v := range map[string]string{"status": filter.Status, "from": filter.From, "to": filter.To} {
		if v != "" {
			csv.Set(k, v)
		}
	}
	download := "/employer/refunds.csv"
	if len(csv) > 0 {
		download += "?" + csv.Encode()
	}
	return s.render(w, r, http.StatusOK, "refunds", Page{Title: l.T("refunds.title"), Nav: "refunds", Form: f,
		Data: map[string]any{"Items": views, "Totals": totals, "Statuses": refundStatuses, "Filtered": filter != (api.RefundFilter{}),
			"Download": download}})
}

// downloadRefunds passes funding's spreadsheet of the company's refunds through, as a download.
func (s *Server) downloadRefunds(w http.ResponseWriter, r *http.Request) error {
	number, err := s.employerCVR(r)
	if err != nil {
		return err
	}
	filter := refundFilter(r, &Form{})
	body, err := s.API.RefundsCSV(r.Context(), s.token(r), number, filter)
	if err != nil {
		return err
	}
	defer body.Close()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="refusioner-`+number+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.Copy(w, body) // the header is sent: a broken copy cannot become an error page any more
	return nil
}
