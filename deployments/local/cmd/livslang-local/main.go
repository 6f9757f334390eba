// Command livslang-local runs the whole Livslang system on one machine (what `make run` starts): a
// private PostgreSQL cluster, embedded NATS with JetStream, the development identity provider,
// Mailpit, and the services as separate processes, then seeds the demo data once.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "livslang-local:", err)
		os.Exit(1)
	}
}
