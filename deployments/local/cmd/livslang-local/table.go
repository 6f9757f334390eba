package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable prints where everything is; pgDir is the private cluster's folder ("" for the server in
// LIVSLANG_DATABASE_URL), which is not under the data folder when the postgres OS user cannot reach it.
func printTable(w io.Writer, cfg config, idpURL, natsURL, pgDir string, profiles int, took time.Duration) {
	url := func(name string) string { return fmt.Sprintf("http://127.0.0.1:%d", cfg.Ports[name]) }
	db := fmt.Sprintf("postgres://127.0.0.1:%d/livslang (private cluster in %s)", cfg.PGPort, pgDir)
	if pgDir != filepath.Join(cfg.DataDir, "postgres") {
		db += " (the postgres OS user cannot reach " + cfg.DataDir + ")"
	}
	if pgDir == "" {
		db = "the server in LIVSLANG_DATABASE_URL, database livslang"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHAT\tWHERE")
	fmt.Fprintf(tw, "portal (web)\t%s  (sign in as any demo user below)\n", url("portal"))
	fmt.Fprintf(tw, "registration API\t%s  (GET /v1/courses is public)\n", url("registration"))
	fmt.Fprintf(tw, "funding API\t%s\n", url("funding"))
	fmt.Fprintf(tw, "notification API\t%s\n", url("notification"))
	fmt.Fprintf(tw, "identity provider\t%s  (GET /authorize, POST /token, /.well-known/openid-configuration)\n", idpURL)
	fmt.Fprintf(tw, "Mailpit (mail UI)\t%s  (SMTP on 127.0.0.1:%d)\n", url("mailpit"), cfg.Ports["smtp"])
	fmt.Fprintf(tw, "SMS (development)\t%s  (one JSON line per SMS)\n", smsFile(cfg))
	fmt.Fprintf(tw, "Digital Post (dev)\t%s  (one MeMo XML file per letter)\n", digitalPostDir(cfg))
	fmt.Fprintf(tw, "NATS JetStream\t%s\n", natsURL)
	fmt.Fprintf(tw, "PostgreSQL\t%s\n", db)
	fmt.Fprintf(tw, "health\t/healthz  /readyz  /metrics on every service and the portal\n")
	tw.Flush()
	users, _ := demoUsers()
	fmt.Fprintf(w, "\n%s\nDemo users (%d; %d new profiles seeded):\n", b.String(), len(users), profiles)
	for _, u := range users {
		fmt.Fprintf(w, "  %-26s %-11s %s\n", u.Key, u.Role, u.Label)
	}
	var mette demoUser
	for _, u := range users {
		if u.Role == "citizen" {
			mette = u
			break
		}
	}
	fmt.Fprintf(w, "\nGet a citizen token:\n  TOKEN=$(curl -s -X POST %s/token -d '{\"role\":\"citizen\",\"sub\":\"%s\",\"cpr\":\"%s\",\"municipality\":\"%s\"}' | jq -r .access_token)\n",
		idpURL, mette.Sub, mette.CPR, mette.Municipality)
	fmt.Fprintf(w, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/me/profile\n", url("registration"))
	for _, u := range users {
		if u.Role == "employer" {
			fmt.Fprintf(w, "\nGet an employer token (%s):\n  HR=$(curl -s -X POST %s/token -d '{\"role\":\"employer\",\"sub\":\"%s\",\"cvr\":\"%s\",\"name\":\"%s\"}' | jq -r .access_token)\n",
				u.Name, idpURL, u.Sub, u.CVR, u.Name)
			fmt.Fprintf(w, "  curl -s -H \"Authorization: Bearer $HR\" %s/v1/employers/%s/commitments\n", url("funding"), u.CVR)
			break
		}
	}
	fmt.Fprintf(w, "\nready in %.1fs (Ctrl-C stops everything; data stays in %s; make clean wipes it)\n", took.Seconds(), cfg.DataDir)
}
