package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"livslang.dk/pkg/events"
	"livslang.dk/pkg/service"
)

// The faults the nemesis injects, one at a time (the sinks' faults run beside them).
var processFaults = []string{
	"kill-registration", "kill-funding", "kill-notification", // kill -9 one instance (sometimes every one), restart
	"nats-node-kill",   // kill -9 one NATS server; it restarts and rejoins
	"nats-leader-move", // a stream's and a consumer's leader steps down
	"nats-restart",     // kill -9 every NATS server, start them again
	"pg-crash",         // pg_ctl stop -m immediate, start again
	"pg-cut",           // pg_terminate_backend on every service connection
	"pg-slow",          // hot tables locked for three seconds
	"poison",           // valid envelopes with data no consumer can read
	"unknown-version",  // events of a version no consumer knows
	"rolling-restart",  // SIGTERM each instance in turn, start it again
}

var sinkFaults = []string{"smtp-slow", "smtp-fail", "smtp-drop", "webhook-slow", "webhook-fail"}

// crashFaults are the crashes the instances make themselves (LIVSLANG_CHAOS_CRASH), by exit code
// (pkg/service Crash*); they come at random, so a short run may lack one.
var crashFaults = map[int]string{
	service.CrashBeforePublish: "crash-before-publish",
	service.CrashBeforeAck:     "crash-before-ack",
	service.CrashBeforeRecord:  "crash-before-record",
}

// poisonMsg is a message the nemesis published that every named consumer must park with a reason.
type poisonMsg struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"` // poison or unknown-version
	Subject   string   `json:"subject"`
	Type      string   `json:"type"`
	Consumers []string `json:"consumers"`
}

// shutdown is one graceful stop in a rolling restart.
type shutdown struct {
	Instance string  `json:"instance"`
	TookS    float64 `json:"took_s"`
	Graceful bool    `json:"graceful"` // exited by itself within the bound
}

// shutdownBound is how long a service may take to exit after SIGTERM.
const shutdownBound = 25 * time.Second

type nemesis struct {
	st  *stack
	h   *history
	say func(string, ...any)

	mu        sync.Mutex
	rng       *rand.Rand // the process faults' choices
	sinkRNG   *rand.Rand // the sinks' (apart, so the process faults' schedule follows from the seed)
	faults    map[string]int
	poison    []poisonMsg
	shutdowns []shutdown
	failures  []string // faults that could not be injected or undone
	kills     []kill
	ended     []faultEnd
}

// faultEnd is when a fault was over: what it broke was running again.
type faultEnd struct {
	Kind string
	At   time.Time
}

// kill is a SIGKILL of a service instance: what it was sending then may be sent again.
type kill struct {
	Service string
	At      time.Time
}

func newNemesis(st *stack, h *history, seed int64, say func(string, ...any)) *nemesis {
	n := &nemesis{st: st, h: h, say: say, rng: rand.New(rand.NewPCG(uint64(seed), 1)), sinkRNG: rand.New(rand.NewPCG(uint64(seed), 3)),
		faults: map[string]int{}}
	for svc, procs := range st.services {
		for _, p := range procs {
			p.onCrash(func(code int) bool {
				kind, ok := crashFaults[code]
				if ok {
					n.mu.Lock()
					n.faults[kind]++
					n.kills = append(n.kills, kill{Service: svc, At: time.Now()})
					n.mu.Unlock()
				}
				return ok
			})
		}
	}
	return n
}

func (n *nemesis) between(lo, hi time.Duration) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return lo + time.Duration(n.rng.Int64N(int64(hi-lo)+1))
}

func (n *nemesis) sinkBetween(lo, hi time.Duration) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return lo + time.Duration(n.sinkRNG.Int64N(int64(hi-lo)+1))
}

func (n *nemesis) intn(k int) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rng.IntN(k)
}

func (n *nemesis) pick(list []string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return list[n.rng.IntN(len(list))]
}

func (n *nemesis) count(kind string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults[kind]++
}

func (n *nemesis) counts() map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return maps.Clone(n.faults)
}

func (n *nemesis) failed(kind string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failures = append(n.failures, fmt.Sprintf("%s: %v", kind, err))
	n.say("%s failed: %v", kind, err)
}

// run injects faults until the deadline: first every kind once in a shuffled order (so even a
// short run has each), then kinds at random; the sinks are made slow or failing meanwhile.
func (n *nemesis) run(ctx context.Context, until time.Time) {
	sinkCtx, stopSinks := context.WithCancel(ctx)
	sinksDone := make(chan struct{})
	go func() { n.sinks(sinkCtx, until); close(sinksDone) }()
	defer func() { stopSinks(); <-sinksDone }()

	kinds := slices.Clone(processFaults)
	if n.st.net != nil {
		kinds = append(kinds, networkFaults...)
	}
	first := slices.Clone(kinds)
	n.mu.Lock()
	n.rng.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	n.mu.Unlock()
	for i := 0; ctx.Err() == nil; i++ {
		if i >= len(first) && time.Now().After(until) {
			return
		}
		kind := ""
		if i < len(first) {
			kind = first[i]
		} else {
			kind = n.pick(kinds)
		}
		n.inject(ctx, kind)
		gap := n.between(time.Second, 3*time.Second)
		if i < len(first) {
			gap = n.between(300*time.Millisecond, time.Second)
		}
		select {
		case <-ctx.Done():
		case <-time.After(gap):
		}
	}
}

// sinks switches the SMTP sink and the webhook receiver into a faulty mode for a few seconds at a
// time, every kind once first.
func (n *nemesis) sinks(ctx context.Context, until time.Time) {
	order := slices.Clone(sinkFaults)
	n.mu.Lock()
	n.sinkRNG.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	n.mu.Unlock()
	for i := 0; ctx.Err() == nil && (i < len(order) || time.Now().Before(until)); i++ {
		kind := ""
		if i < len(order) {
			kind = order[i]
		} else {
			n.mu.Lock()
			kind = sinkFaults[n.sinkRNG.IntN(len(sinkFaults))]
			n.mu.Unlock()
		}
		mode := map[string]string{"smtp-slow": sinkSlow, "smtp-fail": sinkFail, "smtp-drop": sinkDrop,
			"webhook-slow": sinkSlow, "webhook-fail": sinkFail}[kind]
		set := n.st.smtp.setMode
		if kind == "webhook-slow" || kind == "webhook-fail" {
			set = n.st.hooks.setMode
		}
		n.count(kind)
		n.say("%s", kind)
		set(mode)
		select {
		case <-ctx.Done():
		case <-time.After(n.sinkBetween(2*time.Second, 6*time.Second)):
		}
		set(sinkOK)
		select {
		case <-ctx.Done():
		case <-time.After(n.sinkBetween(time.Second, 4*time.Second)):
		}
	}
}

// inject runs one fault to its end: what it broke is running again when it returns.
func (n *nemesis) inject(ctx context.Context, kind string) {
	n.count(kind)
	var err error
	switch kind {
	case "kill-registration", "kill-funding", "kill-notification":
		err = n.killService(ctx, kind[len("kill-"):])
	case "nats-node-kill":
		err = n.killNATSNode(ctx)
	case "nats-leader-move":
		err = n.moveLeaders()
	case "nats-restart":
		err = n.restartNATS(ctx)
	case "pg-crash":
		n.say("pg-crash: pg_ctl stop -m immediate")
		if err = n.st.pg.Crash(); err == nil {
			time.Sleep(n.between(time.Second, 4*time.Second))
			err = n.st.pg.Restart(ctx)
		}
	case "pg-cut":
		var cut int
		err = n.st.db.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename LIKE 'livslang_%'`).Scan(&cut)
		n.say("pg-cut: %d connections terminated", cut)
	case "pg-slow":
		n.say("pg-slow: seats, budgets and messages locked for 3s")
		err = n.lockTables(ctx, 3*time.Second)
	case "poison", "unknown-version":
		err = n.publishPoison(ctx, kind)
	case "rolling-restart":
		n.rollingRestart(ctx)
	case "partition_nats_minority":
		err = n.partitionNATS(ctx, false)
	case "partition_nats_leader":
		err = n.partitionNATS(ctx, true)
	case "cut_postgres":
		err = n.cutPostgres(ctx)
	}
	if err != nil {
		n.failed(kind, err)
	}
	n.mu.Lock()
	n.ended = append(n.ended, faultEnd{Kind: kind, At: time.Now()})
	n.mu.Unlock()
}

// killService kills one instance of svc with SIGKILL (in one case of three every instance, so
// nothing of the service runs for a while) and starts it again.
func (n *nemesis) killService(ctx context.Context, svc string) error {
	procs := n.st.services[svc]
	victims := []*proc{procs[n.intn(len(procs))]}
	if n.intn(3) == 0 {
		victims = procs
	}
	for _, p := range victims {
		p.kill()
		n.mu.Lock()
		n.kills = append(n.kills, kill{Service: svc, At: time.Now()})
		n.mu.Unlock()
	}
	down := n.between(300*time.Millisecond, 3*time.Second)
	n.say("kill -9 %d instance(s) of %s, down for %s", len(victims), svc, down.Round(time.Millisecond))
	time.Sleep(down)
	for _, p := range victims {
		if err := p.start(ctx, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

func (n *nemesis) killNATSNode(ctx context.Context) error {
	node := n.st.nats[n.intn(len(n.st.nats))]
	node.kill()
	down := n.between(2*time.Second, 6*time.Second)
	n.say("nats-node-kill: kill -9 %s, down for %s", node.name, down.Round(time.Millisecond))
	time.Sleep(down)
	if err := node.start(ctx, 0); err != nil {
		return err
	}
	return n.st.waitJetStream(ctx, time.Minute, false)
}

func (n *nemesis) restartNATS(ctx context.Context) error {
	for _, node := range n.st.nats {
		node.kill()
	}
	down := n.between(time.Second, 3*time.Second)
	n.say("nats-restart: kill -9 every server, down for %s", down.Round(time.Millisecond))
	time.Sleep(down)
	for _, node := range n.st.nats {
		if err := node.start(ctx, 0); err != nil {
			return err
		}
	}
	return n.st.waitJetStream(ctx, 2*time.Minute, false)
}

// consumersOf are the durable consumers on each stream.
var consumersOf = map[string][]string{
	events.StreamRegistration: {"funding-registration", "notification-registration", "notification-webhooks"},
	events.StreamFunding:      {"registration-funding-decisions", "notification-referrals", "registration-funding-data-requests"},
	events.StreamNotification: {"registration-notification-data-requests"},
}

// moveLeaders asks a stream's leader and one of its consumers' leader to step down, so another
// server takes over ($JS.API.STREAM.LEADER.STEPDOWN, $JS.API.CONSUMER.LEADER.STEPDOWN).
func (n *nemesis) moveLeaders() error {
	nc, _, err := n.st.connectNATS()
	if err != nil {
		return err
	}
	defer nc.Close()
	name := n.pick([]string{events.StreamRegistration, events.StreamFunding, events.StreamNotification})
	consumer := n.pick(consumersOf[name])
	n.say("nats-leader-move: stream %s and consumer %s step down", name, consumer)
	for _, subj := range []string{"$JS.API.STREAM.LEADER.STEPDOWN." + name, "$JS.API.CONSUMER.LEADER.STEPDOWN." + name + "." + consumer} {
		msg, err := nc.Request(subj, nil, 5*time.Second)
		if err != nil {
			return fmt.Errorf("%s: %w", subj, err)
		}
		var resp struct {
			Success bool `json:"success"`
			Error   *struct {
				Description string `json:"description"`
			} `json:"error"`
		}
		if err := json.Unmarshal(msg.Data, &resp); err != nil || !resp.Success {
			return fmt.Errorf("%s: %s", subj, msg.Data)
		}
	}
	return nil
}

// lockTables holds exclusive locks on the hottest tables for d, so every service's queries wait:
// Postgres is slow rather than gone.
func (n *nemesis) lockTables(ctx context.Context, d time.Duration) error {
	tx, err := n.st.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if _, err := tx.Exec(ctx, `LOCK TABLE registration.course_runs, funding.budget_pools, notification.messages IN ACCESS EXCLUSIVE MODE`); err != nil {
		return err
	}
	time.Sleep(d)
	return nil
}

// publishPoison publishes, straight to JetStream, an enrolment event and a funding decision that no
// consumer can apply: with data of the wrong shape (poison), or of a version nobody knows.
func (n *nemesis) publishPoison(ctx context.Context, kind string) error {
	nc, js, err := n.st.connectNATS()
	if err != nil {
		return err
	}
	defer nc.Close()
	msgs := []struct {
		consumers    []string // the consumers whose filters take the subject
		subject, typ string
		data         any
	}{
		{consumersOf[events.StreamRegistration], events.SubjectEnrolmentRequested, events.TypeEnrolmentRequested,
			map[string]any{"enrolment_id": 42, "course": "not a course", "version": "one"}},
		{[]string{"registration-funding-decisions"}, events.SubjectFundingApproved, events.TypeFundingApproved,
			map[string]any{"enrolment_id": []string{"x"}, "enrolment_version": "first"}},
	}
	if kind == "unknown-version" { // data a v1 reader would take, under a type it must not read as v1
		id := uuid.NewString()
		msgs[0].typ, msgs[0].data = "livslang.enrolment.requested.v2", map[string]any{"enrolment_id": id, "version": 1, "status": "pending",
			"citizen_id": citizenPrefix + "0000", "funding_preference": "self", "course": map[string]any{"id": uuid.NewString()}}
		msgs[1].typ, msgs[1].data = "livslang.funding.approved.v2", map[string]any{"enrolment_id": id, "enrolment_version": 1,
			"summary": map[string]any{"outcome": "approved"}}
	}
	for _, m := range msgs {
		env, err := events.New("/livslang/chaos", m.typ, m.subject, "chaos", time.Now(), m.data)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(env)
		if err := publishRetrying(ctx, js, &nats.Msg{Subject: m.subject, Data: body}, env.ID); err != nil {
			return err
		}
		n.mu.Lock()
		n.poison = append(n.poison, poisonMsg{ID: env.ID, Kind: kind, Subject: m.subject, Type: m.typ, Consumers: m.consumers})
		n.mu.Unlock()
	}
	n.say("%s: 2 messages published", kind)
	return nil
}

// publishRetrying publishes with the message id until JetStream acknowledges it (a minute at most).
func publishRetrying(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, id string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := js.PublishMsg(pctx, msg, jetstream.WithMsgID(id))
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// rollingRestart stops each instance with SIGTERM, waits for it to exit, starts it again and waits
// until it is ready before the next; requests meanwhile are counted apart.
func (n *nemesis) rollingRestart(ctx context.Context) {
	n.say("rolling-restart: every instance in turn")
	n.h.setRolling(true)
	defer n.h.setRolling(false)
	for _, p := range n.st.all() {
		took, graceful := p.stop(shutdownBound)
		n.mu.Lock()
		n.shutdowns = append(n.shutdowns, shutdown{Instance: p.name, TookS: math.Round(took.Seconds()*100) / 100, Graceful: graceful})
		n.mu.Unlock()
		if err := p.start(ctx, time.Minute); err != nil {
			n.failed("rolling-restart", err)
		}
	}
}
