package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stack is bin/livslang-local started as a child process on fresh data and free ports.
type stack struct {
	dir     string // temporary folder holding the data
	data    string // LIVSLANG_DATA_DIR
	ports   map[string]int
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	keep    bool
	readyIn time.Duration
}

var portNames = []string{"PG", "NATS", "PORTAL", "REGISTRATION", "FUNDING", "NOTIFICATION", "IDP", "MAILPIT", "SMTP"}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// startStack runs the launcher the way `make run` does, with extra environment for the services,
// copies its output to logPath and returns once it prints "ready in".
func startStack(ctx context.Context, binDir, logPath string, extraEnv []string, keep bool) (*stack, error) {
	dir, err := os.MkdirTemp("", "livslang-bench-")
	if err != nil {
		return nil, err
	}
	// The postgres OS user must reach the data folder when the launcher runs as root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &stack{dir: dir, data: filepath.Join(dir, "data"), ports: map[string]int{}, exited: make(chan struct{}), keep: keep}
	ports, err := freePorts(len(portNames))
	if err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		// Always the private cluster and the embedded NATS server.
		if strings.HasPrefix(kv, "LIVSLANG_DATABASE_URL=") || strings.HasPrefix(kv, "LIVSLANG_NATS_URL=") {
			continue
		}
		env = append(env, kv)
	}
	// The load generator polls as fast as it measures: its callers are not to be rate limited.
	env = append(env, "LIVSLANG_DATA_DIR="+s.data, "LIVSLANG_BIN_DIR="+binDir, "LIVSLANG_RATE_PER_CALLER=1000000")
	for i, name := range portNames {
		s.ports[name] = ports[i]
		env = append(env, fmt.Sprintf("LIVSLANG_%s_PORT=%d", name, ports[i]))
	}
	env = append(env, extraEnv...)

	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(filepath.Join(binDir, "livslang-local"))
	s.cmd.Env = env
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = s.cmd.Stdout
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.cmd.Path, err)
	}
	ready := make(chan struct{})
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if !seen && strings.HasPrefix(line, "ready in ") {
				seen = true
				close(ready)
			}
		}
	}()
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case <-ready:
		s.readyIn = time.Since(began)
		return s, nil
	case <-s.exited:
		s.cleanup()
		return nil, fmt.Errorf("the stack exited before it was ready (%v); see %s", s.waitErr, logPath)
	case <-time.After(3 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("the stack was not ready after 3 minutes; see %s", logPath)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *stack) url(name string) string {
	return fmt.Sprintf("http://127.0.0.1:%d", s.ports[strings.ToUpper(name)])
}

func (s *stack) adminURL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.ports["PG"], db)
}

func (s *stack) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("the stack exited: %v", s.waitErr)
	default:
		return nil
	}
}

// stop asks the launcher to stop (it stops the services and PostgreSQL), waits, and removes the data.
func (s *stack) stop() error {
	var err error
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(90 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			err = errors.New("the launcher did not stop within 90 s and was killed")
		}
	}
	s.cleanup()
	return err
}

func (s *stack) cleanup() {
	if !s.keep {
		os.RemoveAll(s.dir)
	}
}
