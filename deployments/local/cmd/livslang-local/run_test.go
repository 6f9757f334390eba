package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the launcher's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freePorts returns n distinct free ports: each listener stays open until all are picked, so the
// kernel cannot hand out one port twice.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// binaries returns a folder with the services and Mailpit built: LIVSLANG_BIN_DIR when make test sets
// it, else a fresh build.
func binaries(t *testing.T) string {
	if dir := os.Getenv("LIVSLANG_BIN_DIR"); dir != "" {
		return dir
	}
	dir := t.TempDir()
	for _, pkg := range []string{"livslang.dk/services/registration/cmd/registration", "livslang.dk/services/funding/cmd/funding",
		"livslang.dk/services/notification/cmd/notification", "livslang.dk/services/portal/cmd/portal", "github.com/axllent/mailpit"} {
		out, err := exec.Command("go", "build", "-o", dir, pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return dir
}

// TestLocalStack starts the whole stack as `make run` does, checks the demo data and the ready table,
// stops it, and starts it again on the same data: nothing is seeded twice.
func TestLocalStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	bin := binaries(t)
	data, err := os.MkdirTemp("", "livslang-local-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	if err := os.Chmod(data, 0o755); err != nil { // the postgres OS user must reach it
		t.Fatal(err)
	}
	vars := map[string]string{"LIVSLANG_DATA_DIR": filepath.Join(data, "d"), "LIVSLANG_BIN_DIR": bin}
	names := []string{"PG", "NATS", "PORTAL", "REGISTRATION", "FUNDING", "NOTIFICATION", "IDP", "MAILPIT", "SMTP"}
	for i, port := range freePorts(t, len(names)) {
		vars["LIVSLANG_"+names[i]+"_PORT"] = fmt.Sprint(port)
	}
	getenv := func(k string) string { return vars[k] }
	reg := "http://127.0.0.1:" + vars["LIVSLANG_REGISTRATION_PORT"]

	startStack := func() (stop func() string, out *syncBuffer) {
		ctx, cancel := context.WithCancel(context.Background())
		out = &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- run(ctx, getenv, out) }()
		deadline := time.Now().Add(2 * time.Minute)
		for !strings.Contains(out.String(), "\nready in ") {
			select {
			case err := <-done:
				t.Fatalf("launcher stopped: %v\n%s", err, out)
			default:
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("not ready after 2 minutes:\n%s", out)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return func() string {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("launcher: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Errorf("launcher did not stop within 60 s")
			}
			return out.String()
		}, out
	}

	stop, out := startStack()
	for _, want := range []string{"portal (web)", "registration API", "identity provider", "Mailpit", "NATS JetStream", "PostgreSQL", "curl -s -X POST", "6 new profiles seeded",
		"notification/sms.jsonl", "notification/digital-post"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ready table lacks %q:\n%s", want, out)
		}
	}
	var page struct{ Items []json.RawMessage }
	resp, err := http.Get(reg + "/v1/courses?limit=500")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Items) < 30 {
		t.Fatalf("%d demo course runs, want at least 30", len(page.Items))
	}
	for _, p := range []string{"PORTAL", "REGISTRATION", "FUNDING", "NOTIFICATION"} {
		resp, err := http.Get("http://127.0.0.1:" + vars["LIVSLANG_"+p+"_PORT"] + "/metrics")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s /metrics: %v", p, err)
		}
		resp.Body.Close()
	}
	portalLists(t, vars)
	journeyThroughMailpit(t, vars)
	logs := stop()
	if !strings.Contains(logs, "postgres stopped") {
		t.Fatalf("postgres was not stopped:\n%s", logs)
	}
	noCPRInServiceLogs(t, logs)

	// A second start keeps the data and seeds nothing again.
	stop, out = startStack()
	if !strings.Contains(out.String(), "0 new profiles seeded") || !strings.Contains(out.String(), `"new_course_runs":0`) {
		t.Errorf("second start seeded again:\n%s", out)
	}
	stop()
}

func post(t *testing.T, url, token, body string, header ...string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, req)
}

func get(t *testing.T, url, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v", req.Method, req.URL, resp.StatusCode, out)
	}
	return out
}

// journeyThroughMailpit enrols the seeded demo citizen Mette as the README shows and finds her
// confirmation in Mailpit.
func journeyThroughMailpit(t *testing.T, vars map[string]string) {
	port := func(name string) string { return "http://127.0.0.1:" + vars["LIVSLANG_"+name+"_PORT"] }
	users, err := demoUsers()
	if err != nil {
		t.Fatal(err)
	}
	mette := users[0]
	tok := post(t, port("IDP")+"/token", "", fmt.Sprintf(`{"role":"citizen","sub":%q,"cpr":%q}`, mette.Sub, mette.CPR))["access_token"].(string)
	courses := get(t, port("REGISTRATION")+"/v1/courses?q=gaffeltruck", "")["items"].([]any)
	course := courses[0].(map[string]any)["id"].(string)
	enrolment := post(t, port("REGISTRATION")+"/v1/enrolments", tok, fmt.Sprintf(`{"course_id":%q,"funding_preference":"veu"}`, course),
		"Idempotency-Key", "readme-1")
	id := enrolment["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	var hr demoUser
	for _, u := range users {
		if u.CVR == "41657006" {
			hr = u // Mette's employer, a demo company
		}
	}
	hrTok := post(t, port("IDP")+"/token", "", fmt.Sprintf(`{"role":"employer","sub":%q,"cvr":%q,"name":%q}`, hr.Sub, hr.CVR, hr.Name))["access_token"].(string)
	approved := false
	for e := get(t, port("REGISTRATION")+"/v1/enrolments/"+id, tok); e["status"] != "confirmed"; e = get(t, port("REGISTRATION")+"/v1/enrolments/"+id, tok) {
		// The plan has her employer pay and decide on her salary: the company approves, as its user would.
		if f, _ := e["funding"].(map[string]any); !approved && f["outcome"] == "employer_required" {
			part := f["employer"].(map[string]any)
			post(t, port("FUNDING")+"/v1/employers/41657006/commitments/"+part["commitment_id"].(string)+"/approve", hrTok,
				`{"pays_fee": true, "salary_continues": true}`)
			approved = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("enrolment not confirmed: %v", get(t, port("REGISTRATION")+"/v1/enrolments/"+id, tok))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		found := get(t, port("MAILPIT")+"/api/v1/search?query="+mette.emailAddress(t), "")
		if n, _ := found["messages_count"].(float64); n >= 1 {
			subject := found["messages"].([]any)[0].(map[string]any)["Subject"].(string)
			if !strings.Contains(subject, "Gaffeltruck") {
				t.Fatalf("mail subject %q", subject)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail for Mette in Mailpit: %v", found)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// emailAddress is the demo citizen's e-mail from their profile.
func (u demoUser) emailAddress(t *testing.T) string {
	var p struct{ Email string }
	if err := json.Unmarshal(u.Profile, &p); err != nil {
		t.Fatal(err)
	}
	return p.Email
}

// portalLists checks that the portal answers with the demo catalogue and that its sign-in offers the
// demo users on the identity provider's page.
func portalLists(t *testing.T, vars map[string]string) {
	base := "http://127.0.0.1:" + vars["LIVSLANG_PORTAL_PORT"]
	resp, err := http.Get(base + "/courses?q=gaffeltruck")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(page.String(), "Gaffeltruckcertifikat") {
		t.Fatalf("portal search: %d\n%s", resp.StatusCode, page.String())
	}
	resp, err = http.Get(base + "/login") // follows the redirect to the identity provider's page
	if err != nil {
		t.Fatal(err)
	}
	page.Reset()
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(page.String(), "citizen-mette") || !strings.Contains(page.String(), "caseworker-herning") {
		t.Fatalf("sign-in page: %d\n%s", resp.StatusCode, page.String())
	}
}

// noCPRInServiceLogs checks that no line the services and the portal wrote holds a demo citizen's CPR
// number (the launcher's own table shows one on purpose: it is how to get a demo token).
func noCPRInServiceLogs(t *testing.T, logs string) {
	users, err := demoUsers()
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, line := range strings.Split(logs, "\n") {
		name, _, ok := strings.Cut(line, "|")
		if !ok || !slices.Contains([]string{"registration", "funding", "notification", "portal"}, strings.TrimSpace(name)) {
			continue
		}
		lines++
		for _, u := range users {
			if u.CPR != "" && (strings.Contains(line, u.CPR) || strings.Contains(line, u.CPR[:6]+"-"+u.CPR[6:])) {
				t.Errorf("%s's CPR number in a log line: %.120s", u.Key, line)
			}
		}
	}
	if lines == 0 {
		t.Error("no service log lines captured")
	}
}
