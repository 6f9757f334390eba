package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	funding "livslang.dk/services/funding/service"
	notification "livslang.dk/services/notification/service"
	registration "livslang.dk/services/registration/service"
)

// collector is a fake OpenTelemetry collector receiving OTLP/HTTP protobuf spans.
type collector struct {
	URL   string
	mu    sync.Mutex
	spans []span
}

type span struct {
	Service, Name, TraceID string
	Kind                   int32
}

func startCollector(t *testing.T) *collector {
	c := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			service := ""
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					c.spans = append(c.spans, span{Service: service, Name: s.Name, TraceID: hex.EncodeToString(s.TraceId), Kind: int32(s.Kind)})
				}
			}
		}
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// trace returns "service: span name" for every span of the trace, sorted.
func (c *collector) trace(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.spans {
		if s.TraceID == id {
			out = append(out, s.Service+": "+s.Name)
		}
	}
	sort.Strings(out)
	return out
}

// deployment is registration, funding and notification, each running instances times, sharing one
// database and one NATS (a single server or a cluster).
type deployment struct {
	env                     *testenv.Env
	smtp                    *smtptest.Server
	reg, fund, notification []string
	next                    int
	mu                      sync.Mutex
}

// startDeployment starts each service instances times; instance i connects to natsURLs[i % len].
func startDeployment(t *testing.T, instances int, natsURLs []string, extra map[string]string) *deployment {
	env := testenv.New(t, "registration", "funding", "notification")
	if natsURLs == nil {
		natsURLs = []string{env.NATSURL}
	} else {
		env.NATSURL = strings.Join(natsURLs, ",")
	}
	d := &deployment{env: env, smtp: smtptest.Start(t)}
	index := key()
	with := func(vars map[string]string, i int) map[string]string {
		vars["LIVSLANG_NATS_URL"] = natsURLs[i%len(natsURLs)]
		for k, v := range extra {
			vars[k] = v
		}
		return vars
	}
	sealing := "1:" + key()
	for i := range instances {
		d.reg = append(d.reg, env.Start(t, "registration", registration.Run, with(map[string]string{
			"LIVSLANG_REGISTRATION_PII_KEYS": sealing, "LIVSLANG_CPR_INDEX_KEY": index,
			"LIVSLANG_REGISTRATION_SEED_DEMO": "true",
		}, i)))
		d.fund = append(d.fund, env.Start(t, "funding", funding.Run, with(map[string]string{
			"LIVSLANG_CPR_INDEX_KEY": index, "LIVSLANG_FUNDING_SEED_DEMO": "true"}, i)))
		d.notification = append(d.notification, env.Start(t, "notification", notification.Run, with(map[string]string{
			"LIVSLANG_SMTP_ADDR": d.smtp.Addr}, i)))
	}
	return d
}

// regURL picks the registration instances in turn, as a load balancer would.
func (d *deployment) regURL() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next++
	return d.reg[d.next%len(d.reg)]
}

func (d *deployment) system() system {
	return system{env: d.env, smtp: d.smtp, reg: d.regURL(), fund: d.fund[0], notification: d.notification[0]}
}

// outcome is what a journey leaves behind, comparable between deployments.
type outcome struct {
	Enrolments map[string]string // citizen/course → status, funding and history
	Mails      map[string]string // recipient → sorted subjects
	Events     map[string]int    // event type → count
	Handled    map[string]float64
}

// cprFor makes a valid CPR number (born 1 January 1980) for the n-th test citizen.
func cprFor(n int) string { return fmt.Sprintf("01018%05d", 1000+n)[:10] }

// journey enrols citizens through the registration instances in turn: a dozen at once on the
// forklift course with different funding wishes, then four on the two-seat welding run, one of whom
// cancels so the first on the waiting list is offered the seat and takes it.
func journey(t *testing.T, d *deployment, traceparent string) outcome {
	type who struct {
		name, pref, course string
		c                  citizen
		id                 string
	}
	truck, _ := d.system().course(t, "gaffeltruck")
	weld, _ := d.system().course(t, "svejsning")
	prefs := []string{"self", "veu", "svu"} // the first, sent with a traceparent, is decided at once
	var people []*who
	for i := range 12 {
		name := fmt.Sprintf("truck-%02d", i)
		people = append(people, &who{name: name, pref: prefs[i%3], course: truck,
			c: d.system().citizen(t, cprFor(i), "Borger "+name, name+"@example.dk", []string{"da", "en"}[i%2])})
	}
	var wg sync.WaitGroup
	for i, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := d.system()
			if i == 0 && traceparent != "" {
				r := testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments", p.c.token,
					map[string]string{"course_id": p.course, "funding_preference": p.pref},
					"Idempotency-Key", uuid.NewString(), "traceparent", traceparent)
				testenv.MustStatus(t, r, http.StatusAccepted)
				var e enrolment
				r.JSON(t, &e)
				p.id = e.ID
				return
			}
			p.id = s.enrol(t, p.c, p.course, p.pref).ID
		}()
	}
	wg.Wait()
	var welders []*who
	for i := range 4 {
		name := fmt.Sprintf("weld-%d", i)
		w := &who{name: name, pref: "self", course: weld,
			c: d.system().citizen(t, cprFor(20+i), "Svejser "+name, name+"@example.dk", "da")}
		w.id = d.system().enrol(t, w.c, weld, "self").ID
		welders = append(welders, w)
		people = append(people, w)
	}
	d.system().waitStatus(t, welders[0].c, welders[0].id, "confirmed")
	d.system().waitStatus(t, welders[1].c, welders[1].id, "confirmed")
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, d.regURL()+"/v1/enrolments/"+welders[0].id+"/cancel",
		welders[0].c.token, `{"reason":"ny vagtplan"}`), http.StatusOK)
	d.system().waitStatus(t, welders[2].c, welders[2].id, "offered")
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, d.regURL()+"/v1/enrolments/"+welders[2].id+"/offer/accept",
		welders[2].c.token, nil), http.StatusOK)
	d.system().waitStatus(t, welders[2].c, welders[2].id, "confirmed")

	final := map[string]bool{"confirmed": true, "rejected": true, "cancelled": true, "waitlisted": true}
	out := outcome{Enrolments: map[string]string{}, Mails: map[string]string{}, Events: map[string]int{}, Handled: map[string]float64{}}
	for _, p := range people {
		var e enrolment
		testenv.Eventually(t, 30*time.Second, p.name+"'s enrolment settles", func() bool {
			e = d.system().get(t, p.c, p.id)
			if e.Status == "pending" && e.Funding.Outcome == "employer_required" {
				d.system().employerApproves(t, e) // the employer agrees, on whichever instance
			}
			return final[e.Status]
		})
		var hist []string
		for _, h := range e.History {
			hist = append(hist, h.Status+"/"+h.Cause)
		}
		out.Enrolments[p.name] = fmt.Sprintf("%s %s/%s %v", e.Status, e.Funding.Outcome, e.Funding.Scheme, hist)
	}
	// Every citizen gets exactly the mails their journey calls for; wait until no more arrive.
	testenv.Eventually(t, 30*time.Second, "every citizen has mail", func() bool {
		to := map[string]bool{}
		for _, m := range d.smtp.Messages() {
			to[m.To[0]] = true
		}
		return len(to) == len(people)
	})
	for n := -1; n != len(d.smtp.Messages()); {
		n = len(d.smtp.Messages())
		time.Sleep(2 * time.Second)
	}
	byRecipient := map[string][]string{}
	for _, m := range d.smtp.Messages() {
		byRecipient[m.To[0]] = append(byRecipient[m.To[0]], m.Subject)
	}
	for to, subjects := range byRecipient {
		sort.Strings(subjects)
		out.Mails[to] = strings.Join(subjects, " | ")
	}
	// No event is published twice: ids are unique on every stream.
	for name, subject := range events.StreamSubjects {
		seen := map[string]bool{}
		for _, e := range d.env.Events(t, name, subject) {
			if seen[e.ID] {
				t.Errorf("event %s (%s) is on %s twice", e.ID, e.Type, name)
			}
			seen[e.ID] = true
			out.Events[e.Type]++
		}
	}
	// What the consumers handled, summed over the instances sharing each durable consumer.
	for _, base := range slices.Concat(d.reg, d.fund, d.notification) {
		for series, v := range scrape(t, base) {
			if strings.HasPrefix(series, "livslang_consumer_deliveries_total{") && strings.Contains(series, `outcome="ok"`) {
				out.Handled[consumerLabel(series)] += v
			}
			if strings.HasPrefix(series, "livslang_consumer_deliveries_total{") && strings.Contains(series, `outcome="parked"`) && v > 0 {
				t.Errorf("%s parked messages: %s = %v", base, series, v)
			}
		}
	}
	return out
}

var consumerRe = regexp.MustCompile(`consumer="([^"]+)"`)

func consumerLabel(series string) string {
	if m := consumerRe.FindStringSubmatch(series); m != nil {
		return m[1]
	}
	return ""
}

// scrape reads an instance's /metrics as series → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// Two instances of every service on a three-node JetStream cluster (streams replicated three times)
// give the same results as one instance of each on a single server: the same enrolment outcomes,
// the same mails, the same events, each handled once. The trace of one enrolment runs through all
// three services, and the dashboards and alerts use only metrics the services expose.
func TestScaleOutGivesTheSameResults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the system twice")
	}
	t.Parallel()
	start := time.Now()
	one := startDeployment(t, 1, nil, nil)
	single := journey(t, one, "")
	t.Logf("one instance each, one NATS server: %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	servers, urls := testenv.NATSCluster(t, 3)
	otel := startCollector(t)
	two := startDeployment(t, 2, urls, map[string]string{
		"LIVSLANG_NATS_REPLICAS":      "3",
		"OTEL_EXPORTER_OTLP_ENDPOINT": otel.URL,
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
	})
	traceID := make([]byte, 16)
	spanID := make([]byte, 8)
	_, _ = rand.Read(traceID)
	_, _ = rand.Read(spanID)
	tid := hex.EncodeToString(traceID)
	scaled := journey(t, two, "00-"+tid+"-"+hex.EncodeToString(spanID)+"-01")
	t.Logf("two instances each, three NATS servers: %s", time.Since(start).Round(time.Millisecond))

	for _, c := range []struct {
		what      string
		one, many any
	}{
		{"enrolments", single.Enrolments, scaled.Enrolments},
		{"mails", single.Mails, scaled.Mails},
		{"events", single.Events, scaled.Events},
		{"events handled per consumer", single.Handled, scaled.Handled},
	} {
		if fmt.Sprint(c.one) != fmt.Sprint(c.many) {
			t.Errorf("%s differ:\none instance: %v\ntwo instances: %v", c.what, c.one, c.many)
		}
	}
	if len(single.Enrolments) != 16 || len(single.Mails) != 16 || single.Events[events.TypeEnrolmentRequested] < 15 {
		t.Errorf("journey too small to compare: %+v", single)
	}
	t.Logf("outcome: %+v", scaled)

	// Every stream is replicated on the three servers.
	js := testenv.JetStream(t, strings.Join(urls, ","))
	for name := range events.StreamSubjects {
		st, err := js.Stream(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Errorf("stream %s: %d replicas, cluster %+v", name, info.Config.Replicas, info.Cluster)
		}
	}

	// The enrolment sent with a traceparent is one trace from the HTTP request through the outbox and
	// NATS into funding, back into registration and on to notification.
	want := []string{
		"livslang-registration: POST /v1/enrolments",
		"livslang-registration: send " + events.SubjectEnrolmentRequested,
		"livslang-funding: process " + events.SubjectEnrolmentRequested,
		"livslang-registration: process " + events.SubjectFundingApproved,
		"livslang-notification: process " + events.SubjectEnrolmentConfirmed,
	}
	testenv.Eventually(t, 20*time.Second, "the enrolment's trace reaches every service", func() bool {
		got := strings.Join(otel.trace(tid), "\n")
		for _, w := range want {
			if !strings.Contains(got, w) {
				return false
			}
		}
		return true
	})
	t.Logf("trace %s:\n  %s", tid, strings.Join(otel.trace(tid), "\n  "))

	// One NATS server goes away: the other two keep quorum and the system goes on.
	servers[2].Shutdown()
	s := two.system()
	late := s.citizen(t, cprFor(40), "Sen Borger", "late@example.dk", "da")
	truck, _ := s.course(t, "gaffeltruck")
	e := s.enrol(t, late, truck, "veu")
	testenv.Eventually(t, 60*time.Second, "an enrolment with one NATS server down is confirmed and mailed", func() bool {
		got := two.system().get(t, late, e.ID)
		if got.Status == "pending" && got.Funding.Outcome == "employer_required" {
			two.system().employerApproves(t, got)
		}
		return got.Status == "confirmed" && slices.ContainsFunc(two.mailsTo("late@example.dk"),
			func(m smtptest.Message) bool { return strings.HasPrefix(m.Subject, "Du har fået plads") })
	})

	checkDashboardMetrics(t, slices.Concat(two.reg, two.fund, two.notification))
}

func (d *deployment) mailsTo(addr string) []smtptest.Message {
	return system{smtp: d.smtp}.mailsTo(addr)
}

// checkDashboardMetrics fails unless every livslang_ metric the Grafana dashboard and the Prometheus
// rules in deployments/observability name is exposed by a running service.
func checkDashboardMetrics(t *testing.T, bases []string) {
	t.Helper()
	exposed := map[string]bool{}
	for _, base := range bases {
		for series := range scrape(t, base) {
			name, _, _ := strings.Cut(series, "{")
			exposed[name] = true
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				exposed[strings.TrimSuffix(name, suffix)] = true
			}
		}
	}
	files, err := filepath.Glob("../../observability/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in deployments/observability: %v", err)
	}
	names := regexp.MustCompile(`livslang_[a-z0-9_]+`)
	used := map[string]bool{}
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".yaml") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names.FindAllString(string(raw), -1) {
			used[n] = true
			if !exposed[n] {
				t.Errorf("%s uses %s, which no service exposes", filepath.Base(f), n)
			}
		}
	}
	if len(used) < 10 {
		t.Errorf("the observability files name only %d livslang metrics", len(used))
	}
}
