// Command healthcheck is the container health check of every Livslang image: a static binary with
// no shell, run by Docker's HEALTHCHECK inside the service's container. It asks the service on the
// loopback interface for /readyz (or the path given as the first argument) and exits 0 when the
// answer is 200, else 1.
//
// The service is named by LIVSLANG_SERVICE (the image sets it); its port comes from
// LIVSLANG_<NAME>_ADDR as the service reads it, else the service's default port.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

var defaultPorts = map[string]string{"portal": "8080", "registration": "8081", "funding": "8082", "notification": "8083"}

// target returns the URL to check for service with env.
func target(getenv func(string) string, path string) (string, error) {
	name := getenv("LIVSLANG_SERVICE")
	port, known := defaultPorts[name]
	if !known {
		return "", fmt.Errorf("LIVSLANG_SERVICE: want one of portal, registration, funding, notification, got %q", name)
	}
	if addr := getenv("LIVSLANG_" + strings.ToUpper(name) + "_ADDR"); addr != "" {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			return "", fmt.Errorf("LIVSLANG_%s_ADDR: %w", strings.ToUpper(name), err)
		}
		port = p
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + path, nil
}

func check(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func main() {
	path := "/readyz"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	url, err := target(os.Getenv, path)
	if err == nil {
		err = check(url)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		os.Exit(1)
	}
}
