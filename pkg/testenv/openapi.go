package testenv

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"livslang.dk/pkg/openapicheck"
)

// The OpenAPI document every exchange Do makes is checked against (docs/openapi.yaml at the root of
// the repository, found from the test's directory), loaded and compiled once per test binary.
var openAPI = sync.OnceValues(func() (*openapicheck.Document, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	path, err := openapicheck.FindModuleFile(wd, "docs/openapi.yaml")
	if err != nil {
		return nil, err
	}
	return openapicheck.Load(path)
})

// notAPI are the paths Do may call that are not part of the APIs the document describes.
var notAPI = []string{}

// undocumentedAnswers are the statuses with which a service answers a route it does not have: a test
// that sends a request to a path or method the document lacks must get one of them (it is probing
// the service's answer to an unknown route), or the endpoint is undocumented.
var undocumentedAnswers = []int{http.StatusNotFound, http.StatusMethodNotAllowed}

// checkedModules are the modules (directories under services/, by the test binary's working directory)
// whose tests Do checks against the document. checkedElsewhere says whether tests outside services/
// (pkg, deployments/local's e2e) are checked: not yet, until their
// exchanges are brought in line with the document (LIVSLANG_TEST_OPENAPI=all checks them all).
var checkedModules = []string{"funding", "notification", "registration", "portal"}

const checkedElsewhere = false

// CheckOpenAPI is whether Do checks its exchanges against the document in this test binary.
var CheckOpenAPI = checkedHere()

func checkedHere() bool {
	if os.Getenv("LIVSLANG_TEST_OPENAPI") == "all" { // to bring a module's API in line with the document
		return true
	}
	wd, err := os.Getwd()
	if err != nil {
		return true
	}
	parts := strings.Split(filepath.ToSlash(wd), "/")
	for i := len(parts) - 2; i >= 0; i-- {
		if parts[i] == "services" {
			return slices.Contains(checkedModules, parts[i+1])
		}
	}
	return checkedElsewhere
}

// reported keeps each test's mismatches already reported, so a loop of a thousand requests reports
// its mismatch once.
var reported sync.Map // test name + message → struct{}

// checkOpenAPI fails the test when the exchange does not match the document.
func checkOpenAPI(t testing.TB, x openapicheck.Exchange) {
	t.Helper()
	if !CheckOpenAPI {
		return
	}
	u, err := url.Parse(x.URL)
	if err != nil || slices.Contains(notAPI, u.Path) {
		return
	}
	doc, err := openAPI()
	if err != nil {
		t.Errorf("testenv: OpenAPI document: %v", err)
		return
	}
	err = doc.Check(x)
	if err == nil {
		return
	}
	if errors.Is(err, openapicheck.ErrUndocumented) && slices.Contains(undocumentedAnswers, x.Status) {
		return
	}
	msg := err.Error()
	key, _, _ := strings.Cut(msg, "\nbody:")
	if _, seen := reported.LoadOrStore(t.Name()+"\x00"+key, struct{}{}); seen {
		return
	}
	t.Errorf("docs/openapi.yaml: %s", msg)
}
