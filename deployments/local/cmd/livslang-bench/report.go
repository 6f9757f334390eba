package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured; report.json is this struct (nested objects, so
// `jq .steady.enrolments_per_s` reads a key).
type Report struct {
	Mode      string            `json:"mode"` // "bench" or "quick"
	StartedAt time.Time         `json:"started_at"`
	TookS     float64           `json:"took_s"`
	Machine   Machine           `json:"machine"`
	Setup     Setup             `json:"setup"`
	Steady    Steady            `json:"steady"`
	Baseline  Baseline          `json:"baseline"`
	PGBench   PGBench           `json:"pgbench"`
	Rush      Rush              `json:"rush"`
	Feed      Feed              `json:"feed"`
	Funding   Funding           `json:"funding"`
	Search    Search            `json:"search"`
	Memory    map[string]Memory `json:"memory"`
	Phases    []Phase           `json:"phases"`
	Targets   []Target          `json:"targets"`
	Profiles  []Profile         `json:"profiles,omitempty"`
	// GoProfiles: the services' own CPU and allocation profiles (pprof) of the same steady steps.
	GoProfiles []GoProfile `json:"go_profiles,omitempty"`
	Notes      []string    `json:"notes,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpu_model"`
	MemoryGiB float64 `json:"memory_gib"`
	Kernel    string  `json:"kernel"`
	GoVersion string  `json:"go_version"`
	Postgres  string  `json:"postgres_version"`
	GitCommit string  `json:"git_commit"`
	GitDirty  int     `json:"git_uncommitted_files"`
	// OtherCPUPct is CPU used by processes outside the stack and the benchmark, in percent of one
	// core, while the stack was idle and over the whole run: other work on a shared machine.
	OtherCPUIdlePct float64 `json:"other_cpu_idle_pct"`
	OtherCPURunPct  float64 `json:"other_cpu_run_pct"`
}

// busyWarning says when other work on the machine took enough CPU to distort the results.
func (m Machine) busyWarning() string {
	if m.OtherCPUIdlePct < 20 && m.OtherCPURunPct < 20 {
		return ""
	}
	return fmt.Sprintf("other processes on this machine used %.0f%% of a core while the stack was idle and %.0f%% on average during the run (see the other column): the results are lower than this machine can do; run again when it is quiet.",
		m.OtherCPUIdlePct, m.OtherCPURunPct)
}

// Setup is what was created before the scenarios.
type Setup struct {
	Citizens       int     `json:"citizens"`
	ProfilesPerS   float64 `json:"profiles_per_s"`
	TokensPerS     float64 `json:"tokens_per_s"`
	Institutions   int     `json:"institutions"`
	Runs           int     `json:"runs"`
	StackReadyS    float64 `json:"stack_ready_s"`
	SetupS         float64 `json:"setup_s"`
	RegistrationIn int     `json:"registration_max_in_flight"`
}

// Steady is the open-loop ramp of enrolments across many runs.
type Steady struct {
	EnrolmentsPerS    float64 `json:"enrolments_per_s"` // highest step kept up with p99 request→confirmed under the bound
	OfferedPerS       float64 `json:"offered_per_s"`    // that step's offered rate
	P50Ms             float64 `json:"p50_ms"`
	P95Ms             float64 `json:"p95_ms"`
	P99Ms             float64 `json:"p99_ms"`
	AnswerP99Ms       float64 `json:"answer_p99_ms"`
	NotifRecordedP50  float64 `json:"notification_recorded_p50_ms"`
	NotifRecordedP99  float64 `json:"notification_recorded_p99_ms"`
	NotifSentP99      float64 `json:"notification_sent_p99_ms"`
	MaxEnrolmentsPerS float64 `json:"max_enrolments_per_s"` // highest completion rate measured in any step, whatever the latency
	MaxAtOfferedPerS  float64 `json:"max_at_offered_per_s"`
	MaxP99Ms          float64 `json:"max_p99_ms"`
	BoundMs           float64 `json:"bound_ms"`
	P99AtHalfTarget   float64 `json:"p99_ms_at_half_target"` // p99 at the highest step offering ≤ 250/s
	HalfTargetStep    float64 `json:"half_target_step_per_s"`
	Runs              int     `json:"runs"`
	Institutions      int     `json:"institutions"`
	VsBaseline        float64 `json:"vs_baseline"`
	VsPGBench         float64 `json:"vs_pgbench"`
	// The whole machine's CPU time and PostgreSQL's commits per confirmed enrolment in the step
	// offered PerEnrolmentAtPerS (100/s, else the nearest step): the figures that move least when the
	// machine is shared.
	CPUMsPerEnrolment   float64     `json:"cpu_ms_per_enrolment"`
	CommitsPerEnrolment float64     `json:"commits_per_enrolment"`
	PerEnrolmentAtPerS  float64     `json:"per_enrolment_at_per_s"`
	Steps               []Step      `json:"steps"`
	ClosedLoop          *ClosedLoop `json:"closed_loop,omitempty"`
}

// Step is one offered rate of the steady scenario.
type Step struct {
	OfferedPerS   float64 `json:"offered_per_s"`
	DurationS     float64 `json:"duration_s"`
	Sent          int     `json:"sent"`
	Skipped       int     `json:"skipped"` // the generator had too many requests open
	Answered      int     `json:"answered"`
	Accepted      int     `json:"accepted"`
	Throttled     int     `json:"throttled"` // 429
	Failed        int     `json:"failed"`
	Confirmed     int     `json:"confirmed"`
	AchievedPerS  float64 `json:"achieved_per_s"`
	AnswerP50Ms   float64 `json:"answer_p50_ms"`
	AnswerP99Ms   float64 `json:"answer_p99_ms"`
	P50Ms         float64 `json:"p50_ms"`
	P95Ms         float64 `json:"p95_ms"`
	P99Ms         float64 `json:"p99_ms"`
	MaxMs         float64 `json:"max_ms"`
	NotifSamples  int     `json:"notification_samples"`
	NotifRecorded int     `json:"notification_recorded"`
	NotifRecP50Ms float64 `json:"notification_recorded_p50_ms"`
	NotifRecP99Ms float64 `json:"notification_recorded_p99_ms"`
	NotifSent     int     `json:"notification_sent"`
	NotifSentP99  float64 `json:"notification_sent_p99_ms"`
	KeptUp        bool    `json:"kept_up"`
	WithinBound   bool    `json:"within_bound"`
	Why           string  `json:"why,omitempty"`
}

// ClosedLoop is enrolments sent as fast as a fixed number of clients can (the feed fill).
type ClosedLoop struct {
	Clients      int     `json:"clients"`
	Requests     int     `json:"requests"`
	Seconds      float64 `json:"seconds"`
	AcceptedPerS float64 `json:"accepted_per_s"`
	AnswerP99Ms  float64 `json:"answer_p99_ms"`
}

// Baseline is the same durable work done in one transaction per enrolment.
type Baseline struct {
	EnrolmentsPerS float64 `json:"enrolments_per_s"`
	Concurrency    int     `json:"concurrency"`
	DurationS      float64 `json:"duration_s"`
	Transactions   int     `json:"transactions"`
	P50Ms          float64 `json:"p50_ms"`
	P99Ms          float64 `json:"p99_ms"`
	Statements     string  `json:"statements"`
}

// PGBench is pgbench's TPC-B-like run on the same cluster.
type PGBench struct {
	TPS          float64 `json:"tps"`
	Scale        int     `json:"scale"`
	Clients      int     `json:"clients"`
	DurationS    int     `json:"duration_s"`
	LatencyAvgMs float64 `json:"latency_avg_ms"`
	InitS        float64 `json:"init_s"`
	Error        string  `json:"error,omitempty"`
}

// Rush is a burst far beyond capacity on one run.
type Rush struct {
	Requests           int     `json:"requests"`
	Seats              int     `json:"seats"`
	WindowS            float64 `json:"window_s"`
	Answered           int     `json:"answered"`
	AnsweredPerS       float64 `json:"answered_per_s"` // every answer: 202 (a seat or a place in line) or 429
	AcceptedPerS       float64 `json:"accepted_per_s"` // 202 answers only
	AcceptedP99Ms      float64 `json:"accepted_p99_ms"`
	AnswerSpanS        float64 `json:"answer_span_s"`
	P50Ms              float64 `json:"p50_ms"`
	P99Ms              float64 `json:"p99_ms"`
	MaxMs              float64 `json:"max_ms"`
	Accepted           int     `json:"accepted"`
	Pending            int     `json:"pending"`
	Waitlisted         int     `json:"waitlisted"`
	Throttled          int     `json:"throttled"`
	Failed             int     `json:"failed"`
	Confirmed          int     `json:"confirmed"`
	SettledS           float64 `json:"settled_s"` // first request → every accepted request confirmed or waitlisted
	Settled            bool    `json:"settled"`
	SeatsTaken         int     `json:"seats_taken"`  // GET /v1/courses/{id}: seats_total − seats_available
	HeldInFeed         int     `json:"held_in_feed"` // pending + confirmed, from the institution feed
	Oversold           int     `json:"oversold"`
	OrderKept          bool    `json:"order_kept"`
	WaitlistInversions int     `json:"waitlist_inversions"`
	VsBaseline         float64 `json:"vs_baseline"`
	VsPGBench          float64 `json:"vs_pgbench"`
}

// Search is GET /v1/courses?q= over a catalogue of Runs runs, from Clients clients at once.
type Search struct {
	Runs        int     `json:"runs"`
	Clients     int     `json:"clients"`
	Queries     int     `json:"queries"`
	Typed       string  `json:"typed"` // the queries, in turn
	Seconds     float64 `json:"seconds"`
	QueriesPerS float64 `json:"queries_per_s"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	Empty       int     `json:"empty"` // searches that found nothing
}

// Feed is one institution reading its feed from the start.
type Feed struct {
	Institution string  `json:"institution"`
	Records     int     `json:"records"`
	Seconds     float64 `json:"seconds"`
	RecordsPerS float64 `json:"records_per_s"`
	Pages       int     `json:"pages"`
	PageP50Ms   float64 `json:"page_p50_ms"`
	PageP99Ms   float64 `json:"page_p99_ms"`
	Filled      int     `json:"filled_enrolments"`
	VsBaseline  float64 `json:"vs_baseline"`
	VsPGBench   float64 `json:"vs_pgbench"`
}

// Funding is many approvals against one budget pool.
type Funding struct {
	Institution   string  `json:"institution"`
	Year          int     `json:"year"`
	FeeDKK        int64   `json:"fee_dkk"`
	PoolDKK       int64   `json:"pool_dkk"`
	Room          int     `json:"room"`
	Requests      int     `json:"requests"`
	Accepted      int     `json:"accepted"`
	Approved      int     `json:"approved"`
	Rejected      int     `json:"rejected"`
	Undecided     int     `json:"undecided"`
	DecisionsPerS float64 `json:"decisions_per_s"`
	Seconds       float64 `json:"seconds"`
	ReservedDKK   int64   `json:"reserved_dkk"`
	PaidDKK       int64   `json:"paid_dkk"`
	Overspent     int64   `json:"overspent"`
	VsBaseline    float64 `json:"vs_baseline"`
	VsPGBench     float64 `json:"vs_pgbench"`
}

// Memory is one process's resident memory and idle CPU.
type Memory struct {
	IdleRSSMiB  float64 `json:"idle_rss_mib"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	PeakPhase   string  `json:"peak_phase"`
	FinalRSSMiB float64 `json:"final_rss_mib"`
	IdleCPUPct  float64 `json:"idle_cpu_pct"` // percent of one core over the idle window
}

// Phase is what the processes and PostgreSQL did during one part of the run.
type Phase struct {
	Name       string             `json:"name"`
	Seconds    float64            `json:"seconds"`
	CPUPct     map[string]float64 `json:"cpu_pct"` // percent of one core
	PeakRSSMiB map[string]float64 `json:"peak_rss_mib"`
	Commits    int64              `json:"commits"`
	WALBytes   int64              `json:"wal_bytes"`
	WALSyncs   int64              `json:"wal_syncs"`
	Waits      map[string]float64 `json:"pg_waits_pct"` // share of sampled busy backends by wait event
	WaitAvg    float64            `json:"pg_busy_backends_avg"`
	Units      int                `json:"units,omitempty"` // enrolments (or transactions) done in the phase
	// CPUMsPerUnit is the whole machine's CPU time per unit (every process: the stack, PostgreSQL,
	// Mailpit, the load generator and anything else running).
	CPUMsPerUnit float64 `json:"cpu_ms_per_unit,omitempty"`
	// From the services' /metrics: a lane of a durable consumer applies what it has queued in one
	// transaction and a message's time is its batch's, so at low load 1000 / avg_ms is a lane's
	// ceiling in messages per second.
	Consumers map[string]Rate    `json:"consumers,omitempty"`
	Routes    map[string]Rate    `json:"routes,omitempty"`
	Blocked   map[string]float64 `json:"pg_lock_waits_pct,omitempty"` // statement waiting for a lock → share of lock-wait samples
}

// Rate is a counter's increase over a phase with the average duration per event.
type Rate struct {
	Count      int64   `json:"count"`
	PerS       float64 `json:"per_s"`
	AvgMs      float64 `json:"avg_ms"`
	MaxPending int64   `json:"max_pending,omitempty"`
}

// Target is one of the targets and whether the run met it.
type Target struct {
	Name   string  `json:"name"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Op     string  `json:"op"`
	Target float64 `json:"target"`
	Met    bool    `json:"met"`
	Miss   string  `json:"miss,omitempty"`
}

// Profile is a perf profile taken during a steady step.
type Profile struct {
	Phase     string   `json:"phase"`
	File      string   `json:"file"`
	Processes []string `json:"processes"` // share of samples by process
	Symbols   []string `json:"symbols"`   // hottest functions (self time)
	// PerProcess: for each service and postgres, the functions with the largest share of that
	// process's samples including what they call.
	PerProcess map[string][]string `json:"per_process,omitempty"`
}

// r1 rounds to one decimal, r3 to three; NaN and infinities become 0 (JSON has no NaN).
func r1(v float64) float64 { return round(v, 10) }
func r3(v float64) float64 { return round(v, 1000) }
func round(v, f float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*f) / f
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return r3(a / b)
}

// percentile of ms values (sorted in place); 0 when empty.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	if !sort.Float64sAreSorted(v) {
		sort.Float64s(v)
	}
	i := int(math.Ceil(p/100*float64(len(v)))) - 1
	return v[min(max(i, 0), len(v)-1)]
}

// perEnrolment sets the steady scenario's CPU and commits per enrolment from the phase of the step
// offered nearest 100 per second.
func (r *Report) perEnrolment() {
	best := -1.0
	for _, p := range r.Phases {
		var rate float64
		if _, err := fmt.Sscanf(p.Name, "steady %f/s", &rate); err != nil || p.Units == 0 {
			continue
		}
		if best < 0 || math.Abs(rate-100) < math.Abs(best-100) {
			best = rate
			r.Steady.PerEnrolmentAtPerS = rate
			r.Steady.CPUMsPerEnrolment = r1(p.CPUMsPerUnit)
			r.Steady.CommitsPerEnrolment = r1(float64(p.Commits) / float64(p.Units))
		}
	}
}

// checkTargets compares the results with the targets (a 2-core, 24 GiB machine).
func (r *Report) checkTargets() {
	r.Targets = nil
	add := func(name, metric string, value float64, op string, target float64) {
		t := Target{Name: name, Metric: metric, Value: r1(value), Op: op, Target: target}
		switch op {
		case ">=":
			t.Met = value >= target
			if !t.Met {
				if target > 0 {
					t.Miss = fmt.Sprintf("%.0f%% short (%.2f× the target)", 100*(1-value/target), value/target)
				}
			}
		case "<":
			t.Met = value < target
			if !t.Met && target > 0 {
				t.Miss = fmt.Sprintf("%.0f%% over (%.2f× the bound)", 100*(value/target-1), value/target)
				if value/target < 1.005 {
					t.Miss = fmt.Sprintf("at the bound (%g, not below %g)", r1(value), target)
				}
			}
		case "<=":
			t.Met = value <= target
			if !t.Met && target > 0 {
				t.Miss = fmt.Sprintf("%.0f%% over (%.2f× the bound)", 100*(value/target-1), value/target)
			}
		case "==":
			t.Met = value == target
			if !t.Met {
				t.Miss = fmt.Sprintf("%g, not %g", value, target)
			}
		}
		r.Targets = append(r.Targets, t)
	}
	if r.Steady.PerEnrolmentAtPerS > 0 {
		add("CPU per enrolment (whole machine)", "steady.cpu_ms_per_enrolment", r.Steady.CPUMsPerEnrolment, "<=", 4)
		add("commits per enrolment", "steady.commits_per_enrolment", r.Steady.CommitsPerEnrolment, "<=", 4)
	}
	add("steady throughput", "steady.enrolments_per_s", r.Steady.EnrolmentsPerS, ">=", 500)
	add("steady vs single-transaction baseline", "steady.enrolments_per_s / baseline.enrolments_per_s",
		ratio(r.Steady.EnrolmentsPerS, r.Baseline.EnrolmentsPerS), ">=", 0.25)
	add("steady p99 request→confirmed at ≤250/s", "steady.p99_ms_at_half_target", r.Steady.P99AtHalfTarget, "<", 300)
	add("rush answered per second", "rush.answered_per_s", r.Rush.AnsweredPerS, ">=", 2000)
	add("rush p99 answer", "rush.p99_ms", r.Rush.P99Ms, "<", 500)
	add("rush oversold", "rush.oversold", float64(r.Rush.Oversold), "==", 0)
	add("feed records per second", "feed.records_per_s", r.Feed.RecordsPerS, ">=", 20000)
	add("funding overspent", "funding.overspent", float64(r.Funding.Overspent), "==", 0)
	if r.Search.Queries > 0 { // a run that did not get this far has no figure to judge
		add("search p99 over the catalogue", "search.p99_ms", r.Search.P99Ms, "<", 100)
	}
	for _, svc := range memoryServices {
		m, ok := r.Memory[svc]
		if !ok {
			continue
		}
		add(svc+" peak memory", "memory."+svc+".peak_rss_mib", m.PeakRSSMiB, "<", 100)
		add(svc+" idle memory", "memory."+svc+".idle_rss_mib", m.IdleRSSMiB, "<", 30)
		add(svc+" idle CPU (% of a core)", "memory."+svc+".idle_cpu_pct", m.IdleCPUPct, "<", 1)
	}
}

// memoryServices are the processes the memory targets apply to.
var memoryServices = []string{"registration", "funding", "notification", "portal"}

// table is the summary printed at the end and put at the top of report.md.
func (r *Report) table(w io.Writer, markdown bool) {
	type row struct{ scenario, metric, value, target, vsBase, vsPG, met string }
	var rows []row
	base, pg := r.Baseline.EnrolmentsPerS, r.PGBench.TPS
	f := func(v float64) string {
		if v >= 100 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	}
	x := func(v, b float64) string {
		if b <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.3f×", v/b)
	}
	met := func(metric string) string {
		for _, t := range r.Targets {
			if t.Metric == metric {
				if t.Met {
					return "yes"
				}
				return "NO"
			}
		}
		return ""
	}
	s := r.Steady
	if s.PerEnrolmentAtPerS > 0 {
		rows = append(rows,
			row{"steady", fmt.Sprintf("machine CPU ms per enrolment (at %.0f/s)", s.PerEnrolmentAtPerS), f(s.CPUMsPerEnrolment), "≤ 4", "", "", met("steady.cpu_ms_per_enrolment")},
			row{"steady", fmt.Sprintf("PostgreSQL commits per enrolment (at %.0f/s)", s.PerEnrolmentAtPerS), f(s.CommitsPerEnrolment), "≤ 4", "", "", met("steady.commits_per_enrolment")})
	}
	rows = append(rows,
		row{"steady", "enrolments/s end to end, p99 < 300 ms", f(s.EnrolmentsPerS), "≥ 500", x(s.EnrolmentsPerS, base), x(s.EnrolmentsPerS, pg), met("steady.enrolments_per_s")},
		row{"steady", fmt.Sprintf("p50 / p95 / p99 request→confirmed ms (at %.0f/s)", s.OfferedPerS), fmt.Sprintf("%.0f / %.0f / %.0f", s.P50Ms, s.P95Ms, s.P99Ms), "p99 < 300", x(s.P99Ms, r.Baseline.P99Ms), "", ""},
		row{"steady", fmt.Sprintf("p99 request→confirmed ms at %.0f/s", s.HalfTargetStep), f(s.P99AtHalfTarget), "< 300", "", "", met("steady.p99_ms_at_half_target")},
		row{"steady", fmt.Sprintf("most enrolments/s kept up with (any latency; offered %.0f/s, p99 %.0f ms)", s.MaxAtOfferedPerS, s.MaxP99Ms), f(s.MaxEnrolmentsPerS), "", x(s.MaxEnrolmentsPerS, base), x(s.MaxEnrolmentsPerS, pg), ""},
		row{"steady", "notification recorded p50 / p99 ms (sampled)", fmt.Sprintf("%.0f / %.0f", s.NotifRecordedP50, s.NotifRecordedP99), "", "", "", ""},
	)
	if s.ClosedLoop != nil {
		rows = append(rows, row{"steady", fmt.Sprintf("closed loop, %d clients: enrolments answered/s", s.ClosedLoop.Clients), f(s.ClosedLoop.AcceptedPerS), "", x(s.ClosedLoop.AcceptedPerS, base), x(s.ClosedLoop.AcceptedPerS, pg), ""})
	}
	rows = append(rows,
		row{"baseline", fmt.Sprintf("enrolments/s, 1 transaction each, %d clients", r.Baseline.Concurrency), f(base), "", "1.000×", x(base, pg), ""},
		row{"baseline", "p50 / p99 transaction ms", fmt.Sprintf("%.1f / %.1f", r.Baseline.P50Ms, r.Baseline.P99Ms), "", "", "", ""},
		row{"pgbench", fmt.Sprintf("TPC-B-like tps (-s %d -c %d -T %d)", r.PGBench.Scale, r.PGBench.Clients, r.PGBench.DurationS), f(pg), "", x(pg, base), "1.000×", ""},
		row{"rush", fmt.Sprintf("answered/s (%d requests in %.0f s, %d seats)", r.Rush.Requests, r.Rush.WindowS, r.Rush.Seats), f(r.Rush.AnsweredPerS), "≥ 2000", x(r.Rush.AnsweredPerS, base), x(r.Rush.AnsweredPerS, pg), met("rush.answered_per_s")},
		row{"rush", "p50 / p99 answer ms", fmt.Sprintf("%.0f / %.0f", r.Rush.P50Ms, r.Rush.P99Ms), "p99 < 500", "", "", met("rush.p99_ms")},
		row{"rush", "accepted (202) / 429 / failed; seconds until settled", fmt.Sprintf("%d / %d / %d; %.1f s", r.Rush.Accepted, r.Rush.Throttled, r.Rush.Failed, r.Rush.SettledS), "", "", "", ""},
		row{"rush", "accepted (202) per second; their p99 answer ms", fmt.Sprintf("%s; %.0f", f(r.Rush.AcceptedPerS), r.Rush.AcceptedP99Ms), "", x(r.Rush.AcceptedPerS, base), x(r.Rush.AcceptedPerS, pg), ""},
		row{"rush", fmt.Sprintf("oversold (taken %d, held %d of %d); order kept", r.Rush.SeatsTaken, r.Rush.HeldInFeed, r.Rush.Seats), fmt.Sprintf("%d; %v", r.Rush.Oversold, r.Rush.OrderKept), "0", "", "", met("rush.oversold")},
		row{"feed", fmt.Sprintf("records/s (%d records, %d pages)", r.Feed.Records, r.Feed.Pages), f(r.Feed.RecordsPerS), "≥ 20000", x(r.Feed.RecordsPerS, base), x(r.Feed.RecordsPerS, pg), met("feed.records_per_s")},
		row{"funding", fmt.Sprintf("decisions/s (%d requests, room for %d)", r.Funding.Requests, r.Funding.Room), f(r.Funding.DecisionsPerS), "", x(r.Funding.DecisionsPerS, base), x(r.Funding.DecisionsPerS, pg), ""},
		row{"funding", fmt.Sprintf("overspent kr. (approved %d, rejected %d, undecided %d)", r.Funding.Approved, r.Funding.Rejected, r.Funding.Undecided), fmt.Sprintf("%d", r.Funding.Overspent), "0", "", "", met("funding.overspent")},
		row{"search", fmt.Sprintf("p50 / p99 ms of GET /v1/courses?q= over %d runs, %d clients (%.0f searches/s, %d found nothing)", r.Search.Runs, r.Search.Clients, r.Search.QueriesPerS, r.Search.Empty),
			fmt.Sprintf("%.1f / %.1f", r.Search.P50Ms, r.Search.P99Ms), "p99 < 100", "", "", met("search.p99_ms")},
	)
	names := make([]string, 0, len(r.Memory))
	for name := range r.Memory {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return memOrder(a) - memOrder(b) })
	for _, name := range names {
		m := r.Memory[name]
		target, okMet := "", ""
		if slices.Contains(memoryServices, name) {
			target = "< 30 / < 100"
			okMet = "yes"
			if met("memory."+name+".idle_rss_mib") == "NO" || met("memory."+name+".peak_rss_mib") == "NO" {
				okMet = "NO"
			}
		}
		rows = append(rows, row{"memory", name + " RSS MiB idle / peak (idle CPU %)",
			fmt.Sprintf("%.1f / %.1f (%.2f%%)", m.IdleRSSMiB, m.PeakRSSMiB, m.IdleCPUPct), target, "", "", okMet})
	}
	if markdown {
		fmt.Fprintln(w, "| scenario | metric | value | target | × baseline | × pgbench | met |")
		fmt.Fprintln(w, "| --- | --- | ---: | --- | ---: | ---: | --- |")
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.scenario, r.metric, r.value, r.target, r.vsBase, r.vsPG, r.met)
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMETRIC\tVALUE\tTARGET\t× BASELINE\t× PGBENCH\tMET")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.scenario, r.metric, r.value, r.target, r.vsBase, r.vsPG, r.met)
	}
	tw.Flush()
}

func memOrder(name string) int {
	order := []string{"registration", "funding", "notification", "portal", "livslang-local", "mailpit", "postgres", "bench", "other", "machine"}
	if i := slices.Index(order, name); i >= 0 {
		return i
	}
	return len(order)
}

// writeOutputs writes report.json, report.md and the charts to dir.
func writeOutputs(dir string, r *Report, charts []chart) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	for _, c := range charts {
		if err := os.WriteFile(filepath.Join(dir, c.File), c.svg(), 0o644); err != nil {
			return err
		}
	}
	var md strings.Builder
	r.markdown(&md, charts)
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644)
}

func (r *Report) markdown(w io.Writer, charts []chart) {
	m := r.Machine
	fmt.Fprintf(w, "# Livslang benchmark (%s), %s\n\n", r.Mode, r.StartedAt.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %.1f GiB memory, Linux %s; %s; %s; commit %s", m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.GoVersion, m.Postgres, m.GitCommit)
	if m.GitDirty > 0 {
		fmt.Fprintf(w, " with %d uncommitted files", m.GitDirty)
	}
	fmt.Fprintf(w, ". The run took %.0f s. Everything (PostgreSQL, NATS, the services, Mailpit and the load generator) ran on this machine.\n\n", r.TookS)
	if warn := m.busyWarning(); warn != "" {
		fmt.Fprintf(w, "> **Warning**: %s\n\n", warn)
	}
	r.table(w, true)
	fmt.Fprintln(w, "\n## Targets")
	fmt.Fprintln(w, "\n| target | metric | value | wanted | met | by how much |")
	fmt.Fprintln(w, "| --- | --- | ---: | --- | --- | --- |")
	for _, t := range r.Targets {
		met := "yes"
		if !t.Met {
			met = "**no**"
		}
		fmt.Fprintf(w, "| %s | `%s` | %g | %s %g | %s | %s |\n", t.Name, t.Metric, t.Value, t.Op, t.Target, met, t.Miss)
	}

	fmt.Fprintf(w, "\n## Steady: the offered rates\n\nOpen loop: requests are sent on a fixed schedule whatever the answers, each from another citizen on one of %d runs at %d institutions; latency counts from the scheduled send. *Confirmed* is the time of the `livslang.enrolment.confirmed.v1` event in the institution feed (set by registration inside the confirming transaction). Notifications are sampled: the citizen's `GET /v1/me/notifications` is polled every 50 ms until the message for that confirmation appears (*recorded*) and is `sent`.\n\n", r.Steady.Runs, r.Steady.Institutions)
	fmt.Fprintln(w, "| offered/s | sent | 202 | 429 | failed | confirmed | achieved/s | answer p50/p99 ms | confirmed p50/p95/p99/max ms | notification recorded p50/p99 ms (n) | sent p99 ms | kept up | p99 < bound |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
	for _, s := range r.Steady.Steps {
		kept := "yes"
		if !s.KeptUp {
			kept = "no: " + s.Why
		}
		fmt.Fprintf(w, "| %.0f | %d | %d | %d | %d | %d | %.1f | %.0f / %.0f | %.0f / %.0f / %.0f / %.0f | %.0f / %.0f (%d/%d) | %.0f | %s | %v |\n",
			s.OfferedPerS, s.Sent, s.Accepted, s.Throttled, s.Failed+s.Skipped, s.Confirmed, s.AchievedPerS, s.AnswerP50Ms, s.AnswerP99Ms,
			s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs, s.NotifRecP50Ms, s.NotifRecP99Ms, s.NotifRecorded, s.NotifSamples, s.NotifSentP99, kept, s.WithinBound)
	}
	if c := r.Steady.ClosedLoop; c != nil {
		fmt.Fprintf(w, "\nClosed loop (the feed fill): %d clients sent %d enrolments in %.1f s: %.1f answered/s, answer p99 %.0f ms.\n", c.Clients, c.Requests, c.Seconds, c.AcceptedPerS, c.AnswerP99Ms)
	}
	fmt.Fprintf(w, "\n**Baseline**: %s, %d clients for %.0f s: %d transactions, %.1f/s, p50 %.1f ms, p99 %.1f ms. **pgbench** (TPC-B-like, scale %d, %d clients, %d s): %.0f tps, average latency %.1f ms (initialisation %.1f s).%s\n",
		r.Baseline.Statements, r.Baseline.Concurrency, r.Baseline.DurationS, r.Baseline.Transactions, r.Baseline.EnrolmentsPerS, r.Baseline.P50Ms, r.Baseline.P99Ms,
		r.PGBench.Scale, r.PGBench.Clients, r.PGBench.DurationS, r.PGBench.TPS, r.PGBench.LatencyAvgMs, r.PGBench.InitS, errNote(r.PGBench.Error))
	ru := r.Rush
	fmt.Fprintf(w, "\n**Rush**: %d requests from %d citizens for %d seats of one run, offered in %.1f s; answered in %.1f s (%d answered: %d pending, %d waitlisted, %d refused with 429, %d failed). Every accepted request confirmed or waitlisted after %.1f s (settled: %v). Seats taken %d, held in the feed %d, oversold %d; every seat holder requested before every waitlisted request: %v; waiting-list positions out of request order: %d.\n",
		ru.Requests, ru.Requests, ru.Seats, ru.WindowS, ru.AnswerSpanS, ru.Answered, ru.Pending, ru.Waitlisted, ru.Throttled, ru.Failed, ru.SettledS, ru.Settled, ru.SeatsTaken, ru.HeldInFeed, ru.Oversold, ru.OrderKept, ru.WaitlistInversions)
	fe := r.Feed
	fmt.Fprintf(w, "\n**Feed**: institution %s read %d records in %d pages of up to 1,000 in %.2f s (page p50 %.0f ms, p99 %.0f ms); %d enrolments were added first to have enough.\n",
		fe.Institution, fe.Records, fe.Pages, fe.Seconds, fe.PageP50Ms, fe.PageP99Ms, fe.Filled)
	fu := r.Funding
	fmt.Fprintf(w, "\n**Funding**: an Omstillingsfonden pool of %d kr. for %d (room for %d fees of %d kr.) at institution %s; %d citizens enrolled asking for it (%d accepted): %d approved, %d rejected, %d undecided in %.1f s (%.1f decisions/s). Pool reserved %d kr., paid %d kr., overspent %d kr.\n",
		fu.PoolDKK, fu.Year, fu.Room, fu.FeeDKK, fu.Institution, fu.Requests, fu.Accepted, fu.Approved, fu.Rejected, fu.Undecided, fu.Seconds, fu.DecisionsPerS, fu.ReservedDKK, fu.PaidDKK, fu.Overspent)

	fmt.Fprintln(w, "\n## Where the time went\n\nCPU per process in percent of one core (2 cores = 200 %; *other* is everything outside the stack and the benchmark, *machine* the total), the whole machine's CPU time per unit (an accepted enrolment; a transaction for the baseline and pgbench; an e-mail sent while settling), PostgreSQL commits, WAL and what busy backends waited for (sampled every 100 ms from `pg_stat_activity`). A phase lasts its step plus the wait for the step's confirmations.")
	procs := map[string]bool{}
	for _, p := range r.Phases {
		for name := range p.CPUPct {
			procs[name] = true
		}
	}
	names := make([]string, 0, len(procs))
	for n := range procs {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return memOrder(a) - memOrder(b) })
	fmt.Fprintf(w, "\n| phase | s | units | %s | CPU ms/unit | commits/unit | WAL KiB/unit | fsyncs/unit | busy backends | top waits |\n", strings.Join(names, " | "))
	fmt.Fprintf(w, "| --- | ---: | ---: |%s ---: | ---: | ---: | ---: | ---: | --- |\n", strings.Repeat(" ---: |", len(names)))
	for _, p := range r.Phases {
		var cpu []string
		for _, n := range names {
			cpu = append(cpu, fmt.Sprintf("%.0f", p.CPUPct[n]))
		}
		per := func(v int64, div float64) string {
			if p.Units == 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f", float64(v)/div/float64(p.Units))
		}
		cpuPer := "–"
		if p.CPUMsPerUnit > 0 {
			cpuPer = fmt.Sprintf("%.2f", p.CPUMsPerUnit)
		}
		fmt.Fprintf(w, "| %s | %.0f | %d | %s | %s | %s | %s | %s | %.1f | %s |\n", p.Name, p.Seconds, p.Units, strings.Join(cpu, " | "),
			cpuPer, per(p.Commits, 1), per(p.WALBytes, 1024), per(p.WALSyncs, 1), p.WaitAvg, topWaits(p.Waits, 4))
	}
	fmt.Fprintln(w, "\n### The services' own numbers (GET /metrics)\n\nEach lane of a durable consumer (4 by default) applies the messages it has queued in one transaction (up to 64; handling includes the transaction and the acknowledgements), and a message's time is that of its batch: at low load a batch is one message and 1000 / average ms is a lane's ceiling in messages per second; under load the batches grow and the ceiling with them. *Lag* is the most messages waiting for the consumer, read every second.")
	fmt.Fprintln(w, "\n| phase | consumer | handled/s | avg ms | ceiling/s | max lag |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: |")
	for _, p := range r.Phases {
		for _, k := range sortedKeys(p.Consumers) {
			c := p.Consumers[k]
			ceiling := 0.0
			if c.AvgMs > 0 {
				ceiling = 1000 / c.AvgMs
			}
			fmt.Fprintf(w, "| %s | %s | %.1f | %.2f | %.0f | %d |\n", p.Name, k, c.PerS, c.AvgMs, ceiling, c.MaxPending)
		}
	}
	fmt.Fprintln(w, "\n| phase | HTTP route | requests/s | avg ms in the service |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: |")
	for _, p := range r.Phases {
		for _, k := range sortedKeys(p.Routes) {
			c := p.Routes[k]
			if c.PerS < 1 {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %.1f | %.2f |\n", p.Name, k, c.PerS, c.AvgMs)
		}
	}
	fmt.Fprint(w, "\nStatements waiting for a heavyweight lock (share of lock-wait samples in the phase; `transactionid` is a row locked by another transaction, `object` is the cluster-wide lock a committing transaction that ran `NOTIFY` takes):\n\n")
	for _, p := range r.Phases {
		if len(p.Blocked) == 0 {
			continue
		}
		fmt.Fprintf(w, "- **%s**: %s\n", p.Name, topWaits(p.Blocked, 3))
	}
	for _, pr := range r.Profiles {
		fmt.Fprintf(w, "\n### perf profile: %s (`%s`)\n\nShare of CPU samples by process:\n\n```\n%s\n```\n\nHottest functions (self time, all processes):\n\n```\n%s\n```\n",
			pr.Phase, pr.File, strings.Join(pr.Processes, "\n"), strings.Join(pr.Symbols, "\n"))
		for _, comm := range sortedKeys(pr.PerProcess) {
			fmt.Fprintf(w, "\n%s: share of its samples in the kernel and in the program, then its functions including callees:\n\n```\n%s\n```\n", comm, strings.Join(pr.PerProcess[comm], "\n"))
		}
	}
	for _, g := range r.GoProfiles {
		what := "CPU, functions by time including callees"
		if g.Kind == "allocs" {
			what = "bytes allocated during the step, by function including callees"
		}
		fmt.Fprintf(w, "\n### pprof %s of %s, %s (`go tool pprof %s`): %s\n\n```\n%s\n```\n", g.Kind, g.Service, g.Phase, g.File, what, strings.Join(g.Top, "\n"))
	}
	if len(charts) > 0 {
		fmt.Fprintln(w, "\n## Plots")
		for _, c := range charts {
			fmt.Fprintf(w, "\n![%s](%s)\n", c.Title, c.File)
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\n## Notes")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "\n- %s", n)
		}
		fmt.Fprintln(w)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func errNote(s string) string {
	if s == "" {
		return ""
	}
	return " Error: " + s
}

func topWaits(w map[string]float64, n int) string {
	type kv struct {
		k string
		v float64
	}
	var list []kv
	for k, v := range w {
		list = append(list, kv{k, v})
	}
	slices.SortFunc(list, func(a, b kv) int {
		if a.v != b.v {
			if a.v > b.v {
				return -1
			}
			return 1
		}
		return strings.Compare(a.k, b.k)
	})
	var out []string
	for i, e := range list {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("%s %.0f%%", e.k, e.v))
	}
	return strings.Join(out, ", ")
}
