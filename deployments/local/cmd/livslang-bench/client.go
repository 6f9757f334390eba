package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"livslang.dk/pkg/apiclient"
)

// client is the load generator's HTTP client: many connections to the same host, kept alive.
var client = &http.Client{
	Timeout: 60 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     90 * time.Second,
	},
}

type response struct {
	status int
	body   []byte
	header http.Header
}

// call sends a request with a bearer token and extra header pairs: body is nil, bytes sent as they
// are (with a Content-Type pair), or a value sent as JSON.
func call(ctx context.Context, method, url, token string, body any, header ...string) (response, error) {
	var payload []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		payload = v
	default:
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return response{}, err
		}
	}
	req, err := apiclient.NewRequest(ctx, method, url, token, payload, header...)
	if err != nil {
		return response{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: b, header: resp.Header}, err
}

// callJSON calls and decodes a response with the wanted status into out.
func callJSON(ctx context.Context, method, url, token string, body, out any, want int) error {
	r, err := call(ctx, method, url, token, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if r.status != want {
		return fmt.Errorf("%s %s: %d (want %d): %s", method, url, r.status, want, truncate(r.body, 400))
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, url, err)
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func newUUID() string { return uuid.NewString() }

// token asks the development identity provider for a token.
func token(ctx context.Context, idp string, claims map[string]string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := callJSON(ctx, http.MethodPost, idp+"/token", "", claims, &out, http.StatusOK); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

// parallel runs fn(i) for i in [0, n) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// citizen is a benchmark citizen with a saved profile.
type citizen struct {
	sub   string
	token string
}

// cprFor makes a distinct, well-formed CPR number for citizen i (born 1960–1989; the serial's first
// digit 0–3 puts the birth year in the 1900s).
func cprFor(i int) string {
	return fmt.Sprintf("%02d%02d%02d%04d", 1+i%28, 1+(i/28)%12, 60+(i/336)%30, i/10080)
}

func profileFor(i int) map[string]any {
	lang := "da"
	if i%5 == 0 {
		lang = "en"
	}
	return map[string]any{
		"name": fmt.Sprintf("Bench Borger %d", i), "email": fmt.Sprintf("bench%06d@example.dk", i), "phone": "+4520123456",
		"language":   lang,
		"education":  map[string]any{"level": "erhvervsuddannelse", "completed_year": 2005},
		"employment": map[string]any{"status": "employed", "employer_cvr": "12345674", "since": "2015-01-01", "weekly_hours": 37},
		"benefits":   "none",
	}
}

type institution struct {
	id    string
	name  string
	token string
}

type courseRun struct {
	id          string
	institution int // index into institutions
	seats       int
	next        atomic.Int64 // how many citizens have enrolled on it (citizen indices are offset per run)
	offset      int
}

// createRun publishes a run through the institution API.
func createRun(ctx context.Context, reg string, inst institution, body map[string]any) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := callJSON(ctx, http.MethodPost, reg+"/v1/institutions/"+inst.id+"/courses", inst.token, body, &out, http.StatusCreated); err != nil {
		return "", err
	}
	return out.ID, nil
}

func runBody(code, title, category string, schemes []string, startsIn int, fee int64, seats int) map[string]any {
	start := time.Now().AddDate(0, 0, startsIn)
	return map[string]any{
		"code": code, "title": title, "category": category, "schemes": schemes, "location": "Herning",
		"starts_on": start.Format(time.DateOnly), "ends_on": start.AddDate(0, 0, 14).Format(time.DateOnly),
		"hours_per_week": 20, "fee_dkk": fee, "seats_total": seats, "description": "Oprettet af make bench.",
	}
}

// enrolAnswer is what POST /v1/enrolments answered.
type enrolAnswer struct {
	status   int
	id       string
	state    string // pending, waitlisted
	position int
	err      error
	at       time.Time
}

func enrol(ctx context.Context, reg, token, courseID, preference string) enrolAnswer {
	r, err := call(ctx, http.MethodPost, reg+"/v1/enrolments", token,
		map[string]string{"course_id": courseID, "funding_preference": preference}, "Idempotency-Key", newUUID())
	a := enrolAnswer{status: r.status, err: err, at: time.Now()}
	if err == nil && r.status == http.StatusAccepted {
		var out struct {
			ID               string `json:"id"`
			Status           string `json:"status"`
			WaitlistPosition int    `json:"waitlist_position"`
		}
		if json.Unmarshal(r.body, &out) == nil {
			a.id, a.state, a.position = out.ID, out.Status, out.WaitlistPosition
		}
	} else if err == nil && r.status != http.StatusTooManyRequests {
		a.err = fmt.Errorf("%d: %s", r.status, truncate(r.body, 300))
	}
	return a
}
