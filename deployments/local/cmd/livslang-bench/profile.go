package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profiler samples the whole machine's CPU with perf (the services serve no pprof endpoint) while a
// steady step runs. Go binaries keep their symbols and frame pointers, so perf names Go functions.
// Without perf it does nothing.
type profiler struct {
	perf string
	dir  string
	data map[string]string // phase → perf.data file
}

func newProfiler(out string, enabled bool) *profiler {
	p := &profiler{dir: filepath.Join(out, "profiles"), data: map[string]string{}}
	if !enabled {
		return p
	}
	if path, err := exec.LookPath("perf"); err == nil {
		p.perf = path
	}
	return p
}

// start records for at most d; the returned stop ends the recording early and waits for it.
func (p *profiler) start(ctx context.Context, name string, d time.Duration) (stop func()) {
	if p.perf == "" {
		return func() {}
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return func() {}
	}
	file := filepath.Join(p.dir, name+".perf.data")
	cmd := exec.CommandContext(ctx, p.perf, "record", "-a", "-g", "-e", "cpu-clock", "-F", "199", "-o", file, "--",
		"sleep", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
	if err := cmd.Start(); err != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.data[name] = file
	return func() {
		select {
		case <-done:
		case <-time.After(d + 5*time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
}

// report writes text reports for the named recordings and removes every perf.data file.
func (p *profiler) report(keep []string) []Profile {
	var out []Profile
	for name, file := range p.data {
		if slices.Contains(keep, name) {
			if pr, err := p.summarise(name, file); err == nil {
				out = append(out, pr)
			}
		}
		os.Remove(file)
		os.Remove(file + ".old")
	}
	p.data = map[string]string{}
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.Phase, b.Phase) })
	return out
}

func (p *profiler) summarise(name, file string) (Profile, error) {
	pr := Profile{Phase: name, File: filepath.Join("profiles", name+".txt"), PerProcess: map[string][]string{}}
	rep := func(args ...string) string {
		out, _ := exec.Command(p.perf, append([]string{"report", "-i", file, "--stdio", "-g", "none"}, args...)...).Output()
		return string(out)
	}
	byComm := rep("--no-children", "--sort", "comm", "--percent-limit", "0.5")
	if byComm == "" {
		return pr, fmt.Errorf("perf report gave nothing")
	}
	bySym := rep("--no-children", "--sort", "comm,sym", "--percent-limit", "0.3")
	pr.Processes = topLines(byComm, 12)
	pr.Symbols = topLines(bySym, 25)
	var text strings.Builder
	fmt.Fprintf(&text, "perf profile of the whole machine during %s (perf record -a -g -e cpu-clock -F 199)\n\n== by process (self)\n%s\n\n== by function (self, all processes)\n%s\n",
		name, strings.Join(topLines(byComm, 50), "\n"), strings.Join(topLines(bySym, 100), "\n"))
	for _, comm := range []string{"registration", "funding", "notification", "livslang-local", "postgres"} {
		self := topLines(rep("--no-children", "--comms", comm, "--sort", "sym", "--percentage", "relative", "--percent-limit", "1"), 25)
		if len(self) == 0 {
			continue
		}
		dso := []string{kernelShare(rep("--no-children", "--comms", comm, "--sort", "sym", "--percentage", "relative"))}
		incl := goFunctions(topLines(rep("--children", "--comms", comm, "--sort", "sym", "--percentage", "relative", "--percent-limit", "2"), 300))
		fmt.Fprintf(&text, "\n== %s: kernel or the program\n%s\n\n== %s: self time (share of the process's samples)\n%s\n\n== %s: including callees\n%s\n",
			comm, strings.Join(dso, "\n"), comm, strings.Join(self, "\n"), comm, strings.Join(incl, "\n"))
		var user []string
		for _, l := range incl {
			if strings.Contains(l, "[.]") {
				user = append(user, l)
			}
		}
		pr.PerProcess[comm] = append(append(dso, "-- user-space functions, including callees / self:"), user[:min(len(user), 12)]...)
	}
	return pr, os.WriteFile(filepath.Join(p.dir, name+".txt"), []byte(text.String()), 0o644)
}

// goFunctions drops the frames every stack has (program entry, goroutine start, unknown addresses)
// from an inclusive report, so what is left says where the time goes.
func goFunctions(lines []string) []string {
	var out []string
	for _, l := range lines {
		f := strings.Fields(l)
		sym := f[len(f)-1]
		switch {
		case strings.HasPrefix(sym, "0x"), sym == "main", sym == "main.main", sym == "runtime.main", sym == "runtime.goexit.abi0",
			sym == "__libc_start_call_main", sym == "PostmasterMain", sym == "_start", sym == "runtime.mstart.abi0", sym == "runtime.mstart0",
			sym == "runtime.mstart1", sym == "runtime.systemstack.abi0":
			continue
		}
		out = append(out, l)
	}
	return out
}

// kernelShare sums the kernel's lines ([k]) of a self-time report by symbol.
func kernelShare(report string) string {
	var k, all float64
	for line := range strings.Lines(report) {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(line, "#") || !strings.HasSuffix(f[0], "%") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		all += v
		if f[1] == "[k]" {
			k += v
		}
	}
	return fmt.Sprintf("%5.1f%% of its samples in the kernel (system calls, network, scheduling), %.1f%% in the program", k, all-k)
}

// topLines keeps the first n sample lines of a perf report (no comments or blank lines).
func topLines(report string, n int) []string {
	var out []string
	for line := range strings.Lines(report) {
		line = strings.TrimRight(line, "\n")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
		if len(out) == n {
			break
		}
	}
	return out
}
