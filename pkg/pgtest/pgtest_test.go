package pgtest_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livslang.dk/pkg/pgcluster"
	"livslang.dk/pkg/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func requireSQLState(t *testing.T, err error, code string) {
	t.Helper()
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "want SQLSTATE %s, got %v", code, err)
	assert.Equal(t, code, pgErr.Code, pgErr.Message)
}

func TestServicesAreIsolated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	urls := pgtest.NewDatabase(t, "alpha", "beta")
	require.Len(t, urls, 2)

	alpha := connect(t, urls["alpha"])
	_, err := alpha.Exec(ctx, `CREATE TABLE secrets (id int PRIMARY KEY, v text)`)
	require.NoError(t, err)
	_, err = alpha.Exec(ctx, `INSERT INTO secrets VALUES (1, 'x')`)
	require.NoError(t, err)
	var schema string
	require.NoError(t, alpha.QueryRow(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'secrets'`).Scan(&schema))
	assert.Equal(t, "alpha", schema)

	beta := connect(t, urls["beta"])
	_, err = beta.Exec(ctx, `SELECT * FROM alpha.secrets`)
	requireSQLState(t, err, "42501")
	_, err = beta.Exec(ctx, `CREATE TABLE public.sneaky (id int)`)
	requireSQLState(t, err, "42501")
	_, err = beta.Exec(ctx, `CREATE TABLE notes (id int)`)
	require.NoError(t, err)
	_, err = beta.Exec(ctx, `INSERT INTO notes VALUES (7)`)
	require.NoError(t, err)
	var n int
	require.NoError(t, beta.QueryRow(ctx, `SELECT id FROM beta.notes`).Scan(&n))
	assert.Equal(t, 7, n)

}

func TestBootstrapTwice(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	urls := pgtest.NewDatabase(t, "alpha")
	alpha := connect(t, urls["alpha"])
	_, err := alpha.Exec(ctx, `CREATE TABLE kept (id int)`)
	require.NoError(t, err)

	cfg, err := pgx.ParseConfig(urls["alpha"])
	require.NoError(t, err)
	again, err := pgcluster.Bootstrap(ctx, pgtest.AdminURL(t), cfg.Database, []string{"alpha", "beta"},
		func(svc string) string { return "test-" + svc })
	require.NoError(t, err)
	assert.Equal(t, urls["alpha"], again["alpha"])

	_, err = connect(t, again["alpha"]).Exec(ctx, `INSERT INTO kept VALUES (1)`)
	require.NoError(t, err)
	_, err = connect(t, again["beta"]).Exec(ctx, `CREATE TABLE t (id int)`)
	require.NoError(t, err)
}

func TestBootstrapRejectsBadNames(t *testing.T) {
	_, err := pgcluster.Bootstrap(t.Context(), pgtest.AdminURL(t), "x", []string{`bad"name`}, nil)
	require.ErrorContains(t, err, "invalid name")
	_, err = pgcluster.Bootstrap(t.Context(), pgtest.AdminURL(t), "Bad", nil, nil)
	require.ErrorContains(t, err, "invalid name")
}

func TestParallelDatabases(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			urls := pgtest.NewDatabase(t, "alpha", "beta")
			for svc, url := range urls {
				conn := connect(t, url)
				_, err := conn.Exec(t.Context(), `CREATE TABLE t (i int)`)
				require.NoError(t, err, svc)
				_, err = conn.Exec(t.Context(), `INSERT INTO t VALUES ($1)`, i)
				require.NoError(t, err, svc)
			}
		})
	}
}

func TestConcurrentBootstrapOfOneDatabase(t *testing.T) {
	t.Parallel()
	admin := pgtest.AdminURL(t)
	db := "t_concurrent_" + strings.ToLower(rand.Text()[:8])
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), admin)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`)
		require.NoError(t, err)
	})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = pgcluster.Bootstrap(t.Context(), admin, db, []string{"alpha", "beta"},
				func(svc string) string { return "test-" + svc })
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}
