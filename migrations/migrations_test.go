package migrations_test

import (
	"context"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livslang.dk/migrations"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// services and the version of the GDPR file whose copied part moved to shared/0002_gdpr.sql.
var services = map[string]int{"registration": 9, "funding": 7, "notification": 5}

// deployedFS returns the files as a database deployed before the shared set applied them: the
// service's folder with the copied files of testdata/copied (the messaging and GDPR tables in the
// service's own 0001_messaging.sql and GDPR file), without versions from `below` on (0: all), and no
// shared folder.
func deployedFS(t *testing.T, svc string, below int) fs.FS {
	t.Helper()
	files := fstest.MapFS{}
	add := func(from fs.FS, dir string) {
		entries, err := fs.ReadDir(from, dir)
		require.NoError(t, err)
		for _, e := range entries {
			num, _, _ := strings.Cut(e.Name(), "_")
			v, err := strconv.Atoi(num)
			require.NoError(t, err, e.Name())
			if below > 0 && v >= below {
				continue
			}
			data, err := fs.ReadFile(from, path.Join(dir, e.Name()))
			require.NoError(t, err)
			files[path.Join(svc, e.Name())] = &fstest.MapFile{Data: data}
		}
	}
	add(migrations.FS, svc)
	add(os.DirFS("testdata/copied"), svc)
	return files
}

// schema gives a test a new database with svc's schema, migrated with files, and a pool on it.
func schema(t *testing.T, svc string, files fs.FS) *pgxpool.Pool {
	t.Helper()
	pool, err := pgdb.Connect(t.Context(), pgtest.NewDatabase(t, svc)[svc], 4)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pgdb.Migrate(t.Context(), pool, files, svc)
	require.NoError(t, err)
	return pool
}

// catalog describes the connection's schema, one sorted line per column, index, constraint, trigger,
// function, sequence and table privilege, leaving out the shared set's tracking table.
func catalog(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
SELECT format('column %s.%s #%s %s null=%s default=%s', table_name, column_name, ordinal_position, data_type,
       is_nullable, coalesce(column_default, '-'))
  FROM information_schema.columns WHERE table_schema = current_schema()
UNION ALL
SELECT format('index %s.%s %s', tablename, indexname, indexdef) FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL
SELECT format('constraint %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT format('trigger %s.%s %s', c.relname, g.tgname, pg_get_triggerdef(g.oid))
  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal
UNION ALL
SELECT format('function %s %s', p.proname, pg_get_functiondef(p.oid)) FROM pg_proc p
 WHERE p.pronamespace = current_schema()::regnamespace
UNION ALL
SELECT format('sequence %s %s', sequence_name, data_type) FROM information_schema.sequences
 WHERE sequence_schema = current_schema()
UNION ALL
SELECT format('grants %s %s', c.relname, coalesce(c.relacl::text, '-')) FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
ORDER BY 1`)
	require.NoError(t, err)
	var lines []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		if !strings.Contains(line, "shared_migrations") {
			lines = append(lines, line)
		}
	}
	require.NoError(t, rows.Err())
	return lines
}

type version struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

func versions(t *testing.T, pool *pgxpool.Pool, table string) []version {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT version, name, applied_at FROM `+table+` ORDER BY version`)
	require.NoError(t, err)
	var vs []version
	for rows.Next() {
		var v version
		require.NoError(t, rows.Scan(&v.Version, &v.Name, &v.AppliedAt))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

func sqlFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := fs.Glob(migrations.FS, dir+"/*.sql")
	require.NoError(t, err)
	return names
}

// The shared set builds, in a fresh schema, exactly the catalog the copied files built.
func TestFreshSchemaMatchesCopiedFiles(t *testing.T) {
	for svc := range services {
		t.Run(svc, func(t *testing.T) {
			before := schema(t, svc, deployedFS(t, svc, 0))
			after := schema(t, svc, migrations.FS)
			want := catalog(t, before)
			for _, table := range []string{"outbox", "inbox", "parked_messages", "idempotency_keys", "citizen_keys", "audit_log"} {
				assert.Contains(t, strings.Join(want, "\n"), "column "+table+".", "the copied files create %s", table)
			}
			assert.Equal(t, want, catalog(t, after))
			assert.Len(t, versions(t, after, "shared_migrations"), len(sqlFiles(t, pgdb.SharedDir)))
			var names []string
			for _, v := range versions(t, before, "schema_migrations") {
				names = append(names, v.Name)
			}
			var again []string
			for _, v := range versions(t, after, "schema_migrations") {
				again = append(again, v.Name)
			}
			assert.Equal(t, names, again, "the service's versions are the same")
		})
	}
}

// A schema deployed with the copied files, fully or up to any version before its GDPR file, starts with
// the shared set: nothing of its own is re-applied, its rows stay, and it ends with the fresh catalog.
func TestDeployedSchemaUpgrades(t *testing.T) {
	ctx := t.Context()
	for svc, gdpr := range services {
		fresh := catalog(t, schema(t, svc, migrations.FS))
		for _, below := range []int{0, gdpr, 2} {
			t.Run(svc+"/below_"+strconv.Itoa(below), func(t *testing.T) {
				pool := schema(t, svc, deployedFS(t, svc, below))
				pending, err := pgdb.Pending(ctx, pool, migrations.FS, svc)
				require.NoError(t, err)
				assert.True(t, pending, "the shared set is pending")
				_, err = pool.Exec(ctx, `INSERT INTO outbox (event_id, subject, envelope) VALUES (gen_random_uuid(), 's', '\x00')`)
				require.NoError(t, err)
				had := versions(t, pool, "schema_migrations")

				n, err := pgdb.Migrate(ctx, pool, migrations.FS, svc)
				require.NoError(t, err)
				assert.Equal(t, len(sqlFiles(t, pgdb.SharedDir))+len(sqlFiles(t, svc))-len(had), n)
				assert.Equal(t, had, versions(t, pool, "schema_migrations")[:len(had)], "recorded versions are kept, not re-applied")
				assert.Equal(t, fresh, catalog(t, pool))
				var outbox int
				require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&outbox))
				assert.Equal(t, 1, outbox)
				pending, err = pgdb.Pending(ctx, pool, migrations.FS, svc)
				require.NoError(t, err)
				assert.False(t, pending)

				_, err = pool.Exec(ctx, `INSERT INTO audit_log (citizen_id, actor_role, actor_id, action, resource, purpose)
					VALUES ('c', 'citizen', 'c', 'read', 'profile', 'test')`)
				require.NoError(t, err)
				_, err = pool.Exec(ctx, `DELETE FROM audit_log`)
				require.ErrorContains(t, err, "append-only", "the audit log stays append-only")
			})
		}
	}
}

// Migrating a migrated schema again applies nothing and changes nothing.
func TestMigrateTwice(t *testing.T) {
	for svc := range services {
		t.Run(svc, func(t *testing.T) {
			pool := schema(t, svc, migrations.FS)
			want := catalog(t, pool)
			shared, own := versions(t, pool, "shared_migrations"), versions(t, pool, "schema_migrations")
			n, err := pgdb.Migrate(t.Context(), pool, migrations.FS, svc)
			require.NoError(t, err)
			assert.Zero(t, n)
			assert.Equal(t, want, catalog(t, pool))
			assert.Equal(t, shared, versions(t, pool, "shared_migrations"))
			assert.Equal(t, own, versions(t, pool, "schema_migrations"))
		})
	}
}

var created = regexp.MustCompile(`(?i)CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(?:TABLE|INDEX|FUNCTION|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)`)

// No service folder creates again what the shared set creates (the copies are what it replaced).
func TestServiceFoldersDoNotCopyShared(t *testing.T) {
	shared := map[string]string{}
	for _, name := range sqlFiles(t, pgdb.SharedDir) {
		data, err := fs.ReadFile(migrations.FS, name)
		require.NoError(t, err)
		for _, m := range created.FindAllStringSubmatch(string(data), -1) {
			shared[strings.ToLower(m[1])] = name
		}
	}
	require.Contains(t, shared, "outbox")
	require.Contains(t, shared, "audit_log")
	for svc := range services {
		for _, name := range sqlFiles(t, svc) {
			data, err := fs.ReadFile(migrations.FS, name)
			require.NoError(t, err)
			for _, m := range created.FindAllStringSubmatch(string(data), -1) {
				if from, ok := shared[strings.ToLower(m[1])]; ok {
					t.Errorf("%s creates %s, which %s creates for every schema", name, m[1], from)
				}
			}
		}
	}
}

// A shared migration added later is applied to every schema, tracked apart from each service's own
// versions (the same number may be used by both), and concurrent starts apply it once.
func TestLaterSharedMigrationReachesEverySchema(t *testing.T) {
	ctx := t.Context()
	files := fstest.MapFS{
		"shared/0001_base.sql": {Data: []byte(`CREATE TABLE IF NOT EXISTS common (id int PRIMARY KEY);`)},
		"alpha/0001_own.sql":   {Data: []byte(`CREATE TABLE mine (id int PRIMARY KEY REFERENCES common);`)},
		"beta/0001_own.sql":    {Data: []byte(`CREATE TABLE yours (id int PRIMARY KEY REFERENCES common);`)},
	}
	urls := pgtest.NewDatabase(t, "alpha", "beta")
	pools := map[string]*pgxpool.Pool{}
	for svc, url := range urls {
		pool, err := pgdb.Connect(ctx, url, 8)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		pools[svc] = pool
		n, err := pgdb.Migrate(ctx, pool, files, svc)
		require.NoError(t, err)
		assert.Equal(t, 2, n, svc)
	}

	files["shared/0002_later.sql"] = &fstest.MapFile{Data: []byte(`ALTER TABLE common ADD COLUMN note text;`)}
	for svc, pool := range pools {
		pending, err := pgdb.Pending(ctx, pool, files, svc)
		require.NoError(t, err)
		assert.True(t, pending, svc)

		var wg sync.WaitGroup
		var mu sync.Mutex
		applied := 0
		for range 4 {
			wg.Go(func() {
				n, err := pgdb.Migrate(context.WithoutCancel(ctx), pool, files, svc)
				assert.NoError(t, err)
				mu.Lock()
				applied += n
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, 1, applied, svc)
		_, err = pool.Exec(ctx, `INSERT INTO common (id, note) VALUES (1, 'x')`)
		require.NoError(t, err, svc)
		assert.Len(t, versions(t, pool, "shared_migrations"), 2, svc)
		assert.Len(t, versions(t, pool, "schema_migrations"), 1, svc)
		pending, err = pgdb.Pending(ctx, pool, files, svc)
		require.NoError(t, err)
		assert.False(t, pending, svc)
	}

	_, err := pgdb.Migrate(ctx, pools["alpha"], files, pgdb.SharedDir)
	require.ErrorContains(t, err, "shared set")
}
