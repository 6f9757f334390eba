package web

import (
	"net/http"
	"slices"
	"strings"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
)

// messageKinds are the kinds of message to citizens, in the order the preferences page lists them;
// a kind notification answers that is not here is listed after them by its code.
var messageKinds = []string{"enrolment_received", "enrolment_waitlisted", "enrolment_offered", "enrolment_confirmed",
	"enrolment_rejected", "enrolment_cancelled", "enrolment_accepted", "course_changed", "course_cancelled",
	"referral_received", "referral_withdrawn", "reminder_course_start", "reminder_offer_expires", "reminder_referral_expires"}

// messageChannels are the channels a citizen may choose.
var messageChannels = []string{"email", "sms", "digital_post"}

// KindView is one kind of message on the preferences page.
type KindView struct {
	Kind, Label, Field string // Field: the form field of its channels
	Always             bool   // also by Digital Post whatever is chosen
}

func kindViews(l i18n.Lang, p api.Preferences) []KindView {
	kinds := slices.Clone(messageKinds)
	var extra []string
	for k := range p.Channels {
		if !slices.Contains(kinds, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	kinds = append(kinds, extra...)
	out := make([]KindView, 0, len(kinds))
	for _, k := range kinds {
		if _, ok := p.Channels[k]; !ok {
			continue // notification does not know it (any more)
		}
		label := k
		if l.Has("kind." + k) {
			label = l.T("kind." + k)
		}
		out = append(out, KindView{Kind: k, Label: label, Field: "ch_" + k, Always: slices.Contains(p.AlwaysDigitalPost, k)})
	}
	return out
}

func preferencesForm(p api.Preferences) *Form {
	f := &Form{Values: map[string][]string{"language": {p.Language}}}
	for k, chans := range p.Channels {
		f.Values["ch_"+k] = chans
	}
	return f
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request) error {
	p, err := s.API.Preferences(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	return s.renderPreferences(w, r, p, preferencesForm(p), http.StatusOK)
}

func (s *Server) renderPreferences(w http.ResponseWriter, r *http.Request, p api.Preferences, f *Form, status int) error {
	l := stateOf(r).lang
	return s.render(w, r, status, "preferences", Page{Title: l.T("preferences.title"), Nav: "notifications", Form: f,
		Data: map[string]any{"Kinds": kindViews(l, p), "Channels": messageChannels}})
}

func (s *Server) savePreferences(w http.ResponseWriter, r *http.Request) error {
	l := stateOf(r).lang
	current, err := s.API.Preferences(r.Context(), s.token(r))
	if err != nil {
		return err
	}
	f := formFrom(r)
	if lang := f.Get("language"); lang != "da" && lang != "en" {
		f.Add("language", l.T("preferences.language"), l.T("err.language"))
	}
	channels := map[string][]string{}
	for _, k := range kindViews(l, current) {
		var chosen []string
		for _, c := range f.Values[k.Field] {
			if slices.Contains(messageChannels, c) && !slices.Contains(chosen, c) {
				chosen = append(chosen, c)
			}
		}
		if len(chosen) == 0 {
			f.Add(k.Field, k.Label, l.T("err.channels"))
			continue
		}
		channels[k.Kind] = chosen
	}
	if !f.Failed() {
		_, err := s.API.SavePreferences(r.Context(), s.token(r), f.Get("language"), channels)
		switch api.StatusOf(err) {
		case 0:
			s.flash(r, "success", "flash.preferences_saved")
			return redirect(w, r, "/me/preferences")
		case http.StatusBadRequest:
			for _, fe := range api.FieldErrors(err) {
				if kind, ok := strings.CutPrefix(fe.Field, "channels."); ok {
					kind, _, _ = strings.Cut(kind, "[")
					label := kind
					if l.Has("kind." + kind) {
						label = l.T("kind." + kind)
					}
					f.Add("ch_"+kind, label, l.T("err.channels"))
				} else if fe.Field == "language" {
					f.Add("language", l.T("preferences.language"), l.T("err.language"))
				} else {
					f.Add("", l.T("form.request"), l.T("err.generic", fe.Message))
				}
			}
		default:
			return err
		}
	}
	return s.renderPreferences(w, r, current, f, http.StatusBadRequest)
}
