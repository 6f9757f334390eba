package testenv

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"livslang.dk/pkg/natsembed"
)

// NATSCluster starts a JetStream cluster of n embedded servers routed to each other on loopback, each
// stopped when the test ends, and returns the servers and their client URLs once the cluster has a
// meta leader.
func NATSCluster(t testing.TB, n int) ([]*server.Server, []string) {
	t.Helper()
	ports := make([]int, n) // route ports: every node must know its peers' before it starts
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	dir := t.TempDir()
	servers := make([]*server.Server, n)
	urls := make([]string, n)
	for i := range n {
		s, err := natsembed.StartNode(natsembed.Node{Name: fmt.Sprintf("livslang-%d", i+1), Port: -1,
			ClusterPort: ports[i], Peers: ports, StoreDir: filepath.Join(dir, fmt.Sprint(i+1))})
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		t.Cleanup(s.Shutdown)
		servers[i], urls[i] = s, s.ClientURL()
	}
	js := JetStream(t, strings.Join(urls, ","))
	Eventually(t, 30*time.Second, "the JetStream cluster elects a meta leader", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return servers, urls
}
