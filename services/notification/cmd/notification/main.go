// Command notification turns events into messages for citizens, caseworkers and institutions.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"livslang.dk/services/notification/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.Run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "notification:", err)
		os.Exit(1)
	}
}
