package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// bench holds the stack's addresses and what setup created.
type bench struct {
	p        params
	st       *stack
	reg      string
	fund     string
	note     string
	idp      string
	admin    string
	insts    []institution
	citizens []citizen
	runs     []*courseRun // the steady runs, spread over every institution
	w        *watcher
	mon      *monitor
	rep      *Report
	charts   []chart
	accepted atomic.Int64 // 202 answers to enrolments, the unit of the phases
	prof     *profiler
	pp       *pprofs
	db       *pgxpool.Pool // superuser on the livslang database, to read the mail queue
}

// mailQueue is how many e-mails notification has queued and not sent, and how many it has sent.
func (b *bench) mailQueue(ctx context.Context) (queued, sent int) {
	_ = b.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')), count(*) FILTER (WHERE status = 'sent')
		FROM notification.messages`).Scan(&queued, &sent)
	return
}

// settle waits until the consumers, the outboxes and the mail queue are empty (at most timeout), so
// the next scenario starts on a quiet stack. Its phase counts the e-mails sent meanwhile.
func (b *bench) settle(ctx context.Context, before string, timeout time.Duration) {
	b.mon.begin(ctx, "settle before "+before, func() int { _, sent := b.mailQueue(ctx); return sent })
	defer b.mon.end(ctx)
	deadline := time.Now().Add(timeout)
	for ctx.Err() == nil {
		svcs := map[string]string{"registration": b.reg, "funding": b.fund, "notification": b.note}
		backlog := scrapeAll(ctx, svcs).backlog()
		queued, _ := b.mailQueue(ctx)
		if backlog == 0 && queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("before %s the stack had not settled after %.0f s (%.0f messages in consumers and outboxes, %d e-mails queued)",
				before, timeout.Seconds(), backlog, queued))
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// reqRec is one scheduled enrolment request.
type reqRec struct {
	sched   time.Time
	ans     enrolAnswer
	skipped bool
	cit     int
	sample  *noteSample
}

type noteSample struct {
	recorded, sent time.Time
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// setup finds the institutions, makes tokens, citizens with profiles, and the steady runs.
func (b *bench) setup(ctx context.Context) error {
	began := time.Now()
	var err error
	if b.admin, err = token(ctx, b.idp, map[string]string{"role": "admin", "sub": "bench-admin"}); err != nil {
		return err
	}
	// Institutions: from the public catalogue.
	seen := map[string]bool{}
	after := ""
	for {
		var page struct {
			Items []struct {
				Institution struct{ ID, Name string } `json:"institution"`
			} `json:"items"`
			Next string `json:"next"`
		}
		if err := callJSON(ctx, http.MethodGet, b.reg+"/v1/courses?limit=500&after="+url.QueryEscape(after), "", nil, &page, http.StatusOK); err != nil {
			return err
		}
		for _, it := range page.Items {
			if !seen[it.Institution.ID] {
				seen[it.Institution.ID] = true
				b.insts = append(b.insts, institution{id: it.Institution.ID, name: it.Institution.Name})
			}
		}
		if page.Next == "" || page.Next == after || len(page.Items) == 0 {
			break
		}
		after = page.Next
	}
	if len(b.insts) == 0 {
		return errors.New("the catalogue lists no institutions (is the demo data seeded?)")
	}
	slices.SortFunc(b.insts, func(a, c institution) int { return compareStr(a.id, c.id) })
	for i := range b.insts {
		if b.insts[i].token, err = token(ctx, b.idp, map[string]string{"role": "institution", "sub": fmt.Sprintf("bench-staff-%d", i),
			"institution_id": b.insts[i].id}); err != nil {
			return err
		}
	}
	// Citizens: a token each, then a profile.
	b.citizens = make([]citizen, b.p.Citizens)
	t0 := time.Now()
	if err := parallel(ctx, b.p.Citizens, 12, func(i int) error {
		sub := fmt.Sprintf("bench-%06d", i)
		tok, err := token(ctx, b.idp, map[string]string{"role": "citizen", "sub": sub, "cpr": cprFor(i), "municipality": "657"})
		b.citizens[i] = citizen{sub: sub, token: tok}
		return err
	}); err != nil {
		return fmt.Errorf("citizen tokens: %w", err)
	}
	b.rep.Setup.TokensPerS = r1(float64(b.p.Citizens) / time.Since(t0).Seconds())
	t0 = time.Now()
	if err := parallel(ctx, b.p.Citizens, 16, func(i int) error {
		return callJSON(ctx, http.MethodPut, b.reg+"/v1/me/profile", b.citizens[i].token, profileFor(i), nil, http.StatusOK)
	}); err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	b.rep.Setup.ProfilesPerS = r1(float64(b.p.Citizens) / time.Since(t0).Seconds())
	// Steady runs: several per institution, seats never run out.
	stamp := time.Now().Format("150405")
	for i, inst := range b.insts {
		for j := range b.p.RunsPerInstitution {
			id, err := createRun(ctx, b.reg, inst, runBody(fmt.Sprintf("BENCH-%s-%d-%d", stamp, i, j),
				fmt.Sprintf("Benchmark-hold %d.%d", i, j), "amu", []string{"self"}, 90, 1000, 10000))
			if err != nil {
				return err
			}
			b.runs = append(b.runs, &courseRun{id: id, institution: i, seats: 10000})
		}
	}
	for k, r := range b.runs {
		r.offset = k * len(b.citizens) / len(b.runs)
	}
	b.rep.Setup.Citizens, b.rep.Setup.Institutions, b.rep.Setup.Runs = len(b.citizens), len(b.insts), len(b.runs)
	b.rep.Setup.SetupS = r1(time.Since(began).Seconds())
	return nil
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pick chooses the next (run, citizen) pair on runs: request i goes to run i mod len(runs), and each
// run takes citizens in turn from its own offset, so no citizen enrols twice on a run and each
// citizen sends far fewer than the 2 requests per second registration allows.
func (b *bench) pick(runs []*courseRun, i int) (*courseRun, int, bool) {
	r := runs[i%len(runs)]
	k := int(r.next.Add(1) - 1)
	if k >= len(b.citizens) || k >= r.seats {
		return r, 0, false
	}
	return r, (k + r.offset) % len(b.citizens), true
}

// openLoop calls fire for n requests scheduled at rate per second from now, each in its own
// goroutine, without waiting for answers; beyond maxOpen open requests it skips (and counts) them.
func openLoop(ctx context.Context, n int, rate float64, maxOpen int, fire func(k int, sched time.Time) bool) (skipped int) {
	var open atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for k := range n {
		sched := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		if d := time.Until(sched); d > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return skipped
			case <-time.After(d):
			}
		}
		if int(open.Load()) >= maxOpen {
			skipped++
			continue
		}
		open.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer open.Add(-1)
			fire(k, sched)
		}()
	}
	wg.Wait()
	return skipped
}

// steady ramps the offered rate until a step does not keep up.
func (b *bench) steady(ctx context.Context) error {
	s := &b.rep.Steady
	s.BoundMs = 300
	s.Runs, s.Institutions = len(b.runs), len(b.insts)
	rates := slices.Clone(b.p.Rates)
	var all [][]*reqRec
	var starts []time.Time
	// Warm up (connections, caches) at the first rate; not measured.
	b.mon.begin(ctx, "steady warm-up", b.units)
	if _, _, err := b.steadyStep(ctx, rates[0], b.p.Warmup); err != nil {
		return err
	}
	b.mon.end(ctx)
	t0 := time.Now()
	refined := false
	for i := 0; i < len(rates); i++ {
		rate := rates[i]
		b.mon.begin(ctx, fmt.Sprintf("steady %.0f/s", rate), b.units)
		stop := b.prof.start(ctx, fmt.Sprintf("steady-%.0f", rate), b.p.StepDur)
		stopGo := b.pp.start(ctx, fmt.Sprintf("steady-%.0f", rate), b.p.StepDur)
		starts = append(starts, time.Now())
		step, recs, err := b.steadyStep(ctx, rate, b.p.StepDur)
		stop()
		stopGo()
		b.mon.end(ctx)
		if err != nil {
			return err
		}
		all = append(all, recs)
		s.Steps = append(s.Steps, step)
		fmt.Printf("  steady %5.0f/s: %d sent, %d accepted, %d confirmed, %.1f/s achieved, p50/p99 %.0f/%.0f ms, kept up %v %s\n",
			rate, step.Sent, step.Accepted, step.Confirmed, step.AchievedPerS, step.P50Ms, step.P99Ms, step.KeptUp, step.Why)
		if refined {
			break // the step between the last kept-up rate and the first that was not
		}
		if !step.KeptUp {
			// Once: try halfway between the last rate kept up with and this one.
			if n := len(s.Steps); n >= 2 && s.Steps[n-2].KeptUp {
				prev := s.Steps[n-2].OfferedPerS
				if mid := math.Round((prev+rate)/2/10) * 10; mid > prev && mid < rate {
					refined = true
					rates = append(rates[:i+1], mid)
					b.settle(ctx, fmt.Sprintf("steady %.0f/s", mid), b.p.SettleWait) // the backlog of the step that broke
					continue
				}
			}
			break
		}
		if i == len(rates)-1 && rate*1.5 <= b.p.MaxRate {
			rates = append(rates, math.Round(rate*1.5))
		}
	}
	b.writeCSV(t0, all)
	// The result: the highest step kept up with p99 under the bound; the most kept up with at all.
	best, most := -1, -1
	for i, st := range s.Steps {
		if st.WithinBound && (best < 0 || st.AchievedPerS > s.Steps[best].AchievedPerS) {
			best = i
		}
		if st.KeptUp && (most < 0 || st.AchievedPerS > s.Steps[most].AchievedPerS) {
			most = i
		}
		if st.OfferedPerS <= 250 && st.OfferedPerS >= s.HalfTargetStep {
			s.HalfTargetStep, s.P99AtHalfTarget = st.OfferedPerS, st.P99Ms
		}
	}
	if most < 0 && len(s.Steps) > 0 { // nothing kept up: report the best completion rate seen
		for i, st := range s.Steps {
			if most < 0 || st.AchievedPerS > s.Steps[most].AchievedPerS {
				most = i
			}
		}
	}
	if best < 0 && len(s.Steps) > 0 {
		// No step stayed under the bound: show the lowest step's latencies, with 0 enrolments/s.
		st := s.Steps[0]
		s.OfferedPerS, s.P50Ms, s.P95Ms, s.P99Ms, s.AnswerP99Ms = st.OfferedPerS, st.P50Ms, st.P95Ms, st.P99Ms, st.AnswerP99Ms
		s.NotifRecordedP50, s.NotifRecordedP99, s.NotifSentP99 = st.NotifRecP50Ms, st.NotifRecP99Ms, st.NotifSentP99
	}
	if best >= 0 {
		st := s.Steps[best]
		s.EnrolmentsPerS, s.OfferedPerS = st.AchievedPerS, st.OfferedPerS
		s.P50Ms, s.P95Ms, s.P99Ms, s.AnswerP99Ms = st.P50Ms, st.P95Ms, st.P99Ms, st.AnswerP99Ms
		s.NotifRecordedP50, s.NotifRecordedP99, s.NotifSentP99 = st.NotifRecP50Ms, st.NotifRecP99Ms, st.NotifSentP99
	}
	if most >= 0 {
		s.MaxEnrolmentsPerS, s.MaxAtOfferedPerS, s.MaxP99Ms = s.Steps[most].AchievedPerS, s.Steps[most].OfferedPerS, s.Steps[most].P99Ms
	}
	// Profiles: the best step within the bound, the first that did not keep up, and the last.
	var keep []string
	if best >= 0 {
		keep = append(keep, fmt.Sprintf("steady-%.0f", s.Steps[best].OfferedPerS))
	}
	for _, st := range s.Steps {
		if !st.KeptUp {
			keep = append(keep, fmt.Sprintf("steady-%.0f", st.OfferedPerS))
			break
		}
	}
	if last := s.Steps[len(s.Steps)-1]; !last.WithinBound {
		keep = append(keep, fmt.Sprintf("steady-%.0f", last.OfferedPerS))
	}
	if b.prof.perf != "" {
		pt := time.Now()
		b.rep.Profiles = append(b.rep.Profiles, b.prof.report(keep)...)
		fmt.Printf("  perf profiles of %v written in %.1f s\n", keep, time.Since(pt).Seconds())
	}
	b.rep.GoProfiles = b.pp.report(keep)
	b.steadyCharts(t0, all, starts)
	return nil
}

func (b *bench) units() int { return int(b.accepted.Load()) }

// steadyStep offers rate enrolments per second for StepDur, then waits up to Drain for them to be
// confirmed and for the sampled notifications.
func (b *bench) steadyStep(ctx context.Context, rate float64, dur time.Duration) (Step, []*reqRec, error) {
	n := int(rate * dur.Seconds())
	recs := make([]*reqRec, n)
	every := max(1, int(math.Round(rate/5))) // about five notification samples per second
	stepEnd := time.Now().Add(dur)
	deadline := stepEnd.Add(b.p.Drain)
	var samplers sync.WaitGroup
	var exhausted atomic.Bool
	skipped := openLoop(ctx, n, rate, 4000, func(k int, sched time.Time) bool {
		run, cit, ok := b.pick(b.runs, k)
		r := &reqRec{sched: sched, cit: cit}
		recs[k] = r
		if !ok {
			exhausted.Store(true)
			r.skipped = true
			return false
		}
		r.ans = enrol(ctx, b.reg, b.citizens[cit].token, run.id, "self")
		if r.ans.status == http.StatusAccepted {
			b.accepted.Add(1)
			if k%every == 0 {
				r.sample = &noteSample{}
				samplers.Add(1)
				go func() {
					defer samplers.Done()
					b.sampleNotification(ctx, r, deadline)
				}()
			}
		}
		return true
	})
	if exhausted.Load() {
		return Step{}, nil, errors.New("ran out of citizens for the steady runs: raise -citizens")
	}
	// Drain: wait for every accepted request to be confirmed (or the deadline).
	var ids []string
	for _, r := range recs {
		if r != nil && r.ans.id != "" {
			ids = append(ids, r.ans.id)
		}
	}
	b.w.waitFor(ctx, ids, deadline, func(s enrolState) bool { return !s.confirmedAt.IsZero() || !s.rejectedAt.IsZero() })
	samplers.Wait()

	st := Step{OfferedPerS: rate, DurationS: dur.Seconds(), Skipped: skipped}
	var answer, confirm, noteRec, noteSent []float64
	var firstC, lastC time.Time
	for _, r := range recs {
		if r == nil || r.skipped {
			continue
		}
		st.Sent++
		switch {
		case r.ans.err != nil && r.ans.status == 0:
			st.Failed++
			continue
		case r.ans.status == http.StatusAccepted:
			st.Accepted++
		case r.ans.status == http.StatusTooManyRequests:
			st.Throttled++
		default:
			st.Failed++
		}
		st.Answered++
		answer = append(answer, ms(r.ans.at.Sub(r.sched)))
		if r.ans.id == "" {
			continue
		}
		if s, ok := b.w.get(r.ans.id); ok && !s.confirmedAt.IsZero() {
			st.Confirmed++
			confirm = append(confirm, ms(s.confirmedAt.Sub(r.sched)))
			if firstC.IsZero() || s.confirmedAt.Before(firstC) {
				firstC = s.confirmedAt
			}
			if s.confirmedAt.After(lastC) {
				lastC = s.confirmedAt
			}
		}
		if r.sample != nil {
			st.NotifSamples++
			if !r.sample.recorded.IsZero() {
				st.NotifRecorded++
				noteRec = append(noteRec, ms(r.sample.recorded.Sub(r.sched)))
			}
			if !r.sample.sent.IsZero() {
				st.NotifSent++
				noteSent = append(noteSent, ms(r.sample.sent.Sub(r.sched)))
			}
		}
	}
	st.Sent += skipped
	if st.Confirmed > 1 {
		if span := lastC.Sub(firstC).Seconds(); span > 0 {
			st.AchievedPerS = r1(math.Min(float64(st.Confirmed-1)/span, rate*float64(st.Confirmed)/float64(max(n, 1))))
		}
	}
	st.AnswerP50Ms, st.AnswerP99Ms = r1(percentile(answer, 50)), r1(percentile(answer, 99))
	st.P50Ms, st.P95Ms, st.P99Ms, st.MaxMs = r1(percentile(confirm, 50)), r1(percentile(confirm, 95)), r1(percentile(confirm, 99)), r1(percentile(confirm, 100))
	st.NotifRecP50Ms, st.NotifRecP99Ms, st.NotifSentP99 = r1(percentile(noteRec, 50)), r1(percentile(noteRec, 99)), r1(percentile(noteSent, 99))
	var why []string
	if bad := st.Failed + st.Throttled + st.Skipped; float64(bad) > 0.01*float64(n) {
		why = append(why, fmt.Sprintf("%d of %d not accepted", bad, n))
	}
	if float64(st.Confirmed) < 0.99*float64(st.Accepted) {
		why = append(why, fmt.Sprintf("%d of %d confirmed within %.0f s after the step", st.Confirmed, st.Accepted, b.p.Drain.Seconds()))
	}
	if st.AchievedPerS < 0.9*rate {
		why = append(why, fmt.Sprintf("completed %.0f/s", st.AchievedPerS))
	}
	if st.NotifSamples > 0 && float64(st.NotifRecorded) < 0.9*float64(st.NotifSamples) {
		why = append(why, fmt.Sprintf("%d of %d sampled notifications recorded", st.NotifRecorded, st.NotifSamples))
	}
	st.KeptUp = len(why) == 0
	st.WithinBound = st.KeptUp && st.P99Ms < 300
	if st.KeptUp && !st.WithinBound {
		why = append(why, fmt.Sprintf("p99 %.0f ms ≥ 300", st.P99Ms))
	}
	st.Why = joinWhy(why)
	return st, recs, nil
}

func joinWhy(w []string) string {
	out := ""
	for i, s := range w {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}

// sampleNotification polls the citizen's notifications until the message for the confirmation is
// there (recorded) and sent.
func (b *bench) sampleNotification(ctx context.Context, r *reqRec, deadline time.Time) {
	var event string
	for event == "" {
		if s, ok := b.w.get(r.ans.id); ok && s.confirmEvent != "" {
			event = s.confirmEvent
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok := b.citizens[r.cit].token
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var out struct {
			Items []struct {
				EventID string `json:"event_id"`
				Status  string `json:"status"`
			} `json:"items"`
		}
		if err := callJSON(ctx, http.MethodGet, b.note+"/v1/me/notifications", tok, nil, &out, http.StatusOK); err == nil {
			now := time.Now()
			for _, it := range out.Items {
				if it.EventID != event {
					continue
				}
				if r.sample.recorded.IsZero() {
					r.sample.recorded = now
				}
				if it.Status == "sent" {
					r.sample.sent = now
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeCSV writes every steady request: its step, when it was scheduled, the answer and the latencies.
func (b *bench) writeCSV(t0 time.Time, all [][]*reqRec) {
	f, err := os.Create(filepath.Join(b.p.Out, "steady-requests.csv"))
	if err != nil {
		return
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	fmt.Fprintln(w, "step_offered_per_s,scheduled_s,status,answer_ms,confirmed_ms,notification_recorded_ms,notification_sent_ms")
	cell := func(t, from time.Time) string {
		if t.IsZero() {
			return ""
		}
		return strconv.FormatFloat(ms(t.Sub(from)), 'f', 1, 64)
	}
	for i, recs := range all {
		rate := b.rep.Steady.Steps[min(i, len(b.rep.Steady.Steps)-1)].OfferedPerS
		for _, r := range recs {
			if r == nil || r.skipped {
				continue
			}
			var confirmed, rec, sent time.Time
			if s, ok := b.w.get(r.ans.id); ok {
				confirmed = s.confirmedAt
			}
			if r.sample != nil {
				rec, sent = r.sample.recorded, r.sample.sent
			}
			fmt.Fprintf(w, "%.0f,%.3f,%d,%s,%s,%s,%s\n", rate, r.sched.Sub(t0).Seconds(), r.ans.status, cell(r.ans.at, r.sched),
				cell(confirmed, r.sched), cell(rec, r.sched), cell(sent, r.sched))
		}
	}
}

func (b *bench) steadyCharts(t0 time.Time, all [][]*reqRec, starts []time.Time) {
	var sent, answered, confirmed, lat, confirmLat, ansOff, ansLat []float64
	end := 0.0
	for _, recs := range all {
		for _, r := range recs {
			if r == nil || r.skipped {
				continue
			}
			so := r.sched.Sub(t0).Seconds()
			sent = append(sent, so)
			end = math.Max(end, so)
			if r.ans.status == http.StatusAccepted {
				answered = append(answered, r.ans.at.Sub(t0).Seconds())
				ansOff = append(ansOff, so)
				ansLat = append(ansLat, ms(r.ans.at.Sub(r.sched)))
				if s, ok := b.w.get(r.ans.id); ok && !s.confirmedAt.IsZero() {
					co := s.confirmedAt.Sub(t0).Seconds()
					confirmed = append(confirmed, co)
					end = math.Max(end, co)
					lat = append(lat, so)
					confirmLat = append(confirmLat, ms(s.confirmedAt.Sub(r.sched)))
				}
			}
		}
	}
	w := 1.0
	n := int(end/w) + 1
	x := axis(n, w, 0)
	var marks []marker
	for i, s := range starts {
		marks = append(marks, marker{X: s.Sub(t0).Seconds(), Label: fmt.Sprintf("%.0f/s", b.rep.Steady.Steps[min(i, len(b.rep.Steady.Steps)-1)].OfferedPerS)})
	}
	bound := make([]float64, n)
	for i := range bound {
		bound[i] = 300
	}
	b.charts = append(b.charts,
		chart{File: "steady-throughput.svg", Title: "Steady: enrolments per second", XLabel: "seconds since the steady scenario started", YLabel: "per second",
			Series: []series{{Name: "sent (offered)", X: x, Y: bucketRate(sent, w, n)}, {Name: "answered 202", X: x, Y: bucketRate(answered, w, n)},
				{Name: "confirmed", X: x, Y: bucketRate(confirmed, w, n)}}, Markers: marks},
		chart{File: "steady-latency.svg", Title: "Steady: request → confirmed latency (by send time)", XLabel: "seconds since the steady scenario started", YLabel: "ms (log scale)", LogY: true,
			Series: []series{{Name: "p50 confirmed", X: x, Y: bucketPercentile(lat, confirmLat, w, n, 50)},
				{Name: "p95 confirmed", X: x, Y: bucketPercentile(lat, confirmLat, w, n, 95)},
				{Name: "p99 confirmed", X: x, Y: bucketPercentile(lat, confirmLat, w, n, 99)},
				{Name: "p99 answer (202)", X: x, Y: bucketPercentile(ansOff, ansLat, w, n, 99)},
				{Name: "bound 300 ms", X: x, Y: bound, Dashed: true}}, Markers: marks},
	)
}

// rush sends RushN requests in RushWindow from as many citizens for RushSeats seats of one run.
func (b *bench) rush(ctx context.Context, inst int) error {
	r := &b.rep.Rush
	n := min(b.p.RushN, len(b.citizens))
	r.Requests, r.Seats, r.WindowS = n, b.p.RushSeats, b.p.RushWindow.Seconds()
	run, err := createRun(ctx, b.reg, b.insts[inst], runBody("BENCH-RUSH-"+time.Now().Format("150405"), "Benchmark: rush", "amu", []string{"self"}, 60, 500, b.p.RushSeats))
	if err != nil {
		return err
	}
	rate := float64(n) / b.p.RushWindow.Seconds()
	recs := make([]*reqRec, n)
	b.mon.begin(ctx, "rush", b.units)
	t0 := time.Now()
	openLoop(ctx, n, rate, n, func(k int, sched time.Time) bool {
		rec := &reqRec{sched: sched, cit: k}
		recs[k] = rec
		rec.ans = enrol(ctx, b.reg, b.citizens[k].token, run, "self")
		if rec.ans.status == http.StatusAccepted {
			b.accepted.Add(1)
		}
		return true
	})
	var lat, accLat []float64
	var lastAnswer, lastAccepted time.Time
	var pending, waiting []string
	for _, rec := range recs {
		switch {
		case rec.ans.status == 0:
			r.Failed++
			continue
		case rec.ans.status == http.StatusAccepted:
			r.Accepted++
			accLat = append(accLat, ms(rec.ans.at.Sub(rec.sched)))
			lastAccepted = maxTime(lastAccepted, rec.ans.at)
			if rec.ans.state == "pending" {
				r.Pending++
				pending = append(pending, rec.ans.id)
			} else {
				r.Waitlisted++
				waiting = append(waiting, rec.ans.id)
			}
		case rec.ans.status == http.StatusTooManyRequests:
			r.Throttled++
		default:
			r.Failed++
		}
		r.Answered++
		lat = append(lat, ms(rec.ans.at.Sub(rec.sched)))
		if rec.ans.at.After(lastAnswer) {
			lastAnswer = rec.ans.at
		}
	}
	span := lastAnswer.Sub(t0).Seconds()
	r.AnswerSpanS = r1(span)
	if span > 0 {
		r.AnsweredPerS = r1(float64(r.Answered) / span)
	}
	r.P50Ms, r.P99Ms, r.MaxMs = r1(percentile(lat, 50)), r1(percentile(lat, 99)), r1(percentile(lat, 100))
	if s := lastAccepted.Sub(t0).Seconds(); s > 0 {
		r.AcceptedPerS = r1(float64(r.Accepted) / s)
	}
	r.AcceptedP99Ms = r1(percentile(accLat, 99))
	// Settled: seat holders confirmed (or rejected), the waiting list visible in the feed.
	deadline := time.Now().Add(b.p.SettleWait)
	okHeld := b.w.waitFor(ctx, pending, deadline, func(s enrolState) bool { return !s.confirmedAt.IsZero() || !s.rejectedAt.IsZero() })
	okWait := b.w.waitFor(ctx, waiting, deadline, func(s enrolState) bool { return !s.waitlistedAt.IsZero() })
	r.Settled = okHeld && okWait
	settled := lastAnswer
	for _, id := range pending {
		if s, ok := b.w.get(id); ok && !s.confirmedAt.IsZero() {
			r.Confirmed++
			if s.confirmedAt.After(settled) {
				settled = s.confirmedAt
			}
		}
	}
	r.SettledS = r1(settled.Sub(t0).Seconds())
	b.mon.end(ctx)
	// Checks: the run's seats and the feed.
	var course struct {
		SeatsTotal     int `json:"seats_total"`
		SeatsAvailable int `json:"seats_available"`
	}
	if err := callJSON(ctx, http.MethodGet, b.reg+"/v1/courses/"+run, "", nil, &course, http.StatusOK); err != nil {
		return err
	}
	r.SeatsTaken = course.SeatsTotal - course.SeatsAvailable
	states := b.w.course(run)
	var maxHeld, minWait time.Time
	type wl struct {
		at  time.Time
		pos int
	}
	var list []wl
	for _, s := range states {
		switch s.status {
		case "pending", "confirmed":
			r.HeldInFeed++
			if s.requestedAt.After(maxHeld) {
				maxHeld = s.requestedAt
			}
		case "waitlisted":
			if minWait.IsZero() || s.waitlistedAt.Before(minWait) {
				minWait = s.waitlistedAt
			}
			list = append(list, wl{s.waitlistedAt, s.position})
		}
	}
	r.Oversold = max(0, r.HeldInFeed-course.SeatsTotal, r.SeatsTaken-course.SeatsTotal)
	r.OrderKept = minWait.IsZero() || maxHeld.Before(minWait)
	sort.Slice(list, func(i, j int) bool { return list[i].at.Before(list[j].at) })
	for i := 1; i < len(list); i++ {
		if list[i].pos < list[i-1].pos {
			r.WaitlistInversions++
		}
	}
	// Charts: answers per time slice and answer latency.
	w := math.Max(b.p.RushWindow.Seconds()/20, 0.1)
	nb := int(math.Max(span, b.p.RushWindow.Seconds())/w) + 1
	var ansAt, ok202, thr, sentOff []float64
	for _, rec := range recs {
		if rec.ans.status == 0 {
			continue
		}
		o := rec.ans.at.Sub(t0).Seconds()
		ansAt = append(ansAt, o)
		if rec.ans.status == http.StatusAccepted {
			ok202 = append(ok202, o)
		} else if rec.ans.status == http.StatusTooManyRequests {
			thr = append(thr, o)
		}
		sentOff = append(sentOff, rec.sched.Sub(t0).Seconds())
	}
	x := axis(nb, w, 0)
	b.charts = append(b.charts,
		chart{File: "rush-throughput.svg", Title: fmt.Sprintf("Rush: %d requests for %d seats", n, b.p.RushSeats), XLabel: "seconds since the first request", YLabel: "answers per second",
			Series: []series{{Name: "answered", X: x, Y: bucketRate(ansAt, w, nb)}, {Name: "202 accepted", X: x, Y: bucketRate(ok202, w, nb)}, {Name: "429", X: x, Y: bucketRate(thr, w, nb)}}},
		chart{File: "rush-latency.svg", Title: "Rush: answer time (by send time)", XLabel: "seconds since the first request", YLabel: "ms (log scale)", LogY: true,
			Series: []series{{Name: "p50", X: x, Y: bucketPercentile(sentOff, lat, w, nb, 50)}, {Name: "p99", X: x, Y: bucketPercentile(sentOff, lat, w, nb, 99)},
				{Name: "max", X: x, Y: bucketPercentile(sentOff, lat, w, nb, 100)}}},
	)
	return nil
}

// funding enrols FundRequests citizens asking for Omstillingsfonden on an akademi run of an
// institution whose pool has room for FundRoom fees.
func (b *bench) funding(ctx context.Context) error {
	f := &b.rep.Funding
	const fee = 8000
	f.FeeDKK, f.Room, f.Requests = fee, b.p.FundRoom, min(b.p.FundRequests, len(b.citizens))
	startsIn := 45 // Omstillingsfonden grants at the earliest 4 months before the start
	f.Year = time.Now().AddDate(0, 0, startsIn).Year()
	var pools struct {
		Items []struct {
			ID          string `json:"id"`
			Scheme      string `json:"scheme"`
			Owner       string `json:"owner"`
			Year        int    `json:"year"`
			AmountDKK   int64  `json:"amount_dkk"`
			ReservedDKK int64  `json:"reserved_dkk"`
			PaidDKK     int64  `json:"paid_dkk"`
		} `json:"items"`
	}
	if err := callJSON(ctx, http.MethodGet, b.fund+"/v1/budgets", b.admin, nil, &pools, http.StatusOK); err != nil {
		return err
	}
	inst := -1
	for i, in := range b.insts {
		taken := false
		for _, p := range pools.Items {
			if p.Scheme == "omstillingsfonden" && p.Owner == in.id && p.Year == f.Year {
				taken = true
			}
		}
		if !taken {
			inst = i
			break
		}
	}
	if inst < 0 {
		return errors.New("every institution already has an Omstillingsfonden pool for the year")
	}
	f.Institution = b.insts[inst].name
	run, err := createRun(ctx, b.reg, b.insts[inst], runBody("BENCH-FOND-"+time.Now().Format("150405"), "Benchmark: akademimodul", "akademi",
		[]string{"self", "omstillingsfonden"}, startsIn, fee, max(f.Requests, 1)))
	if err != nil {
		return err
	}
	var pool struct {
		ID        string `json:"id"`
		AmountDKK int64  `json:"amount_dkk"`
	}
	if err := callJSON(ctx, http.MethodPost, b.fund+"/v1/budgets", b.admin, map[string]any{"scheme": "omstillingsfonden", "owner": b.insts[inst].id,
		"year": f.Year, "name": "make bench", "amount_dkk": int64(f.Room) * fee}, &pool, http.StatusCreated); err != nil {
		return err
	}
	f.PoolDKK = pool.AmountDKK
	b.mon.begin(ctx, "funding", b.units)
	t0 := time.Now()
	ids := make([]string, f.Requests)
	var accepted atomic.Int64
	if err := parallel(ctx, f.Requests, 32, func(i int) error {
		a := enrol(ctx, b.reg, b.citizens[i].token, run, "omstillingsfonden")
		if a.status == http.StatusAccepted {
			ids[i] = a.id
			accepted.Add(1)
			b.accepted.Add(1)
		}
		return nil
	}); err != nil {
		return err
	}
	f.Accepted = int(accepted.Load())
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == "" })
	b.w.waitFor(ctx, ids, time.Now().Add(b.p.SettleWait), func(s enrolState) bool { return !s.confirmedAt.IsZero() || !s.rejectedAt.IsZero() })
	last := t0
	for _, id := range ids {
		s, _ := b.w.get(id)
		switch {
		case !s.confirmedAt.IsZero():
			f.Approved++
			last = maxTime(last, s.confirmedAt)
		case !s.rejectedAt.IsZero():
			f.Rejected++
			last = maxTime(last, s.rejectedAt)
		default:
			f.Undecided++
		}
	}
	b.mon.end(ctx)
	f.Seconds = r1(last.Sub(t0).Seconds())
	if secs := last.Sub(t0).Seconds(); secs > 0 {
		f.DecisionsPerS = r1(float64(f.Approved+f.Rejected) / secs)
	}
	if err := callJSON(ctx, http.MethodGet, b.fund+"/v1/budgets", b.admin, nil, &pools, http.StatusOK); err != nil {
		return err
	}
	for _, p := range pools.Items {
		if p.ID == pool.ID {
			f.ReservedDKK, f.PaidDKK = p.ReservedDKK, p.PaidDKK
			f.Overspent = max(0, p.ReservedDKK+p.PaidDKK-p.AmountDKK)
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// feed has one institution read its whole feed from the start, after adding enrolments (closed loop)
// until it holds FeedTarget records.
func (b *bench) feed(ctx context.Context, inst int) error {
	f := &b.rep.Feed
	in := b.insts[inst]
	f.Institution = in.name
	if have := b.w.records(in.id); have < b.p.FeedTarget {
		var runs []*courseRun
		for _, r := range b.runs {
			if r.institution == inst {
				runs = append(runs, r)
			}
		}
		need := (b.p.FeedTarget-have)/2 + 1 + (b.p.FeedTarget-have)/50 // requested + confirmed each
		const clients = 48
		b.mon.begin(ctx, "feed fill (closed loop)", b.units)
		var lat []float64
		var mu sync.Mutex
		var acc atomic.Int64
		var ran atomic.Bool
		t0 := time.Now()
		if err := parallel(ctx, need, clients, func(i int) error {
			run, cit, ok := b.pick(runs, i)
			if !ok {
				ran.Store(true)
				return nil
			}
			s := time.Now()
			a := enrol(ctx, b.reg, b.citizens[cit].token, run.id, "self")
			if a.status == http.StatusAccepted {
				acc.Add(1)
				b.accepted.Add(1)
			}
			mu.Lock()
			lat = append(lat, ms(a.at.Sub(s)))
			mu.Unlock()
			return nil
		}); err != nil {
			return err
		}
		secs := time.Since(t0).Seconds()
		b.rep.Steady.ClosedLoop = &ClosedLoop{Clients: clients, Requests: need, Seconds: r1(secs), AcceptedPerS: r1(float64(acc.Load()) / secs), AnswerP99Ms: r1(percentile(lat, 99))}
		f.Filled = int(acc.Load())
		deadline := time.Now().Add(b.p.FillWait)
		for b.w.records(in.id) < b.p.FeedTarget && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
		}
		b.mon.end(ctx)
		if ran.Load() {
			b.rep.Notes = append(b.rep.Notes, "the feed fill ran out of citizen/run pairs; raise -citizens")
		}
	}
	b.mon.begin(ctx, "feed read", nil)
	var pageLat []float64
	after := ""
	t0 := time.Now()
	for f.Records < b.p.FeedTarget && ctx.Err() == nil {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next"`
		}
		s := time.Now()
		if err := callJSON(ctx, http.MethodGet, b.reg+"/v1/institutions/"+in.id+"/feed?limit=1000&after="+url.QueryEscape(after), in.token, nil, &page, http.StatusOK); err != nil {
			return err
		}
		pageLat = append(pageLat, ms(time.Since(s)))
		if len(page.Items) == 0 {
			break
		}
		f.Pages++
		f.Records += len(page.Items)
		after = page.Next
	}
	secs := time.Since(t0).Seconds()
	b.mon.end(ctx)
	f.Seconds = r3(secs)
	if secs > 0 {
		f.RecordsPerS = r1(float64(f.Records) / secs)
	}
	f.PageP50Ms, f.PageP99Ms = r1(percentile(pageLat, 50)), r1(percentile(pageLat, 99))
	if f.Records < b.p.FeedTarget {
		b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("the feed held only %d of the %d records wanted", f.Records, b.p.FeedTarget))
	}
	return nil
}
