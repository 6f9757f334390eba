package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
)

// The workload's citizens live in a municipality of their own, whose municipal budget for referrals
// is small enough to run out.
const (
	chaosMunicipality = "615"
	citizenPrefix     = "chaos-citizen-"
	runPrefix         = "CHAOS-"
	referralFee       = 1500
	referralRoom      = 6 // referrals the municipality's pool pays for at once
	fundFee           = 6000
	fundRoom          = 5 // Omstillingsfonden fees each fund run's institution pool pays for at once
	// opDeadline is how long a client keeps retrying one operation before giving up (outcome unknown).
	opDeadline = 45 * time.Second
)

type citizen struct {
	sub, cpr, token string
}

type courseRun struct {
	id        string
	inst      *institution
	fund      bool // an akademi run funded by Omstillingsfonden from the institution's pool
	seats     int
	offerHour int
}

type institution struct {
	id, name, token string
}

// workload is the clients: citizens enrolling, answering offers and referrals and cancelling;
// a caseworker referring; institutions answering and reporting completion from their feeds.
type workload struct {
	st *stack
	h  *history
	c  *client
	p  params

	admin, caseworker string
	citizens          []*citizen
	runs              []*courseRun
	insts             []*institution
	fundYear          int

	mu        sync.Mutex
	rng       *rand.Rand
	tried     map[[2]string]bool  // (citizen, run) pairs enrolled or referred: each is tried once
	mine      map[string][]string // citizen → enrolment ids the workload knows of
	cancelled map[string]bool     // enrolments a cancel was sent for
	acted     map[string]bool     // "<enrolment>/<action>" an institution or a citizen has acted on
	actions   chan func()         // institution actions the feeds call for
}

func newWorkload(st *stack, h *history, p params) *workload {
	return &workload{st: st, h: h, p: p, c: newClient(st.instances, h),
		rng:   rand.New(rand.NewPCG(uint64(p.Seed), 2)),
		tried: map[[2]string]bool{}, mine: map[string][]string{}, cancelled: map[string]bool{}, acted: map[string]bool{},
		actions: make(chan func(), 1000)}
}

func (w *workload) intn(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rng.IntN(n)
}

func (w *workload) chance(p float64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rng.Float64() < p
}

// setupSummary describes what setup made.
type setupSummary struct {
	Citizens     int `json:"citizens"`
	Institutions int `json:"institutions"`
	Runs         int `json:"runs"`
	FundRuns     int `json:"fund_runs"`
	Instances    int `json:"instances_per_service"`
}

func (w *workload) summary() setupSummary {
	s := setupSummary{Citizens: len(w.citizens), Institutions: len(w.insts), Runs: len(w.runs), Instances: w.p.Instances}
	for _, r := range w.runs {
		if r.fund {
			s.FundRuns++
		}
	}
	return s
}

// setup makes the tokens, the citizens' profiles, the runs, the budget pools and the webhook
// endpoints, before any fault.
func (w *workload) setup(ctx context.Context) error {
	idp := w.st.idp
	var err error
	if w.admin, err = idp.Issue(auth.Claims{Subject: "chaos-admin", Role: auth.RoleAdmin}); err != nil {
		return err
	}
	if w.caseworker, err = idp.Issue(auth.Claims{Subject: "chaos-caseworker", Role: auth.RoleCaseworker, Municipality: chaosMunicipality}); err != nil {
		return err
	}
	// Institutions: the first three of the demo catalogue.
	var page struct {
		Items []struct {
			Institution struct{ ID, Name string } `json:"institution"`
		} `json:"items"`
	}
	if err := w.must(ctx, "registration", http.MethodGet, "/v1/courses?limit=500", "", nil, &page); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, it := range page.Items {
		if !seen[it.Institution.ID] && len(w.insts) < 3 {
			seen[it.Institution.ID] = true
			tok, err := idp.Issue(auth.Claims{Subject: "chaos-staff-" + it.Institution.ID[:8], Role: auth.RoleInstitution, InstitutionID: it.Institution.ID})
			if err != nil {
				return err
			}
			w.insts = append(w.insts, &institution{id: it.Institution.ID, name: it.Institution.Name, token: tok})
		}
	}
	if len(w.insts) == 0 {
		return fmt.Errorf("the demo catalogue lists no institutions")
	}
	for i := range w.p.Citizens {
		c := &citizen{sub: fmt.Sprintf("%s%04d", citizenPrefix, i), cpr: cprFor(i)}
		if c.token, err = idp.Issue(auth.Claims{Subject: c.sub, Role: auth.RoleCitizen, CPR: c.cpr, Municipality: chaosMunicipality}); err != nil {
			return err
		}
		w.citizens = append(w.citizens, c)
	}
	if err := parallel(len(w.citizens), 8, func(i int) error {
		return w.must(ctx, "registration", http.MethodPut, "/v1/me/profile", w.citizens[i].token, profileFor(i, "da"), nil)
	}); err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	// Runs: small, so waiting lists form and freed seats are offered or passed on.
	perInst := 4 + int(w.p.Duration/time.Minute)/2
	refStart := time.Now().AddDate(0, 0, 30)
	for i, in := range w.insts {
		for j := range perInst {
			offer := 0
			if j%2 == 1 {
				offer = 48
			}
			r := &courseRun{inst: in, seats: 3, offerHour: offer}
			if r.id, err = w.createRun(ctx, in, fmt.Sprintf("%s%d-%d", runPrefix, i, j), "amu", []string{"self", "municipality"}, refStart, referralFee, r.seats, offer); err != nil {
				return err
			}
			w.runs = append(w.runs, r)
		}
	}
	// Omstillingsfonden: one akademi run at each institution without a pool for the year, and a small pool.
	fundStart := time.Now().AddDate(0, 0, 45)
	w.fundYear = fundStart.Year()
	type pool struct {
		Scheme, Owner string
		Year          int
	}
	var pools struct {
		Items []pool `json:"items"`
	}
	if err := w.must(ctx, "funding", http.MethodGet, "/v1/budgets", w.admin, nil, &pools); err != nil {
		return err
	}
	for i, in := range w.insts {
		if slices.Contains(pools.Items, pool{"omstillingsfonden", in.id, w.fundYear}) {
			continue
		}
		if err := w.must(ctx, "funding", http.MethodPost, "/v1/budgets", w.admin, map[string]any{"scheme": "omstillingsfonden",
			"owner": in.id, "year": w.fundYear, "name": "chaos", "amount_dkk": fundFee * fundRoom}, nil); err != nil {
			return err
		}
		r := &courseRun{inst: in, fund: true, seats: 4, offerHour: 0}
		if r.id, err = w.createRun(ctx, in, fmt.Sprintf("%sFOND-%d", runPrefix, i), "akademi", []string{"self", "omstillingsfonden"}, fundStart, fundFee, r.seats, 0); err != nil {
			return err
		}
		w.runs = append(w.runs, r)
	}
	if err := w.must(ctx, "funding", http.MethodPost, "/v1/budgets", w.admin, map[string]any{"scheme": "municipality",
		"owner": chaosMunicipality, "year": refStart.Year(), "name": "chaos", "amount_dkk": referralFee * referralRoom}, nil); err != nil {
		return err
	}
	// funding learns of runs and citizens from registration's events; a caseworker refers to runs
	// published before, so the workload starts once funding knows them all.
	var runIDs, subs []string
	for _, r := range w.runs {
		runIDs = append(runIDs, r.id)
	}
	for _, c := range w.citizens {
		subs = append(subs, c.sub)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var runs, citizens int
		if err := w.st.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM funding.courses WHERE id::text = ANY($1)),
			(SELECT count(*) FROM funding.citizens WHERE id = ANY($2))`, runIDs, subs).Scan(&runs, &citizens); err != nil {
			return err
		}
		if runs == len(runIDs) && citizens == len(subs) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("funding knows %d of %d runs and %d of %d citizens after a minute", runs, len(runIDs), citizens, len(subs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every institution's enrolment events go to the webhook receiver.
	for _, in := range w.insts {
		var ep struct {
			Secret string `json:"secret"`
		}
		if err := w.must(ctx, "notification", http.MethodPost, "/v1/institutions/"+in.id+"/webhooks", in.token,
			map[string]any{"url": w.st.hooks.url + "/hook/" + in.id, "event_types": []string{"*"}}, &ep); err != nil {
			return err
		}
		w.st.hooks.setSecret(in.id, ep.Secret)
	}
	return nil
}

func (w *workload) createRun(ctx context.Context, in *institution, code, category string, schemes []string, start time.Time, fee, seats, offerHours int) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := w.must(ctx, "registration", http.MethodPost, "/v1/institutions/"+in.id+"/courses", in.token, map[string]any{
		"code": code, "title": "Kaos-hold " + code, "category": category, "schemes": schemes, "location": "Herning",
		"starts_on": start.Format(time.DateOnly), "ends_on": start.AddDate(0, 0, 14).Format(time.DateOnly),
		"hours_per_week": 20, "fee_dkk": fee, "seats_total": seats, "offer_hours": offerHours,
		"description": "Oprettet af make chaos.",
	}, &out)
	return out.ID, err
}

// must calls a service during setup (no faults yet) and wants a 2xx answer.
func (w *workload) must(ctx context.Context, service, method, path, token string, body, out any) error {
	var last string
	for range 20 {
		r, err := w.c.call(ctx, service, method, path, token, body, out)
		if err == nil && r.status/100 == 2 {
			return nil
		}
		last = fmt.Sprintf("%v %d %s", err, r.status, truncate(r.body, 300))
		if err == nil && r.status/100 == 4 && r.status != http.StatusTooManyRequests {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("%s %s %s: %s", service, method, path, last)
}

// run drives the load until ctx ends; operations under way then are finished (each within its
// deadline) before it returns.
func (w *workload) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, in := range w.insts {
		wg.Add(1)
		go func() { defer wg.Done(); w.follow(ctx, in) }()
	}
	for range w.p.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				select {
				case a := <-w.actions:
					a()
				default:
					w.randomAction()
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(30+w.intn(120)) * time.Millisecond):
				}
			}
		}()
	}
	wg.Wait()
}

func (w *workload) randomAction() {
	switch n := w.intn(100); {
	case n < 40:
		w.enrol()
	case n < 50:
		w.cancel()
	case n < 75:
		w.inbox()
	case n < 85:
		w.refer()
	default:
		w.updateProfile()
	}
}

// attempt runs one operation: send is tried again (with the same idempotency key) after no answer,
// a 5xx or a 429, waiting for Retry-After when given, until it is answered 2xx or 4xx or opDeadline
// passes. It returns the last answer.
func (w *workload) attempt(o *op, send func(context.Context) (response, error)) response {
	ctx, cancel := context.WithTimeout(context.Background(), opDeadline)
	defer cancel()
	backoff := 200 * time.Millisecond
	var last response
	for {
		w.h.attempted(o)
		r, err := send(ctx)
		if err == nil {
			last = r
			switch {
			case r.status/100 == 2:
				w.h.finish(o, ok, r.status, "")
				return r
			case r.status/100 == 4 && r.status != http.StatusTooManyRequests:
				w.h.finish(o, failed, r.status, truncate(r.body, 200))
				return r
			}
		}
		wait := backoff + time.Duration(w.intn(int(backoff/time.Millisecond)+1))*time.Millisecond
		if last.retryAfter > 0 && err == nil {
			wait = last.retryAfter
		}
		if dl, _ := ctx.Deadline(); time.Now().Add(wait).After(dl) {
			note := fmt.Sprintf("no final answer within %s", opDeadline)
			if err != nil {
				note += ": " + err.Error()
			}
			w.h.finish(o, unknown, last.status, note)
			return last
		}
		time.Sleep(wait)
		backoff = min(backoff*2, 3*time.Second)
	}
}

type enrolmentAnswer struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	CourseID   string `json:"course_id"`
	ReferralID string `json:"referral_id"`
	History    []struct {
		Status, Cause string
	} `json:"history"`
}

// enrol: a citizen asks for a seat on a run they have not tried, with an idempotency key that every
// retry repeats. Now and then the request is sent once more after it succeeded (a double submit),
// which must answer the same enrolment.
func (w *workload) enrol() {
	c, r, found := w.pickPair()
	if !found {
		return
	}
	pref := "self"
	if r.fund {
		pref = "omstillingsfonden"
	}
	key := uuid.NewString()
	o := w.h.begin("enrol", c.sub, r.id)
	o.Key = key
	body := map[string]string{"course_id": r.id, "funding_preference": pref}
	send := func(ctx context.Context) (response, error) {
		var out enrolmentAnswer
		resp, err := w.c.call(ctx, "registration", http.MethodPost, "/v1/enrolments", c.token, body, &out, "Idempotency-Key", key)
		if err == nil && resp.status/100 == 2 {
			w.h.answered(o, out.ID, out.Status)
		}
		return resp, err
	}
	if resp := w.attempt(o, send); resp.status/100 != 2 {
		return
	}
	w.mu.Lock()
	w.mine[c.sub] = append(w.mine[c.sub], o.Result)
	w.mu.Unlock()
	if w.chance(0.2) {
		again := w.h.begin("enrol_again", c.sub, r.id)
		again.Key = key
		w.attempt(again, func(ctx context.Context) (response, error) {
			var out enrolmentAnswer
			resp, err := w.c.call(ctx, "registration", http.MethodPost, "/v1/enrolments", c.token, body, &out, "Idempotency-Key", key)
			if err == nil && resp.status/100 == 2 {
				w.h.answered(o, out.ID, "") // a different id would be a second enrolment for one key
				w.h.answered(again, out.ID, out.Status)
			}
			return resp, err
		})
	}
}

// pickPair chooses a citizen and a run the citizen has not tried.
func (w *workload) pickPair() (*citizen, *courseRun, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range 20 {
		c, r := w.citizens[w.rng.IntN(len(w.citizens))], w.runs[w.rng.IntN(len(w.runs))]
		if !w.tried[[2]string{c.sub, r.id}] {
			w.tried[[2]string{c.sub, r.id}] = true
			return c, r, true
		}
	}
	return nil, nil, false
}

// cancel: a citizen cancels one of their enrolments. A 409 after an unanswered attempt is success
// when the enrolment is cancelled now.
func (w *workload) cancel() {
	w.mu.Lock()
	c := w.citizens[w.rng.IntN(len(w.citizens))]
	ids := w.mine[c.sub]
	var id string
	if len(ids) > 0 {
		id = ids[w.rng.IntN(len(ids))]
	}
	if id == "" || w.cancelled[id] {
		w.mu.Unlock()
		return
	}
	w.cancelled[id] = true
	w.mu.Unlock()
	o := w.h.begin("cancel", c.sub, id)
	resp := w.attempt(o, func(ctx context.Context) (response, error) {
		return w.c.call(ctx, "registration", http.MethodPost, "/v1/enrolments/"+id+"/cancel", c.token, map[string]string{"reason": "chaos"}, nil)
	})
	if resp.status == http.StatusConflict {
		w.confirmConflict(o, c.token, id, func(e enrolmentAnswer) bool { return e.Status == "cancelled" })
	}
}

// confirmConflict turns a 409 into success when the enrolment shows the change was made (by an
// earlier attempt whose answer was lost).
func (w *workload) confirmConflict(o *op, token, id string, done func(enrolmentAnswer) bool) {
	ctx, cancel := context.WithTimeout(context.Background(), opDeadline)
	defer cancel()
	var e enrolmentAnswer
	for ctx.Err() == nil {
		r, err := w.c.call(ctx, "registration", http.MethodGet, "/v1/enrolments/"+id, token, nil, &e)
		if err == nil && r.status == http.StatusOK {
			if done(e) {
				w.h.finish(o, ok, http.StatusConflict, "already done: the enrolment is "+e.Status)
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// inbox: a citizen looks at their enrolments and referrals and answers what is offered.
func (w *workload) inbox() {
	c := w.citizens[w.intn(len(w.citizens))]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mine struct{ Items []enrolmentAnswer }
	if r, err := w.c.call(ctx, "registration", http.MethodGet, "/v1/me/enrolments", c.token, nil, &mine); err == nil && r.status == http.StatusOK {
		for _, e := range mine.Items {
			w.mu.Lock()
			if !slices.Contains(w.mine[c.sub], e.ID) {
				w.mine[c.sub] = append(w.mine[c.sub], e.ID) // one a referral made
			}
			w.mu.Unlock()
			if e.Status == "offered" && e.ReferralID == "" && w.once(e.ID+"/offer") {
				w.answerOffer(c, e.ID, w.chance(0.75))
			}
		}
	}
	var refs struct {
		Items []struct{ ID, Status string }
	}
	if r, err := w.c.call(ctx, "funding", http.MethodGet, "/v1/referrals", c.token, nil, &refs); err == nil && r.status == http.StatusOK {
		for _, ref := range refs.Items {
			if ref.Status == "open" && w.once(ref.ID+"/answer") {
				w.answerReferral(c, ref.ID, w.chance(0.8))
			}
		}
	}
}

// once reports whether key is acted on for the first time.
func (w *workload) once(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.acted[key] {
		return false
	}
	w.acted[key] = true
	return true
}

func (w *workload) answerOffer(c *citizen, id string, accept bool) {
	kind, path, want := "offer_decline", "/offer/decline", []string{"cancelled"}
	if accept {
		kind, path, want = "offer_accept", "/offer/accept", []string{"pending", "confirmed", "rejected", "started", "completed"}
	}
	o := w.h.begin(kind, c.sub, id)
	resp := w.attempt(o, func(ctx context.Context) (response, error) {
		return w.c.call(ctx, "registration", http.MethodPost, "/v1/enrolments/"+id+path, c.token, nil, nil)
	})
	if resp.status == http.StatusConflict {
		w.confirmConflict(o, c.token, id, func(e enrolmentAnswer) bool { return slices.Contains(want, e.Status) })
	}
}

func (w *workload) answerReferral(c *citizen, id string, accept bool) {
	kind, action, want := "referral_decline", "decline", "declined"
	if accept {
		kind, action, want = "referral_accept", "accept", "accepted"
	}
	o := w.h.begin(kind, c.sub, id)
	resp := w.attempt(o, func(ctx context.Context) (response, error) {
		return w.c.call(ctx, "funding", http.MethodPost, "/v1/referrals/"+id+"/"+action, c.token, nil, nil)
	})
	if resp.status != http.StatusConflict {
		return
	}
	var ref struct{ Status string }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r, err := w.c.call(ctx, "funding", http.MethodGet, "/v1/referrals/"+id, c.token, nil, &ref); err == nil && r.status == http.StatusOK && ref.Status == want {
		w.h.finish(o, ok, http.StatusConflict, "already "+want)
	}
}

// refer: the caseworker refers a citizen to a run (municipal funding), with an idempotency key.
func (w *workload) refer() {
	c, r, found := w.pickPair()
	if !found || r.fund {
		return
	}
	key := uuid.NewString()
	o := w.h.begin("refer", c.sub, r.id)
	o.Key = key
	body := map[string]string{"cpr": c.cpr, "course_id": r.id, "funding": "municipality", "reason": "chaos",
		"valid_until": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}
	w.attempt(o, func(ctx context.Context) (response, error) {
		var out struct{ ID string }
		resp, err := w.c.call(ctx, "funding", http.MethodPost, "/v1/referrals", w.caseworker, body, &out, "Idempotency-Key", key)
		if err == nil && resp.status/100 == 2 {
			w.h.answered(o, out.ID, "")
		}
		return resp, err
	})
}

// updateProfile: a citizen changes their language (a new profile version every consumer must see).
func (w *workload) updateProfile() {
	i := w.intn(len(w.citizens))
	c := w.citizens[i]
	lang := "da"
	if w.chance(0.5) {
		lang = "en"
	}
	o := w.h.begin("profile", c.sub, lang)
	w.attempt(o, func(ctx context.Context) (response, error) {
		return w.c.call(ctx, "registration", http.MethodPut, "/v1/me/profile", c.token, profileFor(i, lang), nil)
	})
}

// feedItem is what the workload reads of an institution's feed.
type feedItem struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Sequence string `json:"sequence"`
	Data     struct {
		EnrolmentID string `json:"enrolment_id"`
		Status      string `json:"status"`
	} `json:"data"`
}

// follow reads an institution's feed from the start until ctx ends, notes any sequence that skips a
// number, and queues the institution's answers: accept most confirmed enrolments, report some
// accepted ones completed.
func (w *workload) follow(ctx context.Context, in *institution) {
	var after int64
	for ctx.Err() == nil {
		var page struct {
			Items []feedItem `json:"items"`
		}
		r, err := w.c.call(ctx, "registration", http.MethodGet, fmt.Sprintf("/v1/institutions/%s/feed?after=%d&limit=200&wait=2", in.id, after), in.token, nil, &page)
		if err != nil || r.status != http.StatusOK {
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		for _, it := range page.Items {
			seq, _ := strconv.ParseInt(it.Sequence, 10, 64)
			if seq != after+1 {
				w.h.feedGap(fmt.Sprintf("%s: after %d came %d", in.name, after, seq))
			}
			after = max(after, seq)
			id := it.Data.EnrolmentID
			switch {
			case it.Type == "livslang.enrolment.confirmed.v1" && w.chance(0.85) && w.once(id+"/accept"):
				w.queue(func() { w.institutionAnswer(in, id, "accept", nil) })
			case it.Type == "livslang.enrolment.accepted.v1" && w.chance(0.4) && w.once(id+"/complete"):
				w.queue(func() {
					w.institutionAnswer(in, id, "outcome", map[string]any{"outcome": "completed", "attended_hours": 12})
				})
			}
		}
	}
}

func (w *workload) queue(a func()) {
	select {
	case w.actions <- a:
	default: // the workers are behind: this answer is left to the default rule
	}
}

// institutionAnswer: the institution accepts an enrolment or reports its outcome.
func (w *workload) institutionAnswer(in *institution, id, action string, body any) {
	kind := map[string]string{"accept": "accept", "outcome": "complete"}[action]
	o := w.h.begin(kind, in.id, id)
	resp := w.attempt(o, func(ctx context.Context) (response, error) {
		return w.c.call(ctx, "registration", http.MethodPost, "/v1/enrolments/"+id+"/"+action, in.token, body, nil)
	})
	if resp.status == http.StatusConflict {
		w.confirmConflict(o, in.token, id, func(e enrolmentAnswer) bool {
			if kind == "complete" {
				return e.Status == "completed"
			}
			return slices.ContainsFunc(e.History, func(h struct{ Status, Cause string }) bool { return h.Cause == "institution" })
		})
	}
}

// cprFor makes a distinct, well-formed CPR number for citizen i (born 1960–1989; serial from 3900,
// so the 7th digit puts the birth year in the 1900s and no demo citizen shares it).
func cprFor(i int) string {
	return fmt.Sprintf("%02d%02d%02d%04d", 1+i%28, 1+(i/28)%12, 60+(i/336)%30, 3900+i/10080)
}

func profileFor(i int, lang string) map[string]any {
	return map[string]any{
		"name": fmt.Sprintf("Kaos Borger %d", i), "email": fmt.Sprintf("chaos%05d@example.dk", i), "phone": "+4520123456",
		"language":   lang,
		"education":  map[string]any{"level": "erhvervsuddannelse", "completed_year": 2005},
		"employment": map[string]any{"status": "employed", "employer_cvr": "12345674", "since": "2015-01-01", "weekly_hours": 37},
		"benefits":   "none",
	}
}

// parallel runs fn(i) for i in [0, n) on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := i >= n || first != nil
				mu.Unlock()
				if stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
