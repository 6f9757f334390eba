// Package idempotency makes write APIs safe to retry: the first request with an Idempotency-Key is
// applied and its response stored in the same transaction; a repeat with the same body gets the stored
// response, and a repeat with a different body is refused.
//
// Each service's schema has the table:
//
//	CREATE TABLE idempotency_keys (principal text NOT NULL, key text NOT NULL, request_hash bytea NOT NULL,
//	    status integer NOT NULL DEFAULT 0, body bytea, created_at timestamptz NOT NULL DEFAULT now(),
//	    PRIMARY KEY (principal, key));
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"livslang.dk/pkg/httpapi"
)

// Header is the request header that carries the key.
const Header = "Idempotency-Key"

// Response is a stored response to replay.
type Response struct {
	Status int
	Body   []byte
}

// Hash fingerprints a request (method, path and canonical body).
func Hash(r *http.Request, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(body)
	return h.Sum(nil)
}

// Key reads and checks the Idempotency-Key header; it is required on the writes that use this package.
func Key(r *http.Request) (string, error) {
	k := r.Header.Get(Header)
	if k == "" || len(k) > 200 {
		v := &httpapi.ValidationError{}
		v.Add(Header, "header is required (1 to 200 characters), e.g. a UUID")
		return "", v
	}
	return k, nil
}

// Claim reserves (principal, key) in tx. It returns nil when the request is new and must be applied,
// or the stored response of an earlier request with the same body. A concurrent request with the same
// key waits for the first to commit. A different body under the same key is ErrUnprocessable.
func Claim(ctx context.Context, tx pgx.Tx, principal, key string, hash []byte) (*Response, error) {
	var claimed bool
	b := &pgx.Batch{}
	QueueClaim(b, principal, key, hash, &claimed)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if claimed {
		return nil, nil
	}
	return Replay(ctx, tx, principal, key, hash)
}

// QueueClaim queues Claim's write on b, for a caller that sends it with other statements in one round
// trip. Once b has been sent, claimed says whether the request is new; if it is not, Replay gives the
// stored response.
func QueueClaim(b *pgx.Batch, principal, key string, hash []byte, claimed *bool) {
	b.Queue(`INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, principal, key, hash).Exec(func(tag pgconn.CommandTag) error {
		*claimed = tag.RowsAffected() == 1
		return nil
	})
}

// Replay returns the stored response of the earlier request with the key, which a claim found taken:
// ErrUnprocessable when that request had another body.
func Replay(ctx context.Context, tx pgx.Tx, principal, key string, hash []byte) (*Response, error) {
	var stored Response
	var storedHash []byte
	if err := tx.QueryRow(ctx, `SELECT request_hash, status, body FROM idempotency_keys WHERE principal = $1 AND key = $2`,
		principal, key).Scan(&storedHash, &stored.Status, &stored.Body); err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	if !bytes.Equal(storedHash, hash) {
		return nil, fmt.Errorf("%w: Idempotency-Key was already used with a different request", httpapi.ErrUnprocessable)
	}
	return &stored, nil
}

// Complete stores the response of the request that claimed the key.
func Complete(ctx context.Context, tx pgx.Tx, principal, key string, status int, body []byte) error {
	b := &pgx.Batch{}
	QueueComplete(b, principal, key, status, body)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// QueueComplete queues Complete's write on b.
func QueueComplete(b *pgx.Batch, principal, key string, status int, body []byte) {
	b.Queue(`UPDATE idempotency_keys SET status = $3, body = $4 WHERE principal = $1 AND key = $2`, principal, key, status, body)
}
