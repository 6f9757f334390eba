package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// enrolState is what the institution feeds said about one enrolment. Times are the events' own
// `time` (set by registration in the transaction that made the change), so how often the feed is
// polled does not change the latencies.
type enrolState struct {
	course       string
	status       string // the latest status seen
	requestedAt  time.Time
	waitlistedAt time.Time
	confirmedAt  time.Time
	rejectedAt   time.Time
	confirmEvent string // id of the confirmed event (notification's message carries it)
	position     int
}

// watcher follows every institution's feed (GET /v1/institutions/{id}/feed) in the background.
type watcher struct {
	reg   string
	mu    sync.Mutex
	state map[string]*enrolState
	count map[string]int // records seen per institution
}

func newWatcher(reg string) *watcher {
	return &watcher{reg: reg, state: map[string]*enrolState{}, count: map[string]int{}}
}

type feedItem struct {
	ID   string    `json:"id"`
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	Data struct {
		EnrolmentID      string `json:"enrolment_id"`
		Status           string `json:"status"`
		WaitlistPosition int    `json:"waitlist_position"`
		Course           struct {
			ID string `json:"id"`
		} `json:"course"`
	} `json:"data"`
}

// follow polls one institution's feed until ctx ends: at once again after a full page, else after
// 200 ms.
func (w *watcher) follow(ctx context.Context, inst institution) {
	after := ""
	for ctx.Err() == nil {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next"`
		}
		u := w.reg + "/v1/institutions/" + inst.id + "/feed?limit=1000&after=" + url.QueryEscape(after)
		if err := callJSON(ctx, http.MethodGet, u, inst.token, nil, &page, http.StatusOK); err == nil {
			w.apply(inst.id, page.Items)
			after = page.Next
			if len(page.Items) == 1000 {
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (w *watcher) apply(inst string, items []json.RawMessage) {
	parsed := make([]feedItem, 0, len(items))
	for _, raw := range items {
		var it feedItem
		if json.Unmarshal(raw, &it) == nil {
			parsed = append(parsed, it)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count[inst] += len(items)
	for _, it := range parsed {
		id := it.Data.EnrolmentID
		if id == "" {
			continue
		}
		s := w.state[id]
		if s == nil {
			s = &enrolState{course: it.Data.Course.ID}
			w.state[id] = s
		}
		if it.Data.Status != "" {
			s.status = it.Data.Status
		}
		switch it.Type {
		case "livslang.enrolment.requested.v1":
			if s.requestedAt.IsZero() {
				s.requestedAt = it.Time
			}
		case "livslang.enrolment.waitlisted.v1":
			if s.waitlistedAt.IsZero() {
				s.waitlistedAt, s.position = it.Time, it.Data.WaitlistPosition
			}
		case "livslang.enrolment.confirmed.v1":
			if s.confirmedAt.IsZero() {
				s.confirmedAt, s.confirmEvent = it.Time, it.ID
			}
		case "livslang.enrolment.rejected.v1":
			if s.rejectedAt.IsZero() {
				s.rejectedAt = it.Time
			}
		}
	}
}

// get returns a copy of what is known about an enrolment.
func (w *watcher) get(id string) (enrolState, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.state[id]
	if !ok {
		return enrolState{}, false
	}
	return *s, true
}

func (w *watcher) records(inst string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count[inst]
}

// course returns the states of every enrolment seen on a run.
func (w *watcher) course(id string) []enrolState {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []enrolState
	for _, s := range w.state {
		if s.course == id {
			out = append(out, *s)
		}
	}
	return out
}

// waitFor polls until done reports true for every id, or the deadline passes.
func (w *watcher) waitFor(ctx context.Context, ids []string, deadline time.Time, done func(enrolState) bool) bool {
	for {
		all := true
		w.mu.Lock()
		for _, id := range ids {
			s, ok := w.state[id]
			if !ok || !done(*s) {
				all = false
				break
			}
		}
		w.mu.Unlock()
		if all {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
