package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// report is report.json; report.md says the same for people.
type report struct {
	Seed      int64        `json:"seed"`
	StartedAt time.Time    `json:"started_at"`
	DurationS float64      `json:"duration_s"` // of the fault phase
	Instances int          `json:"instances_per_service"`
	Setup     setupSummary `json:"setup"`
	StartupS  float64      `json:"startup_s"`
	TookS     float64      `json:"took_s"`

	Attempted    int                   `json:"attempted"`    // logical operations
	Acknowledged int                   `json:"acknowledged"` // answered 2xx
	Refused      int                   `json:"refused"`      // answered 4xx: nothing promised
	Unknown      int                   `json:"unknown"`      // no final answer within the client's deadline
	ByKind       map[string]*kindStats `json:"by_kind"`

	Lost                    int `json:"lost"`
	Duplicated              int `json:"duplicated"`
	Oversold                int `json:"oversold"`
	Overspent               int `json:"overspent"`
	CapsExceeded            int `json:"caps_exceeded"`
	NotificationsMissing    int `json:"notifications_missing"`
	NotificationsDuplicated int `json:"notifications_duplicated"`
	// NotificationsResent are e-mails received twice with the same Message-ID because an instance
	// was killed between sending and recording (mailboxes that deduplicate by Message-ID show one).
	NotificationsResent int `json:"notifications_resent_after_crash"`
	// Notifications counts the messages checked: e-mails and Digital Post letters.
	Notifications struct {
		Emails      int `json:"emails"`
		DigitalPost int `json:"digital_post"`
	} `json:"notifications"`
	Webhooks int `json:"webhooks"`
	// WebhooksResent are repeated requests with the same webhook-id (receivers deduplicate by it).
	WebhooksResent int `json:"webhooks_resent"`
	// InFlightAtKill counts per service the events written before a kill -9 of one of its
	// instances and published after it.
	InFlightAtKill map[string]int `json:"events_in_flight_at_kill"`
	PoisonMessages int            `json:"poison_messages"`
	Parked         int            `json:"parked"`

	// NetworkFaults is "on" when the network faults ran (networkFaults), else "skipped: <reason>".
	NetworkFaults string         `json:"network_faults"`
	Faults        map[string]int `json:"faults"`
	// RecoveryS is, per kind of fault, the longest time from its end to the next write answered 2xx.
	RecoveryS map[string]float64 `json:"recovery_s"`
	HealS     float64            `json:"heal_s"`
	Settled   bool               `json:"settled"`
	SettleS   float64            `json:"settle_s"` // from the end of the faults until quiet, healing included
	HTTP      httpStats          `json:"http"`
	Shutdowns []shutdown         `json:"shutdowns"`
	Checks    []check            `json:"checks"`

	NemesisErrors   []string `json:"nemesis_errors,omitempty"`
	UnexpectedExits []string `json:"unexpected_exits,omitempty"`
	Notes           []string `json:"notes,omitempty"`
}

type kindStats struct {
	Attempted    int `json:"attempted"`
	Acknowledged int `json:"acknowledged"`
	Refused      int `json:"refused"`
	Unknown      int `json:"unknown"`
	Retried      int `json:"retried"` // took more than one attempt
}

func (r *report) countOps(ops []op) {
	r.ByKind = map[string]*kindStats{}
	for _, o := range ops {
		k := r.ByKind[o.Kind]
		if k == nil {
			k = &kindStats{}
			r.ByKind[o.Kind] = k
		}
		k.Attempted++
		r.Attempted++
		if o.Attempts > 1 {
			k.Retried++
		}
		switch o.Outcome {
		case ok:
			k.Acknowledged++
			r.Acknowledged++
		case failed:
			k.Refused++
			r.Refused++
		default:
			k.Unknown++
			r.Unknown++
		}
	}
}

// failures names what went wrong: a violated invariant, a run that did not settle, a fault kind
// never injected.
func (r *report) failures() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Violations > 0 {
			out = append(out, fmt.Sprintf("%s (%d)", c.Name, c.Violations))
		}
	}
	if !r.Settled {
		out = append(out, "the system did not settle")
	}
	kinds := append(slices.Clone(processFaults), sinkFaults...)
	if r.NetworkFaults == "on" {
		kinds = append(kinds, networkFaults...)
	}
	for _, k := range kinds {
		if r.Faults[k] == 0 {
			out = append(out, "fault "+k+" never injected")
		}
	}
	return out
}

func writeReport(dir string, r *report, h *history) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	ops, _, _ := h.snapshot()
	if b, err = json.MarshalIndent(ops, "", " "); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "history.json"), b, 0o644); err != nil {
		return err
	}
	var md strings.Builder
	r.markdown(&md)
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644)
}

func (r *report) markdown(w io.Writer) {
	verdict := "**All invariants held.**"
	if bad := r.failures(); len(bad) > 0 {
		verdict = "**Failed:** " + strings.Join(bad, "; ") + "."
	}
	fmt.Fprintf(w, "# make chaos: %s\n\n%s\n\n", r.StartedAt.Format("2006-01-02 15:04 MST"), verdict)
	fmt.Fprintf(w, "Seed %d; faults for %.0f s under load; %d instances of each service, a three-node NATS cluster (streams at 3 replicas), "+
		"one PostgreSQL; %d citizens, %d institutions, %d runs (%d funded from small pools). Started in %.1f s; took %.0f s in all.\n\n",
		r.Seed, r.DurationS, r.Instances, r.Setup.Citizens, r.Setup.Institutions, r.Setup.Runs, r.Setup.FundRuns, r.StartupS, r.TookS)
	fmt.Fprintf(w, "| | |\n| --- | --- |\n")
	rows := [][2]any{
		{"operations attempted", r.Attempted}, {"acknowledged (2xx)", r.Acknowledged}, {"refused (4xx)", r.Refused},
		{"no final answer (client gave up)", r.Unknown}, {"**lost**", r.Lost}, {"**duplicated**", r.Duplicated},
		{"oversold seats", r.Oversold}, {"overspent pools", r.Overspent}, {"citizen caps exceeded", r.CapsExceeded},
		{"notifications missing", r.NotificationsMissing}, {"notifications duplicated", r.NotificationsDuplicated},
		{"e-mails / Digital Post letters checked", fmt.Sprintf("%d / %d", r.Notifications.Emails, r.Notifications.DigitalPost)},
		{"e-mails resent after a crash (same Message-ID)", r.NotificationsResent},
		{"events written before a kill -9 of their service and published after it", fmt.Sprint(r.InFlightAtKill)},
		{"webhook deliveries checked", r.Webhooks}, {"webhooks resent (same webhook-id)", r.WebhooksResent},
		{"poison messages published", r.PoisonMessages}, {"messages parked", r.Parked},
		{"settled", fmt.Sprintf("%v, %.1f s after the faults (healing %.1f s)", r.Settled, r.SettleS, r.HealS)},
		{"HTTP requests", r.HTTP.Requests}, {"answered 503 / 429", fmt.Sprintf("%d / %d", r.HTTP.Unavailable, r.HTTP.TooMany)},
		{"other 5xx", r.HTTP.ServerErrors}, {"no answer / sent on to another instance", fmt.Sprintf("%d / %d", r.HTTP.ConnectionError, r.HTTP.Failovers)},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %v |\n", row[0], row[1])
	}
	fmt.Fprintf(w, "\n## Invariants\n\n| check | violations |\n| --- | --- |\n")
	for _, c := range r.Checks {
		fmt.Fprintf(w, "| %s | %d |\n", c.Name, c.Violations)
	}
	for _, c := range r.Checks {
		if len(c.Examples) > 0 {
			fmt.Fprintf(w, "\n**%s**\n\n", c.Name)
			for _, e := range c.Examples {
				fmt.Fprintf(w, "- %s\n", e)
			}
		}
	}
	fmt.Fprintf(w, "\n## Faults injected\n\nNetwork faults (%s): %s.\n\n| fault | times | longest from its end to the next write answered 2xx (s) |\n| --- | --- | --- |\n", strings.Join(networkFaults, ", "), r.NetworkFaults)
	for _, k := range slices.Sorted(maps.Keys(r.Faults)) {
		rec := "–"
		if v, ok := r.RecoveryS[k]; ok {
			rec = fmt.Sprint(v)
		}
		fmt.Fprintf(w, "| %s | %d | %s |\n", k, r.Faults[k], rec)
	}
	fmt.Fprintf(w, "\n## Operations\n\n| kind | attempted | acknowledged | refused | no answer | retried |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, k := range slices.Sorted(maps.Keys(r.ByKind)) {
		s := r.ByKind[k]
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d |\n", k, s.Attempted, s.Acknowledged, s.Refused, s.Unknown, s.Retried)
	}
	if len(r.Shutdowns) > 0 {
		fmt.Fprintf(w, "\n## Rolling restart\n\nRequests meanwhile: %d; answered 5xx: %d; unanswered after trying every instance: %d.\n\n| instance | exit after SIGTERM (s) | by itself |\n| --- | --- | --- |\n",
			r.HTTP.RollingRequests, r.HTTP.Rolling5xx, r.HTTP.RollingUnanswered)
		for _, s := range r.Shutdowns {
			fmt.Fprintf(w, "| %s | %.2f | %v |\n", s.Instance, s.TookS, s.Graceful)
		}
	}
	for _, list := range []struct {
		title string
		items []string
	}{{"Nemesis errors", r.NemesisErrors}, {"Processes that exited by themselves", r.UnexpectedExits}, {"Notes", r.Notes}} {
		if len(list.items) > 0 {
			fmt.Fprintf(w, "\n## %s\n\n", list.title)
			for _, s := range list.items {
				fmt.Fprintf(w, "- %s\n", s)
			}
		}
	}
}

// summary prints the headline numbers.
func (r *report) summary(w io.Writer) {
	fmt.Fprintf(w, "\nattempted %d, acknowledged %d, lost %d, duplicated %d, oversold %d, overspent %d, notifications missing %d / duplicated %d; settled in %.1f s\n",
		r.Attempted, r.Acknowledged, r.Lost, r.Duplicated, r.Oversold, r.Overspent, r.NotificationsMissing, r.NotificationsDuplicated, r.SettleS)
	fmt.Fprintf(w, "faults: %v\n", r.Faults)
	if r.NetworkFaults != "on" {
		fmt.Fprintf(w, "network faults %s\n", r.NetworkFaults)
	}
	for _, c := range r.Checks {
		mark := "ok  "
		if c.Violations > 0 {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s (%d)\n", mark, c.Name, c.Violations)
	}
}
