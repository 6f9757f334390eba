package datakeys_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/pii"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// schema gives a test notification's real schema (its migrations create citizen_keys like every service's).
func schema(t *testing.T) *pgxpool.Pool {
	return pgtest.Schema(t, "notification", os.DirFS("../../migrations"), 8)
}

func rawKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func ring(t *testing.T, spec string) datakeys.Keyring {
	t.Helper()
	k, err := pii.ParseSealingKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return datakeys.Keyring{Keys: k}
}

func seal(t *testing.T, pool *pgxpool.Pool, r datakeys.Keyring, citizen, text string) []byte {
	t.Helper()
	var sealed []byte
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		k, err := r.ForWriting(context.Background(), tx, citizen)
		if err != nil {
			return err
		}
		sealed, err = k.Seal([]byte(text), []byte(citizen))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

func open(t *testing.T, pool *pgxpool.Pool, r datakeys.Keyring, citizen string, sealed []byte) (string, error) {
	t.Helper()
	k, err := r.ForReading(context.Background(), pool, citizen)
	if err != nil {
		return "", err
	}
	pt, err := k.Open(sealed, []byte(citizen))
	return string(pt), err
}

// Every writer of a citizen's data gets the same key, however many ask at once.
func TestOneKeyPerCitizen(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	r := ring(t, "1:"+rawKey())
	var wg sync.WaitGroup
	sealed := make([][]byte, 8)
	for i := range sealed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sealed[i] = seal(t, pool, r, "citizen-a", "Anna")
		}()
	}
	wg.Wait()
	for i, s := range sealed {
		if got, err := open(t, pool, r, "citizen-a", s); err != nil || got != "Anna" {
			t.Fatalf("writer %d's data: %q %v", i, got, err)
		}
	}
	var n int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM citizen_keys`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d keys, want 1", n)
	}
}

// Rotating the master key: the old key still opens, Rewrap moves every data key to the new one, and
// then the old master key can go.
func TestRewrapAfterRotation(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	ctx := context.Background()
	k1, k2 := rawKey(), rawKey()
	old := ring(t, "1:"+k1)
	sealed := map[string][]byte{}
	for _, c := range []string{"a", "b", "c"} {
		sealed[c] = seal(t, pool, old, c, "data of "+c)
	}
	rotated := ring(t, "2:"+k2+",1:"+k1)
	if got, err := open(t, pool, rotated, "a", sealed["a"]); err != nil || got != "data of a" {
		t.Fatalf("after rotation: %q %v", got, err)
	}
	// New data after the rotation is wrapped by the new key at once.
	sealed["d"] = seal(t, pool, rotated, "d", "data of d")
	n, err := rotated.Rewrap(ctx, pool, time.Now())
	if err != nil || n != 3 {
		t.Fatalf("rewrapped %d, %v; want 3", n, err)
	}
	if n, _ := rotated.Rewrap(ctx, pool, time.Now()); n != 0 {
		t.Fatalf("second rewrap changed %d keys", n)
	}
	onlyNew := ring(t, "2:"+k2)
	for c, s := range sealed {
		if got, err := open(t, pool, onlyNew, c, s); err != nil || got != "data of "+c {
			t.Fatalf("%s with only the new master key: %q %v", c, got, err)
		}
	}
}

func TestEraseShredsTheKey(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	ctx := context.Background()
	r := ring(t, "1:"+rawKey())
	gone := seal(t, pool, r, "gone", "Bo")
	kept := seal(t, pool, r, "kept", "Carl")
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := r.Erase(ctx, tx, "gone", time.Now(), true); err != nil {
			return err
		}
		if err := r.Erase(ctx, tx, "kept", time.Now(), false); err != nil { // records the law requires stay readable
			return err
		}
		return r.Erase(ctx, tx, "never-seen", time.Now(), true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, pool, r, "gone", gone); !errors.Is(err, datakeys.ErrShredded) {
		t.Fatalf("reading shredded data: %v", err)
	}
	if got, err := open(t, pool, r, "kept", kept); err != nil || got != "Carl" {
		t.Fatalf("kept data: %q %v", got, err)
	}
	for _, c := range []string{"gone", "kept", "never-seen"} {
		if erased, err := r.Erased(ctx, pool, c); err != nil || !erased {
			t.Fatalf("%s erased %v, %v", c, erased, err)
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { _, err := r.ForWriting(ctx, tx, c); return err })
		if !errors.Is(err, datakeys.ErrErased) {
			t.Fatalf("writing for erased %s: %v", c, err)
		}
	}
	if err := r.Shred(ctx, pool, "kept", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, pool, r, "kept", kept); !errors.Is(err, datakeys.ErrShredded) {
		t.Fatalf("after its retention: %v", err)
	}
	if erased, _ := r.Erased(ctx, pool, "someone-else"); erased {
		t.Fatal("a citizen nobody erased is erased")
	}
}

// An erasure waits for a transaction that is writing the citizen's data, and a writer that comes
// after the erasure is refused.
func TestEraseWaitsForWriters(t *testing.T) {
	t.Parallel()
	pool := schema(t)
	ctx := context.Background()
	r := ring(t, "1:"+rawKey())
	writer, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback(ctx) //nolint:errcheck
	if _, err := r.ForWriting(ctx, writer, "a"); err != nil {
		t.Fatal(err)
	}
	if err := writer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	writer, _ = pool.Begin(ctx)
	if _, err := r.ForWriting(ctx, writer, "a"); err != nil {
		t.Fatal(err)
	}
	erased := make(chan error, 1)
	go func() {
		erased <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return r.Erase(ctx, tx, "a", time.Now(), true) })
	}()
	// The erasure's transaction waits for the writer's row lock.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%citizen_keys%')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-erased:
			t.Fatalf("the erasure did not wait for the writer: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the erasure never waited for the writer's lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := writer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-erased; err != nil {
		t.Fatal(err)
	}
}
