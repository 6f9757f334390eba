// Package e2e drives the portal end to end: registration, funding and notification run in-process on
// a real Postgres and JetStream (pkg/testenv), the development identity provider signs users in, and
// the portal is used over HTTP (http_test.go) and in headless Chromium (browser_test.go).
package e2e

import (
	"os"
	"testing"

	"livslang.dk/pkg/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
