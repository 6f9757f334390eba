package main

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// outcome is what the client knows of an operation when it gives up or succeeds.
type outcome string

const (
	ok      outcome = "ok"      // answered 2xx: the system promised to do it
	failed  outcome = "failed"  // refused for good (4xx): nothing was promised
	unknown outcome = "unknown" // no final answer (timeouts, cut connections, 5xx until the deadline)
)

// op is one logical operation of the workload, however many HTTP attempts it took.
type op struct {
	ID       int       `json:"id"`
	Kind     string    `json:"kind"`   // enrol, cancel, offer_accept, offer_decline, refer, referral_accept, referral_decline, accept, complete, profile
	Actor    string    `json:"actor"`  // citizen id, caseworker, institution id
	Target   string    `json:"target"` // course run, enrolment or referral id
	Key      string    `json:"key,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Outcome  outcome   `json:"outcome"`
	Status   int       `json:"status"` // last HTTP status (0: none)
	Attempts int       `json:"attempts"`
	Result   string    `json:"result,omitempty"` // what was made: an enrolment or a referral id
	// Results are the distinct ids the attempts answered; more than one means the retries made the
	// thing twice.
	Results []string `json:"results,omitempty"`
	State   string   `json:"state,omitempty"` // the status the answer gave (pending, waitlisted, ...)
	Note    string   `json:"note,omitempty"`
}

// history records every operation and every HTTP answer, for the checker.
type history struct {
	mu   sync.Mutex
	ops  []*op
	http httpStats
	// rolling is set while a rolling restart runs: answers then are counted separately.
	rolling bool
	// feedGaps are the institutions' feed readers' observations of a sequence that skipped a number.
	feedGaps []string
}

// httpStats counts the answers of every attempt.
type httpStats struct {
	Requests        int            `json:"requests"`
	ByStatus        map[string]int `json:"by_status"`
	ConnectionError int            `json:"connection_errors"` // no answer at all (after trying every instance)
	// ServerErrors are 5xx answers other than 503: a failure the service did not handle.
	ServerErrors int      `json:"server_errors"`
	Examples     []string `json:"server_error_examples,omitempty"`
	Unavailable  int      `json:"unavailable_503"`
	// UnavailableNoRetryAfter are 503 or 429 answers without Retry-After (backpressure without a hint).
	UnavailableNoRetryAfter int `json:"unavailable_without_retry_after"`
	TooMany                 int `json:"too_many_429"`
	// Failovers are requests a refused connection sent to the service's other instance.
	Failovers int `json:"failovers"`
	// During the rolling restart: requests, 5xx answers and requests no instance answered.
	RollingRequests   int `json:"rolling_restart_requests"`
	Rolling5xx        int `json:"rolling_restart_5xx"`
	RollingUnanswered int `json:"rolling_restart_unanswered"`
}

func newHistory() *history {
	return &history{http: httpStats{ByStatus: map[string]int{}}}
}

func (h *history) begin(kind, actor, target string) *op {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := &op{ID: len(h.ops) + 1, Kind: kind, Actor: actor, Target: target, Start: time.Now()}
	h.ops = append(h.ops, o)
	return o
}

// attempted counts one more attempt at o.
func (h *history) attempted(o *op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o.Attempts++
}

// answered records what an attempt at o made (an enrolment or referral id) and the state it is in.
func (h *history) answered(o *op, id, state string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == "" {
		return
	}
	o.Result = id
	if state != "" {
		o.State = state
	}
	if !slices.Contains(o.Results, id) {
		o.Results = append(o.Results, id)
	}
}

// finish records the operation's final outcome.
func (h *history) finish(o *op, out outcome, status int, note string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o.End, o.Outcome, o.Status = time.Now(), out, status
	if note != "" {
		o.Note = note
	}
}

// answer records one HTTP attempt: its status (0 when nothing answered), whether a 503 or 429 had
// Retry-After, and a description for the report when it was a server error. A failover is an
// instance that refused the connection, so the request went on to the next.
func (h *history) answer(status int, retryAfter bool, failover bool, describe func() string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &h.http
	if failover {
		s.Failovers++
		return
	}
	s.Requests++
	if h.rolling {
		s.RollingRequests++
	}
	if status == 0 {
		s.ConnectionError++
		if h.rolling {
			s.RollingUnanswered++
		}
		return
	}
	s.ByStatus[fmt.Sprint(status)]++
	switch {
	case status == 503:
		s.Unavailable++
	case status == 429:
		s.TooMany++
	case status >= 500:
		s.ServerErrors++
		if len(s.Examples) < 20 {
			s.Examples = append(s.Examples, describe())
		}
	}
	if (status == 503 || status == 429) && !retryAfter {
		s.UnavailableNoRetryAfter++
	}
	if h.rolling && status >= 500 {
		s.Rolling5xx++
	}
}

func (h *history) setRolling(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rolling = on
}

func (h *history) feedGap(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.feedGaps = append(h.feedGaps, s)
}

// snapshot returns copies of the operations and the HTTP counts.
func (h *history) snapshot() ([]op, httpStats, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ops := make([]op, len(h.ops))
	for i, o := range h.ops {
		ops[i] = *o
	}
	s := h.http
	s.ByStatus = map[string]int{}
	for k, v := range h.http.ByStatus {
		s.ByStatus[k] = v
	}
	return ops, s, slices.Clone(h.feedGaps)
}
