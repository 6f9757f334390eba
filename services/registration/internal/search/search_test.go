package search

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Førstehjælp":    "forstehjalp",
		"FOERSTEHJAELP":  "forstehjalp",
		"forstehjaelp":   "forstehjalp",
		"Håndværker":     "handvarker",
		"Haandværker":    "handvarker",
		"ÆØÅ":            "aoa",
		"Café Über":      "cafe uber",
		"MAG-kantsømme":  "mag-kantsomme",
		"baaaad aee oee": "bad a o",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
		if got := Fold(want); got != want {
			t.Errorf("Fold(%q) = %q: a folded word changed", want, got)
		}
	}
}

func TestWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Svejsning: MAG-kantsømme på plade", []string{"svejsning", "mag", "kantsomme", "pa", "plade"}},
		{"  first   aid first ", []string{"first", "aid"}},
		{"it's 'quoted' \\ & | ! ( ) :*", []string{"it", "s", "quoted"}},
		{"!!!", nil},
		{"a b c d e f g h i j", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
	} {
		if got := Words(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBuild(t *testing.T) {
	for _, c := range []struct {
		name  string
		words []Expansion
		whole []string
		want  Query
	}{
		{name: "nothing", want: Query{}},
		{name: "a word, its stem as a prefix",
			words: []Expansion{{Word: "svejse", Stems: []string{"svejs", "svejs"}}},
			want: Query{Exact: "('svejse':A) | ('svejse':*A) | ('svejs':*A)", Title: "('svejse':A) | ('svejse':*A) | ('svejs':*A)",
				Any: "('svejse') | ('svejse':*) | ('svejs':*)"}},
		{name: "a short word is not a prefix",
			words: []Expansion{{Word: "it", Synonyms: []string{"digital"}}},
			want:  Query{Exact: "'it':A", Title: "('it':A) | ('digital':*A)", Any: "('it') | ('digital':*)"}},
		{name: "misspellings, compounds and synonyms of several words count only outside the best rank",
			words: []Expansion{{Word: "truk", Near: []string{"truck"}, Parts: []string{"gaffeltruk"}, Synonyms: []string{"social- og sundhed"}}},
			want: Query{Exact: "('truk':A) | ('truk':*A)",
				Title: "('truk':A) | ('truk':*A) | ('truck':A) | ('gaffeltruk':A) | (('social':*A) & ('og':*A) & ('sundhed':*A))",
				Any:   "('truk') | ('truk':*) | ('truck') | ('gaffeltruk') | (('social':*) & ('og':*) & ('sundhed':*))"}},
		{name: "stop words are left out when there is more",
			words: []Expansion{{Word: "kursus"}, {Word: "i", Stop: true}, {Word: "hf"}},
			want: Query{Exact: "(('kursus':A) | ('kursus':*A)) & ('hf':A)", Title: "(('kursus':A) | ('kursus':*A)) & ('hf':A)",
				Any: "(('kursus') | ('kursus':*)) & ('hf')"}},
		{name: "only stop words are what was asked for",
			words: []Expansion{{Word: "og", Stop: true}},
			want:  Query{Exact: "'og':A", Title: "'og':A", Any: "'og'"}},
		{name: "a synonym of the whole query is an alternative to all of it",
			words: []Expansion{{Word: "first"}, {Word: "aid"}}, whole: []string{"forstehjalp"},
			want: Query{Exact: "(('first':A) | ('first':*A)) & (('aid':A) | ('aid':*A))",
				Title: "((('first':A) | ('first':*A)) & (('aid':A) | ('aid':*A))) | ('forstehjalp':*A)",
				Any:   "((('first') | ('first':*)) & (('aid') | ('aid':*))) | ('forstehjalp':*)"}},
		{name: "a quote in a catalogue word stays inside its lexeme",
			words: []Expansion{{Word: "os", Near: []string{`o'\s`}}},
			want:  Query{Exact: "'os':A", Title: `('os':A) | ('o''\\s':A)`, Any: `('os') | ('o''\\s')`}},
	} {
		if got := Build(c.words, c.whole); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}
