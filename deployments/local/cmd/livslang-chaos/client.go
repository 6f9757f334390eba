package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"livslang.dk/pkg/apiclient"
)

// client calls the services as a real client behind a load balancer would: each service has several
// instances; a refused connection goes to the next instance at once, anything else is the caller's
// to retry. Every answer is recorded in the history.
type client struct {
	http      *http.Client
	instances map[string][]string // service → base URLs
	next      atomic.Uint64
	h         *history
}

func newClient(instances map[string][]string, h *history) *client {
	return &client{h: h, instances: instances, http: &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}}
}

type response struct {
	status     int
	body       []byte
	retryAfter time.Duration
}

// call sends one request to service (trying its other instances while connections are refused) and
// decodes a 2xx JSON answer into out when out is not nil.
func (c *client) call(ctx context.Context, service, method, path, token string, body, out any, header ...string) (response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return response{}, err
		}
	}
	urls := c.instances[service]
	first := int(c.next.Add(1))
	var lastErr error
	for i := range urls {
		base := urls[(first+i)%len(urls)]
		r, err := c.once(ctx, base, method, path, token, payload, header)
		if err != nil && errors.Is(err, syscall.ECONNREFUSED) && i+1 < len(urls) {
			lastErr = err
			c.h.answer(0, false, true, nil)
			continue // the instance is down: the balancer sends the request to the next one
		}
		if err != nil {
			c.h.answer(0, false, false, nil)
			return r, err
		}
		c.h.answer(r.status, r.retryAfter > 0, false, func() string {
			return fmt.Sprintf("%s %s %s: %d %s", service, method, path, r.status, truncate(r.body, 200))
		})
		if out != nil && r.status/100 == 2 {
			if err := json.Unmarshal(r.body, out); err != nil {
				return r, fmt.Errorf("%s %s: decode: %w", method, path, err)
			}
		}
		return r, nil
	}
	return response{}, lastErr
}

func (c *client) once(ctx context.Context, base, method, path, token string, payload []byte, header []string) (response, error) {
	req, err := apiclient.NewRequest(ctx, method, base+path, token, payload, header...)
	if err != nil {
		return response{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, body: b}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			r.retryAfter = time.Duration(max(n, 1)) * time.Second
		}
	}
	return r, err
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
