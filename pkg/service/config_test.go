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

// Every problem is reported at once, each naming its variable, what is wanted and what it is.
func TestCheckReportsEveryProblemByName(t *testing.T) {
	vars := map[string]string{"LIVSLANG_A": "0", "LIVSLANG_B": "maybe", "LIVSLANG_C": "7"}
	env := &Env{Getenv: func(k string) string { return vars[k] }}
	a := env.Int("LIVSLANG_A", 5)
	env.Check(a >= 1 && a <= 60, "LIVSLANG_A", "1 to 60", a)
	b := env.String("LIVSLANG_B", "accept")
	env.Check(b == "accept" || b == "reject", "LIVSLANG_B", "accept or reject", b)
	c := env.Int("LIVSLANG_C", 1)
	env.Check(c >= 1, "LIVSLANG_C", "at least 1", c)
	env.Check(false, "LIVSLANG_D", "a CVR number of 8 digits", nil)
	err := env.Err()
	if err == nil {
		t.Fatal("no error for three bad variables")
	}
	want := "LIVSLANG_A: want 1 to 60, got 0\nLIVSLANG_B: want accept or reject, got \"maybe\"\nLIVSLANG_D: want a CVR number of 8 digits"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}
