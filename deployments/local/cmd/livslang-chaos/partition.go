package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"livslang.dk/pkg/events"
)

// pgCutBound is how long cut_postgres keeps an instance from Postgres at least: longer than the
// pool's connect_timeout (5 s, pkg/pgdb) and the workload's 15 s per request, so connections,
// connects and requests time out on the instance while it is cut.
const pgCutBound = 16 * time.Second

// natsLeaders names the cluster's meta leader (from a server's /jsz) and each stream's leader
// (from the stream's info), as far as the servers that can be reached know.
func (n *nemesis) natsLeaders(ctx context.Context) (meta string, streams map[string]string) {
	c := &http.Client{Timeout: time.Second}
	for _, m := range n.st.natsMonitors {
		var jsz struct {
			Meta struct {
				Leader string `json:"leader"`
			} `json:"meta_cluster"`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m+"/jsz", nil)
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(&jsz)
		resp.Body.Close()
		if err == nil && jsz.Meta.Leader != "" {
			meta = jsz.Meta.Leader
			break
		}
	}
	streams = map[string]string{}
	nc, js, err := n.st.connectNATS()
	if err != nil {
		return meta, streams
	}
	defer nc.Close()
	for _, name := range []string{events.StreamRegistration, events.StreamFunding, events.StreamNotification} {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if s, err := js.Stream(cctx, name); err == nil {
			if info, err := s.Info(cctx); err == nil && info.Cluster != nil {
				streams[name] = info.Cluster.Leader
			}
		}
		cancel()
	}
	return meta, streams
}

// nodeIndex is the index of the server named name ("nats-2" → 1), or -1.
func (n *nemesis) nodeIndex(name string) int {
	return slices.IndexFunc(n.st.nats, func(p *proc) bool { return p.name == name })
}

// partitionNATS cuts one NATS server off from the other two and from every client by taking its
// link down: with leader, the server leading a stream (it loses its quorum and the other two elect
// a leader of their own), else one that leads nothing if there is one (the two others keep their
// quorum). After 4–10 s the link comes up again and the server rejoins and catches up.
func (n *nemesis) partitionNATS(ctx context.Context, leader bool) error {
	kind := "partition_nats_minority"
	if leader {
		kind = "partition_nats_leader"
	}
	meta, streams := n.natsLeaders(ctx)
	leads := map[int][]string{}
	if i := n.nodeIndex(meta); i >= 0 {
		leads[i] = append(leads[i], "meta")
	}
	for _, s := range slices.Sorted(maps.Keys(streams)) {
		if i := n.nodeIndex(streams[s]); i >= 0 {
			leads[i] = append(leads[i], s)
		}
	}
	var victim int
	stream := ""
	if leader {
		stream = n.pick([]string{events.StreamRegistration, events.StreamFunding, events.StreamNotification})
		victim = n.nodeIndex(streams[stream])
		if victim < 0 {
			if victim = n.nodeIndex(meta); victim < 0 {
				return fmt.Errorf("no leader of stream %s or of the cluster to cut off (leaders: %v)", stream, streams)
			}
			stream = ""
		}
	} else {
		var idle, notMeta []int
		for i := range n.st.nats {
			if len(leads[i]) == 0 {
				idle = append(idle, i)
			}
			if !slices.Contains(leads[i], "meta") {
				notMeta = append(notMeta, i)
			}
		}
		switch {
		case len(idle) > 0:
			victim = idle[n.intn(len(idle))]
		case len(notMeta) > 0:
			victim = notMeta[n.intn(len(notMeta))]
		default:
			victim = n.intn(len(n.st.nats))
		}
	}
	node := n.st.nats[victim]
	down := n.between(4*time.Second, 10*time.Second)
	n.say("%s: %s (leading %s) cut off for %s", kind, node.name, orNothing(leads[victim]), down.Round(time.Millisecond))
	cutAt := time.Now()
	if err := n.st.net.cut(ctx, n.st.natsLinks[victim]); err != nil {
		return err
	}
	healed := false
	defer func() {
		if !healed {
			_ = n.st.net.heal(context.WithoutCancel(ctx), n.st.natsLinks[victim])
		}
	}()
	if stream != "" {
		// The other two elect a leader of their own while the old one is cut off.
		deadline := cutAt.Add(30 * time.Second)
		for {
			_, now := n.natsLeaders(ctx)
			if l := now[stream]; l != "" && l != node.name {
				n.say("%s: %s leads stream %s after %.1fs", kind, l, stream, time.Since(cutAt).Seconds())
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("no other leader of stream %s within 30s of cutting off %s", stream, node.name)
			}
			sleepCtx(ctx, 250*time.Millisecond)
		}
	}
	sleepCtx(ctx, time.Until(cutAt.Add(down)))
	if err := n.st.net.heal(ctx, n.st.natsLinks[victim]); err != nil {
		return err
	}
	healed = true
	return n.waitRejoined(ctx, victim)
}

// waitRejoined waits until the server at index i knows the cluster's leader again and every stream
// has a leader (at most a minute).
func (n *nemesis) waitRejoined(ctx context.Context, i int) error {
	deadline := time.Now().Add(time.Minute)
	c := &http.Client{Timeout: time.Second}
	for {
		var jsz struct {
			Meta struct {
				Leader string `json:"leader"`
			} `json:"meta_cluster"`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.st.natsMonitors[i]+"/jsz", nil)
		resp, err := c.Do(req)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&jsz)
			resp.Body.Close()
		}
		if err == nil && jsz.Meta.Leader != "" {
			return n.st.waitJetStream(ctx, time.Until(deadline), false)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(fmt.Errorf("%s has not rejoined the cluster a minute after the partition", n.st.nats[i].name), err)
		}
		sleepCtx(ctx, 250*time.Millisecond)
	}
}

// cutPostgres cuts one instance of registration or funding off from Postgres (its link to the
// Postgres bridge down; NATS and its clients still reach it) for pgCutBound to 1.25 × pgCutBound,
// then heals, and waits until the instance is ready again, by itself.
func (n *nemesis) cutPostgres(ctx context.Context) error {
	var victims []*proc
	for _, svc := range namespacedServices {
		victims = append(victims, n.st.services[svc]...)
	}
	victim := victims[n.intn(len(victims))]
	link := n.st.pgLinks[victim]
	down := n.between(pgCutBound, pgCutBound*5/4)
	n.say("cut_postgres: %s cut off from Postgres for %s", victim.name, down.Round(time.Millisecond))
	if err := n.st.net.cut(ctx, link); err != nil {
		return err
	}
	sleepCtx(ctx, down)
	if err := n.st.net.heal(context.WithoutCancel(ctx), link); err != nil {
		return err
	}
	healed := time.Now()
	if err := victim.waitReady(ctx, time.Minute); err != nil {
		return fmt.Errorf("%s after Postgres came back: %w", victim.name, err)
	}
	n.say("cut_postgres: %s ready %.1fs after the link came back", victim.name, time.Since(healed).Seconds())
	return nil
}

func orNothing(list []string) string {
	if len(list) == 0 {
		return "nothing"
	}
	return strings.Join(list, ", ")
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
