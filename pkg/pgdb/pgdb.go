// Package pgdb connects to a service's Postgres schema, runs transactions with retries and applies
// the service's embedded migrations.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/fault"
)

// Error kinds the storage adapters translate driver errors into: the kinds of package fault.
var (
	ErrNotFound error = fault.NotFound
	ErrConflict error = fault.Conflict
)

// conflictMessage is what a caller learns of a unique violation; the constraint stays in the log.
const conflictMessage = "this conflicts with a record that exists already"

// Connect opens a pool; the URL's search_path parameter selects the service's schema.
func Connect(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	// Bounded waits unless the URL says otherwise: connecting (connect_timeout), and a transaction
	// left open by a stuck client, which would hold its locks (idle_in_transaction_session_timeout).
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = "60s"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return pool, nil
}

// Tx runs fn in a transaction and commits it; serialization failures and deadlocks are retried.
func Tx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, pool, fn)
		if !Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}

// Retryable reports whether err is a serialization failure or a deadlock, which running the
// transaction again can fix.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// IsCode reports whether err is a Postgres error with the SQLSTATE code.
func IsCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// Unavailable reports whether err means the database cannot be reached right now: a refused, cut or
// closed connection, or a server that is shutting down, starting up or out of connections. Such a
// request may succeed when tried again, so an API answers it with 503 and Retry-After, not 500.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300": // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection_exception
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// Translate maps driver errors to ErrNotFound and ErrConflict; other errors pass through. A conflict
// tells the caller it clashes with an existing record and keeps the driver error (with the
// constraint's name) as its cause, for the log.
func Translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fault.Wrap(fault.Conflict, conflictMessage, err)
	}
	return err
}
