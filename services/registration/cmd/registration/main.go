// Command registration serves course runs, citizens' profiles and enrolments.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"livslang.dk/services/registration/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.Run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "registration:", err)
		os.Exit(1)
	}
}
