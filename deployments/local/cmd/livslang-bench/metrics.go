package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// promSample is one line of the Prometheus text format.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseProm reads the Prometheus text format (what GET /metrics serves); it ignores what it does not
// understand.
func parseProm(text string) []promSample {
	var out []promSample
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var s promSample
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			s.name = line[:i]
			s.labels = parseLabels(line[i+1 : j])
			rest = strings.TrimSpace(line[j+1:])
		} else {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			s.name, rest = f[0], f[1]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		s.value = v
		out = append(out, s)
	}
	return out
}

func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			break
		}
		key := strings.TrimSpace(strings.TrimPrefix(s[:eq], ","))
		var val strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			val.WriteByte(s[i])
		}
		out[key] = val.String()
		s = strings.TrimPrefix(s[min(i+1, len(s)):], ",")
	}
	return out
}

// svcMetrics is what the benchmark keeps of the services' metrics: cumulative counters and sums by a
// readable key, and the consumer lag gauges.
type svcMetrics struct {
	counters map[string]float64 // "consumer <svc>/<durable> count|sum", "route <svc> <method> <route> count|sum"
	pending  map[string]float64 // "<svc>/<durable>" → messages not yet delivered; "<svc>/outbox" → rows not yet relayed
}

// backlog is everything waiting in the consumers and outboxes.
func (m svcMetrics) backlog() float64 {
	var n float64
	for _, v := range m.pending {
		n += v
	}
	return n
}

func scrapeAll(ctx context.Context, urls map[string]string) svcMetrics {
	m := svcMetrics{counters: map[string]float64{}, pending: map[string]float64{}}
	for svc, u := range urls {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		req, _ := http.NewRequestWithContext(cctx, http.MethodGet, u+"/metrics", nil)
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		for _, s := range parseProm(string(b)) {
			switch s.name {
			case "livslang_consumer_handle_duration_seconds_count":
				m.counters["consumer "+svc+"/"+s.labels["consumer"]+" count"] += s.value
			case "livslang_consumer_handle_duration_seconds_sum":
				m.counters["consumer "+svc+"/"+s.labels["consumer"]+" sum"] += s.value
			case "livslang_consumer_pending_messages":
				m.pending[svc+"/"+s.labels["consumer"]] = s.value
			case "livslang_outbox_backlog":
				m.pending[svc+"/outbox"] += s.value
			case "livslang_http_request_duration_seconds_count", "livslang_http_request_duration_seconds_sum":
				if s.labels["route"] == "" || strings.Contains(s.labels["route"], "metrics") || strings.Contains(s.labels["route"], "z") && strings.HasSuffix(s.labels["route"], "z") {
					continue
				}
				kind := "count"
				if strings.HasSuffix(s.name, "_sum") {
					kind = "sum"
				}
				route := s.labels["route"]
				if !strings.HasPrefix(route, s.labels["method"]+" ") {
					route = s.labels["method"] + " " + route
				}
				m.counters["route "+svc+" "+route+" "+kind] += s.value
			}
		}
	}
	return m
}
