package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The network faults need a network to cut. As root, where network namespaces are allowed, each
// NATS server and each instance of registration and funding runs in a namespace of its own
// (`ip netns exec`), linked by a veth pair to a bridge in the root namespace; the instances have a
// second veth pair to a second bridge, on which Postgres listens. Taking the root end of a link down
// partitions what is behind it: packets vanish (no refusal, no reset), as on a real network. Heal
// is taking it up again.
//
// Addresses are in 10.231.X.0/24 (X the first such /24 no address of this machine is in): the main
// bridge is .1 (the identity provider listens there too), the parts .10 upwards; the Postgres
// bridge is .129, the instances' second ends .138 upwards. Every name starts with lvc<the suite's
// pid in base 36>-, so that leftovers of a suite that was killed (kill -9 leaves them) are known
// and removed at the next start, and a run beside it keeps its own.
var networkFaults = []string{
	"partition_nats_minority", // a NATS server that leads nothing cut off from the others and every client
	"partition_nats_leader",   // the server leading a stream cut off, until another takes over
	"cut_postgres",            // an instance of registration or funding cut off from Postgres only
}

// netPrefix starts every namespace, link and bridge name of the network faults.
const netPrefix = "lvc"

// netLock serialises setting up networks (removing leftovers, choosing the subnet) between suites.
const netLock = "/run/lock/livslang-chaos-net.lock"

// network is the namespaces, links and bridges of one run.
type network struct {
	prefix string // lvc<pid base 36>
	subnet int    // X in 10.231.X.0/24

	mu    sync.Mutex
	parts []*netPart
	down  map[string]bool // root ends of links taken down
}

// netPart is one namespace: what runs in it is reached at addr on the main bridge and, if it has
// one, reaches Postgres over its own link.
type netPart struct {
	name   string
	ns     string
	addr   string // on the main bridge
	link   string // the root end of its veth pair on the main bridge
	pgAddr string // its own address on the Postgres bridge ("" = none)
	pgLink string // the root end of its veth pair on the Postgres bridge ("" = none)
}

func (n *network) hostAddr() string   { return fmt.Sprintf("10.231.%d.1", n.subnet) }
func (n *network) pgHostAddr() string { return fmt.Sprintf("10.231.%d.129", n.subnet) }
func (n *network) pgNet() string      { return fmt.Sprintf("10.231.%d.128/25", n.subnet) }
func (n *network) bridge(i int) string {
	return fmt.Sprintf("%s-b%d", n.prefix, i)
}

// setupNetwork makes the bridges of a run, after removing what earlier runs left. It returns nil and
// the reason when the machine does not allow network namespaces.
func setupNetwork(ctx context.Context) (*network, string) {
	if os.Geteuid() != 0 {
		return nil, "not running as root (network namespaces and links need CAP_SYS_ADMIN and CAP_NET_ADMIN)"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, "no ip command (iproute2) on PATH"
	}
	unlock, err := lockFile(netLock)
	if err != nil {
		return nil, err.Error()
	}
	defer unlock()
	removeLeftovers(ctx)
	n := &network{prefix: netPrefix + strconv.FormatInt(int64(os.Getpid()), 36), down: map[string]bool{}}
	probe := n.prefix + "-probe"
	if err := ipCmd(ctx, "netns", "add", probe); err != nil {
		return nil, "cannot create a network namespace: " + err.Error()
	}
	if err := ipCmd(ctx, "netns", "del", probe); err != nil {
		return nil, "cannot delete a network namespace: " + err.Error()
	}
	if n.subnet, err = freeSubnet(); err != nil {
		return nil, err.Error()
	}
	for i, addr := range []string{n.hostAddr() + "/25", n.pgHostAddr() + "/25"} {
		br := n.bridge(i)
		if err := ipCmds(ctx, []string{"link", "add", br, "type", "bridge"}, []string{"addr", "add", addr, "dev", br},
			[]string{"link", "set", br, "up"}); err != nil {
			n.teardown()
			return nil, "cannot make a bridge: " + err.Error()
		}
	}
	return n, ""
}

// add makes a namespace for name, linked to the main bridge (and to the Postgres bridge if withPG).
func (n *network) add(ctx context.Context, name string, withPG bool) (*netPart, error) {
	n.mu.Lock()
	k := len(n.parts)
	n.mu.Unlock()
	if k >= 100 {
		return nil, errors.New("more than 100 namespaces")
	}
	p := &netPart{name: name, ns: n.prefix + "-" + name, addr: fmt.Sprintf("10.231.%d.%d", n.subnet, 10+k),
		link: fmt.Sprintf("%s-m%d", n.prefix, k)}
	if err := ipCmd(ctx, "netns", "add", p.ns); err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.parts = append(n.parts, p)
	n.mu.Unlock()
	cmds := [][]string{
		{"-n", p.ns, "link", "set", "lo", "up"},
		{"link", "add", p.link, "type", "veth", "peer", "name", "eth0", "netns", p.ns},
		{"link", "set", p.link, "master", n.bridge(0), "up"},
		{"-n", p.ns, "addr", "add", p.addr + "/25", "dev", "eth0"},
		{"-n", p.ns, "link", "set", "eth0", "up"},
	}
	if withPG {
		p.pgLink, p.pgAddr = fmt.Sprintf("%s-p%d", n.prefix, k), fmt.Sprintf("10.231.%d.%d", n.subnet, 138+k)
		cmds = append(cmds,
			[]string{"link", "add", p.pgLink, "type", "veth", "peer", "name", "pg0", "netns", p.ns},
			[]string{"link", "set", p.pgLink, "master", n.bridge(1), "up"},
			[]string{"-n", p.ns, "addr", "add", p.pgAddr + "/25", "dev", "pg0"},
			[]string{"-n", p.ns, "link", "set", "pg0", "up"})
	}
	if err := ipCmds(ctx, cmds...); err != nil {
		return nil, fmt.Errorf("namespace %s: %w", p.ns, err)
	}
	return p, nil
}

// command is path run in the part's namespace (ip netns exec execs it: the process is the program).
func (p *netPart) command(path string, args []string) (string, []string) {
	return "ip", append([]string{"netns", "exec", p.ns, path}, args...)
}

// cut takes the root end of a link down: nothing passes it until heal.
func (n *network) cut(ctx context.Context, link string) error {
	n.mu.Lock()
	n.down[link] = true
	n.mu.Unlock()
	return ipCmd(ctx, "link", "set", link, "down")
}

// heal takes a link up again.
func (n *network) heal(ctx context.Context, link string) error {
	if err := ipCmd(ctx, "link", "set", link, "up"); err != nil {
		return err
	}
	n.mu.Lock()
	delete(n.down, link)
	n.mu.Unlock()
	return nil
}

// healAll takes up every link a fault left down.
func (n *network) healAll(ctx context.Context) error {
	n.mu.Lock()
	var links []string
	for l := range n.down {
		links = append(links, l)
	}
	n.mu.Unlock()
	var errs []error
	for _, l := range links {
		errs = append(errs, n.heal(ctx, l))
	}
	return errors.Join(errs...)
}

// teardown removes the run's namespaces (their links go with them) and bridges.
func (n *network) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.parts {
		_ = ipCmd(ctx, "netns", "del", p.ns)
		// A namespace lasts while a process is in it; its links go now.
		for _, l := range []string{p.link, p.pgLink} {
			if l != "" && linkExists(l) {
				_ = ipCmd(ctx, "link", "del", l)
			}
		}
	}
	n.parts = nil
	for i := range 2 {
		_ = ipCmd(ctx, "link", "del", n.bridge(i))
	}
}

func linkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// removeLeftovers removes the namespaces and links of suites that are no longer running.
func removeLeftovers(ctx context.Context) {
	out, _ := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if leftover(name) {
			_ = ipCmd(ctx, "netns", "del", name)
		}
	}
	out, _ = exec.CommandContext(ctx, "ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line) // "7: lvc1a2b-b0: <…" or "8: lvc1a2b-m0@if2: <…"
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if leftover(name) {
			_ = ipCmd(ctx, "link", "del", name)
		}
	}
}

// leftover reports whether name is a namespace or link of a suite that no longer runs.
func leftover(name string) bool {
	rest, ok := strings.CutPrefix(name, netPrefix)
	if !ok {
		return false
	}
	id, _, ok := strings.Cut(rest, "-")
	if !ok {
		return false
	}
	pid, err := strconv.ParseInt(id, 36, 64)
	if err != nil || pid <= 0 {
		return false
	}
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.FormatInt(pid, 10), "comm"))
	return err != nil || !strings.HasPrefix(string(comm), "livslang-chaos")
}

// freeSubnet returns the first X for which no address of this machine is in 10.231.X.0/24.
func freeSubnet() (int, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return 0, fmt.Errorf("list addresses: %w", err)
	}
	used := map[int]bool{}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip4 := ipn.IP.To4(); ip4 != nil && ip4[0] == 10 && ip4[1] == 231 {
				used[int(ip4[2])] = true
			}
		}
	}
	for x := range 256 {
		if !used[x] {
			return x, nil
		}
	}
	return 0, errors.New("no free /24 in 10.231.0.0/16")
}

func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func ipCmds(ctx context.Context, cmds ...[]string) error {
	for _, c := range cmds {
		if err := ipCmd(ctx, c...); err != nil {
			return err
		}
	}
	return nil
}

// lockFile takes an exclusive lock on path (waiting for it) and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
