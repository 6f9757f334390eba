package retention_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/service"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want retention.Period
		ok   bool
	}{
		{"30d", retention.Period{Days: 30}, true},
		{"6mo", retention.Period{Months: 6}, true},
		{"5y", retention.Period{Years: 5}, true},
		{"1y6mo", retention.Period{Years: 1, Months: 6}, true},
		{"", retention.Period{}, false},
		{"0d", retention.Period{}, false},
		{"5", retention.Period{}, false},
		{"5h", retention.Period{}, false},
		{"y", retention.Period{}, false},
		{"-1d", retention.Period{}, false},
	} {
		got, err := retention.ParsePeriod(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %+v, %v", tc.in, got, err)
		}
	}
	cut := retention.Period{Months: 6}.Before(time.Date(2027, 8, 31, 12, 0, 0, 0, time.UTC))
	if !cut.Equal(time.Date(2027, 3, 3, 12, 0, 0, 0, time.UTC)) { // Go's AddDate normalises 31 February
		t.Errorf("six months before 31 August: %v", cut)
	}
	// Accounting records: 5 years from the end of the financial year.
	if got := retention.YearsAfterYearEnd(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 5); !got.Equal(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("YearsAfterYearEnd: %v", got)
	}
}

func TestLoadSharedChecksEveryVariable(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"LIVSLANG_RETAIN_INBOX": "7d", "LIVSLANG_RETAIN_AUDIT": "forever", "LIVSLANG_RETENTION_INTERVAL_MINUTES": "0"}
	env := &service.Env{Getenv: func(k string) string { return vars[k] }}
	retention.LoadShared(env)
	err := env.Err()
	for _, name := range []string{"LIVSLANG_RETAIN_INBOX", "LIVSLANG_RETAIN_AUDIT", "LIVSLANG_RETENTION_INTERVAL_MINUTES"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("no error naming %s: %v", name, err)
		}
	}
	env = &service.Env{Getenv: func(string) string { return "" }}
	if s := retention.LoadShared(env); env.Err() != nil || s.Inbox != (retention.Period{Days: 45}) || s.Every != time.Hour {
		t.Fatalf("defaults %+v, %v", s, env.Err())
	}
}

// The shared steps remove what is past retention by the job's clock, and nothing newer.
func TestSharedStepsWithAnInjectedClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	urls := pgtest.NewDatabase(t, "registration")
	pool, err := pgdb.Connect(ctx, urls["registration"], 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pgdb.Migrate(ctx, pool, os.DirFS("../../migrations"), "registration"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO inbox (consumer, event_id) VALUES ('c', gen_random_uuid());
		INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ('p', 'k', '\x00');
		INSERT INTO parked_messages (consumer, subject, payload, reason, deliveries) VALUES ('c', 's', '\x00', 'r', 10)`); err != nil {
		t.Fatal(err)
	}
	if err := audit.Record(ctx, pool, audit.By(auth.Claims{Subject: "a", Role: auth.RoleAdmin}, "c", audit.Read, "profile", "", "support")); err != nil {
		t.Fatal(err)
	}
	shared := retention.Shared{Inbox: retention.Period{Days: 45}, IdempotencyKey: retention.Period{Days: 30},
		Parked: retention.Period{Days: 90}, Audit: retention.Period{Years: 2}}
	now := time.Now()
	job := retention.Job{Steps: shared.Steps(pool), Now: func() time.Time { return now }}
	count := func(table string) (n int) {
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
		return n
	}
	run := func(at time.Time) map[string]int64 {
		now = at
		done, err := job.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return done
	}
	if done := run(time.Now()); done["inbox"]+done["idempotency_keys"]+done["parked_messages"]+done["audit_log"] != 0 {
		t.Fatalf("removed fresh records: %v", done)
	}
	if done := run(time.Now().AddDate(0, 0, 31)); done["idempotency_keys"] != 1 || count("inbox") != 1 {
		t.Fatalf("after 31 days: %v", done)
	}
	if done := run(time.Now().AddDate(0, 0, 91)); done["inbox"] != 1 || done["parked_messages"] != 1 || count("audit_log") != 1 {
		t.Fatalf("after 91 days: %v", done)
	}
	if done := run(time.Now().AddDate(2, 0, 1)); done["audit_log"] != 1 {
		t.Fatalf("after two years: %v", done)
	}
}
