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
	"net/url"
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

// Node is one server of a JetStream cluster on loopback.
type Node struct {
	Name        string // unique in the cluster
	Port        int    // client port on 127.0.0.1
	ClusterPort int    // route port on 127.0.0.1
	Peers       []int  // every node's cluster port, this one's included
	StoreDir    string
	StoreKey    string `json:"-"` // encrypts the store unless empty (the same on every node); never in JSON
}

// StartNode runs one server of the JetStream cluster "livslang", routed to its peers. A node that
// restarts on the same store rejoins the cluster and catches up. It returns once the server accepts
// connections (the cluster may still be electing its leaders).
func StartNode(n Node) (*server.Server, error) {
	var routes []*url.URL
	for _, p := range n.Peers {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	opts := &server.Options{
		ServerName: n.Name,
		Host:       "127.0.0.1",
		Port:       n.Port,
		JetStream:  true,
		StoreDir:   n.StoreDir,
		Cluster:    server.ClusterOpts{Name: "livslang", Host: "127.0.0.1", Port: n.ClusterPort},
		Routes:     routes,
		NoSigs:     true,
		NoLog:      true,
	}
	encrypt(opts, n.StoreKey)
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("new nats server %s: %w", n.Name, err)
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
