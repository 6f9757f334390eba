package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cannedReport is a plausible result, for the report writer and plotter; nothing here runs the stack.
func cannedReport() (*Report, []chart) {
	r := &Report{Mode: "quick", StartedAt: time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC), TookS: 201,
		Machine:  Machine{CPUs: 2, CPUModel: "Test CPU", MemoryGiB: 23.4, Kernel: "6.1", GoVersion: "go1.26.8", Postgres: "postgres (PostgreSQL) 15.14", GitCommit: "abc123", OtherCPUIdlePct: 35},
		Baseline: Baseline{EnrolmentsPerS: 2800, Concurrency: 20, DurationS: 5, Transactions: 14000, P50Ms: 4, P99Ms: 40, Statements: "five statements"},
		PGBench:  PGBench{TPS: 2700, Scale: 10, Clients: 8, DurationS: 5},
		Rush:     Rush{Requests: 2000, Seats: 50, WindowS: 1, Answered: 2000, AnsweredPerS: 780, P99Ms: 1600, Accepted: 1130, Throttled: 870, SeatsTaken: 50, HeldInFeed: 50, OrderKept: true},
		Feed:     Feed{Institution: "VIA", Records: 10000, Seconds: 0.2, RecordsPerS: 50000, Pages: 10},
		Funding:  Funding{Room: 50, Requests: 500, Approved: 50, Rejected: 450, DecisionsPerS: 120},
		Memory: map[string]Memory{"registration": {IdleRSSMiB: 25, PeakRSSMiB: 112, IdleCPUPct: 0.1},
			"funding": {IdleRSSMiB: 24, PeakRSSMiB: 30}, "postgres-not-a-service": {}},
		Phases: []Phase{{Name: "steady 100/s", Seconds: 6, Units: 500, Commits: 6000, CPUMsPerUnit: 16.4, WALBytes: 10 << 20, WALSyncs: 5000,
			CPUPct:    map[string]float64{"registration": 18, "postgres": 38, "other": 4},
			Waits:     map[string]float64{"CPU": 40, "IO:WALSync": 60},
			Consumers: map[string]Rate{"funding/funding-registration": {Count: 500, PerS: 100, AvgMs: 3.2, MaxPending: 7}},
			Routes:    map[string]Rate{"registration POST /v1/enrolments": {Count: 500, PerS: 100, AvgMs: 6.5}},
			Blocked:   map[string]float64{"object livslang_notification: commit": 100}}},
		Profiles: []Profile{{Phase: "steady-100", File: "profiles/steady-100.txt", Processes: []string{"40% postgres"}, Symbols: []string{"5% postgres XLogFlush"}}},
	}
	r.Steady = Steady{EnrolmentsPerS: 100, OfferedPerS: 100, P50Ms: 6, P95Ms: 11, P99Ms: 20, BoundMs: 300, P99AtHalfTarget: 1400, HalfTargetStep: 200,
		Steps: []Step{
			{OfferedPerS: 100, DurationS: 5, Sent: 500, Answered: 500, Accepted: 500, Confirmed: 500, AchievedPerS: 100, P99Ms: 20, KeptUp: true, WithinBound: true},
			{OfferedPerS: 200, DurationS: 5, Sent: 1000, Answered: 1000, Accepted: 1000, Confirmed: 1000, AchievedPerS: 163, P99Ms: 1400, Why: "completed 163/s"},
		},
		ClosedLoop: &ClosedLoop{Clients: 48, Requests: 4000, Seconds: 9, AcceptedPerS: 480}}
	r.perEnrolment()
	r.checkTargets()
	n := 20
	x, up, lat := axis(n, 1, 0), make([]float64, n), make([]float64, n)
	for i := range up {
		up[i] = float64(50 + 10*i)
		lat[i] = math.Pow(2, float64(i%12))
	}
	lat[3] = math.NaN() // a gap
	charts := []chart{
		{File: "throughput.svg", Title: "Throughput <&> escaping", XLabel: "s", YLabel: "per s", Series: []series{{Name: "sent", X: x, Y: up}},
			Markers: []marker{{X: 5, Label: "100/s"}}},
		{File: "latency.svg", Title: "Latency", XLabel: "s", YLabel: "ms", LogY: true, Series: []series{{Name: "p99", X: x, Y: lat}, {Name: "bound", X: x, Y: up, Dashed: true}}},
		{File: "empty.svg", Title: "No data"},
	}
	return r, charts
}

func TestReportWriterAndPlots(t *testing.T) {
	dir := t.TempDir()
	r, charts := cannedReport()
	if err := writeOutputs(dir, r, charts); err != nil {
		t.Fatal(err)
	}
	// report.json: the keys the issue names, as nested objects.
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"steady.enrolments_per_s", "steady.p99_ms", "baseline.enrolments_per_s", "pgbench.tps", "rush.answered_per_s",
		"rush.p99_ms", "rush.oversold", "feed.records_per_s", "funding.overspent", "memory.registration.peak_rss_mib", "memory.registration.idle_rss_mib",
		"steady.cpu_ms_per_enrolment", "steady.commits_per_enrolment"} {
		var v any = doc
		for _, part := range strings.Split(key, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: %v is not an object", key, v)
			}
			if v, ok = m[part]; !ok {
				t.Fatalf("report.json has no %s", key)
			}
		}
		if _, ok := v.(float64); !ok {
			t.Fatalf("%s = %v, want a number", key, v)
		}
	}
	if r.Steady.CPUMsPerEnrolment != 16.4 || r.Steady.CommitsPerEnrolment != 12 || r.Steady.PerEnrolmentAtPerS != 100 {
		t.Errorf("per enrolment: %v ms, %v commits at %v/s; want 16.4, 12 at 100/s", r.Steady.CPUMsPerEnrolment, r.Steady.CommitsPerEnrolment, r.Steady.PerEnrolmentAtPerS)
	}
	// Every SVG is well-formed XML with an <svg> root.
	for _, c := range charts {
		f, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(bytes.NewReader(f))
		root := ""
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", c.File, err)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Fatalf("%s: root %q", c.File, root)
		}
		if strings.Contains(string(f), "NaN") {
			t.Fatalf("%s: NaN in the drawing", c.File)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The summary prints the two per-enrolment figures first.
	cpu, commits, rate := strings.Index(string(md), "machine CPU ms per enrolment (at 100/s)"), strings.Index(string(md), "commits per enrolment"),
		strings.Index(string(md), "enrolments/s end to end")
	if cpu < 0 || commits < 0 || rate < 0 || cpu > rate || commits > rate {
		t.Errorf("report.md: CPU and commits per enrolment at %d and %d, the throughput at %d; want them first", cpu, commits, rate)
	}
	for _, want := range []string{"| steady | enrolments/s end to end", "![Latency](latency.svg)", "**Warning**", "| rush oversold |",
		"funding/funding-registration", "object livslang_notification: commit 100%", "12% over (1.12× the bound)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	var table bytes.Buffer
	r.table(&table, false)
	if !strings.Contains(table.String(), "SCENARIO") || !strings.Contains(table.String(), "0.036×") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestTargets(t *testing.T) {
	r, _ := cannedReport()
	met := map[string]bool{}
	for _, tg := range r.Targets {
		met[tg.Metric] = tg.Met
	}
	for metric, want := range map[string]bool{"steady.enrolments_per_s": false, "rush.oversold": true, "feed.records_per_s": true,
		"memory.registration.peak_rss_mib": false, "memory.funding.idle_rss_mib": true, "steady.p99_ms_at_half_target": false} {
		if got, ok := met[metric]; !ok || got != want {
			t.Errorf("%s met = %v (present %v), want %v", metric, got, ok, want)
		}
	}
}

func TestHelpers(t *testing.T) {
	if p := percentile([]float64{5, 1, 4, 2, 3}, 50); p != 3 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99); p != 10 {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile(nil, 99); p != 0 {
		t.Errorf("empty p99 = %v", p)
	}
	rates := bucketRate([]float64{0.1, 0.2, 1.5, 9}, 0.5, 4)
	if rates[0] != 4 || rates[3] != 2 || rates[1] != 0 {
		t.Errorf("bucketRate = %v", rates)
	}
	samples := parseProm(`# HELP x
livslang_consumer_handle_duration_seconds_sum{consumer="funding-registration",service="funding"} 1.5
livslang_consumer_pending_messages{consumer="a\"b",service="x"} 7
go_goroutines 12
`)
	if len(samples) != 3 || samples[0].labels["consumer"] != "funding-registration" || samples[1].labels["consumer"] != `a"b` || samples[2].value != 12 {
		t.Errorf("parseProm = %+v", samples)
	}
	if k := kernelShare("# comment\n    60.00%  [k] finish_task_switch\n    30.00%  [.] runtime.mallocgc\n    10.00%  [k] tcp_sendmsg\n"); !strings.HasPrefix(k, " 70.0% of its samples in the kernel") || !strings.Contains(k, "30.0% in the program") {
		t.Errorf("kernelShare = %q", k)
	}
	if c := cprFor(10080 * 3); len(c) != 10 || c[6] != '0' {
		t.Errorf("cprFor = %s", c)
	}
	seen := map[string]bool{}
	for i := range 30000 {
		c := cprFor(i)
		if seen[c] {
			t.Fatalf("cprFor(%d) = %s again", i, c)
		}
		seen[c] = true
	}
}
