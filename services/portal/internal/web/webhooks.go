package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/session"
)

// Webhooks: an institution's endpoints get its enrolment events, signed (Standard Webhooks). The
// secret is shown once, on the endpoint's page right after it was made or rotated, and then never
// again: the portal holds it in the session only until that page is shown (at most secretShown).

// webhookEvents are the enrolment events an endpoint can subscribe to, by their short name.
var webhookEvents = []string{"requested", "waitlisted", "offered", "confirmed", "accepted", "rejected", "cancelled", "started",
	"completed", "withdrawn"}

// webhookAll subscribes to every enrolment event, also those added later.
const webhookAll = "*"

// deliveryStatuses are a delivery's states.
var deliveryStatuses = []string{"pending", "failed", "succeeded", "gave_up"}

const secretShown = 10 * time.Minute

func eventType(short string) string { return "livslang.enrolment." + short + ".v1" }

// eventShort is the short name of an event type ("livslang.enrolment.confirmed.v1" → "confirmed").
func eventShort(t string) string {
	if t == webhookAll {
		return "all"
	}
	return strings.TrimSuffix(strings.TrimPrefix(t, "livslang.enrolment."), ".v1")
}

// WebhookView is an endpoint with its subscriptions in words.
type WebhookView struct {
	api.Webhook
	Events []string // short names ("all" for *)
}

func webhookView(wh api.Webhook) WebhookView {
	v := WebhookView{Webhook: wh}
	for _, t := range wh.EventTypes {
		v.Events = append(v.Events, eventShort(t))
	}
	return v
}

var webhookLabels = map[string]string{"url": "webhooks.url", "event_types": "webhooks.events"}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) error {
	f := &Form{}
	f.Values = map[string][]string{"events": {"all"}}
	return s.renderWebhooks(w, r, f, http.StatusOK)
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	list, err := s.API.Webhooks(r.Context(), s.token(r), s.institutionID(r))
	if err != nil {
		return err
	}
	views := make([]WebhookView, 0, len(list))
	for _, wh := range list {
		views = append(views, webhookView(wh))
	}
	return s.render(w, r, status, "webhooks", Page{Title: l.T("webhooks.title"), Nav: "webhooks", Form: f,
		Data: map[string]any{"Items": views, "Events": append([]string{"all"}, webhookEvents...)}})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	f := formFrom(r)
	f.require(l, "url", "webhooks.url")
	if u, err := url.Parse(f.Get("url")); f.Get("url") != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		f.Add("url", l.T("webhooks.url"), l.T("err.webhook_url"))
	}
	var types []string
	for _, e := range f.Values["events"] {
		switch {
		case e == "all":
			types = []string{webhookAll}
		case slices.Contains(webhookEvents, e) && !slices.Contains(types, webhookAll):
			types = append(types, eventType(e))
		}
	}
	if len(types) == 0 {
		f.Add("events", l.T("webhooks.events"), l.T("err.webhook_events"))
	}
	if !f.Failed() {
		wh, err := s.API.CreateWebhook(r.Context(), s.token(r), s.institutionID(r), f.Get("url"), types)
		switch api.StatusOf(err) {
		case 0:
			s.showSecret(r, wh.ID, wh.Secret, "")
			s.flash(r, "success", "flash.webhook_created")
			return redirect(w, r, "/institution/webhooks/"+wh.ID)
		case http.StatusBadRequest:
			for _, fe := range api.FieldErrors(err) {
				if strings.HasPrefix(fe.Field, "event_types") {
					f.Add("events", l.T("webhooks.events"), l.T("err.webhook_events"))
				} else if fe.Field == "url" {
					f.Add("url", l.T("webhooks.url"), l.T("err.webhook_url"))
				}
			}
			if !f.Failed() {
				f.addAPIErrors(l, err, webhookLabels)
			}
		default:
			return err
		}
	}
	return s.renderWebhooks(w, r, f, http.StatusBadRequest)
}

// showSecret keeps a secret in the session until the endpoint's page shows it, once.
func (s *Server) showSecret(r *http.Request, id, secret, note string) {
	s.updateSession(r, func(x *session.Session) {
		x.Secret = &session.Secret{For: id, Value: secret, Note: note, Expires: s.Now().Add(secretShown)}
	})
}

// ownWebhook finds the endpoint among the institution's own; another's is not found.
func (s *Server) ownWebhook(r *http.Request) (api.Webhook, error) {
	list, err := s.API.Webhooks(r.Context(), s.token(r), s.institutionID(r))
	if err != nil {
		return api.Webhook{}, err
	}
	for _, wh := range list {
		if wh.ID == r.PathValue("id") {
			return wh, nil
		}
	}
	return api.Webhook{}, errNotFound
}

// DeliveryView is a delivery with its event in words.
type DeliveryView struct {
	api.Delivery
	Event string
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderWebhook(w, r, nil, http.StatusOK)
}

func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, f *Form, status int) error {
	l := stateOf(r).lang
	wh, err := s.ownWebhook(r)
	if err != nil {
		return err
	}
	after := r.URL.Query().Get("after")
	page, err := s.API.Deliveries(r.Context(), s.token(r), s.institutionID(r), wh.ID, after, 25)
	if api.StatusOf(err) == http.StatusBadRequest { // a cursor that is not one: start from the newest
		after = ""
		page, err = s.API.Deliveries(r.Context(), s.token(r), s.institutionID(r), wh.ID, "", 25)
	}
	if err != nil {
		return err
	}
	deliveries := make([]DeliveryView, 0, len(page.Items))
	for _, d := range page.Items {
		deliveries = append(deliveries, DeliveryView{Delivery: d, Event: eventShort(d.EventType)})
	}
	data := map[string]any{"Webhook": webhookView(wh), "Deliveries": deliveries}
	if page.Next != "" {
		data["Next"] = "/institution/webhooks/" + wh.ID + "?" + url.Values{"after": {page.Next}}.Encode() + "#deliveries-title"
	}
	if after != "" {
		data["First"] = "/institution/webhooks/" + wh.ID + "#deliveries-title"
	}
	if st := stateOf(r); st.sess != nil && st.sess.Secret != nil && r.Method == http.MethodGet {
		s.updateSession(r, func(x *session.Session) {
			if sec := x.TakeSecret(wh.ID, s.Now()); sec != nil {
				data["Secret"], data["SecretNote"] = sec.Value, sec.Note
			}
		})
	}
	if f == nil {
		f = &Form{}
		now := s.Now().In(i18n.Copenhagen)
		f.Set("from", now.Add(-24*time.Hour).Format(localMinute))
		f.Set("to", now.Add(time.Minute).Format(localMinute))
	}
	return s.render(w, r, status, "webhook", Page{Title: l.T("webhook.title"), Nav: "webhooks", Form: f, Data: data})
}

// localMinute is how <input type="datetime-local"> writes a time.
const localMinute = "2006-01-02T15:04"

func (s *Server) rotateWebhook(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	wh, err := s.ownWebhook(r)
	if err != nil {
		return err
	}
	rot, err := s.API.RotateSecret(r.Context(), s.token(r), s.institutionID(r), wh.ID)
	switch api.StatusOf(err) {
	case 0:
		s.showSecret(r, wh.ID, rot.Secret, l.T("webhook.previous_until", l.DateTime(rot.PreviousExpiresAt)))
		s.flash(r, "success", "flash.webhook_rotated")
	case http.StatusConflict, http.StatusNotFound:
		s.flash(r, "error", "err.webhook_state")
	default:
		return err
	}
	return redirect(w, r, "/institution/webhooks/"+wh.ID)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	wh, err := s.ownWebhook(r)
	if err != nil {
		return err
	}
	f := formFrom(r)
	f.Scope = "delete"
	if f.Get("confirm") != "yes" {
		f.Add("confirm", l.T("webhook.delete_confirm"), l.T("err.webhook_confirm"))
		return s.renderWebhook(w, r, f, http.StatusBadRequest)
	}
	if err := s.API.DeleteWebhook(r.Context(), s.token(r), s.institutionID(r), wh.ID); err != nil && api.StatusOf(err) != http.StatusNotFound {
		return err
	}
	s.flash(r, "success", "flash.webhook_deleted")
	return redirect(w, r, "/institution/webhooks")
}

// replayWebhook sends again what was delivered to the endpoint in a time range (Copenhagen time).
func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	wh, err := s.ownWebhook(r)
	if err != nil {
		return err
	}
	f := formFrom(r)
	f.Scope = "replay"
	parse := func(id, label string) time.Time {
		v := f.Get(id)
		if v == "" {
			f.Add(id, l.T(label), l.T("err.required"))
			return time.Time{}
		}
		t, err := time.ParseInLocation(localMinute, v, i18n.Copenhagen)
		if err != nil {
			f.Add(id, l.T(label), l.T("err.datetime"))
		}
		return t
	}
	from, to := parse("from", "webhook.from"), parse("to", "webhook.to")
	if !f.Failed() && !from.Before(to) {
		f.Add("to", l.T("webhook.to"), l.T("err.replay_order"))
	}
	if !f.Failed() {
		n, err := s.API.Replay(r.Context(), s.token(r), s.institutionID(r), wh.ID, from, to)
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.webhook_replayed", n)
			return redirect(w, r, "/institution/webhooks/"+wh.ID)
		case http.StatusBadRequest:
			f.addAPIErrors(l, err, map[string]string{"from": "webhook.from", "to": "webhook.to"})
		case http.StatusConflict:
			f.Add("", l.T("webhook.replay_title"), l.T("err.webhook_disabled"))
		default:
			return err
		}
	}
	return s.renderWebhook(w, r, f, http.StatusBadRequest)
}
