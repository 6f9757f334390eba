package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a child process whose output lines are prefixed with its name.
type process struct {
	name string
	cmd  *exec.Cmd
	exit chan struct{}
	err  error
}

var outputMu sync.Mutex

func startProcess(name, path string, args, env []string, stdout io.Writer) (*process, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %s not built (run make build): %w", name, path, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, exit: make(chan struct{})}
	prefix := fmt.Sprintf("%-13s| ", name)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			outputMu.Lock()
			fmt.Fprintln(stdout, prefix+sc.Text())
			outputMu.Unlock()
		}
	}()
	go func() {
		<-copied
		p.err = cmd.Wait()
		close(p.exit)
	}()
	return p, nil
}

func (p *process) done() bool {
	select {
	case <-p.exit:
		return true
	default:
		return false
	}
}

// stopAll sends SIGTERM to every process, newest first, and waits up to 10 s before killing.
func stopAll(procs []*process) {
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		if p.done() {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exit:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exit
		}
	}
}

// exited reports the first process to exit.
func exited(procs []*process) <-chan *process {
	ch := make(chan *process, len(procs))
	for _, p := range procs {
		go func() {
			<-p.exit
			ch <- p
		}()
	}
	return ch
}
