package api

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"livslang.dk/pkg/httpapi"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/internal/webhooks"
)

// decodeBody reads body as the handlers do: decoded, or refused as an invalid request.
func decodeBody(t *testing.T, body string, v any) bool {
	t.Helper()
	err := httpapi.DecodeJSON(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), v)
	if err != nil && !errors.Is(err, httpapi.ErrInvalid) {
		t.Fatalf("decoding %q: %v, want ErrInvalid", body, err)
	}
	return err == nil
}

func fieldErrorsOnly(t *testing.T, body string, err error) {
	t.Helper()
	var v *httpapi.ValidationError
	if err != nil && (!errors.As(err, &v) || len(v.Fields) == 0) {
		t.Fatalf("validating %q: %v, want field errors", body, err)
	}
}

// FuzzWebhookConfig: any webhook configuration is an absolute https URL (or http to this machine)
// without credentials and known event types, or refused field by field.
func FuzzWebhookConfig(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://hooks.example.dk/livslang","event_types":["*"]}`,
		`{"url":"http://127.0.0.1:9000/x","event_types":["livslang.enrolment.confirmed.v1"]}`,
		`{"url":"http://hooks.example.dk/x","event_types":["nope"]}`,
		`{"url":"https://user:pw@hooks.example.dk/","event_types":[]}`,
		`{"url":"javascript:alert(1)","event_types":["*"]}`, `{"url":"https://[::1","event_types":["*"]}`,
		`{"url":"//hooks.example.dk","event_types":null}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req webhookRequest
		if !decodeBody(t, body, &req) {
			return
		}
		err := req.validate(webhooks.Targets{AllowLoopback: true})
		fieldErrorsOnly(t, body, err)
		if err != nil {
			return
		}
		u, perr := url.Parse(req.URL)
		if perr != nil || u.User != nil || u.Hostname() == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
			t.Fatalf("accepted the URL %q", req.URL)
		}
		for _, typ := range req.EventTypes {
			if !webhooks.KnownType(typ) {
				t.Fatalf("accepted the event type %q", typ)
			}
		}
	})
}

// FuzzPreferencesBody: any body of PUT /v1/me/preferences is a known language and, per known kind of
// message, known channels without repeats, or refused field by field.
func FuzzPreferencesBody(f *testing.F) {
	for _, s := range []string{`{"language":"en"}`, `{"channels":{"enrolment_confirmed":["email","sms","email"]}}`,
		`{"channels":{"nope":[]}}`, `{"language":"de","channels":{"enrolment_confirmed":[]}}`, `{"language":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req preferencesRequest
		if !decodeBody(t, body, &req) {
			return
		}
		p, err := req.preferences()
		fieldErrorsOnly(t, body, err)
		if err != nil {
			return
		}
		if p.Language != "" && p.Language != "da" && p.Language != "en" {
			t.Fatalf("accepted the language %q", p.Language)
		}
		for kind, list := range p.Channels {
			seen := map[string]bool{}
			for _, c := range list {
				if !policy.KnownKind(kind) || !policy.KnownChannel(c) || seen[c] {
					t.Fatalf("accepted %s: %v", kind, list)
				}
				seen[c] = true
			}
		}
	})
}

func loopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
