package natsembed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"livslang.dk/pkg/natsembed"
	"livslang.dk/pkg/testenv"
)

// With a key the stream's messages are not on disk in the clear; a store written without one is
// encrypted when the server starts with a key, and every message is still there.
func TestStoreKeyEncryptsTheStreamsOnDisk(t *testing.T) {
	dir := t.TempDir()
	first, second := []byte(`{"cpr":"0101851234","name":"Karen Jensen"}`), []byte(`{"education":"erhvervsuddannelse","name":"Ole Hansen"}`)

	withServer(t, dir, "", func(js jetstream.JetStream) {
		if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "TEST", Subjects: []string{"test.>"}}); err != nil {
			t.Fatal(err)
		}
		publish(t, js, first)
	})
	if !onDisk(t, dir, []byte("Karen Jensen")) {
		t.Fatal("without a key the message should be on disk as it was sent (else this test proves nothing)")
	}

	const key = "s3cret-livslang-test-key-0123456789"
	withServer(t, dir, key, func(js jetstream.JetStream) {
		publish(t, js, second)
		expect(t, js, first, second)
	})
	for _, s := range []string{"Karen Jensen", "0101851234", "Ole Hansen", "erhvervsuddannelse"} {
		if onDisk(t, dir, []byte(s)) {
			t.Errorf("%q is on disk in the clear under a store key", s)
		}
	}
	withServer(t, dir, key, func(js jetstream.JetStream) { expect(t, js, first, second) })
}

func withServer(t *testing.T, dir, key string, f func(jetstream.JetStream)) {
	t.Helper()
	s, err := natsembed.Start("127.0.0.1", -1, dir, key)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		s.Shutdown()
		s.WaitForShutdown()
	}()
	f(testenv.JetStream(t, s.ClientURL()))
}

func publish(t *testing.T, js jetstream.JetStream, data []byte) {
	t.Helper()
	if _, err := js.Publish(context.Background(), "test.event", data); err != nil {
		t.Fatal(err)
	}
}

// expect reads the stream from the start and wants exactly msgs.
func expect(t *testing.T, js jetstream.JetStream, msgs ...[]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, "TEST", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range msgs {
		m, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		if !bytes.Equal(m.Data(), want) {
			t.Fatalf("message %d is %q, want %q", i+1, m.Data(), want)
		}
	}
}

func onDisk(t *testing.T, dir string, s []byte) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		b, err := os.ReadFile(path)
		found = found || bytes.Contains(b, s)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Nodes listen on the address they are given and route to their peers' addresses, and the
// monitoring endpoint names the cluster's meta leader (the chaos suite partitions it by that).
func TestNodesOnGivenAddressesElectALeader(t *testing.T) {
	ports := freePorts(t, 9)
	// 127.0.0.1 and 127.0.0.2..3 are all loopback; each node has an address of its own.
	hosts := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	var monitors []string
	for i := range 3 {
		s, err := natsembed.StartNode(natsembed.Node{Name: fmt.Sprintf("n%d", i+1), Host: hosts[i], Port: ports[i], ClusterPort: ports[3+i],
			Peers: ports[3:6], PeerHosts: hosts, MonitorPort: ports[6+i], StoreDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Shutdown)
		if got := s.ClientURL(); !strings.Contains(got, hosts[i]) {
			t.Errorf("node %d listens on %s, want %s", i+1, got, hosts[i])
		}
		monitors = append(monitors, fmt.Sprintf("http://%s:%d/jsz", hosts[i], ports[6+i]))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var jsz struct {
			Meta struct {
				Leader string `json:"leader"`
			} `json:"meta_cluster"`
		}
		resp, err := http.Get(monitors[2])
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&jsz)
			resp.Body.Close()
		}
		if err == nil && jsz.Meta.Leader != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no meta leader on %s after 30s: %v", monitors[2], err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePorts returns n distinct ports free on 127.0.0.1.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
