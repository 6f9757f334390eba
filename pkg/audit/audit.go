// Package audit keeps each service's audit log: who read or changed whose personal data, when and
// why. The log is append-only: a trigger refuses every UPDATE, TRUNCATE and DELETE, except the
// deletion of entries past their retention by the retention job (Purge), and the service's role has
// no UPDATE or TRUNCATE privilege on it. The time of an entry is the database's, never the caller's.
// A citizen reads the entries about themself (Handler, GET /v1/me/audit).
//
// Each service's schema has the table, trigger and privileges of migrations/*/…_gdpr.sql:
//
//	CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), citizen_id text NOT NULL,
//	    actor_role text NOT NULL, actor_id text NOT NULL, action text NOT NULL CHECK (action IN ('read', 'change')),
//	    resource text NOT NULL, resource_id text NOT NULL DEFAULT '', purpose text NOT NULL);
package audit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/httpapi"
)

// Actions.
const (
	Read   = "read"
	Change = "change"
)

// Entry is one access to a citizen's personal data.
type Entry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	CitizenID  string    `json:"-"`
	ActorRole  string    `json:"actor_role"` // citizen, caseworker, institution, admin or system
	ActorID    string    `json:"actor_id"`   // the token's subject; for institution staff also the institution
	Action     string    `json:"action"`     // read or change
	Resource   string    `json:"resource"`   // what: profile, enrolment, decision, message, …
	ResourceID string    `json:"resource_id,omitempty"`
	Purpose    string    `json:"purpose"` // why
}

// By makes an entry for the caller (from the request's token) about a citizen's data.
func By(c auth.Claims, citizenID, action, resource, resourceID, purpose string) Entry {
	actor := c.Subject
	if c.Role == auth.RoleInstitution && c.InstitutionID != "" {
		actor = c.Subject + "@" + c.InstitutionID
	}
	if c.Role == auth.RoleCaseworker && c.Municipality != "" {
		actor = c.Subject + "@" + c.Municipality
	}
	return Entry{CitizenID: citizenID, ActorRole: c.Role, ActorID: actor, Action: action, Resource: resource,
		ResourceID: resourceID, Purpose: purpose}
}

// Of makes the entry for the request's caller (from its token) about a citizen's data, and reports
// false when there is nothing to record: no citizen, or a citizen reading their own data.
func Of(r *http.Request, citizenID, action, resource, resourceID, purpose string) (Entry, bool) {
	c, _ := auth.FromContext(r.Context())
	if citizenID == "" || (action == Read && c.Role == auth.RoleCitizen && c.Subject == citizenID) {
		return Entry{}, false
	}
	return By(c, citizenID, action, resource, resourceID, purpose), true
}

// Execer is a transaction or a pool.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Record appends entries, in the caller's transaction when q is one.
func Record(ctx context.Context, q Execer, entries ...Entry) error {
	for _, e := range entries {
		if _, err := q.Exec(ctx, `INSERT INTO audit_log (citizen_id, actor_role, actor_id, action, resource, resource_id, purpose)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.CitizenID, e.ActorRole, e.ActorID, e.Action, e.Resource, e.ResourceID,
			e.Purpose); err != nil {
			return fmt.Errorf("record audit entry: %w", err)
		}
	}
	return nil
}

// Querier is a transaction or a pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ForCitizen lists the entries about a citizen, newest first, before the entry id before (0: from
// the newest), at most limit.
func ForCitizen(ctx context.Context, q Querier, citizenID string, before int64, limit int) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT id, at, citizen_id, actor_role, actor_id, action, resource, resource_id, purpose
		FROM audit_log WHERE citizen_id = $1 AND ($2::bigint = 0 OR id < $2) ORDER BY id DESC LIMIT $3`,
		citizenID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		return e, r.Scan(&e.ID, &e.At, &e.CitizenID, &e.ActorRole, &e.ActorID, &e.Action, &e.Resource, &e.ResourceID, &e.Purpose)
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return list, nil
}

// Count is how many entries there are about a citizen.
func Count(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, citizenID string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE citizen_id = $1`, citizenID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count audit entries: %w", err)
	}
	return n, nil
}

// Purge deletes the entries older than before (retention): the only deletion the trigger lets through.
func Purge(ctx context.Context, pool *pgxpool.Pool, before time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('livslang.audit_purge', 'on', true)`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE at < $1`, before)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge audit log: %w", err)
	}
	return n, nil
}

// Handler serves GET /v1/me/audit to a citizen (the route's Access is auth.Roles(auth.RoleCitizen)):
// their entries, newest first (limit 1–500, default 100; before pages on with the last id seen).
func Handler(pool Querier) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c := auth.Caller(r)
		if c.Role != auth.RoleCitizen || c.Subject == "" {
			return fmt.Errorf("%w: only a citizen reads their audit log", httpapi.ErrForbidden)
		}
		var err error
		q, v := r.URL.Query(), &httpapi.ValidationError{}
		limit, before := 100, int64(0)
		if s := q.Get("limit"); s != "" {
			if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
				v.Add("limit", "must be a whole number from 1 to 500")
			}
		}
		if s := q.Get("before"); s != "" {
			if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
				v.Add("before", "must be an entry id")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		list, err := ForCitizen(r.Context(), pool, c.Subject, before, limit)
		if err != nil {
			return err
		}
		out := struct {
			Items []Entry `json:"items"`
			Next  string  `json:"next"`
		}{Items: list}
		if out.Items == nil {
			out.Items = []Entry{}
		}
		if len(list) == limit {
			out.Next = strconv.FormatInt(list[len(list)-1].ID, 10)
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	}
}
