package pgcluster

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// AuditGuardSQL makes the audit logs' definitions the database administrator's (auditguard.sql):
// Bootstrap runs it in the service database; the Compose bootstrap and the Kubernetes cluster run the
// same text.
//
//go:embed auditguard.sql
var AuditGuardSQL string

// bootstrapLock is the advisory lock key serializing Bootstrap calls on a cluster ("livslang").
const bootstrapLock int64 = 0x6c6976736c616e67

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Bootstrap creates database db (if missing) and, for each service name, a login role livslang_<svc>
// with the given password and a schema <svc> owned by that role. Each role can use its own schema and
// nothing else: REVOKE ALL ON DATABASE db FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE db TO each role;
// REVOKE ALL ON SCHEMA public FROM PUBLIC; and AuditGuardSQL, so a service's role can create its
// audit log but never afterwards alter, replace or drop it or its guard. Idempotent; safe when many tests call it concurrently
// (role and grant changes are serialized with an advisory lock, since roles are cluster-wide and concurrent
// CREATE ROLE/GRANT can fail with "tuple concurrently updated"). Returns each service's URL:
// postgres://livslang_<svc>:<password>@<admin host:port>/<db>?sslmode=disable&search_path=<svc>
//
// adminURL points at the postgres database of the cluster, as a superuser.
func Bootstrap(ctx context.Context, adminURL, db string, services []string, password func(service string) string) (map[string]string, error) {
	for _, name := range append([]string{db}, services...) {
		if !namePattern.MatchString(name) {
			return nil, fmt.Errorf("bootstrap: invalid name %q: must match %s", name, namePattern)
		}
	}
	admin, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: parse admin url: %w", err)
	}
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: parse admin url: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) // also releases the advisory lock
	// CREATE DATABASE is the slow part (it copies template1), so it runs before taking the lock. A
	// concurrent call creating the same database makes it fail with duplicate_database or unique_violation.
	dbIdent := pgx.Identifier{db}.Sanitize()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return nil, fmt.Errorf("bootstrap: check database %s: %w", db, err)
	}
	if !exists {
		var pgErr *pgconn.PgError
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+dbIdent); err != nil &&
			!(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
			return nil, fmt.Errorf("bootstrap: create database %s: %w", db, err)
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, bootstrapLock); err != nil {
		return nil, fmt.Errorf("bootstrap: lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `REVOKE ALL ON DATABASE `+dbIdent+` FROM PUBLIC`); err != nil {
		return nil, fmt.Errorf("bootstrap: revoke on database %s: %w", db, err)
	}
	urls := make(map[string]string, len(services))
	for _, svc := range services {
		role := "livslang_" + svc
		pw, err := conn.PgConn().EscapeString(password(svc))
		if err != nil {
			return nil, fmt.Errorf("bootstrap: role %s: %w", role, err)
		}
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			return nil, fmt.Errorf("bootstrap: check role %s: %w", role, err)
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		roleIdent := pgx.Identifier{role}.Sanitize()
		for _, sql := range []string{
			verb + ` ROLE ` + roleIdent + ` LOGIN PASSWORD '` + pw + `'`,
			`GRANT CONNECT, TEMPORARY ON DATABASE ` + dbIdent + ` TO ` + roleIdent,
		} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return nil, fmt.Errorf("bootstrap: role %s: %w", role, err)
			}
		}
		u := url.URL{
			Scheme:   "postgres",
			User:     url.UserPassword(role, password(svc)),
			Host:     admin.Host,
			Path:     "/" + db,
			RawQuery: "sslmode=disable&search_path=" + svc,
		}
		urls[svc] = u.String()
	}

	// Schemas live in db itself, so continue there (still holding the lock on the admin connection).
	cfg.Database = db
	dbConn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: connect to %s: %w", db, err)
	}
	defer dbConn.Close(context.WithoutCancel(ctx))
	stmts := []string{`REVOKE ALL ON SCHEMA public FROM PUBLIC`}
	for _, svc := range services {
		schema, role := pgx.Identifier{svc}.Sanitize(), pgx.Identifier{"livslang_" + svc}.Sanitize()
		stmts = append(stmts,
			`CREATE SCHEMA IF NOT EXISTS `+schema+` AUTHORIZATION `+role,
			`ALTER SCHEMA `+schema+` OWNER TO `+role)
	}
	for _, sql := range stmts {
		if _, err := dbConn.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("bootstrap %s: %s: %w", db, sql, err)
		}
	}
	if _, err := dbConn.Exec(ctx, AuditGuardSQL); err != nil { // several statements: the simple protocol
		return nil, fmt.Errorf("bootstrap %s: audit guard: %w", db, err)
	}
	return urls, nil
}
