// Command vulncheck runs govulncheck on the given packages (run from the repository root:
// GOWORK=off go run ./.ci/vulncheck livslang.dk/pkg/... …) and fails when code calls a known
// vulnerability in a module it requires.
//
// The vulnerability database is vuln.go.dev when it can be reached. When it cannot (this project's
// machines reach only the Go module proxy), it is built from the OSV files of the golang.org/x/vulndb
// module, which the module proxy serves like any module: its newest version by default, the same data
// vuln.go.dev publishes, kept under the user's cache folder. LIVSLANG_VULN_DB names another database
// (a URL or file:// folder); LIVSLANG_VULNDB_VERSION pins the x/vulndb version.
//
// A vulnerability in the Go standard library is fixed only by a newer Go toolchain; it is reported but
// fails the check only with -strict-stdlib, so a machine whose Go is a patch release behind still runs
// the tests. docs/operations.md ("Vulnerabilities") says what to do about them.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const govulncheck = "golang.org/x/vuln/cmd/govulncheck@v1.9.0"

func main() {
	strict := flag.Bool("strict-stdlib", false, "fail on vulnerabilities of the standard library too")
	dir := flag.String("C", "pkg", "the module folder govulncheck runs in (in workspace mode it sees every module)")
	flag.Parse()
	if err := run(*dir, flag.Args(), *strict, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
}

func run(dir string, patterns []string, strict bool, out io.Writer) error {
	if len(patterns) == 0 {
		return errors.New("name the packages to check")
	}
	db, source, err := database()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "govulncheck with %s\n", source)
	cmd := exec.Command("go", append([]string{"run", govulncheck, "-C", dir, "-db", db, "-format", "json"}, patterns...)...)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("govulncheck: %w", err)
	}
	called, err := calledFindings(raw)
	if err != nil {
		return err
	}
	failed := 0
	for _, f := range called {
		what := "FAIL"
		if f.module == "stdlib" && !strict {
			what = "warn (fixed by Go " + strings.TrimPrefix(f.fixed, "v") + ")"
		} else {
			failed++
		}
		fmt.Fprintf(out, "  %s %s in %s, called from %s\n", what, f.id, f.module, f.where)
	}
	if failed > 0 {
		return fmt.Errorf("%d vulnerabilities called in required modules: upgrade them (go get module@fixed-version)", failed)
	}
	fmt.Fprintf(out, "govulncheck: no vulnerability called in a required module (%d in the standard library)\n", len(called))
	return nil
}

// finding is a vulnerability the code calls.
type finding struct{ id, module, fixed, where string }

// calledFindings reads govulncheck's JSON stream: the findings whose trace reaches a function of
// ours, one per vulnerability.
func calledFindings(raw []byte) ([]finding, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	seen := map[string]bool{}
	var out []finding
	for {
		var msg struct {
			Finding *struct {
				OSV          string `json:"osv"`
				FixedVersion string `json:"fixed_version"`
				Trace        []struct {
					Module   string `json:"module"`
					Function string `json:"function"`
					Position *struct {
						Filename string `json:"filename"`
						Line     int    `json:"line"`
					} `json:"position"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read govulncheck's output: %w", err)
		}
		f := msg.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" || seen[f.OSV] {
			continue
		}
		seen[f.OSV] = true
		where := "our code"
		if last := f.Trace[len(f.Trace)-1]; last.Position != nil {
			where = fmt.Sprintf("%s:%d", last.Position.Filename, last.Position.Line)
		}
		out = append(out, finding{id: f.OSV, module: f.Trace[0].Module, fixed: f.FixedVersion, where: where})
	}
	slices.SortFunc(out, func(a, b finding) int { return strings.Compare(a.module+a.id, b.module+b.id) })
	return out, nil
}

// database is the vulnerability database to use and a description of it.
func database() (string, string, error) {
	if db := os.Getenv("LIVSLANG_VULN_DB"); db != "" {
		return db, "the database in LIVSLANG_VULN_DB (" + db + ")", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://vuln.go.dev/index/db.json", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return "https://vuln.go.dev", "vuln.go.dev", nil
		}
	}
	return fromModuleProxy()
}

// fromModuleProxy builds a database from golang.org/x/vulndb's OSV files, once per version.
func fromModuleProxy() (string, string, error) {
	version := os.Getenv("LIVSLANG_VULNDB_VERSION")
	if version == "" {
		version = "latest"
	}
	dl := exec.Command("go", "mod", "download", "-json", "golang.org/x/vulndb@"+version)
	dl.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	dl.Dir = os.TempDir() // outside any module
	dl.Stderr = os.Stderr
	raw, err := dl.Output()
	if err != nil {
		return "", "", fmt.Errorf("download golang.org/x/vulndb@%s from the module proxy: %w", version, err)
	}
	var mod struct{ Version, Dir string }
	if err := json.Unmarshal(raw, &mod); err != nil || mod.Dir == "" {
		return "", "", fmt.Errorf("go mod download golang.org/x/vulndb: %s", raw)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	root := filepath.Join(cache, "livslang", "vulndb")
	dir := filepath.Join(root, mod.Version)
	source := "a database built from golang.org/x/vulndb@" + mod.Version + " (vuln.go.dev cannot be reached)"
	if _, err := os.Stat(filepath.Join(dir, "index", "db.json")); err == nil {
		return "file://" + dir, source, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", "", err
	}
	tmp, err := os.MkdirTemp(root, "building-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp)
	build := exec.Command("go", "run", "golang.org/x/vulndb/cmd/indexdb@"+mod.Version,
		"-vulns", filepath.Join(mod.Dir, "data", "osv"), "-out", filepath.Join(tmp, "db"))
	build.Env = dl.Env
	build.Dir = dl.Dir
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", "", fmt.Errorf("build the vulnerability database from golang.org/x/vulndb@%s: %w", mod.Version, err)
	}
	old, _ := filepath.Glob(filepath.Join(root, "v*"))
	if err := os.Rename(filepath.Join(tmp, "db"), dir); err != nil {
		return "", "", err
	}
	for _, o := range old { // keep the newest only
		_ = os.RemoveAll(o)
	}
	return "file://" + dir, source, nil
}
