package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

// CPR numbers must never leave the services in a log line, a metric, a URL or an event (subject or
// data). Every test that starts the services with start guards them: the guard reads every log line
// of every service after they stopped, scrapes each service's /metrics before they stop, reads every
// event on every stream, and every URL the tests requested.

// requested is every URL the tests called the services with (through http.DefaultClient, as
// testenv.Do does): an API that took a CPR number in its path or query would show here.
var requested struct {
	sync.Mutex
	urls []string
}

type recordingTransport struct{ next http.RoundTripper }

func (rt recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	requested.Lock()
	requested.urls = append(requested.urls, r.URL.String())
	requested.Unlock()
	return rt.next.RoundTrip(r)
}

func init() { http.DefaultClient.Transport = recordingTransport{next: http.DefaultTransport} }

// usedCPRs is every CPR number the tests of this package use: each valid one among the ten-digit
// string literals of its source files, so a new test's numbers are guarded without a list to keep.
func usedCPRs(t *testing.T) []cpr.Number {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`"(\d{10})"`)
	seen := map[string]bool{}
	var out []cpr.Number
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			if n, err := cpr.Parse(m[1]); err == nil && !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, n)
			}
		}
	}
	if len(out) < 3 {
		t.Fatalf("found only %d CPR numbers in the tests' source", len(out))
	}
	return out
}

// dashedCPR is any DDMMYY-SSSS that is a valid CPR number, used or not.
var dashedCPR = regexp.MustCompile(`\b\d{6}-\d{4}\b`)

// leaks names the CPR numbers found in text: the used ones in either form, and any valid dashed one.
func leaks(text string, used []cpr.Number) []string {
	var found []string
	for _, n := range used {
		if strings.Contains(text, n.Digits()) {
			found = append(found, n.Masked()+" as ten digits")
		}
		if strings.Contains(text, n.Digits()[:6]+"-"+n.Digits()[6:]) {
			found = append(found, n.Masked()+" as DDMMYY-SSSS")
		}
	}
	for _, m := range dashedCPR.FindAllString(text, -1) {
		if n, err := cpr.Parse(m); err == nil {
			found = append(found, n.Masked()+" (a CPR number, dashed)")
		}
	}
	return found
}

// guardCPR checks, when the test ends, that no CPR number appears in what env's services logged,
// published, were asked for or export as metrics. Call it after testenv.New and before starting the
// services (the log check must run after they stopped), then watch each service's base URL.
func guardCPR(t *testing.T, env *testenv.Env) (watch func(bases ...string)) {
	t.Helper()
	used := usedCPRs(t)
	report := func(where string, text string) {
		if found := leaks(text, used); len(found) > 0 {
			t.Errorf("CPR number in %s: %v", where, found)
		}
	}
	t.Cleanup(func() { // runs after the services stopped: their last lines are in
		lines := 0
		for _, l := range env.Logs() {
			sc := bufio.NewScanner(strings.NewReader(l.Text()))
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for n := 1; sc.Scan(); n++ {
				lines++
				report(l.Name+" log line "+strconv.Itoa(n), sc.Text())
			}
		}
		if lines == 0 {
			t.Error("no log lines captured")
		}
		requested.Lock()
		defer requested.Unlock()
		for _, u := range requested.urls {
			report("a requested URL", u)
		}
		t.Logf("no CPR number (%d used) in %d log lines, %d requested URLs, the events or the metrics", len(used), lines, len(requested.urls))
	})
	t.Cleanup(func() { // after the services stopped, NATS still runs
		for _, stream := range []string{events.StreamRegistration, events.StreamFunding, events.StreamNotification} {
			for _, e := range env.Events(t, stream, "livslang.>") {
				report("the subject of a "+e.Type+" event", e.NATSSubject+" "+e.Subject)
				report("the data of a "+e.Type+" event", string(e.Data))
			}
		}
	})
	return func(bases ...string) {
		t.Cleanup(func() { // registered after the services started, so it runs while they still run
			for _, base := range bases {
				resp, err := http.Get(base + "/metrics")
				if err != nil {
					t.Errorf("metrics of %s: %v", base, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				report(base+"/metrics", string(body))
			}
		})
	}
}
