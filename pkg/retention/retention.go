// Package retention deletes or anonymises what a service keeps past its retention period: a
// scheduled job of named steps, each deleting what is older than its period by the job's clock
// (injected, so tests can move it), and the steps every service shares for its messaging tables and
// audit log.
package retention

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/poll"
	"livslang.dk/pkg/service"
)

// Period is a retention period in calendar units, e.g. 5y, 6mo, 30d, 1y6mo.
type Period struct{ Years, Months, Days int }

// ParsePeriod reads a period: one or more of <n>y, <n>mo, <n>d (whole numbers), e.g. "6mo" or "1y6mo".
func ParsePeriod(s string) (Period, error) {
	var p Period
	rest := strings.TrimSpace(s)
	if rest == "" {
		return p, fmt.Errorf("want a period such as 30d, 6mo or 5y, got %q", s)
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 || n > 100000 {
			return Period{}, fmt.Errorf("want a period such as 30d, 6mo or 5y, got %q", s)
		}
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "mo"):
			p.Months += n
			rest = rest[2:]
		case strings.HasPrefix(rest, "y"):
			p.Years += n
			rest = rest[1:]
		case strings.HasPrefix(rest, "d"):
			p.Days += n
			rest = rest[1:]
		default:
			return Period{}, fmt.Errorf("want a period such as 30d, 6mo or 5y, got %q", s)
		}
	}
	if p == (Period{}) {
		return p, fmt.Errorf("want a period longer than zero, got %q", s)
	}
	return p, nil
}

// Before is the moment the period before t: what is older than it is past retention.
func (p Period) Before(t time.Time) time.Time { return t.AddDate(-p.Years, -p.Months, -p.Days) }

// After is the moment the period after t: when something made at t is past retention.
func (p Period) After(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// YearsAfterYearEnd is the start of the year in which something in the year of t is past a
// retention of whole years counted from the end of its year (as accounting records are): 5 years
// after something in 2025 is 1 January 2031.
func YearsAfterYearEnd(t time.Time, years int) time.Time {
	return time.Date(t.Year()+1+years, 1, 1, 0, 0, 0, 0, t.Location())
}

// Env reads a period from the environment into p (the default when unset), recording a field-named
// error when it is not a period.
func Env(env *service.Env, name, def string) Period {
	p, err := ParsePeriod(env.String(name, def))
	if err != nil {
		env.Fail(fmt.Errorf("%s: %w", name, err))
	}
	return p
}

// Shared is the retention every service applies to its messaging tables and audit log.
type Shared struct {
	Inbox          Period // LIVSLANG_RETAIN_INBOX: applied event ids (at least the streams' 30-day maximum age)
	IdempotencyKey Period // LIVSLANG_RETAIN_IDEMPOTENCY_KEYS: stored responses to replay
	Parked         Period // LIVSLANG_RETAIN_PARKED: messages a consumer gave up on
	Audit          Period // LIVSLANG_RETAIN_AUDIT: the audit log
	Every          time.Duration
}

// LoadShared reads the shared periods and LIVSLANG_RETENTION_INTERVAL.
func LoadShared(env *service.Env) Shared {
	s := Shared{
		Inbox:          Env(env, "LIVSLANG_RETAIN_INBOX", "45d"),
		IdempotencyKey: Env(env, "LIVSLANG_RETAIN_IDEMPOTENCY_KEYS", "30d"),
		Parked:         Env(env, "LIVSLANG_RETAIN_PARKED", "90d"),
		Audit:          Env(env, "LIVSLANG_RETAIN_AUDIT", "2y"),
		Every:          time.Duration(env.Int("LIVSLANG_RETENTION_INTERVAL_MINUTES", 60)) * time.Minute,
	}
	if s.Every <= 0 {
		env.Fail(fmt.Errorf("LIVSLANG_RETENTION_INTERVAL_MINUTES: want at least 1"))
	}
	if ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC); s.Inbox.After(ref).Before(ref.AddDate(0, 0, 30)) {
		env.Fail(fmt.Errorf("LIVSLANG_RETAIN_INBOX: want at least 30d, the streams' maximum age, so a redelivered event is still known"))
	}
	return s
}

// Step deletes (or anonymises) one kind of record past its retention at now and says how many.
type Step struct {
	Name string
	Run  func(ctx context.Context, now time.Time) (int64, error)
}

// Steps are the shared steps for a service's schema.
func (s Shared) Steps(pool *pgxpool.Pool) []Step {
	del := func(name, sql string, p Period) Step {
		return Step{Name: name, Run: func(ctx context.Context, now time.Time) (int64, error) {
			tag, err := pool.Exec(ctx, sql, p.Before(now))
			return tag.RowsAffected(), err
		}}
	}
	return []Step{
		del("inbox", `DELETE FROM inbox WHERE applied_at < $1`, s.Inbox),
		del("idempotency_keys", `DELETE FROM idempotency_keys WHERE created_at < $1`, s.IdempotencyKey),
		del("parked_messages", `DELETE FROM parked_messages WHERE parked_at < $1`, s.Parked),
		{Name: "audit_log", Run: func(ctx context.Context, now time.Time) (int64, error) {
			return audit.Purge(ctx, pool, s.Audit.Before(now))
		}},
	}
}

// Job runs its steps every Every, by the clock Now.
type Job struct {
	Steps []Step
	Every time.Duration
	Now   func() time.Time
	Log   *zap.Logger
}

// RunOnce runs every step once and returns what each removed; a failing step does not stop the others.
func (j Job) RunOnce(ctx context.Context) (map[string]int64, error) {
	now := j.Now()
	done := map[string]int64{}
	var firstErr error
	for _, s := range j.Steps {
		n, err := s.Run(ctx, now)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("retention step %s: %w", s.Name, err)
			}
			continue
		}
		done[s.Name] = n
	}
	return done, firstErr
}

// Run runs the steps at once and then every Every until ctx is done; failures are logged and the
// step is tried again at the next run.
func (j Job) Run(ctx context.Context) error {
	return (*poll.Waker)(nil).Run(ctx, j.Every, func(ctx context.Context) bool {
		done, err := j.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			j.Log.Warn("retention step failed; retrying at the next run", zap.Error(err))
		}
		for name, n := range done {
			if n > 0 {
				j.Log.Info("retention removed records", zap.String("step", name), zap.Int64("records", n))
			}
		}
		return false
	})
}
