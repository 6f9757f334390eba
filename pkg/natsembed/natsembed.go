// Package natsembed runs an embedded NATS server with JetStream, for the local stack and tests.
package natsembed

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start runs a server on host:port (port -1 picks a free one) storing JetStream data under storeDir.
func Start(host string, port int, storeDir string) (*server.Server, error) {
	s, err := server.NewServer(&server.Options{
		ServerName: "livslang",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		NoLog:      true,
	})
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
