package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SharedDir is the folder, next to each service's own, whose migrations every service schema gets.
const SharedDir = "shared"

// The tables that record applied versions, in the connection's schema: one for the shared set, one for
// the service's own migrations.
const (
	sharedTable = "shared_migrations"
	ownTable    = "schema_migrations"
)

// migrationSet is a folder of NNNN_name.sql files and the table that records which are applied.
type migrationSet struct {
	dir, table string
	files      []migration
}

type migration struct {
	version int
	name    string
}

// Migrate brings the connection's schema up to date: first the shared set (the *.sql files of the
// folder SharedDir next to dir, if files has it), recorded in shared_migrations, then dir's own files,
// recorded in schema_migrations. Files are named NNNN_name.sql and applied in order, each in its own
// transaction. Concurrent callers are serialized by an advisory lock, so several instances of a
// service may start at once. It returns how many migrations it applied, of both sets.
func Migrate(ctx context.Context, pool *pgxpool.Pool, files fs.FS, dir string) (int, error) {
	sets, err := readSets(files, dir)
	if err != nil {
		return 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext(current_schema() || '.migrate'))`); err != nil {
		return 0, fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext(current_schema() || '.migrate'))`) //nolint:errcheck
	applied := 0
	for _, set := range sets {
		n, err := set.apply(ctx, conn.Conn(), files)
		applied += n
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// Pending reports whether any migration of the shared set or of dir is not yet applied (for readiness
// checks).
func Pending(ctx context.Context, pool *pgxpool.Pool, files fs.FS, dir string) (bool, error) {
	sets, err := readSets(files, dir)
	if err != nil {
		return false, err
	}
	for _, set := range sets {
		if len(set.files) == 0 {
			continue
		}
		var exists bool
		if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, set.table).Scan(&exists); err != nil {
			return false, fmt.Errorf("find %s: %w", set.table, err)
		}
		if !exists {
			return true, nil
		}
		var have int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{set.table}.Sanitize()).Scan(&have); err != nil {
			return false, fmt.Errorf("count %s: %w", set.table, err)
		}
		if have < len(set.files) {
			return true, nil
		}
	}
	return false, nil
}

// readSets lists the shared set (empty when files has no SharedDir next to dir) and dir's own set.
func readSets(files fs.FS, dir string) ([]migrationSet, error) {
	if path.Base(dir) == SharedDir {
		return nil, fmt.Errorf("migrations: %s is the shared set, not a service's folder", dir)
	}
	shared := migrationSet{dir: path.Join(path.Dir(dir), SharedDir), table: sharedTable}
	own := migrationSet{dir: dir, table: ownTable}
	if err := shared.read(files); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := own.read(files); err != nil {
		return nil, err
	}
	return []migrationSet{shared, own}, nil
}

func (s *migrationSet) read(files fs.FS) error {
	entries, err := fs.ReadDir(files, s.dir)
	if err != nil {
		return fmt.Errorf("read migrations %s: %w", s.dir, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must start with a number and _", path.Join(s.dir, e.Name()))
		}
		s.files = append(s.files, migration{v, e.Name()})
	}
	sort.Slice(s.files, func(i, j int) bool { return s.files[i].version < s.files[j].version })
	for i := 1; i < len(s.files); i++ {
		if s.files[i].version == s.files[i-1].version {
			return fmt.Errorf("migrations %s and %s: same version", s.files[i-1].name, s.files[i].name)
		}
	}
	return nil
}

// apply runs the set's files that its table does not record yet; the caller holds the migration lock.
func (s *migrationSet) apply(ctx context.Context, conn *pgx.Conn, files fs.FS) (int, error) {
	if len(s.files) == 0 {
		return 0, nil
	}
	table := pgx.Identifier{s.table}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("create %s: %w", s.table, err)
	}
	applied := 0
	for _, m := range s.files {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE version = $1)`, m.version).Scan(&done); err != nil {
			return applied, fmt.Errorf("check migration %s: %w", path.Join(s.dir, m.name), err)
		}
		if done {
			continue
		}
		sql, err := fs.ReadFile(files, path.Join(s.dir, m.name))
		if err != nil {
			return applied, fmt.Errorf("read migration %s: %w", path.Join(s.dir, m.name), err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+table+` (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", path.Join(s.dir, m.name), err)
		}
		applied++
	}
	return applied, nil
}
