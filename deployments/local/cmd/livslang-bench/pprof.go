package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// GoProfile is a Go CPU or allocation profile of one service during a steady step, taken from the
// service's pprof listener (LIVSLANG_<SERVICE>_PPROF_ADDR, which the benchmark sets).
type GoProfile struct {
	Phase   string   `json:"phase"`
	Service string   `json:"service"`
	Kind    string   `json:"kind"` // cpu or allocs
	File    string   `json:"file"` // the profile for `go tool pprof`, relative to the results folder
	Top     []string `json:"top"`  // go tool pprof -top: the heaviest functions including callees
}

// pprofs fetches the services' Go profiles: a CPU profile for the length of a step and the
// allocations made during it (the difference of the allocs profile before and after).
type pprofs struct {
	dir   string
	addrs map[string]string // service → host:port of its pprof listener
	got   map[string][]GoProfile
	mu    sync.Mutex
}

func newPprofs(out string, addrs map[string]string) *pprofs {
	return &pprofs{dir: filepath.Join(out, "profiles"), addrs: addrs, got: map[string][]GoProfile{}}
}

// start profiles every service for d; the returned stop waits for the profiles.
func (p *pprofs) start(ctx context.Context, phase string, d time.Duration) (stop func()) {
	if len(p.addrs) == 0 || os.MkdirAll(p.dir, 0o755) != nil {
		return func() {}
	}
	var wg sync.WaitGroup
	for svc, addr := range p.addrs {
		base := filepath.Join(p.dir, fmt.Sprintf("%s-%s", svc, phase))
		before := base + "-allocs-before.pb.gz"
		if err := fetch(ctx, "http://"+addr+"/debug/pprof/allocs", before); err != nil {
			continue
		}
		wg.Go(func() {
			cpu := base + "-cpu.pb.gz"
			if err := fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Seconds()))), cpu); err == nil {
				p.add(phase, GoProfile{Phase: phase, Service: svc, Kind: "cpu", File: cpu})
			}
			allocs := base + "-allocs.pb.gz"
			if err := fetch(ctx, "http://"+addr+"/debug/pprof/allocs", allocs); err == nil {
				p.add(phase, GoProfile{Phase: phase, Service: svc, Kind: "allocs", File: allocs})
			}
		})
	}
	return wg.Wait
}

func (p *pprofs) add(phase string, g GoProfile) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got[phase] = append(p.got[phase], g)
}

// report summarises the profiles of the phases kept with `go tool pprof -top` and removes the others.
func (p *pprofs) report(keep []string) []GoProfile {
	var out []GoProfile
	for phase, profs := range p.got {
		for _, g := range profs {
			before := strings.TrimSuffix(g.File, "-allocs.pb.gz") + "-allocs-before.pb.gz"
			if !slices.Contains(keep, phase) {
				os.Remove(g.File)
				if g.Kind == "allocs" {
					os.Remove(before)
				}
				continue
			}
			args := []string{"tool", "pprof", "-top", "-cum", "-nodecount=30"}
			if g.Kind == "allocs" {
				args = append(args, "-sample_index=alloc_space", "-diff_base="+before)
			}
			text, err := exec.Command("go", append(args, g.File)...).Output()
			if err != nil {
				continue
			}
			g.Top = topLines(string(text), 36)
			g.File, _ = filepath.Rel(filepath.Dir(p.dir), g.File)
			out = append(out, g)
		}
	}
	p.got = map[string][]GoProfile{}
	slices.SortFunc(out, func(a, b GoProfile) int {
		return strings.Compare(a.Phase+a.Service+a.Kind, b.Phase+b.Service+b.Kind)
	})
	return out
}

// fetch saves the body of a GET of url in file.
func fetch(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
