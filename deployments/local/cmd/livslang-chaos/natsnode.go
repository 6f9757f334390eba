package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"livslang.dk/pkg/natsembed"
)

// natsNodeCommand is the argument that makes livslang-chaos run one NATS server of the cluster
// (the suite starts itself this way, so that each server is a process it can kill -9).
const natsNodeCommand = "nats-node"

// natsStoreKeyEnv carries the store key to a node (not its command line, which every process can read).
const natsStoreKeyEnv = "LIVSLANG_NATS_STORE_KEY"

// natsNodeMain runs the node described by the JSON argument until SIGTERM or SIGINT.
func natsNodeMain(args []string) int {
	var n natsembed.Node
	if len(args) != 1 || json.Unmarshal([]byte(args[0]), &n) != nil {
		fmt.Fprintln(os.Stderr, "usage: livslang-chaos nats-node '<natsembed.Node as JSON>'")
		return 2
	}
	n.StoreKey = os.Getenv(natsStoreKeyEnv)
	s, err := natsembed.StartNode(n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats node:", err)
		return 1
	}
	fmt.Printf("nats node %s ready on port %d\n", n.Name, n.Port)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	s.Shutdown()
	s.WaitForShutdown()
	return 0
}
