package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
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
