package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"livslang.dk/services/portal/internal/api"
)

// The suggestions on a page (next steps) are each checked with the eligibility pre-check, as a
// course page is: concurrently, at most fundedConcurrency at a time, and all of them within
// fundedTimeout, so the page stays fast and funding is not flooded. The search's "funded for me"
// filter is registration's funded_for_me=true, from what funding published.
const (
	fundedConcurrency = 6
	fundedTimeout     = 8 * time.Second
)

// forEachLimited calls f for 0..n-1, at most limit calls at a time, and waits for them. When ctx ends
// first, the calls not yet started are skipped and reported false in started.
func forEachLimited(ctx context.Context, n, limit int, f func(ctx context.Context, i int)) (started []bool) {
	started = make([]bool, n)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return started
		}
		started[i] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(ctx, i)
		}()
	}
	wg.Wait()
	return started
}

// fundedCheck is what the pre-checks of a page found.
type fundedCheck struct {
	// Eligible maps a run to the schemes other than "self" the citizen is eligible for on it.
	Eligible map[string][]string
	// Checked holds the runs funding answered for.
	Checked map[string]bool
	// NoProfile is true when funding has no profile for the citizen yet.
	NoProfile bool
}

// fundedFor runs the pre-check for each run, concurrently and bounded.
func (s *Server) fundedFor(ctx context.Context, token string, runs []api.Course) fundedCheck {
	ctx, cancel := context.WithTimeout(ctx, fundedTimeout)
	defer cancel()
	type answer struct {
		schemes   []string
		ok        bool
		noProfile bool
	}
	answers := make([]answer, len(runs))
	started := forEachLimited(ctx, len(runs), fundedConcurrency, func(ctx context.Context, i int) {
		el, err := s.API.Eligibility(ctx, token, runs[i].ID, "")
		if err != nil {
			answers[i].noProfile = api.StatusOf(err) == http.StatusUnprocessableEntity
			return
		}
		answers[i].ok = true
		for _, a := range el.Schemes {
			if a.Scheme != "self" && a.Outcome == "eligible" {
				answers[i].schemes = append(answers[i].schemes, a.Scheme)
			}
		}
	})
	out := fundedCheck{Eligible: map[string][]string{}, Checked: map[string]bool{}}
	for i, a := range answers {
		out.Checked[runs[i].ID] = started[i] && a.ok
		if a.noProfile {
			out.NoProfile = true
		}
		if len(a.schemes) > 0 {
			out.Eligible[runs[i].ID] = a.schemes
		}
	}
	return out
}
