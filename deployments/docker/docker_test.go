// Package docker checks the container build (Dockerfile) and the Compose file without a container
// engine: the Dockerfile is parsed and linted with BuildKit's own parser and lint rules, checked
// against Livslang's rules for images (pinned bases, static, non-root, health check), and the
// binaries it copies are built with the same flags and checked to be static; the Compose file is
// loaded and validated with the Compose specification's loader.
package docker

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

var services = []string{"registration", "funding", "notification", "portal"}

// pinned is an image reference with an exact release (major.minor[.patch], e.g. golang:1.26.8 or
// postgres:15.18, whose versions have two parts) or a digest; scratch needs none.
var (
	pinned  = regexp.MustCompile(`^[a-z0-9./_-]+(:v?[0-9]+\.[0-9]+(\.[0-9]+)?(-[a-z0-9.-]+)?)?(@sha256:[0-9a-f]{64})?$`)
	release = regexp.MustCompile(`:v?[0-9]+\.[0-9]+`)
)

func isPinned(ref string) bool {
	if ref == "scratch" {
		return true
	}
	return pinned.MatchString(ref) && (strings.Contains(ref, "@sha256:") || release.MatchString(ref))
}

type dockerfile struct {
	stages []instructions.Stage
	args   map[string]string // global ARG defaults
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	var lints []string
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
		lints = append(lints, fmt.Sprintf("%s: %s (line %d)", rule, msg, loc[0].Start.Line))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("Dockerfile instructions: %v", err)
	}
	for _, l := range lints {
		t.Errorf("lint: %s", l)
	}
	d := dockerfile{stages: stages, args: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				d.args[kv.Key] = *kv.Value
			}
		}
	}
	return d
}

func TestDockerfile(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stages", len(d.stages))
	}
	names := map[string]bool{}
	for _, s := range d.stages {
		base := os.Expand(s.BaseName, func(k string) string { return d.args[k] })
		if !names[base] && !isPinned(base) {
			t.Errorf("stage %q: base image %q is not pinned to an exact version or digest", s.Name, base)
		}
		names[s.Name] = true
	}
	final := d.stages[len(d.stages)-1]
	if final.BaseName != "scratch" && !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") {
		t.Errorf("final stage is FROM %s; want scratch or distroless static", final.BaseName)
	}
	var user, health, entry, certs, tz string
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = strings.Join(c.Health.Test, " ")
		case *instructions.EntrypointCommand:
			if !c.PrependShell {
				entry = strings.Join(c.CmdLine, " ")
			}
		case *instructions.CopyCommand:
			if slices.ContainsFunc(c.SourcePaths, func(p string) bool { return strings.Contains(p, "ca-certificates") }) {
				certs = c.DestPath
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "TZ" {
					tz = kv.Value
				}
			}
		case *instructions.AddCommand:
			t.Errorf("final stage uses ADD; use COPY")
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("final stage runs as %q; want a non-root numeric user", user)
	}
	if !strings.HasPrefix(health, "CMD /healthcheck") {
		t.Errorf("HEALTHCHECK %q; want the exec form running /healthcheck", health)
	}
	if entry != "/livslang" {
		t.Errorf("ENTRYPOINT %q; want exec form [\"/livslang\"]", entry)
	}
	if certs == "" || tz != "Europe/Copenhagen" {
		t.Errorf("want CA certificates (got %q) and TZ=Europe/Copenhagen (got %q)", certs, tz)
	}
	run := buildCommand(t, d)
	for _, flag := range []string{"-trimpath", "-tags timetzdata", `./services/${SERVICE}/cmd/${SERVICE}`, "./healthcheck"} {
		if !strings.Contains(run, flag) {
			t.Errorf("build step lacks %s:\n%s", flag, run)
		}
	}
}

// buildCommand returns the build stage's RUN lines and checks that it builds without cgo.
func buildCommand(t *testing.T, d dockerfile) string {
	var runs []string
	cgoOff := false
	for _, c := range d.stages[0].Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			runs = append(runs, strings.Join(c.CmdLine, " "))
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				cgoOff = cgoOff || (kv.Key == "CGO_ENABLED" && kv.Value == "0")
			}
		}
	}
	if !cgoOff {
		t.Error("the build stage does not set CGO_ENABLED=0")
	}
	return strings.Join(runs, "\n")
}

func TestPinnedPattern(t *testing.T) {
	for ref, want := range map[string]bool{
		"golang:1.26.8-bookworm": true, "postgres:15.18-bookworm": true, "nats:2.15.2-alpine": true,
		"golang:latest": false, "golang": false, "scratch": true, "axllent/mailpit:v1.33.1": true,
		"alpine@sha256:" + strings.Repeat("a", 64): true, "postgres:15": false,
	} {
		if isPinned(ref) != want {
			t.Errorf("isPinned(%q) = %v, want %v", ref, !want, want)
		}
	}
}

// The binaries the image copies, built as the Dockerfile builds them, are static executables with
// the time zone database inside.
func TestImageBinariesAreStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every service")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	build := func(dir, name string, args ...string) string {
		t.Helper()
		bin := filepath.Join(out, name)
		cmd := exec.Command("go", append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", bin}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if dir != root {
			cmd.Env = append(cmd.Env, "GOWORK=off")
		} else {
			cmd.Env = append(cmd.Env, "GOWORK="+filepath.Join(root, "go.work"))
		}
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, msg)
		}
		return bin
	}
	bins := []string{build(".", "healthcheck", "./healthcheck")}
	for _, s := range services {
		bins = append(bins, build(root, s, "-tags", "timetzdata", "./services/"+s+"/cmd/"+s))
	}
	for _, bin := range bins {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s is dynamically linked", filepath.Base(bin))
			}
		}
		f.Close()
		if filepath.Base(bin) == "healthcheck" {
			continue
		}
		raw, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte("Europe/Copenhagen")) {
			t.Errorf("%s does not embed the time zone database", filepath.Base(bin))
		}
	}
}

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	env := map[string]string{}
	raw, err := os.ReadFile("../compose/example.env")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = "x" + strings.ToLower(k) // every required variable set, as .env would
		}
	}
	env["LIVSLANG_ISSUER_URL"] = "https://login.example.dk"
	dir, _ := filepath.Abs("../compose")
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("livslang", true) })
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

func TestCompose(t *testing.T) {
	p := loadCompose(t)
	want := append([]string{"postgres", "nats", "mailpit", "bootstrap"}, services...)
	for _, name := range want {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("compose.yaml has no service %s", name)
		}
	}
	for name, s := range p.Services {
		if !strings.HasPrefix(s.Image, "xlivslang_image_prefix/") && !isPinned(s.Image) {
			t.Errorf("%s: image %q is not pinned", name, s.Image)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes port %s on %q; publish on 127.0.0.1 and put a proxy in front", name, port.Published, port.HostIP)
			}
		}
	}
	if !strings.Contains(strings.Join(p.Services["nats"].Command, " "), "--jetstream") {
		t.Error("nats runs without JetStream")
	}
	// JetStream's store is encrypted at rest with a key from .env.
	if v := p.Services["nats"].Environment["NATS_STORE_KEY"]; v == nil || *v != "xnats_store_key" {
		t.Error("nats does not get NATS_STORE_KEY from .env")
	}
	if conf, err := os.ReadFile("../compose/nats.conf"); err != nil || !bytes.Contains(conf, []byte("cipher: aes")) ||
		!bytes.Contains(conf, []byte("key: $NATS_STORE_KEY")) {
		t.Errorf("compose/nats.conf does not encrypt the store with NATS_STORE_KEY (%v)", err)
	}
	if cmd := p.Services["bootstrap"].Command; !slices.Contains(cmd, "/bootstrap.sql") {
		t.Errorf("bootstrap runs %v", cmd)
	}
	for _, name := range services {
		s := p.Services[name]
		up := strings.ToUpper(name)
		if s.User != "65532:65532" || !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s: user %q, read_only %v, cap_drop %v; want the image's non-root user, a read-only root and no capabilities", name, s.User, s.ReadOnly, s.CapDrop)
		}
		if v := s.Environment["LIVSLANG_"+up+"_ADDR"]; v == nil || !strings.HasPrefix(*v, "0.0.0.0:") {
			t.Errorf("%s does not listen on all interfaces inside its container", name)
		}
		if name == "portal" {
			continue
		}
		if s.DependsOn["bootstrap"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for the bootstrap", name)
		}
		if v := s.Environment["LIVSLANG_"+up+"_DATABASE_URL"]; v == nil || !strings.Contains(*v, "livslang_"+name+":") ||
			!strings.Contains(*v, "search_path="+name) {
			t.Errorf("%s does not use its own role and schema", name)
		}
	}
	sql, err := os.ReadFile("../compose/bootstrap.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"registration", "funding", "notification"} {
		if !strings.Contains(string(sql), "CREATE SCHEMA IF NOT EXISTS "+name+" AUTHORIZATION livslang_"+name) {
			t.Errorf("bootstrap.sql makes no schema for %s", name)
		}
	}
	// The audit guard (pkg/pgcluster/auditguard.sql) is mounted and run after the schemas.
	mounted := false
	for _, v := range p.Services["bootstrap"].Volumes {
		mounted = mounted || (v.Target == "/auditguard.sql" && strings.HasSuffix(filepath.ToSlash(v.Source), "pkg/pgcluster/auditguard.sql"))
	}
	if !mounted || !strings.Contains(string(sql), "\\i /auditguard.sql") {
		t.Error("the Compose bootstrap does not run pkg/pgcluster/auditguard.sql")
	}
}
