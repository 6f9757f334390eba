// Command portal serves Livslang's web portal for citizens, caseworkers and institutions.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"livslang.dk/services/portal/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.Run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}
