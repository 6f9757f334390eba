package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/httpapi"
)

// appendFeed adds an enrolment event to the institution's feed with the next sequence number. The
// head row's lock, held to commit, orders the institution's writers, so sequence order is commit
// order and a reader paging by sequence sees no gaps.
func appendFeed(ctx context.Context, tx pgx.Tx, institution uuid.UUID, env events.Envelope, data events.Enrolment) error {
	var seq int64
	err := tx.QueryRow(ctx, `INSERT INTO institution_feed_heads (institution_id, seq) VALUES ($1, 1)
		ON CONFLICT (institution_id) DO UPDATE SET seq = institution_feed_heads.seq + 1 RETURNING seq`, institution).Scan(&seq)
	if err != nil {
		return fmt.Errorf("next feed sequence: %w", err)
	}
	doc, err := feedDocument(env, data, seq)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO institution_feed (institution_id, seq, event_id, envelope) VALUES ($1, $2, $3, $4)`,
		institution, seq, env.ID, doc); err != nil {
		return fmt.Errorf("append feed: %w", err)
	}
	return nil
}

// feedDocument is the CloudEvent with the feed position as the "sequence" extension attribute. The
// institution gets what it needs of the enrolment, not the citizen's profile facts (birth date,
// education, employment, benefits) that funding uses.
func feedDocument(env events.Envelope, data events.Enrolment, seq int64) ([]byte, error) {
	var err error
	env.Data, err = json.Marshal(struct {
		events.Enrolment
		Profile *struct{} `json:"profile,omitempty"` // hides the embedded profile: always left out
	}{Enrolment: data})
	if err != nil {
		return nil, fmt.Errorf("marshal feed data: %w", err)
	}
	return json.Marshal(struct {
		events.Envelope
		Sequence string `json:"sequence"`
	}{env, strconv.FormatInt(seq, 10)})
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
			return FeedPage{}, &httpapi.ValidationError{Fields: []httpapi.FieldError{{Field: "after", Message: "not a cursor from this feed"}}}
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
