package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netnsHelperEnv makes the test binary a listener (TestNetnsHelper) on the addresses it names.
const netnsHelperEnv = "LIVSLANG_CHAOS_TEST_LISTEN"

// TestNetnsHelper is not a test: run in a namespace with netnsHelperEnv set, it accepts connections
// on each address until killed.
func TestNetnsHelper(t *testing.T) {
	addrs := os.Getenv(netnsHelperEnv)
	if addrs == "" {
		t.Skip("helper process for TestNetworkCutsAndHeals")
	}
	for _, a := range strings.Split(addrs, ",") {
		l, err := net.Listen("tcp", a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	select {}
}

// The network the partition faults use: a part in its own namespace is reached over its link, a cut
// link passes nothing (and only that link: the Postgres link of a part is cut apart from its main
// one), a healed link passes again, and teardown leaves no namespace or link behind, as the next
// start leaves none of a suite that was killed.
func TestNetworkCutsAndHeals(t *testing.T) {
	ctx := t.Context()
	old := "" // the names of a suite killed before
	if os.Geteuid() == 0 {
		// What a suite killed with kill -9 leaves: its namespace and a bridge, under a pid no longer running.
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		old = netPrefix + strconv.FormatInt(int64(dead.Process.Pid), 36)
		if err := ipCmds(ctx, []string{"netns", "add", old + "-nats1"}, []string{"link", "add", old + "-b0", "type", "bridge"}); err != nil {
			t.Skip("network faults skipped: " + err.Error())
		}
	}
	n, skipped := setupNetwork(ctx)
	if n == nil {
		t.Skip("network faults skipped: " + skipped)
	}
	defer n.teardown()

	p, err := n.add(ctx, "part", true)
	if err != nil {
		t.Fatal(err)
	}
	main, pg := net.JoinHostPort(p.addr, "7001"), net.JoinHostPort(p.pgAddr, "7002")
	self, _ := os.Executable()
	path, args := p.command(self, []string{"-test.run=^TestNetnsHelper$"})
	helper := exec.Command(path, args...)
	helper.Env = append(os.Environ(), netnsHelperEnv+"="+main+","+pg)
	helper.Stderr = os.Stderr
	helper.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	stopHelper := func() { _ = helper.Process.Kill(); _ = helper.Wait() }
	defer stopHelper()

	reach := func(addr string) error {
		c, err := net.DialTimeout("tcp", addr, 700*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err
	}
	eventually := func(what, addr string, want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := reach(addr)
			if (err == nil) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s reachable %v, want %v (%v)", what, addr, err == nil, want, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	eventually("started", main, true)
	eventually("started", pg, true)

	if err := n.cut(ctx, p.pgLink); err != nil {
		t.Fatal(err)
	}
	eventually("Postgres link cut", pg, false)
	if err := reach(main); err != nil {
		t.Errorf("the main link must pass while the Postgres link is cut: %v", err)
	}
	if err := n.cut(ctx, p.link); err != nil {
		t.Fatal(err)
	}
	eventually("main link cut", main, false)
	if err := n.healAll(ctx); err != nil {
		t.Fatal(err)
	}
	eventually("healed", main, true)
	eventually("healed", pg, true)

	stopHelper()
	n.teardown()
	namespaces, _ := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	links, _ := exec.CommandContext(ctx, "ip", "-o", "link", "show").Output()
	for _, prefix := range []string{n.prefix + "-", old + "-"} {
		if prefix == "-" {
			continue
		}
		if strings.Contains(string(namespaces), prefix) || strings.Contains(string(links), prefix) {
			t.Errorf("left behind with prefix %s:\n%s\n%s", prefix, namespaces, links)
		}
	}
}

// TestLeftoverNames tells a running suite's names from a dead one's and from names not the suite's.
func TestLeftoverNames(t *testing.T) {
	self := netPrefix + strconv.FormatInt(int64(os.Getpid()), 36)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	gone := netPrefix + strconv.FormatInt(int64(dead.Process.Pid), 36)
	for name, want := range map[string]bool{self + "-nats1": false, self + "-m3": false, gone + "-nats1": true, gone + "-b0": true,
		"lvctbr": false, "eth0": false, "lvc-x": false, "docker0": false} {
		if got := leftover(name); got != want {
			t.Errorf("leftover(%q) = %v, want %v", name, got, want)
		}
	}
}
