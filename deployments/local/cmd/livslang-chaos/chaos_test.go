package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// binaries returns a folder with the services and this suite built: LIVSLANG_BIN_DIR when make test
// sets it (make build puts livslang-chaos there), else a fresh build.
func binaries(t *testing.T) string {
	if dir := os.Getenv("LIVSLANG_BIN_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "livslang-chaos")); err == nil {
			return dir
		}
	}
	dir := t.TempDir()
	for _, pkg := range []string{"livslang.dk/services/registration/cmd/registration", "livslang.dk/services/funding/cmd/funding",
		"livslang.dk/services/notification/cmd/notification", "livslang.dk/deployments/local/cmd/livslang-chaos"} {
		if out, err := exec.Command("go", "build", "-o", dir, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return dir
}

// TestShortChaosRun is `make chaos` in short: a minute of every kind of fault under load, with a
// fixed seed, and every invariant must hold. Where the machine allows network namespaces (as root)
// the partitions are among the faults; elsewhere the report must say why they were skipped.
func TestShortChaosRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack and injects faults for a minute")
	}
	bin := binaries(t)
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(bin, "livslang-chaos"), "-bin", bin, "-out", out, "-duration", "60s", "-seed", "1")
	cmd.WaitDelay = time.Minute
	logs, err := cmd.CombinedOutput()
	b, rerr := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil || rerr != nil {
		md, _ := os.ReadFile(filepath.Join(out, "report.md"))
		t.Fatalf("livslang-chaos: %v\n%s\n%s", err, logs, md)
	}
	var rep struct {
		Acknowledged, Lost, Duplicated, Oversold, Overspent int
		NotificationsMissing                                int `json:"notifications_missing"`
		NotificationsDuplicated                             int `json:"notifications_duplicated"`
		Faults                                              map[string]int
		NetworkFaults                                       string  `json:"network_faults"`
		SettleS                                             float64 `json:"settle_s"`
		Checks                                              []check
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Acknowledged < 200 || rep.Lost != 0 || rep.Duplicated != 0 || rep.Oversold != 0 || rep.Overspent != 0 ||
		rep.NotificationsMissing != 0 || rep.NotificationsDuplicated != 0 || rep.SettleS <= 0 {
		t.Errorf("report: %s", b)
	}
	kinds := append(slices.Clone(processFaults), sinkFaults...)
	switch {
	case rep.NetworkFaults == "on":
		kinds = append(kinds, networkFaults...)
	case strings.HasPrefix(rep.NetworkFaults, "skipped: "):
		t.Log("network faults " + rep.NetworkFaults)
		if _, skipped := setupNetwork(t.Context()); skipped == "" {
			t.Errorf("network faults %s, yet this machine allows network namespaces", rep.NetworkFaults)
		}
	default:
		t.Errorf("the report does not say whether the network faults ran: network_faults %q", rep.NetworkFaults)
	}
	for _, kind := range kinds {
		if rep.Faults[kind] == 0 {
			t.Errorf("fault %s was not injected", kind)
		}
	}
	crashes := 0
	for _, kind := range crashFaults {
		crashes += rep.Faults[kind]
	}
	if crashes == 0 {
		t.Errorf("no instance crashed at a crash point: %v", rep.Faults)
	}
	for _, c := range rep.Checks {
		if c.Violations > 0 {
			t.Errorf("%s: %d violations: %s", c.Name, c.Violations, strings.Join(c.Examples, "; "))
		}
	}
	if len(rep.Checks) < 19 {
		t.Errorf("%d checks ran", len(rep.Checks))
	}
}
