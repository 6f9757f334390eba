package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process the suite can start, kill -9, stop with SIGTERM and start again. Its
// output is appended to one log file across restarts. A process that exits without being told to
// (a crash it made on purpose, or not) is started again after a second, as a supervisor would.
type proc struct {
	name  string
	path  string
	args  []string
	env   []string
	log   io.Writer
	ready string // URL answering 200 when ready ("" = ready when started)
	// crashPoint, if set, tells whether an exit code is a crash the instance made on purpose
	// (LIVSLANG_CHAOS_CRASH) and records it; such an exit is restarted but not counted unexpected.
	crashPoint func(code int) bool

	mu         sync.Mutex
	cmd        *exec.Cmd
	exited     chan struct{}
	stopping   bool // killed or stopped on purpose
	down       bool // not to be restarted until start is called
	unexpected int  // exits nobody asked for
	lastExit   string
}

func newProc(name, path string, args, env []string, log io.Writer, ready string) *proc {
	return &proc{name: name, path: path, args: args, env: env, log: log, ready: ready}
}

// start runs the process and, if it has a readiness URL, waits until it answers (at most timeout).
func (p *proc) start(ctx context.Context, timeout time.Duration) error {
	p.mu.Lock()
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = slices.Clone(p.env)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.stopping, p.down = cmd, exited, false, false
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		planned := p.stopping
		crash := !planned && p.crashPoint != nil && p.crashPoint(cmd.ProcessState.ExitCode())
		if !planned && !crash {
			p.unexpected++
			p.lastExit = fmt.Sprint(err)
		}
		p.mu.Unlock()
		close(exited)
		if !planned {
			fmt.Fprintf(p.log, "chaos: %s exited by itself (%v); starting it again\n", p.name, err)
			time.Sleep(time.Second)
			p.mu.Lock()
			again := !p.down && p.exited == exited
			p.mu.Unlock()
			if again && ctx.Err() == nil {
				_ = p.start(ctx, 0)
			}
		}
	}()
	if p.ready == "" || timeout == 0 {
		return nil
	}
	return p.waitReady(ctx, timeout)
}

// setEnv changes a variable of the process's environment for its next start.
func (p *proc) setEnv(key, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.env = append(slices.DeleteFunc(p.env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") }), key+"="+value)
}

// onCrash sets the process's crashPoint.
func (p *proc) onCrash(f func(code int) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crashPoint = f
}

// waitReady polls the readiness URL until it answers 200.
func (p *proc) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for {
		if resp, err := c.Get(p.ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", p.name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone; it stays down until start.
func (p *proc) kill() {
	p.signal(syscall.SIGKILL, time.Minute)
}

// stop sends SIGTERM and waits up to bound for the process to exit (then kills it). It reports how
// long the process took and whether it exited by itself within the bound.
func (p *proc) stop(bound time.Duration) (time.Duration, bool) {
	began := time.Now()
	graceful := p.signal(syscall.SIGTERM, bound)
	if !graceful {
		p.signal(syscall.SIGKILL, time.Minute)
	}
	return time.Since(began), graceful
}

// signal sends sig to the process and waits up to wait for it to exit.
func (p *proc) signal(sig syscall.Signal, wait time.Duration) bool {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.stopping, p.down = true, true
	p.mu.Unlock()
	if cmd == nil {
		return true
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
		return true
	case <-time.After(wait):
		return false
	}
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// crashes reports the exits nobody asked for and the last one's error.
func (p *proc) crashes() (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unexpected, p.lastExit
}

// syncWriter serialises writes to a log file shared by restarts of one process.
type syncWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func (s *syncWriter) Close() error { return s.w.Close() }

func openLog(path string) (*syncWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &syncWriter{w: f}, nil
}
