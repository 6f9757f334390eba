// Package pgtest gives tests private PostgreSQL databases: one cluster per test binary (see Main) and a
// fresh database per test (see NewDatabase).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/pgcluster"
	"livslang.dk/pkg/pgdb"
)

// adminURL is the superuser URL of the cluster's postgres database, set by Main.
var adminURL string

// Main starts one private cluster for the test binary (in a fresh 0755 folder under os.TempDir(), fsync off)
// unless LIVSLANG_TEST_DATABASE_URL is set (an admin URL to an existing server's postgres database), runs
// m.Run(), stops the cluster and removes the folder. Use: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	if u := os.Getenv("LIVSLANG_TEST_DATABASE_URL"); u != "" {
		adminURL = u
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "livslang-pgtest-")
	if err == nil {
		err = os.Chmod(dir, 0o755) // the postgres OS user must reach it when we run as root
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: create cluster folder: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: start PostgreSQL: %v\n", err)
		return 1
	}
	adminURL = cluster.AdminURL("postgres")
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v\n", err)
		code = max(code, 1)
	}
	return code
}

// AdminURL returns the admin URL of the cluster (database "postgres").
func AdminURL(t testing.TB) string {
	t.Helper()
	if adminURL == "" {
		t.Fatal("pgtest: no PostgreSQL cluster; add func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) } to the test package")
	}
	return adminURL
}

// NewDatabase creates a uniquely named database (t_<random hex>), bootstraps the given service
// schemas/roles with pgcluster.Bootstrap (password: "test-"+svc), and returns the service URLs.
// The database is dropped (WITH (FORCE)) in t.Cleanup. Safe for t.Parallel().
func NewDatabase(t testing.TB, services ...string) map[string]string {
	t.Helper()
	admin := AdminURL(t)
	db := "t_" + randomHex()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", db, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{db}.Sanitize()+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", db, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	urls, err := pgcluster.Bootstrap(ctx, admin, db, services, func(svc string) string { return "test-" + svc })
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return urls
}

// Schema gives a test a new database with one service's schema, migrated like the service migrates it
// (pgdb.Migrate: the shared set in migrations' shared/ folder, then the service's own folder), and a
// pool of maxConns connections as the service's role, closed in t.Cleanup.
func Schema(t testing.TB, service string, migrations fs.FS, maxConns int32) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, err := pgdb.Connect(ctx, NewDatabase(t, service)[service], maxConns)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	if _, err := pgdb.Migrate(ctx, pool, migrations, service); err != nil {
		t.Fatalf("pgtest: migrate %s: %v", service, err)
	}
	return pool
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
