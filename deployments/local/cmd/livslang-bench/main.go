// Command livslang-bench is `make bench` and `make bench-quick`: it starts the whole stack as
// `make run` does (bin/livslang-local, on fresh data in a temporary folder and on free ports), drives
// the public HTTP API as many citizens and institutions would, runs a baseline on the same PostgreSQL
// cluster (one transaction per enrolment, and pgbench), and writes report.json, report.md and SVG
// plots to -out. See docs/benchmarks.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/pgcluster"
)

// params are the sizes of one run; -quick picks smaller ones.
type params struct {
	Quick              bool
	Out, Bin           string
	Keep, Perf         bool
	Citizens           int
	RunsPerInstitution int
	Rates              []float64
	MaxRate            float64
	StepDur, Drain     time.Duration
	Warmup             time.Duration
	SettleWait         time.Duration
	FillWait           time.Duration // how long the feed fill may wait for its confirmations
	Idle               time.Duration
	BaselineDur        time.Duration
	BaselineConc       int
	PGBenchT           int
	RushN, RushSeats   int
	RushWindow         time.Duration
	FeedTarget         int
	SearchRuns         int // how many runs the catalogue holds for the search scenario
	SearchQueries      int
	FundRoom           int
	FundRequests       int
	MaxInFlight        int
}

func defaults(quick bool) params {
	p := params{Quick: quick, RunsPerInstitution: 5, Rates: []float64{50, 100, 200, 400, 800}, MaxRate: 3200,
		Idle: 10 * time.Second, BaselineConc: 20, MaxInFlight: 64, Perf: true, Warmup: 3 * time.Second}
	if quick {
		p.Citizens, p.StepDur, p.Drain, p.SettleWait, p.FillWait = 2000, 5*time.Second, 5*time.Second, 45*time.Second, 90*time.Second
		p.BaselineDur, p.PGBenchT = 5*time.Second, 5
		p.RushN, p.RushSeats, p.RushWindow = 2000, 50, time.Second
		p.FeedTarget, p.FundRoom, p.FundRequests = 10000, 50, 500
		p.SearchRuns, p.SearchQueries = 3000, 1000
	} else {
		p.Citizens, p.StepDur, p.Drain, p.SettleWait, p.FillWait = 20000, 15*time.Second, 15*time.Second, 120*time.Second, 600*time.Second
		p.BaselineDur, p.PGBenchT = 20*time.Second, 20
		p.RushN, p.RushSeats, p.RushWindow = 20000, 500, 10*time.Second
		p.FeedTarget, p.FundRoom, p.FundRequests = 100000, 200, 2000
		p.SearchRuns, p.SearchQueries = 10000, 4000
	}
	return p
}

func parseFlags(args []string) (params, error) {
	fs := flag.NewFlagSet("livslang-bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "the short run (bench-quick: under five minutes on 2 cores)")
	out := fs.String("out", "", "results folder (required)")
	bin := fs.String("bin", "bin", "folder with the built binaries (make build)")
	keep := fs.Bool("keep", false, "keep the stack's temporary data folder")
	perf := fs.Bool("perf", true, "profile steady steps with perf when it is installed")
	rates := fs.String("rates", "", "offered rates of the steady scenario, comma-separated (default 50,100,200,400,800 and up while it keeps up)")
	citizens := fs.Int("citizens", 0, "citizens to create (default 2,000 quick, 20,000 full)")
	inFlight := fs.Int("max-in-flight", 0, "registration's LIVSLANG_REGISTRATION_MAX_IN_FLIGHT (and as many waiting) for the run (default 64, as make run has it)")
	if err := fs.Parse(args); err != nil {
		return params{}, err
	}
	p := defaults(*quick)
	if *out == "" {
		return p, errors.New("-out is required")
	}
	p.Out, p.Bin, p.Keep, p.Perf = *out, *bin, *keep, *perf
	if *citizens > 0 {
		p.Citizens = *citizens
	}
	if *inFlight > 0 {
		p.MaxInFlight = *inFlight
	}
	if *rates != "" {
		p.Rates = nil
		for _, s := range strings.Split(*rates, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || v <= 0 {
				return p, fmt.Errorf("-rates: %q is not a rate", s)
			}
			p.Rates = append(p.Rates, v)
		}
	}
	var err error
	if p.Bin, err = filepath.Abs(p.Bin); err != nil {
		return p, err
	}
	return p, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "livslang-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	p, err := parseFlags(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.Out, 0o755); err != nil {
		return err
	}
	began := time.Now()
	mode := "bench"
	if p.Quick {
		mode = "quick"
	}
	rep := &Report{Mode: mode, StartedAt: began}
	pgBin, _ := pgcluster.FindBinaries()
	rep.Machine = machineInfo(pgBin)
	say := func(format string, a ...any) {
		fmt.Fprintf(stdout, "[%5.1fs] "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
	}

	say("starting the stack (log: %s)", filepath.Join(p.Out, "stack.log"))
	env := []string{
		"LIVSLANG_REGISTRATION_RATE_PER_ADDRESS=1000000",
		fmt.Sprintf("LIVSLANG_REGISTRATION_MAX_IN_FLIGHT=%d", p.MaxInFlight),
	}
	// Each service serves Go's profiles on a port of its own (never on the API's).
	pprofAddrs := map[string]string{}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	for i, svc := range []string{"registration", "funding", "notification"} {
		pprofAddrs[svc] = fmt.Sprintf("127.0.0.1:%d", ports[i])
		env = append(env, fmt.Sprintf("LIVSLANG_%s_PPROF_ADDR=%s", strings.ToUpper(svc), pprofAddrs[svc]))
	}
	st, err := startStack(ctx, p.Bin, filepath.Join(p.Out, "stack.log"), env, p.Keep)
	if err != nil {
		return err
	}
	defer func() {
		say("stopping the stack")
		if serr := st.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	rep.Setup.StackReadyS = r1(st.readyIn.Seconds())
	rep.Setup.RegistrationIn = p.MaxInFlight

	pg, err := pgxpool.New(ctx, st.adminURL("postgres")+"&pool_max_conns=2")
	if err != nil {
		return err
	}
	defer pg.Close()
	mon := newMonitor(findProcs(st.cmd.Process.Pid, filepath.Join(st.data, "postgres", "data")), pg,
		map[string]string{"registration": st.url("registration"), "funding": st.url("funding"), "notification": st.url("notification")})
	mctx, stopMon := context.WithCancel(ctx)
	defer stopMon()
	go mon.run(mctx)

	db, err := pgxpool.New(ctx, st.adminURL("livslang")+"&pool_max_conns=2")
	if err != nil {
		return err
	}
	defer db.Close()
	b := &bench{p: p, st: st, reg: st.url("registration"), fund: st.url("funding"), note: st.url("notification"), idp: st.url("idp"),
		w: newWatcher(st.url("registration")), mon: mon, rep: rep, prof: newProfiler(p.Out, p.Perf), pp: newPprofs(p.Out, pprofAddrs), db: db}

	say("idle for %s (memory and CPU before any load)", p.Idle)
	mon.begin(ctx, "idle", nil)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(p.Idle):
	}
	mon.end(ctx)

	say("setup: %d citizens with profiles, %d runs per institution", p.Citizens, p.RunsPerInstitution)
	mon.begin(ctx, "setup", nil)
	if err := b.setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	mon.end(ctx)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	for _, in := range b.insts {
		go b.w.follow(wctx, in)
	}
	say("setup took %.1fs: %d institutions, %d runs; %.0f tokens/s, %.0f profiles/s", rep.Setup.SetupS, len(b.insts), len(b.runs), rep.Setup.TokensPerS, rep.Setup.ProfilesPerS)

	steps := []struct {
		name string
		fn   func() error
	}{
		{"steady", func() error { return b.steady(ctx) }},
		{"rush", func() error { b.settle(ctx, "rush", p.SettleWait); return b.rush(ctx, 0) }},
		{"funding", func() error { b.settle(ctx, "funding", p.SettleWait); return b.funding(ctx) }},
		{"baseline", func() error { b.settle(ctx, "baseline", p.SettleWait); return b.baseline(ctx) }},
		{"pgbench", func() error { return b.pgbench(ctx, pgBin) }},
		{"search", func() error { b.settle(ctx, "search", p.SettleWait); return b.search(ctx) }},
		// Last: filling the feed leaves a long queue of e-mails behind.
		{"feed", func() error { b.settle(ctx, "feed", p.SettleWait); return b.feed(ctx, 0) }},
	}
	for _, s := range steps {
		say("%s", s.name)
		if err := st.alive(); err != nil {
			return err
		}
		if err := s.fn(); err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s failed: %v", s.name, err))
			say("%s failed: %v", s.name, err)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	mon.end(ctx)
	stopMon()
	stopWatch()

	rep.Memory = mon.memory()
	rep.Phases = mon.phases
	var otherTicks, secs float64
	for _, ph := range rep.Phases {
		if ph.Name == "idle" {
			rep.Machine.OtherCPUIdlePct = ph.CPUPct["other"]
		}
		otherTicks += ph.CPUPct["other"] * ph.Seconds
		secs += ph.Seconds
	}
	if secs > 0 {
		rep.Machine.OtherCPURunPct = r1(otherTicks / secs)
	}
	if w := rep.Machine.busyWarning(); w != "" {
		rep.Notes = append([]string{w}, rep.Notes...)
	}
	base, pgTPS := rep.Baseline.EnrolmentsPerS, rep.PGBench.TPS
	rep.Steady.VsBaseline, rep.Steady.VsPGBench = ratio(rep.Steady.EnrolmentsPerS, base), ratio(rep.Steady.EnrolmentsPerS, pgTPS)
	rep.Rush.VsBaseline, rep.Rush.VsPGBench = ratio(rep.Rush.AnsweredPerS, base), ratio(rep.Rush.AnsweredPerS, pgTPS)
	rep.Feed.VsBaseline, rep.Feed.VsPGBench = ratio(rep.Feed.RecordsPerS, base), ratio(rep.Feed.RecordsPerS, pgTPS)
	rep.Funding.VsBaseline, rep.Funding.VsPGBench = ratio(rep.Funding.DecisionsPerS, base), ratio(rep.Funding.DecisionsPerS, pgTPS)
	rep.perEnrolment()
	rep.checkTargets()
	rep.Notes = append(rep.Notes,
		"The load generator runs on the same machine and competes with the stack for the CPUs; its share is the bench column in the CPU table.",
		fmt.Sprintf("registration ran with LIVSLANG_REGISTRATION_RATE_PER_ADDRESS=1000000 (all load comes from one address) and LIVSLANG_REGISTRATION_MAX_IN_FLIGHT=%d; everything else as `make run`.", p.MaxInFlight))
	rep.TookS = r1(time.Since(began).Seconds())
	charts := append(b.charts, mon.charts()...)
	if err := writeOutputs(p.Out, rep, charts); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if w := rep.Machine.busyWarning(); w != "" {
		fmt.Fprintln(stdout, "WARNING:", w)
	}
	rep.table(stdout, false)
	fmt.Fprintf(stdout, "\nresults in %s (report.md, report.json, %d plots); took %.0f s\n", p.Out, len(charts), rep.TookS)
	return nil
}
