package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"livslang.dk/pkg/events"
)

// checkEvents validates every event the services published against the documented JSON Schemas in
// docs/events: the envelope and each type's data.
func checkEvents(t *testing.T, s system) {
	t.Helper()
	dir, err := filepath.Abs("../../../docs/events")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	compile := func(name string) *jsonschema.Schema {
		t.Helper()
		sch, err := c.Compile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		return sch
	}
	envelope := compile("envelope.schema.json")
	checked := map[string]int{}
	for name, subject := range events.StreamSubjects {
		for _, e := range s.env.Events(t, name, subject) {
			raw, _ := json.Marshal(e)
			var doc, data any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if err := envelope.Validate(doc); err != nil {
				t.Errorf("%s envelope: %v", e.Type, err)
			}
			if _, err := os.Stat(filepath.Join(dir, e.Type+".schema.json")); err != nil {
				t.Errorf("no schema for %s", e.Type)
				continue
			}
			if err := json.Unmarshal(e.Data, &data); err != nil {
				t.Fatal(err)
			}
			if err := compile(e.Type + ".schema.json").Validate(data); err != nil {
				t.Errorf("%s data does not match its schema: %v\n%s", e.Type, err, e.Data)
			}
			if strings.Contains(string(raw), `"cpr"`) { // the numbers themselves: guardCPR
				t.Errorf("%s carries a CPR number", e.Type)
			}
			checked[e.Type]++
		}
	}
	if len(checked) < 5 {
		t.Fatalf("checked only %v", checked)
	}
	t.Logf("events checked against their schemas: %v", checked)
}
