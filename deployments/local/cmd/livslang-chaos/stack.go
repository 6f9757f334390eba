package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/natsembed"
	"livslang.dk/pkg/pgcluster"
	"livslang.dk/pkg/stream"
)

var serviceNames = []string{"registration", "funding", "notification"}

// namespacedServices run each instance in a network namespace of its own when the network faults
// are on, so that cut_postgres can cut one off from Postgres. notification stays in the root
// namespace: the SMTP sink and the webhook receiver are on loopback, the only plain-http address
// webhooks may call.
var namespacedServices = []string{"registration", "funding"}

// natsReplicas is how many copies of each stream the three-node cluster keeps.
const natsReplicas = 3

// crashChance is LIVSLANG_CHAOS_CRASH: how likely an instance exits at once at each point where a
// crash is hardest to survive (between a commit and its publish, a commit and its ack, a send and
// its record). A few times a minute across the instances.
const crashChance = 0.003

// stack is everything the suite runs, each part a process it can kill (or, for Postgres, crash):
// a private PostgreSQL cluster, three NATS servers in a JetStream cluster, and every service as
// several instances; and in its own process the identity provider, the SMTP sink and the webhook
// receiver.
type stack struct {
	dir      string // temporary folder with the data
	logDir   string
	pg       *pgcluster.Cluster
	adminURL string // superuser on the livslang database
	db       *pgxpool.Pool

	nats     []*proc
	natsURLs []string
	// With the network faults (net not nil): each NATS server's monitoring URL and the root end of
	// its link, and the root end of each namespaced instance's link to Postgres.
	net          *network
	netSkipped   string // why there is no net
	natsMonitors []string
	natsLinks    []string
	pgLinks      map[*proc]string

	idp    *auth.DevIssuer
	idpURL string
	idpSrv *http.Server
	smtp   *smtpSink
	hooks  *hookSink

	services  map[string][]*proc
	instances map[string][]string // service → base URLs
	logs      []io.Closer
}

// startStack starts every part and returns once every service instance is ready.
func startStack(ctx context.Context, p params, say func(string, ...any)) (st *stack, err error) {
	dir, err := os.MkdirTemp("", "livslang-chaos-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the postgres OS user must reach it when we are root
		return nil, err
	}
	st = &stack{dir: dir, logDir: filepath.Join(p.Out, "logs"), services: map[string][]*proc{}, instances: map[string][]string{},
		pgLinks: map[*proc]string{}}
	defer func() {
		if err != nil {
			st.stop(p.Keep)
		}
	}()
	if err := os.MkdirAll(st.logDir, 0o755); err != nil {
		return st, err
	}

	st.netSkipped = "turned off (-netns=false)"
	if p.NetNS {
		st.net, st.netSkipped = setupNetwork(ctx)
	}
	// Commit timestamps let the checker see in which order transactions became visible.
	pgOpts := pgcluster.Options{Dir: filepath.Join(dir, "postgres"), Fsync: true, Settings: []string{"track_commit_timestamp=on"}}
	if st.net != nil {
		say("network namespaces on 10.231.%d.0/24: one per NATS server and per instance of %s", st.net.subnet, strings.Join(namespacedServices, " and "))
		// The namespaced instances reach Postgres on its bridge, with their passwords.
		pgOpts.Listen, pgOpts.HBA = []string{st.net.pgHostAddr()}, []string{"host all all " + st.net.pgNet() + " scram-sha-256"}
	}
	say("postgres")
	st.pg, err = pgcluster.Start(ctx, pgOpts)
	if err != nil {
		return st, fmt.Errorf("postgres: %w", err)
	}
	passwords := map[string]string{}
	for _, s := range serviceNames {
		passwords[s] = strings.NewReplacer("+", "", "/", "", "=", "").Replace(randomB64(18))
	}
	dbURLs, err := pgcluster.Bootstrap(ctx, st.pg.AdminURL("postgres"), "livslang", serviceNames, func(s string) string { return passwords[s] })
	if err != nil {
		return st, fmt.Errorf("bootstrap database: %w", err)
	}
	st.adminURL = st.pg.AdminURL("livslang")
	if st.db, err = pgxpool.New(ctx, st.adminURL+"&pool_max_conns=4"); err != nil {
		return st, err
	}

	say("three NATS servers (streams at %d replicas)", natsReplicas)
	if err := st.startNATS(ctx); err != nil {
		return st, err
	}

	say("identity provider, SMTP sink, webhook receiver")
	port, err := freePort()
	if err != nil {
		return st, err
	}
	host := "127.0.0.1" // the identity provider's, which the namespaced instances reach on the bridge
	if st.net != nil {
		host = st.net.hostAddr()
	}
	st.idpURL = fmt.Sprintf("http://%s:%d", host, port)
	if st.idp, err = auth.NewDevIssuer(st.idpURL); err != nil {
		return st, err
	}
	st.idpSrv = &http.Server{Addr: net.JoinHostPort(host, fmt.Sprint(port)), Handler: st.idp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	idpLn, err := net.Listen("tcp", st.idpSrv.Addr)
	if err != nil {
		return st, err
	}
	go func() { _ = st.idpSrv.Serve(idpLn) }()
	if st.smtp, err = startSMTPSink(); err != nil {
		return st, err
	}
	if st.hooks, err = startHookSink(); err != nil {
		return st, err
	}

	say("services: %d instances each of %s", p.Instances, strings.Join(serviceNames, ", "))
	common := []string{
		"LIVSLANG_NATS_URL=" + strings.Join(st.natsURLs, ","),
		fmt.Sprintf("LIVSLANG_NATS_REPLICAS=%d", natsReplicas),
		"LIVSLANG_ISSUER_URL=" + st.idpURL,
		"LIVSLANG_SMTP_ADDR=" + st.smtp.addr(),
		"LIVSLANG_REGISTRATION_PII_KEYS=1:" + randomB64(32),
		"LIVSLANG_FUNDING_PII_KEYS=1:" + randomB64(32),
		"LIVSLANG_NOTIFICATION_PII_KEYS=1:" + randomB64(32),
		"LIVSLANG_CPR_INDEX_KEY=" + randomB64(32),
		"LIVSLANG_REGISTRATION_SEED_DEMO=true",
		"LIVSLANG_FUNDING_SEED_DEMO=true",
		// Timed rules and leases short enough to finish within the run.
		fmt.Sprintf("LIVSLANG_CHAOS_CRASH=%g", crashChance),
		"LIVSLANG_REGISTRATION_TIMER_SECONDS=2",
		"LIVSLANG_REGISTRATION_RATE_PER_ADDRESS=100000",
		"LIVSLANG_REGISTRATION_RATE_PER_CITIZEN=50",
		"LIVSLANG_NOTIFICATION_SEND_LEASE=15s",
		"LIVSLANG_WEBHOOK_TIMEOUT=5s",
		"LIVSLANG_WEBHOOK_LEASE=15s",
		"LIVSLANG_WEBHOOK_RETRY_SCHEDULE=1s,2s,4s",
		"LIVSLANG_WEBHOOK_ALLOW_LOOPBACK=true", // the webhook receiver runs on this machine
		"LIVSLANG_SMS_QUIET_HOURS=off",
		"LIVSLANG_SMS_FILE=" + filepath.Join(dir, "notification", "sms.jsonl"),
		"LIVSLANG_DIGITAL_POST_DIR=" + st.digitalPostDir(),
	}
	for _, svc := range serviceNames {
		up := strings.ToUpper(svc)
		for i := range p.Instances {
			port, err := freePort()
			if err != nil {
				return st, err
			}
			name := fmt.Sprintf("%s-%d", svc, i+1)
			addr, dbURL := "127.0.0.1", dbURLs[svc]
			var part *netPart
			if st.net != nil && slices.Contains(namespacedServices, svc) {
				if part, err = st.net.add(ctx, name, true); err != nil {
					return st, err
				}
				addr = part.addr
				if dbURL, err = withHost(dbURL, st.net.pgHostAddr()); err != nil {
					return st, err
				}
			}
			base := fmt.Sprintf("http://%s:%d", addr, port)
			env := append([]string{
				fmt.Sprintf("LIVSLANG_%s_ADDR=%s:%d", up, addr, port),
				fmt.Sprintf("LIVSLANG_%s_DATABASE_URL=%s", up, dbURL),
				fmt.Sprintf("LIVSLANG_%s_DB_MAX_CONNS=10", up),
			}, common...)
			pr, err := st.newProc(name, filepath.Join(p.Bin, svc), nil, env, base+"/readyz", part)
			if err != nil {
				return st, err
			}
			if part != nil {
				st.pgLinks[pr] = part.pgLink
			}
			// One at a time: the first start migrates and seeds.
			if err := pr.start(ctx, 90*time.Second); err != nil {
				return st, fmt.Errorf("%w (log: %s)", err, filepath.Join(st.logDir, name+".log"))
			}
			st.services[svc] = append(st.services[svc], pr)
			st.instances[svc] = append(st.instances[svc], base)
		}
	}
	st.instances["idp"] = []string{st.idpURL}
	return st, nil
}

// newProc makes a process whose output goes to <out>/logs/<name>.log, in the part's network
// namespace unless part is nil.
func (st *stack) newProc(name, path string, args, env []string, ready string, part *netPart) (*proc, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %s not built (run make build): %w", name, path, err)
	}
	if part != nil {
		path, args = part.command(path, args)
	}
	log, err := openLog(filepath.Join(st.logDir, name+".log"))
	if err != nil {
		return nil, err
	}
	st.logs = append(st.logs, log)
	return newProc(name, path, args, childEnv(env), log, ready), nil
}

// childEnv is the suite's own environment without LIVSLANG_ variables (a developer's settings must
// not change the run), plus env.
func childEnv(env []string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIVSLANG_") {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// startNATS starts three servers routed to each other (this binary in its nats-node mode), waits for
// the cluster to elect a leader and creates the streams at three replicas.
func (st *stack) startNATS(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ports, err := freePorts(9)
	if err != nil {
		return err
	}
	peers := ports[3:6]
	// Each server in a namespace of its own when the network faults are on, else all on loopback.
	hosts, parts := []string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, make([]*netPart, 3)
	if st.net != nil {
		for i := range 3 {
			if parts[i], err = st.net.add(ctx, fmt.Sprintf("nats%d", i+1), false); err != nil {
				return err
			}
			hosts[i] = parts[i].addr
			st.natsLinks = append(st.natsLinks, parts[i].link)
		}
	}
	key := []string{natsStoreKeyEnv + "=" + randomB64(32)} // the streams encrypted at rest, as in production
	for i := range 3 {
		n := natsembed.Node{Name: fmt.Sprintf("nats-%d", i+1), Port: ports[i], ClusterPort: peers[i], Peers: peers,
			StoreDir: filepath.Join(st.dir, "nats", fmt.Sprint(i+1)), Host: hosts[i], PeerHosts: hosts, MonitorPort: ports[6+i], Log: true}
		arg, _ := json.Marshal(n)
		pr, err := st.newProc(n.Name, self, []string{natsNodeCommand, string(arg)}, key, "", parts[i])
		if err != nil {
			return err
		}
		if err := pr.start(ctx, 0); err != nil {
			return err
		}
		st.nats = append(st.nats, pr)
		st.natsURLs = append(st.natsURLs, fmt.Sprintf("nats://%s:%d", hosts[i], ports[i]))
		st.natsMonitors = append(st.natsMonitors, fmt.Sprintf("http://%s:%d", hosts[i], ports[6+i]))
	}
	return st.waitJetStream(ctx, time.Minute, true)
}

// connectNATS connects to the cluster (any server).
func (st *stack) connectNATS() (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(strings.Join(st.natsURLs, ","), nats.Name("livslang-chaos"), nats.MaxReconnects(-1),
		nats.ReconnectWait(200*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		return nil, nil, fmt.Errorf("connect nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// waitJetStream waits until the cluster answers for every stream (creating them when create is
// set), which needs a meta leader and a leader per stream.
func (st *stack) waitJetStream(ctx context.Context, timeout time.Duration, create bool) error {
	nc, js, err := st.connectNATS()
	if err != nil {
		return err
	}
	defer nc.Close()
	deadline := time.Now().Add(timeout)
	for {
		err := func() error {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if create {
				return stream.EnsureStreams(cctx, js, stream.WithReplicas(natsReplicas))
			}
			for _, name := range []string{"REGISTRATION", "FUNDING", "NOTIFICATION"} {
				s, err := js.Stream(cctx, name)
				if err != nil {
					return err
				}
				if info, err := s.Info(cctx); err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
					return fmt.Errorf("stream %s has no leader yet", name)
				}
			}
			return nil
		}()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jetstream not available after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// all is every service instance.
func (st *stack) all() []*proc {
	var out []*proc
	for _, s := range serviceNames {
		out = append(out, st.services[s]...)
	}
	return out
}

// heal starts whatever is down and waits until every part is back: Postgres, NATS, and every
// instance (restarted with its crash points off).
func (st *stack) heal(ctx context.Context) error {
	if st.net != nil {
		if err := st.net.healAll(ctx); err != nil {
			return err
		}
	}
	if err := st.pgUp(ctx); err != nil {
		return err
	}
	for _, n := range st.nats {
		if !n.running() {
			if err := n.start(ctx, 0); err != nil {
				return err
			}
		}
	}
	if err := st.waitJetStream(ctx, 2*time.Minute, false); err != nil {
		return err
	}
	// Every instance again, without crash points: nothing may crash while the system settles.
	var errs []error
	for _, pr := range st.all() {
		pr.setEnv("LIVSLANG_CHAOS_CRASH", "0")
		pr.stop(shutdownBound)
		errs = append(errs, pr.start(ctx, 2*time.Minute))
	}
	st.smtp.setMode(sinkOK)
	st.hooks.setMode(sinkOK)
	return errors.Join(errs...)
}

// pgUp starts Postgres if it is not accepting connections.
func (st *stack) pgUp(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if st.db.Ping(cctx) == nil {
		return nil
	}
	return st.pg.Restart(ctx)
}

// stop stops the services (SIGTERM), the NATS servers and Postgres, and removes the data unless keep.
func (st *stack) stop(keep bool) {
	for _, pr := range st.all() {
		pr.stop(30 * time.Second)
	}
	for _, n := range st.nats {
		n.stop(10 * time.Second)
	}
	if st.idpSrv != nil {
		st.idpSrv.Close()
	}
	if st.smtp != nil {
		st.smtp.close()
	}
	if st.hooks != nil {
		st.hooks.close()
	}
	if st.db != nil {
		st.db.Close()
	}
	if st.pg != nil {
		_ = st.pg.Stop()
	}
	if st.net != nil {
		st.net.teardown()
	}
	for _, l := range st.logs {
		l.Close()
	}
	if !keep {
		os.RemoveAll(st.dir)
	}
}

// withHost is the database URL u with its host replaced (the port kept).
func withHost(u, host string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("database url: %w", err)
	}
	parsed.Host = net.JoinHostPort(host, parsed.Port())
	return parsed.String(), nil
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func freePort() (int, error) {
	ports, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// digitalPostDir is where notification's development Digital Post provider writes its letters, one
// <message id>.xml each.
func (st *stack) digitalPostDir() string {
	return filepath.Join(st.dir, "notification", "digital-post")
}
