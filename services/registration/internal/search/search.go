// Package search turns what a person types into the catalogue's search box into PostgreSQL text
// queries that find what they meant: Danish and English stems and prefixes ("svejse" finds
// "Svejsning"), æ ø å written as ae oe aa or as plain letters ("forstehjaelp"), misspellings
// ("gaffeltruk"), parts of compounds ("truck" finds "gaffeltruck") and synonyms ("truckkort").
//
// Words are compared folded (Fold, and search_fold in migration 0011, which must agree). The store
// asks the database how each word of the query may be spelt in the catalogue (its Expansion) and
// Build makes three queries of it, one per rank: the words themselves in a title, any of their
// spellings in a title, any of them anywhere.
package search

import (
	"regexp"
	"strings"
	"unicode"
)

// MaxWords is how many words of a query count; the rest are ignored.
const MaxWords = 8

// letters maps the letters search folds to the plain letter it compares them as, in both cases
// (search_fold's translate).
var letters = func() *strings.Replacer {
	const from, to = "æøåäöüéèêëáàâíìîóòôúùûýÿñç", "aoaaoueeeeaaaiiiooouuuyync"
	var pairs []string
	target := []rune(to)
	for i, r := range []rune(from) {
		pairs = append(pairs, string(r), string(target[i]), string(unicode.ToUpper(r)), string(target[i]))
	}
	return strings.NewReplacer(pairs...)
}()

// Fold is the form words are compared in: lower case, accents dropped, and æ ø å and their
// two-letter spellings ae oe aa each one plain letter. It is search_fold in Go: case is folded for
// ASCII and the letters above only, as the database does whatever its locale.
func Fold(s string) string {
	b := []byte(letters.Replace(s))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return oe.ReplaceAllString(aa.ReplaceAllString(string(b), "a"), "o")
}

// aa and oe are the two-letter spellings Fold makes one letter, taken whole ("aaa" is one a), so
// that folding a folded word changes nothing.
var aa, oe = regexp.MustCompile(`a[ae]+`), regexp.MustCompile(`oe+`)

// Phrase is what was typed as search compares it: its words folded, one space apart (how a
// synonym is stored).
func Phrase(typed string) string { return strings.Join(Words(typed), " ") }

// Words are the folded words of a query, each once, in their order, at most MaxWords: runs of
// letters and digits, so nothing else reaches a query.
func Words(q string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !seen[w] && len(out) < MaxWords {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Expansion is what the catalogue makes of one word of a query.
type Expansion struct {
	Word string
	// Stop: the word is a stop word in Danish and English ("i", "og", "the"), left out when the
	// query has other words.
	Stop bool
	// Stems are its Danish and English stems, matched as prefixes: "svejse" → "svejs".
	Stems []string
	// Near are the catalogue's words it is a misspelling of, or of their start ("gaffeltruk" →
	// "gaffeltruckcertifikat"), Parts the compounds that hold it ("truck" → "gaffeltruck").
	Near, Parts []string
	// Synonyms are what the catalogue calls it, each one or more words ("truckkort" → "gaffeltruck").
	Synonyms []string
}

// Query is a search as PostgreSQL tsquery texts for the folded 'simple' vector of a run
// (course_runs.search_words, titles weighted A). Empty when the query has no words.
type Query struct {
	Exact string // every word, or a stem of it, in a title: the best matches
	Title string // every word in a title in any of its spellings
	Any   string // every word anywhere in any of its spellings: what matches at all
}

// Empty reports whether the query matches everything.
func (q Query) Empty() bool { return q.Any == "" }

// Build makes the query of a search's words with their expansions; whole are the synonyms of the
// query as a whole ("first aid"), each an alternative to all of it.
func Build(words []Expansion, whole []string) Query {
	kept := make([]Expansion, 0, len(words))
	for _, e := range words {
		if !e.Stop {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		kept = words // only stop words: then they are what was asked for
	}
	if len(kept) == 0 {
		return Query{}
	}
	var exact, title, anywhere []string
	for _, e := range kept {
		strict := []alt{{words: []string{e.Word}}}
		if len(e.Word) >= 3 {
			strict = append(strict, alt{words: []string{e.Word}, prefix: true})
		}
		for _, s := range e.Stems {
			if len(s) >= 3 && s != e.Word {
				strict = append(strict, alt{words: []string{s}, prefix: true})
			}
		}
		all := strict
		for _, w := range append(append([]string{}, e.Near...), e.Parts...) {
			all = append(all, alt{words: []string{w}})
		}
		for _, s := range e.Synonyms {
			all = append(all, alt{words: Words(s), prefix: true})
		}
		exact = append(exact, oneOf(strict, "A"))
		title = append(title, oneOf(all, "A"))
		anywhere = append(anywhere, oneOf(all, ""))
	}
	q := Query{Exact: join(exact, " & "), Title: join(title, " & "), Any: join(anywhere, " & ")}
	var syn []alt
	for _, s := range whole {
		syn = append(syn, alt{words: Words(s), prefix: true})
	}
	if len(syn) > 0 {
		q.Title = join([]string{q.Title, oneOf(syn, "A")}, " | ")
		q.Any = join([]string{q.Any, oneOf(syn, "")}, " | ")
	}
	return q
}

// alt is one way a word of the query may be found: all of its words (a synonym may have several),
// each as a prefix or as it is ("gaffeltruck" finds "gaffeltruckcertifikat" as a prefix).
type alt struct {
	words  []string
	prefix bool
}

// oneOf is a tsquery text matching any of the alternatives, each of its words limited to the
// weight (A: a title) when one is given.
func oneOf(alts []alt, weight string) string {
	out := make([]string, 0, len(alts))
	seen := map[string]bool{}
	for _, a := range alts {
		parts := make([]string, 0, len(a.words))
		for _, w := range a.words {
			parts = append(parts, lexeme(w, a.prefix, weight))
		}
		if t := join(parts, " & "); len(parts) > 0 && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return join(out, " | ")
}

// lexeme is one word of a tsquery, quoted, as a prefix or not, limited to a weight or not.
func lexeme(w string, prefix bool, weight string) string {
	q := "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(w) + "'"
	if prefix || weight != "" {
		q += ":"
	}
	if prefix {
		q += "*"
	}
	return q + weight
}

// join joins tsquery texts with an operator, each in parentheses when there are several.
func join(parts []string, op string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = "(" + p + ")"
	}
	return strings.Join(out, op)
}
