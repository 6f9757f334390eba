// Command funding decides what funds each enrolment, with reasons and legal references.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"livslang.dk/services/funding/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.Run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "funding:", err)
		os.Exit(1)
	}
}
