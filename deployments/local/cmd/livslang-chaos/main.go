// Command livslang-chaos is `make chaos`: a fault-injection suite in the manner of Jepsen. It starts
// PostgreSQL, a three-node NATS JetStream cluster and two instances of every service as separate
// processes, drives them with a workload of citizens, caseworkers and institutions that records every
// operation and its outcome, and meanwhile a nemesis kills and restarts services, NATS servers and
// Postgres, cuts connections, moves stream leaders, publishes poison messages and makes the mail
// server and the webhook endpoints slow or failing. When the faults stop and the system has settled,
// a checker verifies the invariants over Postgres (every service's schema, read as the superuser) and
// the recorded history, and report.json and report.md are written to -out. See docs/chaos.md.
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
	"strings"
	"syscall"
	"time"
)

// params are one run's settings.
type params struct {
	Out, Bin  string
	Duration  time.Duration // how long the nemesis injects faults
	Settle    time.Duration // the longest the system may take to settle afterwards
	Seed      int64
	Instances int // of each service
	Citizens  int
	Workers   int
	Keep      bool
	NetNS     bool // network namespaces and the network faults, where the machine allows them
}

func parseFlags(args []string) (params, error) {
	fs := flag.NewFlagSet("livslang-chaos", flag.ContinueOnError)
	out := fs.String("out", "", "results folder (required): report.json, report.md, history.json, logs/")
	bin := fs.String("bin", "bin", "folder with the built services (make build)")
	duration := fs.Duration("duration", 75*time.Second, "how long faults are injected under load")
	settle := fs.Duration("settle", 0, "the longest the system may take to settle after the faults (default 90s, or a quarter of -duration if longer)")
	seed := fs.Int64("seed", 0, "seed of the fault schedule and the workload's choices (default: from the clock; the report names it)")
	instances := fs.Int("instances", 2, "instances of each service")
	citizens := fs.Int("citizens", 0, "citizens in the workload (default 60, plus 10 a minute of -duration)")
	workers := fs.Int("workers", 6, "concurrent clients")
	keep := fs.Bool("keep", false, "keep the temporary data folder (Postgres, NATS)")
	netns := fs.Bool("netns", true, "run the NATS servers and the instances of registration and funding in network namespaces and partition them (as root, where namespaces are allowed; skipped otherwise)")
	if err := fs.Parse(args); err != nil {
		return params{}, err
	}
	p := params{Out: *out, Duration: *duration, Settle: *settle, Seed: *seed, Instances: *instances, Citizens: *citizens,
		Workers: *workers, Keep: *keep, NetNS: *netns}
	if p.Out == "" {
		return p, errors.New("-out is required")
	}
	if p.Instances < 1 || p.Workers < 1 || p.Duration <= 0 {
		return p, errors.New("-instances, -workers and -duration must be positive")
	}
	if p.Settle == 0 {
		p.Settle = max(90*time.Second, p.Duration/4)
	}
	if p.Seed == 0 {
		p.Seed = time.Now().UnixNano() % 1_000_000
	}
	if p.Citizens == 0 {
		p.Citizens = 60 + 10*int(p.Duration/time.Minute)
	}
	var err error
	if p.Bin, err = filepath.Abs(*bin); err != nil {
		return p, err
	}
	return p, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == natsNodeCommand {
		os.Exit(natsNodeMain(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "livslang-chaos:", err)
		os.Exit(1)
	}
}

// run starts the stack, runs the workload under the nemesis, heals, settles, checks and reports. It
// fails when an invariant does not hold.
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	p, err := parseFlags(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.Out, 0o755); err != nil {
		return err
	}
	began := time.Now()
	say := func(format string, a ...any) {
		fmt.Fprintf(stdout, "[%6.1fs] "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
	}
	rep := &report{Seed: p.Seed, StartedAt: began.UTC(), DurationS: p.Duration.Seconds(), Instances: p.Instances}
	say("livslang-chaos: seed %d, faults for %s, results in %s", p.Seed, p.Duration, p.Out)

	st, err := startStack(ctx, p, func(f string, a ...any) { say("starting "+f, a...) })
	if err != nil {
		return err
	}
	defer func() {
		say("stopping the stack")
		st.stop(p.Keep)
		if p.Keep {
			say("data kept in %s", st.dir)
		}
	}()
	rep.StartupS = r1(time.Since(began).Seconds())
	if st.net != nil {
		rep.NetworkFaults = "on"
		say("network faults on: %s", strings.Join(networkFaults, ", "))
	} else {
		rep.NetworkFaults = "skipped: " + st.netSkipped
		say("network faults skipped: %s", st.netSkipped)
	}

	h := newHistory()
	w := newWorkload(st, h, p)
	say("setup: %d citizens, runs, budget pools, webhook endpoints", p.Citizens)
	if err := w.setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	rep.Setup = w.summary()

	say("workload and faults for %s", p.Duration)
	n := newNemesis(st, h, p.Seed, func(f string, a ...any) { say("  nemesis: "+f, a...) })
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { w.run(loadCtx); close(loadDone) }()
	faultsEnd := time.Now().Add(p.Duration)
	n.run(ctx, faultsEnd)
	stopLoad()
	<-loadDone
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rep.Faults, rep.Shutdowns = n.counts(), n.shutdowns

	say("healing: every part up, sinks answering")
	healed := time.Now()
	if err := st.heal(ctx); err != nil {
		rep.Notes = append(rep.Notes, "healing failed: "+err.Error())
	}
	rep.HealS = r1(time.Since(healed).Seconds())
	say("settling (at most %s)", p.Settle)
	c := &checker{st: st, w: w, n: n, log: say}
	rep.Settled, rep.SettleS = c.settle(ctx, p.Settle)
	rep.SettleS = r1(rep.SettleS + rep.HealS)
	say("settled: %v after %.1fs; checking", rep.Settled, rep.SettleS)
	if err := c.check(ctx, rep); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	rep.TookS = r1(time.Since(began).Seconds())
	if err := writeReport(p.Out, rep, h); err != nil {
		return err
	}
	rep.summary(stdout)
	if bad := rep.failures(); len(bad) > 0 {
		return fmt.Errorf("invariants violated: %v (see %s)", bad, filepath.Join(p.Out, "report.md"))
	}
	return nil
}

func r1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
