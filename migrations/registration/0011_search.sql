-- Search that finds what people mean (internal/search builds the queries). Everything here is plain
-- PostgreSQL, so a service role that owns its schema can create it: no extension, no superuser.
--
-- search_fold is the form words are compared in: lower case, accents dropped, and æ ø å with their
-- two-letter spellings (ae oe aa) each one plain letter, so "Førstehjælp", "foerstehjaelp" and
-- "forstehjaelp" are one word. Folding a folded word changes nothing (an a is never left before an
-- a or e, nor an o before an e), so a folded term can be checked, stored and compared as it is. Case is folded for ASCII and the letters listed, whatever the
-- database's locale (COLLATE "C"), so Go can fold alike: internal/search.Fold is this function in
-- Go (TestFoldIsTheSameInGoAndPostgres holds them equal).
CREATE FUNCTION search_fold(s text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(regexp_replace(
        translate(lower(s COLLATE "C"),
            'æøåäöüéèêëáàâíìîóòôúùûýÿñçÆØÅÄÖÜÉÈÊËÁÀÂÍÌÎÓÒÔÚÙÛÝŸÑÇ',
            'aoaaoueeeeaaaiiiooouuuyyncaoaaoueeeeaaaiiiooouuuyync'),
        'a[ae]+', 'a', 'g'), 'oe+', 'o', 'g');

-- search_grams is a word's trigrams as pg_trgm counts them (two spaces before, one after).
CREATE FUNCTION search_grams(w text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT substr('  ' || w || ' ', i, 3) FROM generate_series(1, length(w) + 1) i ORDER BY 1);

-- search_inner_grams is a word's trigrams without the padding: what every word holding it also has.
CREATE FUNCTION search_inner_grams(w text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT substr(w, i, 3) FROM generate_series(1, length(w) - 2) i ORDER BY 1);

-- search_similarity is the share of trigrams two sets have in common (pg_trgm's similarity).
CREATE FUNCTION search_similarity(a text[], b text[]) RETURNS real
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (SELECT count(*) FROM (SELECT unnest(a) INTERSECT SELECT unnest(b)) i)::real /
           greatest((SELECT count(*) FROM (SELECT unnest(a) UNION SELECT unnest(b)) u), 1);

-- Each run's words, folded: titles and code weigh A, descriptions B.
ALTER TABLE course_runs ADD COLUMN search_words tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', search_fold(title || ' ' || title_en || ' ' || code)), 'A') ||
    setweight(to_tsvector('simple', search_fold(description || ' ' || description_en)), 'B')) STORED;
CREATE INDEX course_runs_search_words ON course_runs USING gin (search_words);
DROP INDEX course_runs_search;
ALTER TABLE course_runs DROP COLUMN search;

-- Every word of the catalogue once, with its trigrams: where a misspelt word finds the words it was
-- meant to be, and a part of a compound ("truck") the compounds that hold it ("gaffeltruck").
CREATE TABLE search_vocabulary (
    word  text PRIMARY KEY,
    grams text[] NOT NULL
);
CREATE INDEX search_vocabulary_grams ON search_vocabulary USING gin (grams);

CREATE FUNCTION search_learn_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_vocabulary (word, grams)
        SELECT w, search_grams(w) FROM unnest(tsvector_to_array(NEW.search_words)) w
        WHERE length(w) BETWEEN 3 AND 40 AND w !~ '^[0-9.-]+$'
        ORDER BY w -- one order for every writer, so two never wait on each other in a circle
        ON CONFLICT (word) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER course_runs_learn_words AFTER INSERT OR UPDATE OF title, title_en, code, description, description_en
    ON course_runs FOR EACH ROW EXECUTE FUNCTION search_learn_words();
INSERT INTO search_vocabulary (word, grams)
    SELECT DISTINCT w, search_grams(w) FROM course_runs, unnest(tsvector_to_array(search_words)) w
    WHERE length(w) BETWEEN 3 AND 40 AND w !~ '^[0-9.-]+$'
    ON CONFLICT (word) DO NOTHING;

-- Synonyms: a word people search for and what the catalogue calls it. The shared list below is
-- Livslang's own (institution_id NULL); an institution adds and removes its own, and every search
-- uses them all. term and means are stored folded.
CREATE TABLE search_synonyms (
    term           text NOT NULL CHECK (term <> '' AND term = search_fold(term)),
    means          text NOT NULL CHECK (means <> '' AND means = search_fold(means)),
    institution_id uuid REFERENCES institutions (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX search_synonyms_unique ON search_synonyms (term, means, coalesce(institution_id, '00000000-0000-0000-0000-000000000000'));
CREATE INDEX search_synonyms_institution ON search_synonyms (institution_id, term);
INSERT INTO search_synonyms (term, means) SELECT search_fold(t), search_fold(m) FROM (VALUES
    ('truckkort', 'gaffeltruck'), ('truckcertifikat', 'gaffeltruck'), ('truck', 'gaffeltruck'), ('forklift', 'gaffeltruck'),
    ('kørekort', 'køretøj'), ('svejser', 'svejsning'), ('welder', 'welding'),
    ('førstehjælpskursus', 'førstehjælp'), ('hjertestarter', 'førstehjælp'), ('first aid', 'førstehjælp'),
    ('regning', 'matematik'), ('matte', 'matematik'), ('maths', 'mathematics'), ('math', 'mathematics'),
    ('læsning', 'dansk'), ('ordblind', 'ordblindeundervisning'), ('dysleksi', 'ordblindeundervisning'),
    ('it', 'digital'), ('computer', 'digital'), ('edb', 'digital'), ('pc', 'digital'),
    ('regnskab', 'bogføring'), ('bogholderi', 'bogføring'), ('ledelse', 'leder'), ('management', 'leadership'),
    ('hf', 'hf-enkeltfag'), ('avu', 'almen voksenuddannelse'), ('fvu', 'forberedende voksenundervisning'),
    ('kran', 'kranfører'), ('stillads', 'stilladsmontage'), ('hygiejne', 'hygiejnecertifikat'),
    ('pleje', 'omsorg'), ('sosu', 'social- og sundhed'), ('lager', 'lagerarbejde'), ('dansk som andetsprog', 'danskuddannelse')
) AS s(t, m);
