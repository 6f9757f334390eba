// Package e2e drives the portal end to end: registration, funding and notification run in-process on
// a real Postgres and JetStream (pkg/testenv), the development identity provider signs users in, and
// the portal is used over HTTP (http_test.go) and in headless Chromium (browser_test.go).
package e2e

import (
	"os"
	"testing"

	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/testenv"
)

// TestMain also checks the portal's calls to the APIs against docs/openapi.yaml, as Do checks the
// test's own, so the portal's client types cannot drift from the document.
func TestMain(m *testing.M) {
	testenv.CheckClients()
	os.Exit(pgtest.Main(m))
}
