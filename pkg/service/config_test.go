package service

import (
	"strings"
	"testing"
)

func TestLoadNATSSettings(t *testing.T) {
	for _, c := range []struct {
		env      map[string]string
		replicas int
		err      string
	}{
		{map[string]string{}, 1, ""},
		{map[string]string{"LIVSLANG_NATS_REPLICAS": "3", "LIVSLANG_NATS_URL": "nats://a:4222, nats://b:4222,nats://c:4222"}, 3, ""},
		{map[string]string{"LIVSLANG_NATS_REPLICAS": "0"}, 0, "LIVSLANG_NATS_REPLICAS: want 1 to 5"},
		{map[string]string{"LIVSLANG_NATS_REPLICAS": "three"}, 0, "LIVSLANG_NATS_REPLICAS: want a whole number"},
		{map[string]string{"LIVSLANG_NATS_URL": "nats://a:4222,b"}, 1, "LIVSLANG_NATS_URL: want an absolute URL"},
	} {
		c.env["LIVSLANG_FUNDING_DATABASE_URL"] = "postgres://x@y/z"
		env := &Env{Getenv: func(k string) string { return c.env[k] }}
		cfg := Load(env, "funding", 8082)
		err := env.Err()
		if c.err == "" && (err != nil || cfg.NATSReplicas != c.replicas) {
			t.Errorf("%v: replicas %d, err %v; want %d", c.env, cfg.NATSReplicas, err, c.replicas)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%v: err %v, want %q", c.env, err, c.err)
		}
	}
}
