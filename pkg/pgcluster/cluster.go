// Package pgcluster runs a private PostgreSQL cluster in a folder (for `make run` and tests) and
// bootstraps the Livslang database: one schema and one login role per service.
package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// Options configure Start.
type Options struct {
	Dir   string      // cluster folder; data in Dir/data, unix socket in Dir/sock, log in Dir/postgres.log
	Port  int         // TCP port on 127.0.0.1 (0 = pick a free port)
	Fsync bool        // false for tests: fsync, synchronous_commit and full_page_writes off
	Log   *zap.Logger // may be nil
	// Settings are more server settings (name=value), such as track_commit_timestamp=on.
	Settings []string
	// Listen are more addresses to listen on beside 127.0.0.1 (the fault-injection suite's bridge
	// address, which services in network namespaces reach it by).
	Listen []string
	// HBA are more pg_hba.conf lines, such as "host all all 10.231.0.128/25 scram-sha-256" for the
	// clients on those addresses (the cluster trusts only local and loopback connections otherwise).
	HBA []string
}

// Cluster is a running private PostgreSQL server. Its superuser is "postgres", trusted without password.
type Cluster struct {
	dir     string // absolute cluster folder
	bin     string // folder holding initdb and pg_ctl
	osUser  string // OS user to run the binaries as ("" = the current user)
	port    int
	tmpSock string // socket folder under /tmp to remove on Stop, if Dir/sock was too long
	opts    string // the server options pg_ctl starts it with
	log     *zap.Logger
}

// maxSocketDir is the longest socket folder for which "<dir>/.s.PGSQL.65535" fits in sun_path (108 bytes).
const maxSocketDir = 107 - len("/.s.PGSQL.65535")

// Start initializes the cluster in o.Dir if needed and starts it, stopping a server left running on the
// same data first. It returns once the server accepts connections.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	c := &Cluster{log: o.Log, port: o.Port}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	began := time.Now()
	var err error
	if c.dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, fmt.Errorf("cluster folder: %w", err)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster folder: %w", err)
	}
	if c.bin, err = FindBinaries(); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: it runs as the postgres OS user, which must reach the folder.
		if err := c.useOSUser(ctx); err != nil {
			return nil, err
		}
	}
	sock := filepath.Join(c.dir, "sock")
	if len(sock) > maxSocketDir {
		if sock, err = os.MkdirTemp("/tmp", "livslang-pg-"); err != nil {
			return nil, fmt.Errorf("create socket folder: %w", err)
		}
		c.tmpSock = sock
	}
	if err := os.MkdirAll(sock, 0o755); err != nil {
		return nil, fmt.Errorf("create socket folder: %w", err)
	}
	if err := os.Chmod(sock, 0o755); err != nil {
		return nil, c.cleanup(fmt.Errorf("chmod socket folder: %w", err))
	}
	if c.osUser != "" {
		if err := c.prepareOSUser(ctx); err != nil {
			return nil, c.cleanup(err)
		}
	}

	data := filepath.Join(c.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		args := []string{"-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"}
		if !o.Fsync {
			args = append(args, "--no-sync")
		}
		if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
			return nil, c.cleanup(fmt.Errorf("initdb: %w\n%s", err, out))
		}
	} else if err != nil {
		return nil, c.cleanup(fmt.Errorf("check data folder: %w", err))
	}
	if err := addHBA(filepath.Join(data, "pg_hba.conf"), o.HBA); err != nil {
		return nil, c.cleanup(err)
	}
	if c.command(ctx, "pg_ctl", "-D", data, "status").Run() == nil {
		c.log.Info("stopping postgres left running", zap.String("dir", c.dir))
		if out, err := c.command(ctx, "pg_ctl", "-D", data, "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
			return nil, c.cleanup(fmt.Errorf("stop running postgres: %w\n%s", err, out))
		}
	}

	if c.port == 0 {
		if c.port, err = freePort(); err != nil {
			return nil, c.cleanup(err)
		}
	}
	listen := strings.Join(append([]string{"127.0.0.1"}, o.Listen...), ",")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=%s -c max_connections=300", c.port, shellQuote(sock), shellQuote(listen))
	if !o.Fsync {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	for _, kv := range o.Settings {
		opts += " -c " + shellQuote(kv)
	}
	c.opts = opts
	if err := c.start(ctx); err != nil {
		return nil, c.cleanup(err)
	}
	if err := c.waitReady(ctx); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	c.log.Info("postgres started", zap.String("dir", c.dir), zap.Int("port", c.port),
		zap.Duration("took", time.Since(began)))
	return c, nil
}

// addHBA appends the lines pg_hba.conf does not have yet (so a restart on the same data adds nothing).
func addHBA(path string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read pg_hba.conf: %w", err)
	}
	have := strings.Split(string(b), "\n")
	var add strings.Builder
	for _, l := range lines {
		if !slices.Contains(have, l) {
			add.WriteString(l + "\n")
		}
	}
	if add.Len() == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("open pg_hba.conf: %w", err)
	}
	if _, err := f.WriteString(add.String()); err != nil {
		f.Close()
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	return f.Close()
}

// start runs pg_ctl start on the cluster's data with its options.
func (c *Cluster) start(ctx context.Context) error {
	out, err := c.command(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "postgres.log"),
		"-w", "-t", "60", "-o", c.opts, "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s\npostgres.log:\n%s", err, out, c.logTail(20))
	}
	return nil
}

// Crash stops the server the way a crash would (pg_ctl stop -m immediate): every process quits at
// once, without a shutdown checkpoint, and the next start recovers from the write-ahead log. The
// fault-injection suite uses it; Restart starts the server again.
func (c *Cluster) Crash() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := c.command(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %w\n%s", err, out)
	}
	c.log.Info("postgres crashed on purpose", zap.String("dir", c.dir))
	return nil
}

// Restart starts the server again on the same data and port after Crash, and returns once it
// accepts connections.
func (c *Cluster) Restart(ctx context.Context) error {
	if err := c.start(ctx); err != nil {
		return err
	}
	return c.waitReady(ctx)
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// AdminURL returns the superuser URL of database on this cluster.
func (c *Cluster) AdminURL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, url.PathEscape(database))
}

// Stop shuts the server down (fast mode: open transactions are rolled back) and waits until it is gone.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := c.command(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		return c.cleanup(fmt.Errorf("pg_ctl stop: %w\n%s", err, out))
	}
	c.log.Info("postgres stopped", zap.String("dir", c.dir))
	return c.cleanup(nil)
}

// cleanup removes the temporary socket folder, if any, and returns err.
func (c *Cluster) cleanup(err error) error {
	if c.tmpSock != "" {
		if rmErr := os.RemoveAll(c.tmpSock); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("remove socket folder: %w", rmErr))
		}
		c.tmpSock = ""
	}
	return err
}

// RelocationRoot holds the clusters whose own folder the postgres OS user cannot reach (a clone in
// root's home, which is drwx------): each in a folder named for the path it stands in for.
const RelocationRoot = "/var/lib/livslang"

// locationFile, in a cluster folder that was relocated, names the folder the cluster really lives in.
const locationFile = "LOCATION"

// Dir is the folder the cluster's data, socket and log are in: Options.Dir, or the folder under
// RelocationRoot that stands in for it when the postgres OS user cannot reach Options.Dir.
func (c *Cluster) Dir() string { return c.dir }

// useOSUser makes sure the postgres OS user exists and can reach the cluster folder. When a parent
// of the folder is closed to it, the cluster moves to a folder under RelocationRoot named for the
// folder's path, and the folder keeps a LOCATION file naming it. A relocated cluster whose folder has
// no LOCATION file (the folder was wiped, as by make clean) is stale and starts afresh.
func (c *Cluster) useOSUser(ctx context.Context) error {
	c.osUser = "postgres"
	if _, err := user.Lookup(c.osUser); err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return fmt.Errorf("look up OS user %s: %w", c.osUser, err)
		}
		if out, err := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home", c.osUser).CombinedOutput(); err != nil {
			return fmt.Errorf("create OS user %s: %w\n%s", c.osUser, err, out)
		}
	}
	if c.reachable(ctx, filepath.Dir(c.dir)) == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(c.dir))
	moved := filepath.Join(RelocationRoot, filepath.Base(c.dir)+"-"+hex.EncodeToString(sum[:6]))
	marker := filepath.Join(c.dir, locationFile)
	if _, err := os.Stat(marker); errors.Is(err, os.ErrNotExist) {
		if err := os.RemoveAll(moved); err != nil {
			return fmt.Errorf("remove stale relocated cluster %s: %w", moved, err)
		}
	}
	if err := os.MkdirAll(moved, 0o700); err != nil {
		return fmt.Errorf("create relocated cluster folder: %w", err)
	}
	if err := os.Chmod(RelocationRoot, 0o755); err != nil {
		return fmt.Errorf("open %s to the postgres OS user: %w", RelocationRoot, err)
	}
	if p := c.reachable(ctx, RelocationRoot); p != "" {
		return fmt.Errorf("folder %s is not traversable by OS user %s, which PostgreSQL runs as when started by root", p, c.osUser)
	}
	if err := os.WriteFile(marker, []byte(moved+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", marker, err)
	}
	c.log.Info("cluster folder closed to the postgres OS user: cluster relocated",
		zap.String("dir", c.dir), zap.String("relocated", moved))
	c.dir = moved
	return nil
}

// reachable returns the first folder from dir up to / that the postgres OS user cannot traverse, or "".
func (c *Cluster) reachable(ctx context.Context, dir string) string {
	for p := dir; ; p = filepath.Dir(p) {
		if exec.CommandContext(ctx, "runuser", "-u", c.osUser, "--", "test", "-x", p).Run() != nil {
			return p
		}
		if p == filepath.Dir(p) {
			return ""
		}
	}
}

// prepareOSUser makes the postgres OS user own the cluster and socket folders (useOSUser made sure
// it can reach the cluster folder; the socket folder is under /tmp).
func (c *Cluster) prepareOSUser(ctx context.Context) error {
	u, err := user.Lookup(c.osUser)
	if err != nil {
		return fmt.Errorf("look up OS user %s: %w", c.osUser, err)
	}
	if c.tmpSock != "" {
		if p := c.reachable(ctx, filepath.Dir(c.tmpSock)); p != "" {
			return fmt.Errorf("folder %s is not traversable by OS user %s, which PostgreSQL runs as when started by root", p, c.osUser)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, dir := range slices.DeleteFunc([]string{c.dir, c.tmpSock}, func(d string) bool { return d == "" }) {
		err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, uid, gid)
		})
		if err != nil {
			return fmt.Errorf("chown %s to %s: %w", dir, c.osUser, err)
		}
	}
	return nil
}

// command runs a PostgreSQL binary in the cluster folder, as the postgres OS user when we are root.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.osUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.osUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir // the binaries need a current folder they can access
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// waitReady polls until a connection to the postgres database succeeds.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres on port %d does not accept connections: %w\npostgres.log:\n%s", c.port, err, c.logTail(20))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logTail returns the last n lines of postgres.log.
func (c *Cluster) logTail(n int) string {
	b, err := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// FindBinaries returns the folder holding initdb and pg_ctl: the one on PATH, else the newest
// /usr/lib/postgresql/<version>/bin. When none is found and we are root on a system with apt-get,
// it installs the postgresql package and looks again.
func FindBinaries() (dir string, err error) {
	if dir, ok := lookBinaries(); ok {
		return dir, nil
	}
	var installErr error
	if _, err := exec.LookPath("apt-get"); err == nil && os.Geteuid() == 0 {
		if installErr = aptInstall(); installErr == nil {
			if dir, ok := lookBinaries(); ok {
				return dir, nil
			}
		}
	}
	err = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: " +
		"install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) or set LIVSLANG_DATABASE_URL to an existing server")
	return "", errors.Join(err, installErr)
}

func lookBinaries() (string, bool) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(p)) {
			return filepath.Dir(p), true
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b)))
	})
	for _, d := range slices.Backward(dirs) {
		if hasBinaries(d) {
			return d, true
		}
	}
	return "", false
}

func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// compareVersions compares dotted numeric versions such as "9.6" and "15"; non-numbers sort first.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	num := func(parts []string, i int) int {
		if i >= len(parts) {
			return -1
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return -1
		}
		return n
	}
	for i := range max(len(as), len(bs)) {
		if x, y := num(as, i), num(bs, i); x != y {
			return x - y
		}
	}
	return 0
}

func aptInstall() error {
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "install", "-y", "postgresql")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err == nil {
		return nil
	}
	if out, err := exec.Command("apt-get", "update").CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get update: %w\n%s", err, out)
	}
	if out, err := install(); err != nil {
		return fmt.Errorf("apt-get install postgresql: %w\n%s", err, out)
	}
	return nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes s for the shell pg_ctl starts postgres with.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
