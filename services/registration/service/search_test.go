package service_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/internal/search"
	"livslang.dk/services/registration/internal/store"
)

// searchRun publishes a run of the institution starting in days days.
func (b bundle) searchRun(t *testing.T, inst uuid.UUID, code, title, titleEN, description string, days int) string {
	t.Helper()
	start := time.Now().AddDate(0, 0, days).Truncate(24 * time.Hour)
	id := uuid.New()
	if _, err := b.st.CreateCourse(context.Background(), store.Course{ID: id, InstitutionID: inst, Code: code, Title: title,
		TitleEN: titleEN, Description: description, Category: "amu", StartsOn: start, EndsOn: start.AddDate(0, 0, 4),
		HoursPerWeek: 37, FeeDKK: 1040, Schemes: []string{"self"}, SeatsTotal: 12, Location: "Herning"}); err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// found is the codes the catalogue answers a search with, in its order.
func (b bundle) found(t *testing.T, query string) []string {
	t.Helper()
	var page struct{ Items []struct{ Code string } }
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/courses?"+query, "", nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &page)
	codes := []string{}
	for _, c := range page.Items {
		codes = append(codes, c.Code)
	}
	return codes
}

// The searches a new user tried and found nothing with find what they meant, best match and nearest
// start first, in Danish and English, and an institution's synonym works at once.
func TestSearchFindsWhatPeopleMean(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	b.searchRun(t, inst, "40123", "Svejsning: MAG-kantsømme på plade", "Welding: MAG fillet welds on plate", "Du lærer at svejse kantsømme.", 40)
	b.searchRun(t, inst, "40124", "Svejsning: MAG-kantsømme på plade", "Welding: MAG fillet welds on plate", "", 20)
	b.searchRun(t, inst, "49999", "Førstehjælp og elementær brandbekæmpelse", "First aid and basic firefighting", "", 30)
	b.searchRun(t, inst, "47592", "Gaffeltruckcertifikat (B)", "Forklift truck certificate (B)", "", 30)
	b.searchRun(t, inst, "48000", "Lagerstyring", "Warehouse management", "Bruges med gaffeltruck og håndterminal.", 10)
	b.searchRun(t, inst, "45000", "Hygiejnekursus for fødevarebranchen", "Food hygiene", "", 15)

	for _, c := range []struct {
		q    string
		want []string
	}{
		{"svejse", []string{"40124", "40123"}},          // a stem as a prefix; the nearer start first
		{"svejsning", []string{"40124", "40123"}},       // the word itself
		{"forstehjaelp", []string{"49999"}},             // æ ø å as ae oe aa, or as plain letters
		{"foerstehjælp", []string{"49999"}},             //
		{"Førstehjælp", []string{"49999"}},              //
		{"gaffeltruk", []string{"47592", "48000"}},      // misspelt, and the start of a compound
		{"truckkort", []string{"47592", "48000"}},       // a synonym; a title before a description
		{"gaffeltruck", []string{"47592", "48000"}},     // a compound's start in a title, then a description
		{"truck", []string{"47592", "48000"}},           // part of a compound
		{"welding", []string{"40124", "40123"}},         // English, by its stem
		{"first aid", []string{"49999"}},                // every word must be there
		{"first aid kantsømme", []string{}},             //
		{"kantsomme plade", []string{"40124", "40123"}}, //
		{"kursus i hygiejne", []string{"45000"}},        // a stop word ("i") asks for nothing
		{"40123", []string{"40123"}},                    // the course's code
		{"brandbekæmpelse", []string{"49999"}},          //
		{"!!!", []string{}},                             // no words: nothing
		{"xylofon", []string{}},                         //
	} {
		if got := b.found(t, "q="+url.QueryEscape(c.q)); !slices.Equal(got, c.want) {
			t.Errorf("q=%s found %v, want %v", c.q, got, c.want)
		}
	}

	// A search pages like the catalogue: every match once, in the same order.
	var all []string
	next := ""
	for range 10 {
		var page struct {
			Items []struct{ Code string }
			Next  string
		}
		testenv.Do(t, http.MethodGet, b.base+"/v1/courses?limit=1&q=truck&after="+next, "", nil).JSON(t, &page)
		for _, c := range page.Items {
			all = append(all, c.Code)
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if want := []string{"47592", "48000"}; !slices.Equal(all, want) {
		t.Errorf("paged search found %v, want %v", all, want)
	}
	first := testenv.Do(t, http.MethodGet, b.base+"/v1/courses?limit=1", "", nil)
	var plain struct{ Next string }
	first.JSON(t, &plain)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/courses?q=truck&after="+plain.Next, "", nil), http.StatusBadRequest)

	// An institution's synonym: added (201, then 200), used by every search, listed, removed (204).
	syn := b.base + "/v1/institutions/" + inst.String() + "/synonyms"
	if got := b.found(t, "q=svejsekursus"); len(got) != 0 {
		t.Fatalf("svejsekursus found %v before the synonym", got)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, syn, staff, map[string]string{"term": "Svejsekursus", "means": "svejsning"}), http.StatusCreated)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, syn, staff, map[string]string{"term": "svejsekursus", "means": "Svejsning"}), http.StatusOK)
	if got := b.found(t, "q=svejsekursus"); !slices.Equal(got, []string{"40124", "40123"}) {
		t.Errorf("svejsekursus found %v with the synonym", got)
	}
	var list struct {
		Items []struct {
			Term, Means string
			Shared      bool
		}
	}
	testenv.Do(t, http.MethodGet, syn, staff, nil).JSON(t, &list)
	own, shared := 0, 0
	for _, s := range list.Items {
		switch {
		case s.Shared:
			shared++
		case s.Term == "svejsekursus" && s.Means == "svejsning":
			own++
		}
	}
	if own != 1 || shared == 0 {
		t.Errorf("synonyms list %d own, %d shared: %+v", own, shared, list.Items)
	}
	for _, bad := range []map[string]string{{"term": "", "means": "svejsning"}, {"term": "svejs", "means": "Svejs"},
		{"term": "a b c d e", "means": "svejsning"}} {
		testenv.MustStatus(t, testenv.Do(t, http.MethodPost, syn, staff, bad), http.StatusBadRequest)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, syn+"/svejsekursus", staff, nil), http.StatusNoContent)
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, syn+"/svejsekursus", staff, nil), http.StatusNoContent)
	if got := b.found(t, "q=svejsekursus"); len(got) != 0 {
		t.Errorf("svejsekursus found %v after the synonym was removed", got)
	}
	// The shared list is not an institution's to remove.
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, syn+"/truckkort", staff, nil), http.StatusNoContent)
	if got := b.found(t, "q=truckkort"); len(got) != 2 {
		t.Errorf("truckkort found %v after an institution removed it", got)
	}
}

// search_fold in the database and search.Fold in Go fold every word alike.
func TestFoldIsTheSameInGoAndPostgres(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, w := range []string{"Førstehjælp", "FOERSTEHJAELP", "Haandværker", "Åbent værksted", "Café", "Über", "Smørrebrød",
		"Ærø", "naïve", "Señor", "Façade", "MAG-kantsømme", "Kloakrørsarbejde", "Ýmir", "ÿ", "AÆØÅ", "maaaal"} {
		var db string
		if err := b.pool.QueryRow(context.Background(), `SELECT search_fold($1)`, w).Scan(&db); err != nil {
			t.Fatal(err)
		}
		if got := search.Fold(w); got != db {
			t.Errorf("Fold(%q) = %q, search_fold = %q", w, got, db)
		}
	}
}
