package kubernetes

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// anchors are the GitHub heading anchors of a Markdown file.
func anchors(t *testing.T, path string) map[string]bool {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for _, line := range strings.Split(string(raw), "\n") {
		if h, ok := strings.CutPrefix(line, "#"); ok {
			h = strings.TrimLeft(h, "#")
			slug := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(h)), ""), " ", "-")
			out[slug] = true
		}
	}
	return out
}

// The alert rules load as Prometheus loads them (syntax, PromQL, templates) and each links to a
// runbook entry that exists in docs/operations.md.
func TestAlertRules(t *testing.T) {
	groups, errs := rulefmt.ParseFile("../observability/alerts.yaml", false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	runbook := anchors(t, "../../docs/operations.md")
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" {
				continue
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s has no summary", r.Alert)
			}
			url := r.Annotations["runbook_url"]
			_, anchor, _ := strings.Cut(url, "#")
			if !strings.HasPrefix(url, "docs/operations.md#") || !runbook[anchor] {
				t.Errorf("%s: runbook_url %q names no heading of docs/operations.md", r.Alert, url)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d rules", n)
	}
}

// The Grafana dashboard is valid JSON whose every query parses as PromQL.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../observability/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID, Title    string
		SchemaVersion int `json:"schemaVersion"`
		Templating    struct {
			List []struct{ Name string }
		}
		Panels []struct {
			ID      int
			Type    string
			Title   string
			GridPos *struct{ H, W, X, Y int } `json:"gridPos"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string
			}
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 || len(d.Templating.List) < 2 {
		t.Fatalf("dashboard header: uid %q title %q schema %d variables %d", d.UID, d.Title, d.SchemaVersion, len(d.Templating.List))
	}
	ids := map[int]bool{}
	p := parser.NewParser(parser.Options{})
	queries := 0
	for _, panel := range d.Panels {
		if ids[panel.ID] || panel.GridPos == nil || panel.GridPos.W == 0 {
			t.Errorf("panel %q: duplicate id or no position", panel.Title)
		}
		ids[panel.ID] = true
		if panel.Type != "row" && len(panel.Targets) == 0 {
			t.Errorf("panel %q has no query", panel.Title)
		}
		for _, target := range panel.Targets {
			expr := strings.NewReplacer("$__rate_interval", "5m", "$service", ".*").Replace(target.Expr)
			if _, err := p.ParseExpr(expr); err != nil {
				t.Errorf("panel %q query %s: %v", panel.Title, target.RefID, err)
			}
			queries++
		}
	}
	if queries < 15 {
		t.Errorf("only %d queries", queries)
	}
}
