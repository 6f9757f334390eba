// Package natsembed runs an embedded NATS server with JetStream, alone or as a node of a cluster on
// loopback, for the local stack, the fault-injection suite and tests.
//
// Given a key, JetStream encrypts what it stores on disk (every stream's messages and its consumers'
// state) with AES-GCM under keys derived from it: the events carry citizens' profile facts, so the
// streams are personal data at rest like the services' tables. A store written without a key is
// encrypted when the server first starts with one.
package natsembed

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start runs a server on host:port (port -1 picks a free one) storing JetStream data under storeDir,
// encrypted with storeKey unless it is empty.
func Start(host string, port int, storeDir, storeKey string) (*server.Server, error) {
	opts := &server.Options{
		ServerName: "livslang",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		NoLog:      true,
	}
	encrypt(opts, storeKey)
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("new nats server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server not ready on %s:%d", host, port)
	}
	return s, nil
}

// Node is one server of a JetStream cluster, on loopback unless Host and PeerHosts say otherwise.
type Node struct {
	Name        string // unique in the cluster
	Port        int    // client port on Host
	ClusterPort int    // route port on Host
	Peers       []int  // every node's cluster port, this one's included
	StoreDir    string
	StoreKey    string `json:"-"` // encrypts the store unless empty (the same on every node); never in JSON
	// Host is the address the node listens on (default 127.0.0.1), and PeerHosts the address of each
	// of Peers, in the same order (default 127.0.0.1 each): the fault-injection suite runs each node
	// in a network namespace of its own.
	Host      string   `json:",omitempty"`
	PeerHosts []string `json:",omitempty"`
	// MonitorPort, if not 0, serves the monitoring endpoints (/varz, /jsz, …) on Host.
	MonitorPort int `json:",omitempty"`
	// Log writes the server's log (notices, warnings and errors, with times) to standard error.
	Log bool `json:",omitempty"`
}

// StartNode runs one server of the JetStream cluster "livslang", routed to its peers. A node that
// restarts on the same store rejoins the cluster and catches up. It returns once the server accepts
// connections (the cluster may still be electing its leaders).
func StartNode(n Node) (*server.Server, error) {
	host := n.Host
	if host == "" {
		host = "127.0.0.1"
	}
	var routes []*url.URL
	for i, p := range n.Peers {
		peer := "127.0.0.1"
		if i < len(n.PeerHosts) && n.PeerHosts[i] != "" {
			peer = n.PeerHosts[i]
		}
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort(peer, strconv.Itoa(p))})
	}
	opts := &server.Options{
		ServerName: n.Name,
		Host:       host,
		Port:       n.Port,
		JetStream:  true,
		StoreDir:   n.StoreDir,
		Cluster:    server.ClusterOpts{Name: "livslang", Host: host, Port: n.ClusterPort},
		Routes:     routes,
		NoSigs:     true,
		NoLog:      !n.Log,
		Logtime:    true,
	}
	if n.MonitorPort != 0 {
		opts.HTTPHost, opts.HTTPPort = host, n.MonitorPort
	}
	encrypt(opts, n.StoreKey)
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("new nats server %s: %w", n.Name, err)
	}
	if n.Log {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server %s not ready on port %d", n.Name, n.Port)
	}
	return s, nil
}

// encrypt makes JetStream encrypt its store with AES-GCM under key (nothing when key is empty).
func encrypt(opts *server.Options, key string) {
	if key != "" {
		opts.JetStreamKey, opts.JetStreamCipher = key, server.AES
	}
}
