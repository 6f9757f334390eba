package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/services/registration/internal/search"
)

// expandSQL asks, in one round trip, how each word of a query ($1, folded) may be written in the
// catalogue: its stems, the catalogue's words it is a misspelling of (of the whole word or of its
// start: similar trigrams, as pg_trgm counts them) or a part of, and its synonyms; word 0 is the
// query as a whole ($2), for synonyms of several words.
const expandSQL = `
WITH w AS (SELECT word, i::int, search_grams(word) g, search_inner_grams(word) ig FROM unnest($1::text[]) WITH ORDINALITY u(word, i)),
l AS (SELECT w.*, coalesce(ts_lexize('danish_stem', word), '{}') da, coalesce(ts_lexize('english_stem', word), '{}') en FROM w)
SELECT i, 'stop', '' FROM l WHERE cardinality(da) = 0 AND cardinality(en) = 0
UNION ALL SELECT i, 'stem', s FROM l, unnest(da || en) s
UNION ALL SELECT w.i, 'near', v.word FROM w CROSS JOIN LATERAL (
    SELECT v.word, greatest(search_similarity(v.grams, w.g), search_similarity(search_grams(left(v.word, length(w.word) + 1)), w.g)) sim
    FROM search_vocabulary v
    WHERE length(w.word) >= 4 AND v.grams && w.g AND v.word <> w.word
    ORDER BY sim DESC, v.word LIMIT 3) v WHERE v.sim >= 0.5
UNION ALL SELECT w.i, 'part', v.word FROM w CROSS JOIN LATERAL (
    SELECT v.word FROM search_vocabulary v
    WHERE length(w.word) >= 4 AND v.grams @> w.ig AND v.word <> w.word AND strpos(v.word, w.word) > 1
    ORDER BY length(v.word), v.word LIMIT 20) v
UNION ALL SELECT DISTINCT w.i, 'synonym', s.means FROM w JOIN search_synonyms s ON s.term = w.word
UNION ALL SELECT DISTINCT 0, 'synonym', s.means FROM search_synonyms s WHERE s.term = $2 AND cardinality($1::text[]) > 1`

// searchQuery is the text search for what a person typed (empty when it has no words).
func (s *Store) searchQuery(ctx context.Context, typed string) (search.Query, error) {
	words := search.Words(typed)
	if len(words) == 0 {
		return search.Query{}, nil
	}
	exp := make([]search.Expansion, len(words))
	for i, w := range words {
		exp[i].Word = w
	}
	var whole []string
	rows, err := s.pool.Query(ctx, expandSQL, words, search.Phrase(typed))
	if err != nil {
		return search.Query{}, fmt.Errorf("expand search: %w", err)
	}
	var (
		i          int
		kind, text string
	)
	_, err = pgx.ForEachRow(rows, []any{&i, &kind, &text}, func() error {
		if i == 0 {
			whole = append(whole, text)
			return nil
		}
		e := &exp[i-1]
		switch kind {
		case "stop":
			e.Stop = true
		case "stem":
			e.Stems = append(e.Stems, text)
		case "near":
			e.Near = append(e.Near, text)
		case "part":
			e.Parts = append(e.Parts, text)
		case "synonym":
			e.Synonyms = append(e.Synonyms, text)
		}
		return nil
	})
	if err != nil {
		return search.Query{}, fmt.Errorf("expand search: %w", err)
	}
	return search.Build(exp, whole), nil
}

// Synonym is a word people search for and what the catalogue calls it; Institution is nil for
// Livslang's own list.
type Synonym struct {
	Term        string
	Means       string
	Institution *uuid.UUID
	CreatedAt   time.Time
}

// Synonyms lists the shared synonyms and the institution's own.
func (s *Store) Synonyms(ctx context.Context, institution uuid.UUID) ([]Synonym, error) {
	rows, err := s.pool.Query(ctx, `SELECT term, means, institution_id, created_at FROM search_synonyms
		WHERE institution_id IS NULL OR institution_id = $1 ORDER BY term, means, institution_id NULLS FIRST`, institution)
	if err != nil {
		return nil, translate("list synonyms", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Synonym])
	return list, translate("list synonyms", err)
}

// AddSynonym adds an institution's synonym, term and means as search.Phrase gives them; adding one
// it has is not an error.
func (s *Store) AddSynonym(ctx context.Context, institution uuid.UUID, term, means string) (Synonym, bool, error) {
	syn := Synonym{Term: term, Means: means, Institution: &institution}
	tag, err := s.pool.Exec(ctx, `INSERT INTO search_synonyms (term, means, institution_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, syn.Term, syn.Means, institution)
	if err != nil {
		return Synonym{}, false, translate("add synonym", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT created_at FROM search_synonyms WHERE term = $1 AND means = $2 AND institution_id = $3`,
		syn.Term, syn.Means, institution).Scan(&syn.CreatedAt)
	return syn, tag.RowsAffected() == 1, translate("add synonym", err)
}

// RemoveSynonym removes an institution's own synonyms of a term (all of them when means is ""), both
// as search.Phrase gives them, and is done when there are none; the shared list is not theirs to change.
func (s *Store) RemoveSynonym(ctx context.Context, institution uuid.UUID, term, means string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM search_synonyms WHERE institution_id = $1 AND term = $2 AND ($3 = '' OR means = $3)`,
		institution, term, means)
	return translate("remove synonym", err)
}
