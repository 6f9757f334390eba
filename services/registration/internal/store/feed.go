package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
)

// queueFeed queues on b the write that adds an enrolment event to the institution's feed with the
// next sequence number. The head row's lock, held to commit, orders the institution's writers, so
// sequence order is commit order and a reader paging by sequence sees no gaps. One statement takes the
// number and writes the record: the document is stored without its closing brace and PostgreSQL
// appends the "sequence" attribute it has just taken.
func queueFeed(b *pgx.Batch, institution uuid.UUID, env events.Envelope, data events.Enrolment) error {
	doc, err := feedDocument(env, data)
	if err != nil {
		return err
	}
	b.Queue(`WITH head AS (INSERT INTO institution_feed_heads (institution_id, seq) VALUES ($1, 1)
			ON CONFLICT (institution_id) DO UPDATE SET seq = institution_feed_heads.seq + 1 RETURNING seq)
		INSERT INTO institution_feed (institution_id, seq, event_id, envelope)
		SELECT $1, head.seq, $2, $3::bytea || convert_to(',"sequence":"' || head.seq || '"}', 'UTF8') FROM head`,
		institution, env.ID, doc[:len(doc)-1])
	return nil
}

// feedDocument is the CloudEvent as the feed shows it, but for the "sequence" extension attribute
// (the feed position) that queueFeed adds. The institution gets what it needs of the enrolment, not
// the citizen's profile facts (birth date, education, employment, benefits) that funding uses.
func feedDocument(env events.Envelope, data events.Enrolment) ([]byte, error) {
	var err error
	env.Data, err = json.Marshal(struct {
		events.Enrolment
		Profile *struct{} `json:"profile,omitempty"` // hides the embedded profile: always left out
	}{Enrolment: data})
	if err != nil {
		return nil, fmt.Errorf("marshal feed data: %w", err)
	}
	doc, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("marshal feed record: %w", err)
	}
	return doc, nil
}

// FeedPage is one page of an institution's feed.
type FeedPage struct {
	Items []json.RawMessage
	Next  string // the cursor to continue from; the same cursor again when there was nothing new
}

// Feed returns up to limit changes after the cursor ("" or "0" from the start), in order.
func (s *Store) Feed(ctx context.Context, institution uuid.UUID, after string, limit int) (FeedPage, error) {
	var from int64
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			return FeedPage{}, &fault.ValidationError{Fields: []fault.FieldError{{Field: "after", Message: "not a cursor from this feed"}}}
		}
		from = n
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, envelope FROM institution_feed WHERE institution_id = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, institution, from, limit)
	if err != nil {
		return FeedPage{}, translate("read feed", err)
	}
	page := FeedPage{Items: []json.RawMessage{}, Next: strconv.FormatInt(from, 10)}
	for rows.Next() {
		var seq int64
		var doc []byte
		if err := rows.Scan(&seq, &doc); err != nil {
			rows.Close()
			return FeedPage{}, translate("read feed", err)
		}
		page.Items = append(page.Items, doc)
		page.Next = strconv.FormatInt(seq, 10)
	}
	return page, translate("read feed", rows.Err())
}

// FeedHeads returns the last sequence number of each of the institutions' feeds that has one.
func (s *Store) FeedHeads(ctx context.Context, institutions []uuid.UUID) (map[uuid.UUID]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT institution_id, seq FROM institution_feed_heads WHERE institution_id = ANY($1)`, institutions)
	if err != nil {
		return nil, translate("read feed heads", err)
	}
	heads := map[uuid.UUID]int64{}
	var id uuid.UUID
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
		heads[id] = seq
		return nil
	})
	return heads, translate("read feed heads", err)
}
