package service_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"livslang.dk/pkg/testenv"
)

// A profile read with GET can be edited and sent back whole: its read-only fields are accepted when
// they are the caller's own, and its version keeps a save from undoing one made since it was read.
func TestAProfileReadCanBeSentBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.citizen(t, 3)
	url := b.base + "/v1/me/profile"
	read := func() map[string]any {
		t.Helper()
		r := testenv.Do(t, http.MethodGet, url, tok, nil)
		testenv.MustStatus(t, r, http.StatusOK)
		var p map[string]any
		r.JSON(t, &p)
		return p
	}
	first := read()
	first["phone"] = "+4522334455"
	saved := testenv.Do(t, http.MethodPut, url, tok, first)
	testenv.MustStatus(t, saved, http.StatusOK)
	if now := read(); now["phone"] != "+4522334455" || now["version"].(float64) != first["version"].(float64)+1 {
		t.Fatalf("after saving what was read: %v", now)
	}

	// The same read sent again is one version behind: refused, and nothing changes.
	first["phone"] = "+4599887766"
	stale := testenv.Do(t, http.MethodPut, url, tok, first)
	testenv.MustStatus(t, stale, http.StatusConflict)
	if !strings.Contains(string(stale.Body), "read it again") {
		t.Fatalf("the stale save: %s", stale.Body)
	}
	if now := read(); now["phone"] != "+4522334455" {
		t.Fatalf("a stale save changed the profile: %v", now)
	}

	// Read-only fields that are not the caller's own are refused by name.
	p := read()
	p["cpr"], p["birth_date"], p["municipality"] = "010190-XXXX", "1990-01-01", "101"
	bad := testenv.Do(t, http.MethodPut, url, tok, p)
	testenv.MustStatus(t, bad, http.StatusBadRequest)
	var problem struct {
		Errors []struct{ Field string }
	}
	if err := json.Unmarshal(bad.Body, &problem); err != nil || len(problem.Errors) != 3 {
		t.Fatalf("read-only fields changed: %s", bad.Body)
	}
}
