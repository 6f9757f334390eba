package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
	"livslang.dk/pkg/pgcluster"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/testenv"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// schema gives a test funding's real schema (its migrations create the audit log like every service's).
func schema(t *testing.T) *pgxpool.Pool {
	return pgtest.Schema(t, "funding", os.DirFS("../../migrations"), 4)
}

// The service's own role can append to the audit log, but not change, delete or truncate it; only the
// retention job's purge deletes, and only old entries. The time is the database's.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	ctx := context.Background()
	caseworker := auth.Claims{Subject: "cw-1", Role: auth.RoleCaseworker, Municipality: "657"}
	if err := audit.Record(ctx, pool, audit.By(caseworker, "citizen-a", audit.Read, "decision", "d-1", "reviewing the decision")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (at, citizen_id, actor_role, actor_id, action, resource, purpose)
		VALUES ('2001-01-01', 'citizen-a', 'admin', 'x', 'read', 'profile', 'backdated')`); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET purpose = 'nothing to see'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := pool.Exec(ctx, sql)
		if err == nil || !pgdb.IsCode(err, "42501") {
			t.Errorf("%s: %v, want permission denied (42501)", sql, err)
		}
	}
	list, err := audit.ForCitizen(ctx, pool, "citizen-a", 0, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("entries %+v, %v", list, err)
	}
	if list[0].At.Year() < 2020 || list[1].ActorID != "cw-1@657" || list[1].Purpose != "reviewing the decision" {
		t.Fatalf("entries %+v (the backdated entry must carry the database's time)", list)
	}
	if n, err := audit.Purge(ctx, pool, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("purging entries older than an hour removed %d, %v", n, err)
	}
	if n, err := audit.Purge(ctx, pool, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("purge removed %d, %v; want 2", n, err)
	}
	// The purge's permission ends with its transaction.
	_ = audit.Record(ctx, pool, audit.By(caseworker, "citizen-a", audit.Read, "decision", "d-1", "again"))
	if _, err := pool.Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Fatal("a delete after the purge went through")
	}
}

// The service's role owns its schema, yet after the migration that created the audit log it cannot
// change the log's definition: not disable, drop or out-run its guard, not replace the guard function,
// not rename or drop the table (pkg/pgcluster's audit guard). Its other DDL goes on as before.
func TestAuditLogsDefinitionIsTheAdministrators(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	ctx := context.Background()
	for _, sql := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
		`ALTER TABLE audit_log DISABLE TRIGGER USER`,
		`DROP TRIGGER audit_log_append_only ON audit_log`,
		`ALTER TRIGGER audit_log_append_only ON audit_log RENAME TO gone`,
		`CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
		`CREATE FUNCTION drop_it() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
		 CREATE TRIGGER a_first BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION drop_it()`,
		`CREATE RULE swallow AS ON INSERT TO audit_log DO INSTEAD NOTHING`,
		`ALTER FUNCTION audit_log_guard() RENAME TO renamed_guard`,
		`ALTER TABLE audit_log RENAME TO old_entries`,
		`ALTER TABLE audit_log ALTER COLUMN purpose DROP NOT NULL`,
		`DROP INDEX audit_log_citizen`,
		`DROP FUNCTION audit_log_guard() CASCADE`,
		`DROP TABLE audit_log`,
		`DROP SCHEMA funding CASCADE`,
	} {
		_, err := pool.Exec(ctx, sql)
		if err == nil || !pgdb.IsCode(err, "42501") {
			t.Errorf("%s: %v, want permission denied (42501)", sql, err)
		}
	}
	// The guard still works: an entry cannot be changed.
	if err := audit.Record(ctx, pool, audit.By(auth.Claims{Subject: "a", Role: auth.RoleAdmin}, "citizen-a", audit.Read, "profile", "", "support")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE audit_log SET purpose = 'nothing to see'`); !pgdb.IsCode(err, "42501") {
		t.Fatalf("update after the attempts: %v, want refused", err)
	}
	// An audit log made before the guard existed is guarded once the bootstrap has run again.
	admin, err := pgx.ParseConfig(pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	admin.Database = pool.Config().ConnConfig.Database
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM livslang_guard.guarded; DELETE FROM livslang_guard.creating`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `COMMENT ON TABLE audit_log IS 'unguarded'`); err != nil {
		t.Fatalf("without its guard rows the table should be open (else this part proves nothing): %v", err)
	}
	if _, err := conn.Exec(ctx, pgcluster.AuditGuardSQL); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`); !pgdb.IsCode(err, "42501") {
		t.Fatalf("after the bootstrap ran again: %v, want refused", err)
	}
	for _, sql := range []string{`CREATE TABLE scratch (id int)`, `ALTER TABLE scratch ADD COLUMN note text`,
		`CREATE INDEX scratch_note ON scratch (note)`, `DROP TABLE scratch`} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Errorf("%s: %v (other DDL must go on)", sql, err)
		}
	}
}

func TestHandlerShowsTheCitizenTheirOwnEntries(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	ctx := context.Background()
	staff := auth.Claims{Subject: "staff-1", Role: auth.RoleInstitution, InstitutionID: "inst-1"}
	for i := 0; i < 3; i++ {
		_ = audit.Record(ctx, pool, audit.By(staff, "citizen-a", audit.Read, "enrolment", "e-1", "the roster"))
	}
	_ = audit.Record(ctx, pool, audit.By(staff, "citizen-b", audit.Read, "enrolment", "e-2", "the roster"))
	h := auth.Roles(auth.RoleCitizen).Guard(httpapi.Handle(nil, audit.Handler(pool))) // as the services' route tables serve it
	get := func(c *auth.Claims, query string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/v1/me/audit"+query, nil)
		if c != nil {
			r = r.WithContext(auth.WithClaims(r.Context(), *c))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	var page struct {
		Items []struct {
			ActorID string `json:"actor_id"`
			Purpose string
		}
		Next string
	}
	w := get(&auth.Claims{Subject: "citizen-a", Role: auth.RoleCitizen}, "?limit=2")
	testenv.Response{Status: w.Code, Body: w.Body.Bytes()}.JSON(t, &page)
	if w.Code != http.StatusOK || len(page.Items) != 2 || page.Next == "" || page.Items[0].ActorID != "staff-1@inst-1" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = get(&auth.Claims{Subject: "citizen-a", Role: auth.RoleCitizen}, "?limit=2&before="+page.Next)
	testenv.Response{Status: w.Code, Body: w.Body.Bytes()}.JSON(t, &page)
	if len(page.Items) != 1 || page.Next != "" {
		t.Fatalf("second page: %s", w.Body)
	}
	if w := get(&auth.Claims{Subject: "staff-1", Role: auth.RoleInstitution}, ""); w.Code != http.StatusForbidden {
		t.Fatalf("institution staff: %d", w.Code)
	}
	if w := get(nil, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", w.Code)
	}
	if w := get(&auth.Claims{Subject: "citizen-a", Role: auth.RoleCitizen}, "?limit=0"); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "limit") {
		t.Fatalf("limit=0: %d %s", w.Code, w.Body)
	}
}
