// Package apiclient builds requests to Livslang's HTTP APIs for the tools and tests that call them
// (the load generator, the fault-injection suite, the local launcher, the test harness).
package apiclient

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// NewRequest is a request with body as JSON (none when nil), the bearer token (none when "") and the
// header pairs (name, value, name, value, …).
func NewRequest(ctx context.Context, method, url, token string, body []byte, header ...string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req, nil
}
