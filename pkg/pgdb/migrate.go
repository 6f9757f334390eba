package pgdb

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrate applies the *.sql files of dir (named NNNN_name.sql) in order, each in its own transaction,
// recording applied versions in schema_migrations of the connection's schema. Concurrent callers are
// serialized by an advisory lock, so several instances of a service may start at once.
// It returns how many migrations it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool, files fs.FS, dir string) (int, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return 0, fmt.Errorf("read migrations: %w", err)
	}
	type migration struct {
		version int
		name    string
	}
	var all []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return 0, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		all = append(all, migration{v, e.Name()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version < all[j].version })

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext(current_schema() || '.migrate'))`); err != nil {
		return 0, fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext(current_schema() || '.migrate'))`) //nolint:errcheck
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range all {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
			return applied, fmt.Errorf("check migration %s: %w", m.name, err)
		}
		if done {
			continue
		}
		sql, err := fs.ReadFile(files, path.Join(dir, m.name))
		if err != nil {
			return applied, fmt.Errorf("read migration %s: %w", m.name, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		applied++
	}
	return applied, nil
}

// Pending reports whether any migration in dir is not yet applied (for readiness checks).
func Pending(ctx context.Context, pool *pgxpool.Pool, files fs.FS, dir string) (bool, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return false, fmt.Errorf("read migrations: %w", err)
	}
	var want int
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			want++
		}
	}
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&have); err != nil {
		return false, fmt.Errorf("count migrations: %w", err)
	}
	return have < want, nil
}
