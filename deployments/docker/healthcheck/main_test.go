package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestTarget(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LIVSLANG_SERVICE": "funding"}, "http://127.0.0.1:8082/readyz"},
		{map[string]string{"LIVSLANG_SERVICE": "portal", "LIVSLANG_PORTAL_ADDR": "0.0.0.0:9000"}, "http://127.0.0.1:9000/readyz"},
		{map[string]string{"LIVSLANG_SERVICE": "registration", "LIVSLANG_REGISTRATION_ADDR": ":8081"}, "http://127.0.0.1:8081/readyz"},
		{map[string]string{"LIVSLANG_SERVICE": "nope"}, "error"},
		{map[string]string{"LIVSLANG_SERVICE": "funding", "LIVSLANG_FUNDING_ADDR": "nonsense"}, "error"},
	} {
		got, err := target(func(k string) string { return c.env[k] }, "/readyz")
		if err != nil {
			got = "error"
		}
		if got != c.want {
			t.Errorf("%v: %s, want %s", c.env, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := check(srv.URL + "/readyz"); err != nil {
		t.Fatal(err)
	}
	ready.Store(false)
	if err := check(srv.URL + "/readyz"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("unready service: %v", err)
	}
}
