package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const clockTicks = 100 // USER_HZ on Linux

// readRSS is a process's resident set in MiB (VmRSS in /proc/<pid>/status).
func readRSS(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024, true
			}
		}
	}
	return 0, false
}

// procStat is the part of /proc/<pid>/stat the monitor uses.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, false
	}
	// The command name is in parentheses and may contain spaces; the fields after it are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, false
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	// f[0] is state (field 3), so field k is f[k-3].
	return procStat{ppid: int(n(1)), utime: n(11), stime: n(12), cutime: n(13), cstime: n(14)}, true
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// children lists the pids whose parent is ppid.
func children(ppid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok && st.ppid == ppid {
			out = append(out, pid)
		}
	}
	return out
}

// tracked is a process (or, for postgres, a process tree) the monitor samples.
type tracked struct {
	name string
	pid  int
	tree bool // postgres: the postmaster, its reaped children and its live children
}

func (t tracked) ticks() int64 {
	st, ok := readStat(t.pid)
	if !ok {
		return 0
	}
	total := st.utime + st.stime
	if t.tree {
		total += st.cutime + st.cstime
		for _, c := range children(t.pid) {
			if cs, ok := readStat(c); ok {
				total += cs.utime + cs.stime
			}
		}
	}
	return total
}

func (t tracked) rss() (float64, bool) {
	if t.tree {
		return 0, false // shared buffers are counted in every backend; a sum would mislead
	}
	return readRSS(t.pid)
}

type sample struct {
	at  time.Time
	rss map[string]float64
	cpu map[string]int64 // cumulative ticks
}

// monitor samples memory and CPU of the stack's processes and PostgreSQL's activity.
type monitor struct {
	procs []tracked
	pg    *pgxpool.Pool
	svcs  map[string]string // service → base URL, for GET /metrics
	start time.Time

	mu      sync.Mutex
	samples []sample
	phase   *phaseAcc
	phases  []Phase
	marks   []marker
}

type phaseAcc struct {
	name         string
	started      time.Time
	ticks        map[string]int64
	busy         int64 // the machine's busy ticks (/proc/stat)
	peak         map[string]float64
	commits, wal int64
	syncs        int64
	waits        map[string]int
	blocked      map[string]int // statement → lock-wait samples
	lockWaits    int
	waitSamples  int
	busyBackends int
	units        func() int
	unitsAtStart int
	metrics      svcMetrics
	maxPending   map[string]float64
}

// machineBusy is the CPU time all processes and the kernel used since boot, in ticks.
func machineBusy() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f {
		if i == 0 || i == 4 || i == 5 || i > 8 { // label, idle, iowait, guest
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return busy
}

// findProcs finds the launcher's children (the services, the portal, Mailpit), the launcher itself
// (NATS and the identity provider run inside it), the postmaster and the benchmark.
func findProcs(launcher int, pgData string) []tracked {
	procs := []tracked{{name: "livslang-local", pid: launcher}}
	for _, pid := range children(launcher) {
		name := comm(pid)
		switch name {
		case "registration", "funding", "notification", "portal", "mailpit":
			procs = append(procs, tracked{name: name, pid: pid})
		}
	}
	if b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])); err == nil {
			procs = append(procs, tracked{name: "postgres", pid: pid, tree: true})
		}
	}
	procs = append(procs, tracked{name: "bench", pid: os.Getpid()})
	return procs
}

func newMonitor(procs []tracked, pg *pgxpool.Pool, svcs map[string]string) *monitor {
	return &monitor{procs: procs, pg: pg, svcs: svcs, start: time.Now()}
}

func (m *monitor) snapshot() sample {
	s := sample{at: time.Now(), rss: map[string]float64{}, cpu: map[string]int64{}}
	for _, p := range m.procs {
		if v, ok := p.rss(); ok {
			s.rss[p.name] = v
		}
		s.cpu[p.name] = p.ticks()
	}
	return s
}

// run samples every 250 ms (processes) and 100 ms (pg_stat_activity) until ctx ends.
func (m *monitor) run(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	go m.runWaits(ctx)
	go m.runLag(ctx)
	for {
		s := m.snapshot()
		m.mu.Lock()
		m.samples = append(m.samples, s)
		if m.phase != nil {
			for k, v := range s.rss {
				m.phase.peak[k] = max(m.phase.peak[k], v)
			}
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (m *monitor) runWaits(ctx context.Context) {
	if m.pg == nil {
		return
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		m.mu.Lock()
		active := m.phase != nil
		m.mu.Unlock()
		if !active {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		rows, err := m.pg.Query(qctx, `SELECT CASE WHEN state = 'idle in transaction' THEN 'idle in transaction (' || usename || ')'
				ELSE coalesce(wait_event_type || ':' || wait_event, 'CPU') END,
				CASE WHEN wait_event_type = 'Lock' THEN wait_event || ' ' || usename || ': ' || left(regexp_replace(query, '\s+', ' ', 'g'), 90) ELSE '' END,
				count(*)
			FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
				AND datname = 'livslang' AND state IN ('active', 'idle in transaction') GROUP BY 1, 2`)
		if err != nil {
			cancel()
			continue
		}
		counts, blocked := map[string]int{}, map[string]int{}
		for rows.Next() {
			var k, q string
			var n int
			if rows.Scan(&k, &q, &n) == nil {
				counts[k] += n
				if q != "" {
					blocked[q] += n
				}
			}
		}
		rows.Close()
		cancel()
		m.mu.Lock()
		if m.phase != nil {
			m.phase.waitSamples++
			for k, n := range counts {
				m.phase.waits[k] += n
				m.phase.busyBackends += n
			}
			for q, n := range blocked {
				m.phase.blocked[q] += n
				m.phase.lockWaits += n
			}
		}
		m.mu.Unlock()
	}
}

// runLag reads the consumers' lag from the services' metrics every second during a phase.
func (m *monitor) runLag(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		m.mu.Lock()
		active := m.phase != nil
		m.mu.Unlock()
		if !active || len(m.svcs) == 0 {
			continue
		}
		sm := scrapeAll(ctx, m.svcs)
		m.mu.Lock()
		if m.phase != nil {
			for k, v := range sm.pending {
				m.phase.maxPending[k] = max(m.phase.maxPending[k], v)
			}
		}
		m.mu.Unlock()
	}
}

func (m *monitor) pgCounters(ctx context.Context) (commits, walBytes, syncs int64) {
	if m.pg == nil {
		return
	}
	_ = m.pg.QueryRow(ctx, `SELECT (SELECT sum(xact_commit)::bigint FROM pg_stat_database),
		wal_bytes::bigint, wal_sync FROM pg_stat_wal`).Scan(&commits, &walBytes, &syncs)
	return
}

// begin starts a phase; units, if given, counts the work done (enrolments) for per-unit figures.
func (m *monitor) begin(ctx context.Context, name string, units func() int) {
	m.end(ctx)
	s := m.snapshot()
	c, w, y := m.pgCounters(ctx)
	acc := &phaseAcc{name: name, started: s.at, ticks: s.cpu, busy: machineBusy(), peak: map[string]float64{}, commits: c, wal: w, syncs: y,
		waits: map[string]int{}, blocked: map[string]int{}, units: units, maxPending: map[string]float64{}}
	if len(m.svcs) > 0 {
		acc.metrics = scrapeAll(ctx, m.svcs)
	}
	if units != nil {
		acc.unitsAtStart = units()
	}
	for k, v := range s.rss {
		acc.peak[k] = v
	}
	m.mu.Lock()
	m.phase = acc
	m.marks = append(m.marks, marker{X: s.at.Sub(m.start).Seconds(), Label: name})
	m.mu.Unlock()
}

// end closes the current phase, if any.
func (m *monitor) end(ctx context.Context) {
	m.mu.Lock()
	acc := m.phase
	m.phase = nil
	m.mu.Unlock()
	if acc == nil {
		return
	}
	s := m.snapshot()
	busy := machineBusy()
	c, w, y := m.pgCounters(ctx)
	secs := s.at.Sub(acc.started).Seconds()
	if secs < 0.5 && strings.HasPrefix(acc.name, "settle") {
		return // nothing to wait for: percentages of a few ticks would only mislead
	}
	p := Phase{Name: acc.name, Seconds: r1(secs), CPUPct: map[string]float64{}, PeakRSSMiB: map[string]float64{},
		Commits: c - acc.commits, WALBytes: w - acc.wal, WALSyncs: y - acc.syncs, Waits: map[string]float64{}}
	var tracked int64
	for k, v := range s.cpu {
		tracked += v - acc.ticks[k]
		if secs > 0 {
			p.CPUPct[k] = r1(float64(v-acc.ticks[k]) / clockTicks / secs * 100)
		}
	}
	if secs > 0 && busy > 0 {
		p.CPUPct["other"] = r1(max(0, float64(busy-acc.busy-tracked)) / clockTicks / secs * 100)
		p.CPUPct["machine"] = r1(float64(busy-acc.busy) / clockTicks / secs * 100)
	}
	if len(m.svcs) > 0 {
		after := scrapeAll(ctx, m.svcs)
		p.Consumers, p.Routes = map[string]Rate{}, map[string]Rate{}
		for k, v := range after.counters {
			key, ok := strings.CutSuffix(k, " count")
			if !ok {
				continue
			}
			n := v - acc.metrics.counters[k]
			if n <= 0 {
				continue
			}
			sum := after.counters[key+" sum"] - acc.metrics.counters[key+" sum"]
			r := Rate{Count: int64(n), PerS: r1(n / secs), AvgMs: r3(sum / n * 1000)}
			if name, ok := strings.CutPrefix(key, "consumer "); ok {
				r.MaxPending = int64(acc.maxPending[name])
				p.Consumers[name] = r
			} else if name, ok := strings.CutPrefix(key, "route "); ok {
				p.Routes[name] = r
			}
		}
	}
	if acc.lockWaits > 0 {
		p.Blocked = map[string]float64{}
		for q, n := range acc.blocked {
			p.Blocked[q] = r1(100 * float64(n) / float64(acc.lockWaits))
		}
	}
	for k, v := range acc.peak {
		p.PeakRSSMiB[k] = r1(max(v, s.rss[k]))
	}
	if acc.busyBackends > 0 {
		for k, n := range acc.waits {
			p.Waits[k] = r1(100 * float64(n) / float64(acc.busyBackends))
		}
	}
	if acc.waitSamples > 0 {
		p.WaitAvg = r1(float64(acc.busyBackends) / float64(acc.waitSamples))
	}
	if acc.units != nil {
		p.Units = acc.units() - acc.unitsAtStart
		if p.Units > 0 && busy > 0 {
			p.CPUMsPerUnit = r3(float64(busy-acc.busy) / clockTicks * 1000 / float64(p.Units))
		}
	}
	m.mu.Lock()
	m.phases = append(m.phases, p)
	m.mu.Unlock()
}

// memory summarises RSS per process: idle is the largest value in the phase named idle, peak the
// largest in any other phase.
func (m *monitor) memory() map[string]Memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Memory{}
	for _, p := range m.procs {
		if p.tree {
			continue
		}
		var mem Memory
		for _, ph := range m.phases {
			v := ph.PeakRSSMiB[p.name]
			if ph.Name == "idle" {
				mem.IdleRSSMiB = v
				mem.IdleCPUPct = ph.CPUPct[p.name]
			} else if v > mem.PeakRSSMiB {
				mem.PeakRSSMiB, mem.PeakPhase = v, ph.Name
			}
		}
		if len(m.samples) > 0 {
			mem.FinalRSSMiB = r1(m.samples[len(m.samples)-1].rss[p.name])
		}
		out[p.name] = mem
	}
	return out
}

// charts draws RSS and CPU over the whole run.
func (m *monitor) charts() []chart {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.samples) < 2 {
		return nil
	}
	var rss, cpu []series
	for _, p := range m.procs {
		rs := series{Name: p.name}
		cs := series{Name: p.name}
		// CPU over 1-second windows.
		last := 0
		for i, s := range m.samples {
			x := s.at.Sub(m.start).Seconds()
			if v, ok := s.rss[p.name]; ok {
				rs.X, rs.Y = append(rs.X, x), append(rs.Y, v)
			}
			if d := s.at.Sub(m.samples[last].at).Seconds(); d >= 1 || i == len(m.samples)-1 {
				if d > 0 {
					cs.X = append(cs.X, x)
					cs.Y = append(cs.Y, float64(s.cpu[p.name]-m.samples[last].cpu[p.name])/clockTicks/d*100)
				}
				last = i
			}
		}
		if len(rs.X) > 0 {
			rss = append(rss, rs)
		}
		cpu = append(cpu, cs)
	}
	return []chart{
		{File: "memory.svg", Title: "Resident memory per process", XLabel: "seconds since the stack was ready", YLabel: "RSS MiB", Series: rss, Markers: m.marks},
		{File: "cpu.svg", Title: "CPU per process (100 % = one core)", XLabel: "seconds since the stack was ready", YLabel: "% of a core", Series: cpu, Markers: m.marks},
	}
}

// machineInfo reads cores, memory, kernel, versions and the git commit.
func machineInfo(pgBin string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.Fields(rest)[0], 64)
				m.MemoryGiB = r1(kb / 1024 / 1024)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if pgBin != "" {
		if out, err := exec.Command(filepath.Join(pgBin, "postgres"), "--version").Output(); err == nil {
			m.Postgres = strings.TrimSpace(string(out))
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.GitCommit = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "status", "--porcelain").Output(); err == nil {
		for line := range strings.Lines(string(out)) {
			if strings.TrimSpace(line) != "" {
				m.GitDirty++
			}
		}
	}
	return m
}
