package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// baselineSchema is the least a durable enrolment needs: what registration, funding and notification
// write for one, in plain tables without messaging.
const baselineSchema = `
CREATE TABLE runs (id int PRIMARY KEY, seats_total int NOT NULL, seats_taken int NOT NULL DEFAULT 0,
	CHECK (seats_taken >= 0 AND seats_taken <= seats_total));
CREATE TABLE enrolments (id uuid PRIMARY KEY, citizen_id text NOT NULL, run_id int NOT NULL REFERENCES runs,
	status text NOT NULL, funding_preference text NOT NULL, requested_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE enrolment_history (enrolment_id uuid NOT NULL REFERENCES enrolments, seq int NOT NULL, status text NOT NULL,
	at timestamptz NOT NULL DEFAULT now(), cause text NOT NULL, PRIMARY KEY (enrolment_id, seq));
CREATE TABLE decisions (enrolment_id uuid PRIMARY KEY REFERENCES enrolments, outcome text NOT NULL, scheme text NOT NULL,
	body jsonb NOT NULL, decided_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE messages (id uuid PRIMARY KEY, enrolment_id uuid NOT NULL, recipient_id text NOT NULL, kind text NOT NULL,
	subject text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
`

// scratchDB (re)creates a database on the cluster.
func scratchDB(ctx context.Context, st *stack, name string) error {
	conn, err := pgx.Connect(ctx, st.adminURL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	return err
}

// baseline runs one transaction per enrolment (a seat update, an enrolment row, a history row, a
// decision row and a message row) from Concurrency clients for BaselineDur.
func (b *bench) baseline(ctx context.Context) error {
	bl := &b.rep.Baseline
	bl.Concurrency, bl.Statements = b.p.BaselineConc, "UPDATE runs (seat) + INSERT enrolment, history, decision, message; one transaction, synchronous commit"
	if err := scratchDB(ctx, b.st, "bench_baseline"); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, b.st.adminURL("bench_baseline")+"&pool_max_conns="+strconv.Itoa(bl.Concurrency))
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, baselineSchema); err != nil {
		return err
	}
	runs := max(len(b.runs), 1)
	if _, err := pool.Exec(ctx, `INSERT INTO runs (id, seats_total) SELECT g, 1000000 FROM generate_series(0, $1 - 1) g`, runs); err != nil {
		return err
	}
	decision := `{"outcome":"approved","scheme":"self","rules":[{"id":"self.offered","outcome":"met"},{"id":"self.citizen_pays","outcome":"met"}],"amounts":{"citizen_pays_dkk":1000}}`
	var done atomic.Int64
	var mu sync.Mutex
	var lat []float64
	units := func() int { return int(done.Load()) }
	b.mon.begin(ctx, "baseline (SQL)", units)
	deadline := time.Now().Add(b.p.BaselineDur)
	t0 := time.Now()
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for w := range bl.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			for i := w; time.Now().Before(deadline) && ctx.Err() == nil; i += bl.Concurrency {
				s := time.Now()
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					id, cit, run := newUUID(), fmt.Sprintf("citizen-%d", i), i%runs
					tag, err := tx.Exec(ctx, `UPDATE runs SET seats_taken = seats_taken + 1 WHERE id = $1 AND seats_taken < seats_total`, run)
					if err != nil {
						return err
					}
					status := "confirmed"
					if tag.RowsAffected() == 0 {
						status = "waitlisted"
					}
					if _, err := tx.Exec(ctx, `INSERT INTO enrolments (id, citizen_id, run_id, status, funding_preference) VALUES ($1, $2, $3, $4, 'self')`, id, cit, run, status); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `INSERT INTO enrolment_history (enrolment_id, seq, status, cause) VALUES ($1, 1, $2, 'citizen')`, id, status); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `INSERT INTO decisions (enrolment_id, outcome, scheme, body) VALUES ($1, 'approved', 'self', $2)`, id, decision); err != nil {
						return err
					}
					_, err = tx.Exec(ctx, `INSERT INTO messages (id, enrolment_id, recipient_id, kind, subject, status) VALUES ($1, $2, $3, 'confirmed', 'Du har fået plads', 'queued')`, newUUID(), id, cit)
					return err
				})
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				mine = append(mine, ms(time.Since(s)))
				done.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	b.mon.end(ctx)
	if firstErr != nil {
		return fmt.Errorf("baseline: %w", firstErr)
	}
	bl.DurationS, bl.Transactions = r1(secs), int(done.Load())
	bl.EnrolmentsPerS = r1(float64(bl.Transactions) / secs)
	bl.P50Ms, bl.P99Ms = r1(percentile(lat, 50)), r1(percentile(lat, 99))
	return nil
}

var (
	tpsRe     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latencyRe = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// pgbench runs pgbench's TPC-B-like test on a scratch database of the same cluster.
func (b *bench) pgbench(ctx context.Context, pgBin string) error {
	pb := &b.rep.PGBench
	pb.Scale, pb.Clients, pb.DurationS = 10, 8, b.p.PGBenchT
	if pgBin == "" {
		pb.Error = "PostgreSQL binaries not found"
		return nil
	}
	if err := scratchDB(ctx, b.st, "bench_pgbench"); err != nil {
		return err
	}
	conn := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(b.st.ports["PG"]), "-U", "postgres"}
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(pgBin, "pgbench"), append(append([]string{"-i", "-q", "-s", strconv.Itoa(pb.Scale)}, conn...), "bench_pgbench")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		pb.Error = fmt.Sprintf("pgbench -i: %v: %s", err, truncate(out, 300))
		return nil
	}
	pb.InitS = r1(time.Since(t0).Seconds())
	var tx atomic.Int64
	b.mon.begin(ctx, "pgbench", func() int { return int(tx.Load()) })
	cmd = exec.CommandContext(ctx, filepath.Join(pgBin, "pgbench"), append(append([]string{"-c", strconv.Itoa(pb.Clients), "-T", strconv.Itoa(pb.DurationS)}, conn...), "bench_pgbench")...)
	out, err := cmd.CombinedOutput()
	if m := tpsRe.FindSubmatch(out); m != nil {
		pb.TPS, _ = strconv.ParseFloat(string(m[1]), 64)
		pb.TPS = r1(pb.TPS)
		tx.Store(int64(pb.TPS * float64(pb.DurationS)))
	}
	b.mon.end(ctx)
	if m := latencyRe.FindSubmatch(out); m != nil {
		pb.LatencyAvgMs, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if err != nil || pb.TPS == 0 {
		pb.Error = fmt.Sprintf("pgbench: %v: %s", err, truncate(out, 300))
	}
	return nil
}
