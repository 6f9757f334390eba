package pgcluster_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livslang.dk/pkg/pgcluster"
)

// clusterDir returns a fresh folder the postgres OS user can reach (t.TempDir() is 0700).
func clusterDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func start(t *testing.T, o pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	c, err := pgcluster.Start(t.Context(), o)
	require.NoError(t, err)
	return c
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := clusterDir(t)

	c := start(t, pgcluster.Options{Dir: dir})
	conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, c.Stop())

	c = start(t, pgcluster.Options{Dir: dir})
	defer func() { require.NoError(t, c.Stop()) }()
	conn, err = pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var v string
	require.NoError(t, conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v))
	assert.Equal(t, "hello", v)
}

// A crash (pg_ctl stop -m immediate) keeps what committed: the next start recovers it from the WAL.
func TestCrashKeepsCommittedData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := start(t, pgcluster.Options{Dir: clusterDir(t), Fsync: true, Settings: []string{"track_commit_timestamp=on"}})
	defer func() { require.NoError(t, c.Stop()) }()
	conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')`)
	require.NoError(t, err)
	require.NoError(t, c.Crash())
	require.Error(t, conn.Ping(ctx), "the server should be gone")
	require.NoError(t, c.Restart(ctx))
	conn, err = pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var v, setting string
	require.NoError(t, conn.QueryRow(ctx, `SELECT v, current_setting('track_commit_timestamp') FROM kept`).Scan(&v, &setting))
	assert.Equal(t, "hello", v)
	assert.Equal(t, "on", setting)
}

func TestStartStopsLeftoverServer(t *testing.T) {
	t.Parallel()
	dir := clusterDir(t)
	first := start(t, pgcluster.Options{Dir: dir})
	// Start again without Stop, as after a crashed `make run`.
	second := start(t, pgcluster.Options{Dir: dir})
	defer func() { require.NoError(t, second.Stop()) }()
	_, err := pgx.Connect(t.Context(), first.AdminURL("postgres"))
	if first.Port() != second.Port() {
		assert.Error(t, err, "the first server should be gone")
	}
	conn, err := pgx.Connect(t.Context(), second.AdminURL("postgres"))
	require.NoError(t, err)
	conn.Close(t.Context())
}

func TestLongDirUsesShortSocketFolder(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(clusterDir(t), strings.Repeat("x", 100))
	c := start(t, pgcluster.Options{Dir: dir})
	defer func() { require.NoError(t, c.Stop()) }()
	conn, err := pgx.Connect(t.Context(), c.AdminURL("postgres"))
	require.NoError(t, err)
	conn.Close(t.Context())
}

func TestFindBinaries(t *testing.T) {
	dir, err := pgcluster.FindBinaries()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(dir, "pg_ctl"))
}

// A cluster folder whose parent is closed to the postgres OS user (a clone in root's home, which is
// drwx------) is kept under RelocationRoot instead; wiping the folder (make clean) starts it afresh.
func TestClosedFolderIsRelocated(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs PostgreSQL as another OS user")
	}
	t.Parallel()
	ctx := t.Context()
	home, err := os.MkdirTemp("", "pgcluster-home-") // 0700, like /root
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(home) })
	dir := filepath.Join(home, "clone", ".data", "postgres")

	c := start(t, pgcluster.Options{Dir: dir})
	moved := c.Dir()
	t.Cleanup(func() { os.RemoveAll(moved) })
	assert.True(t, strings.HasPrefix(moved, pgcluster.RelocationRoot+"/"), "relocated to %s", moved)
	location, err := os.ReadFile(filepath.Join(dir, "LOCATION"))
	require.NoError(t, err)
	assert.Equal(t, moved, strings.TrimSpace(string(location)))
	conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (v text)`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, c.Stop())

	// Started again: the same relocated cluster, with its data.
	c = start(t, pgcluster.Options{Dir: dir})
	assert.Equal(t, moved, c.Dir())
	conn, err = pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'kept'`).Scan(&n))
	assert.Equal(t, 1, n)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, c.Stop())

	// The folder wiped: the stale relocated cluster is not taken for it.
	require.NoError(t, os.RemoveAll(filepath.Join(home, "clone")))
	c = start(t, pgcluster.Options{Dir: dir})
	defer func() { require.NoError(t, c.Stop()) }()
	conn, err = pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'kept'`).Scan(&n))
	assert.Equal(t, 0, n)
}

// Options.Listen and Options.HBA let clients on other addresses in: the fault-injection suite's
// services in network namespaces reach Postgres on a bridge address, with a password.
func TestListenOnMoreAddresses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := clusterDir(t)
	o := pgcluster.Options{Dir: dir, Listen: []string{"127.0.0.2"}, HBA: []string{"host all all 127.0.0.2/32 scram-sha-256"}}
	c := start(t, o)
	conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE ROLE visitor LOGIN PASSWORD 'secret'`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	url := fmt.Sprintf("postgres://visitor:secret@127.0.0.2:%d/postgres?sslmode=disable", c.Port())
	conn, err = connectFrom(ctx, "127.0.0.2", url)
	require.NoError(t, err, "a client on the other address with its password")
	require.NoError(t, conn.Close(ctx))
	_, err = connectFrom(ctx, "127.0.0.2", strings.Replace(url, "secret", "wrong", 1))
	require.Error(t, err, "the other address is not trusted without a password")
	require.NoError(t, c.Stop())

	c = start(t, o) // a restart on the same data adds no line twice
	defer func() { require.NoError(t, c.Stop()) }()
	hba, err := os.ReadFile(filepath.Join(c.Dir(), "data", "pg_hba.conf"))
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(hba), o.HBA[0]))
	url = fmt.Sprintf("postgres://visitor:secret@127.0.0.2:%d/postgres?sslmode=disable", c.Port())
	conn, err = connectFrom(ctx, "127.0.0.2", url)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
}

// connectFrom connects from the local address src (a client on another host, as Postgres sees it).
func connectFrom(ctx context.Context, src, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	cfg.DialFunc = d.DialContext
	return pgx.ConnectConfig(ctx, cfg)
}
