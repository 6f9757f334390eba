package store

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/pgdb"
)

// batcher runs the writes that queue on one hot row (a run's seats and its institution's feed head)
// together: while one transaction holds the row, the writes that arrive for it wait, and the next
// transaction does all of them, each in a savepoint of its own, so one failing write undoes only
// itself. A burst of requests for one run then costs one lock hold and one commit per batch
// instead of one per request, which is what lets a popular run's intake day go faster than
// PostgreSQL can update a single row one transaction at a time.
type batcher struct {
	pool *pgxpool.Pool
	max  int // writes per transaction

	mu     sync.Mutex
	queues map[string][]*batchJob // key → writes waiting; a key with a queue has a worker
}

type batchJob struct {
	fn   func(tx pgx.Tx, batched bool) error
	done chan error
}

// errRunAlone is a job's answer when a row it needs is locked by another transaction: waiting for
// it while the batch holds the rows of its other jobs could deadlock with another batch (a citizen
// asking for two runs at once, each in a batch with a second such citizen), so the job runs again
// alone once its batch has committed.
var errRunAlone = errors.New("batch: run the job alone")

// alone runs j in a transaction of its own.
func (b *batcher) alone(ctx context.Context, j *batchJob) error {
	return pgdb.Tx(ctx, b.pool, func(tx pgx.Tx) error { return j.fn(tx, false) })
}

func newBatcher(pool *pgxpool.Pool, max int) *batcher {
	return &batcher{pool: pool, max: max, queues: map[string][]*batchJob{}}
}

// do runs fn in a transaction shared with other writes of key and returns once that transaction has
// committed (nil) or fn's own error. fn must only use its transaction; its results are valid only
// when do returns nil. batched tells fn it shares the transaction: it then takes the rows that are
// not the key's without waiting (NOWAIT) and answers errRunAlone when one is taken.
func (b *batcher) do(ctx context.Context, key string, fn func(tx pgx.Tx, batched bool) error) error {
	j := &batchJob{fn: fn, done: make(chan error, 1)}
	b.mu.Lock()
	q, running := b.queues[key]
	b.queues[key] = append(q, j)
	b.mu.Unlock()
	if !running {
		go b.work(context.WithoutCancel(ctx), key)
	}
	return <-j.done // the write is in flight: finish it even if the caller has gone
}

// work runs the key's queue until it is empty.
func (b *batcher) work(ctx context.Context, key string) {
	for {
		b.mu.Lock()
		q := b.queues[key]
		if len(q) == 0 {
			delete(b.queues, key)
			b.mu.Unlock()
			return
		}
		n := min(len(q), b.max)
		jobs := q[:n:n]
		b.queues[key] = q[n:]
		b.mu.Unlock()
		b.run(ctx, jobs)
	}
}

// run does jobs in one transaction. A job that fails for a reason retrying can fix (a deadlock or
// serialization failure) and every job of a transaction that cannot commit run again alone.
func (b *batcher) run(ctx context.Context, jobs []*batchJob) {
	if len(jobs) == 1 {
		jobs[0].done <- b.alone(ctx, jobs[0])
		return
	}
	results := make([]error, len(jobs))
	var alone []*batchJob
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		// Each job in a savepoint of its own; ending one and starting the next is one round trip.
		next := "SAVEPOINT job"
		for i, j := range jobs {
			if _, err := tx.Exec(ctx, next); err != nil {
				return err
			}
			results[i] = j.fn(tx, true)
			next = "RELEASE SAVEPOINT job; SAVEPOINT job"
			if results[i] != nil {
				next = "ROLLBACK TO SAVEPOINT job; " + next // undo only this job
			}
			if pgdb.Retryable(results[i]) || errors.Is(results[i], errRunAlone) {
				alone = append(alone, j)
			}
		}
		if results[len(jobs)-1] != nil {
			_, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT job")
			return err
		}
		return nil // the commit releases the last savepoint
	})
	if err != nil {
		for _, j := range jobs {
			j.done <- b.alone(ctx, j)
		}
		return
	}
	for i, j := range jobs {
		if !pgdb.Retryable(results[i]) && !errors.Is(results[i], errRunAlone) {
			j.done <- results[i]
		}
	}
	for _, j := range alone {
		j.done <- b.alone(ctx, j)
	}
}
