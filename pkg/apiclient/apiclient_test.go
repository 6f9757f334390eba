package apiclient

import (
	"context"
	"io"
	"net/http"
	"testing"
)

func TestNewRequest(t *testing.T) {
	req, err := NewRequest(context.Background(), http.MethodPost, "http://127.0.0.1/v1/enrolments", "tok", []byte(`{"a":1}`),
		"Idempotency-Key", "k1", "dangling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	if string(body) != `{"a":1}` || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("Authorization") != "Bearer tok" ||
		req.Header.Get("Idempotency-Key") != "k1" || req.Header.Get("dangling") != "" {
		t.Fatalf("request %v %q", req.Header, body)
	}
	req, err = NewRequest(context.Background(), http.MethodGet, "http://127.0.0.1/healthz", "", nil)
	if err != nil || req.Body != nil || req.Header.Get("Content-Type") != "" || req.Header.Get("Authorization") != "" {
		t.Fatalf("bare request %v %v", req.Header, err)
	}
}
