package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// searchTitles are the kinds of run the search scenario fills the catalogue with, Danish and
// English, so the vocabulary and the matches look like a real catalogue's.
var searchTitles = [][3]string{
	{"Svejsning: MAG-kantsømme på plade", "Welding: MAG fillet welds on plate", "Du lærer at svejse kantsømme i alle stillinger."},
	{"Førstehjælp og elementær brandbekæmpelse", "First aid and basic firefighting", "Hjertestarter, genoplivning og slukning af brand."},
	{"Gaffeltruckcertifikat (B)", "Forklift truck certificate (B)", "Kørsel med gaffeltruck og sikkerhed på lageret."},
	{"Lagerstyring med håndterminal", "Warehouse management with handheld terminals", "Plukning, pakning og forsendelse."},
	{"Hygiejnekursus for fødevarebranchen", "Food hygiene course", "Hygiejnecertifikat efter fødevarereglerne."},
	{"Dansk som andetsprog, modul 3", "Danish as a second language, module 3", "Læsning, skrivning og samtale."},
	{"FVU-matematik, trin 2", "Preparatory adult mathematics, step 2", "Regning i hverdag og arbejdsliv."},
	{"AVU dansk, niveau D", "General adult education: Danish, level D", "Almen voksenuddannelse i dansk."},
	{"HF-enkeltfag: Matematik C", "HF single subject: Mathematics C", "Matematik på C-niveau."},
	{"Ledelse i praksis (akademimodul)", "Leadership in practice (academy module)", "Personaleledelse og kommunikation."},
	{"Excel for kontorpersonale", "Excel for office staff", "Regneark, formler og pivottabeller."},
	{"Kranfører, mobilkran", "Crane operator, mobile crane", "Certifikat til mobilkran over 25 tonmeter."},
	{"Stilladsmontage, systemstillads", "Scaffolding assembly", "Opstilling og nedtagning af stillads."},
	{"Social- og sundhedshjælper, opkvalificering", "Social and health care assistant, upskilling", "Pleje og omsorg for ældre."},
	{"Digital dannelse og IT-sikkerhed", "Digital literacy and IT security", "Sikker brug af computer og nettet."},
}

// searchQueries are what people type: as spelt, without æ ø å, misspelt, by synonym, in English.
var searchQueries = []string{"svejse", "forstehjaelp", "gaffeltruk", "truckkort", "welding", "hygiejne", "dansk modul 3",
	"matematik", "ledelse", "excel", "kran", "stillads", "sosu", "it-sikkerhed", "first aid", "lager håndterminal"}

// search fills the catalogue to SearchRuns runs (CSV imports of 1,000 by the first institution) and
// then measures GET /v1/courses?q= over it from a few clients.
func (b *bench) search(ctx context.Context) error {
	s := &b.rep.Search
	have, err := b.catalogueSize(ctx)
	if err != nil {
		return err
	}
	in := b.insts[0]
	b.mon.begin(ctx, "search fill", nil)
	stamp := time.Now().Format("150405")
	for n := 0; have < b.p.SearchRuns; n++ {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"code", "title", "title_en", "category", "starts_on", "ends_on", "hours_per_week", "fee_dkk", "seats_total", "location", "description"})
		for i := range min(1000, b.p.SearchRuns-have) {
			t := searchTitles[(n*1000+i)%len(searchTitles)]
			start := time.Now().AddDate(0, 0, 30+(n*1000+i)%300)
			_ = w.Write([]string{fmt.Sprintf("S%s-%d-%d", stamp, n, i), t[0], t[1], "amu", start.Format(time.DateOnly),
				start.AddDate(0, 0, 5).Format(time.DateOnly), "37", "1040", "16", "Herning", t[2]})
		}
		w.Flush()
		r, err := call(ctx, http.MethodPost, b.reg+"/v1/institutions/"+in.id+"/courses/import", in.token, buf.Bytes(), "Content-Type", "text/csv")
		if err != nil {
			return err
		}
		if r.status != http.StatusOK {
			return fmt.Errorf("import: %d %s", r.status, truncate(r.body, 300))
		}
		if have, err = b.catalogueSize(ctx); err != nil {
			return err
		}
	}
	b.mon.end(ctx)
	s.Runs, s.Clients = have, 4
	b.mon.begin(ctx, "search", nil)
	var (
		mu      sync.Mutex
		lat     []float64
		empty   atomic.Int64
		queries = b.p.SearchQueries
	)
	t0 := time.Now()
	if err := parallel(ctx, queries, s.Clients, func(i int) error {
		q := searchQueries[i%len(searchQueries)]
		var page struct {
			Items []struct{ ID string } `json:"items"`
		}
		t := time.Now()
		if err := callJSON(ctx, http.MethodGet, b.reg+"/v1/courses?limit=20&q="+url.QueryEscape(q), "", nil, &page, http.StatusOK); err != nil {
			return err
		}
		mu.Lock()
		lat = append(lat, ms(time.Since(t)))
		mu.Unlock()
		if len(page.Items) == 0 {
			empty.Add(1)
		}
		return nil
	}); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	b.mon.end(ctx)
	s.Queries, s.Seconds = queries, r3(secs)
	s.QueriesPerS = r1(float64(queries) / secs)
	s.P50Ms, s.P99Ms = r1(percentile(lat, 50)), r1(percentile(lat, 99))
	s.Empty = int(empty.Load())
	s.Typed = strings.Join(searchQueries, ", ")
	if s.Empty > 0 {
		b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("%d searches found nothing, though every query has runs to find", s.Empty))
	}
	return nil
}

// catalogueSize counts the published runs, a page of 500 at a time.
func (b *bench) catalogueSize(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		var page struct {
			Items []struct{} `json:"items"`
			Next  string     `json:"next"`
		}
		if err := callJSON(ctx, http.MethodGet, b.reg+"/v1/courses?limit=500&after="+url.QueryEscape(after), "", nil, &page, http.StatusOK); err != nil {
			return 0, err
		}
		n += len(page.Items)
		if page.Next == "" || len(page.Items) == 0 {
			return n, nil
		}
		after = page.Next
	}
}
