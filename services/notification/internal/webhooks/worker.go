package webhooks

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"livslang.dk/pkg/poll"
	"livslang.dk/services/notification/internal/store"
)

// Worker sends due deliveries until its context ends. It sends up to Concurrency deliveries at once
// and at most PerEndpoint to any one endpoint, so a slow or dead endpoint holds only its own slots;
// several workers (instances) share the work through the store's leases.
type Worker struct {
	Store       *store.Store
	Log         *zap.Logger
	Client      *http.Client     // default: Timeout, redirects not followed
	Timeout     time.Duration    // of one attempt; default 10s
	Now         func() time.Time // default time.Now
	Policy      Policy
	Concurrency int           // default 16
	PerEndpoint int           // default 2
	Poll        time.Duration // how often to look for due deliveries when nothing wakes it; default 2s
	Wake        *poll.Waker   // woken when deliveries were added (nil: Poll and freed slots alone)
	Lease       time.Duration // how long a claimed delivery is held before another worker may take it; default 2m
	// Targets is where the default Client may connect (a Client given is used as it is).
	Targets Targets
}

func (w *Worker) defaults() {
	if w.Timeout == 0 {
		w.Timeout = 10 * time.Second
	}
	if w.Client == nil {
		// A transport of its own, not a copy of http.DefaultTransport: no proxy (HTTP(S)_PROXY would
		// carry deliveries past the address check), and every connection dialled through the check.
		transport := &http.Transport{
			DialContext:           (&net.Dialer{Timeout: w.Timeout, Control: w.Targets.control}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   w.Timeout,
			ExpectContinueTimeout: time.Second,
		}
		w.Client = &http.Client{
			Transport:     transport,
			Timeout:       w.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Concurrency == 0 {
		w.Concurrency = 16
	}
	if w.PerEndpoint == 0 {
		w.PerEndpoint = 2
	}
	if w.Poll == 0 {
		w.Poll = 2 * time.Second
	}
	if w.Lease == 0 {
		w.Lease = 2 * time.Minute
	}
}

// Run delivers until ctx is done; deliveries being sent then are cut short and released.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	var (
		mu       sync.Mutex
		busy     = map[uuid.UUID]int{} // deliveries in flight per endpoint
		inFlight int
		wg       sync.WaitGroup
	)
	// Woken when deliveries were added, and when a delivery finished and its slot is free.
	freed := w.Wake
	if freed == nil {
		freed = &poll.Waker{}
	}
	defer w.Client.CloseIdleConnections()
	defer wg.Wait()
	return freed.Run(ctx, w.Poll, func(ctx context.Context) bool {
		mu.Lock()
		free, snapshot := w.Concurrency-inFlight, maps.Clone(busy)
		mu.Unlock()
		if free > 0 {
			due, err := w.Store.ClaimDeliveries(ctx, w.Now(), free, w.PerEndpoint, snapshot, w.Lease)
			if err != nil && ctx.Err() == nil {
				w.Log.Warn("claiming webhook deliveries failed", zap.Error(err))
			}
			for _, d := range due {
				mu.Lock()
				busy[d.EndpointID]++
				inFlight++
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.deliver(ctx, d)
					mu.Lock()
					if busy[d.EndpointID]--; busy[d.EndpointID] == 0 {
						delete(busy, d.EndpointID)
					}
					inFlight--
					mu.Unlock()
					freed.Wake()
				}()
			}
		}
		return false
	})
}

// deliver makes one attempt and records it with its outcome.
func (w *Worker) deliver(ctx context.Context, d store.Delivery) {
	log := w.Log.With(zap.String("delivery_id", d.ID.String()), zap.String("endpoint_id", d.EndpointID.String()),
		zap.String("event_type", d.EventType), zap.Int("attempt", d.Attempts+1))
	a, cause := w.send(ctx, d)
	// What happened is recorded even when the worker is stopping meanwhile.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if a.StatusCode == 0 && ctx.Err() != nil { // stopping cut the attempt short: not the endpoint's fault; let the next worker try at once
		if err := w.Store.Release(rctx, d.ID); err != nil {
			log.Warn("releasing webhook delivery failed", zap.Error(err))
		}
		return
	}
	o := w.outcome(d, a)
	if err := w.Store.RecordAttempt(rctx, d, a, o); err != nil {
		log.Warn("recording webhook attempt failed; the delivery is retried when its lease ends", zap.Error(err))
		return
	}
	fields := []zap.Field{zap.Int("status_code", a.StatusCode), zap.Duration("latency", a.Latency), zap.String("outcome", o.Status)}
	switch {
	case o.Disable:
		log.Warn("webhook endpoint answered 410 Gone; disabled", fields...)
	case o.Status == "succeeded":
		log.Info("webhook delivered", fields...)
	default:
		log.Info("webhook attempt failed", append(fields, zap.String("error", a.Error), zap.NamedError("cause", cause))...)
	}
}

// send posts the delivery's payload with the Standard Webhooks headers, signed now. A failed attempt
// says in the delivery log what kind of failure it was; the error itself (cause) goes only to the
// service's own log.
func (w *Worker) send(ctx context.Context, d store.Delivery) (a store.Attempt, cause error) {
	a = store.Attempt{At: w.Now().UTC()}
	headers, err := Headers(d.Secrets, d.ID.String(), a.At, d.Payload)
	if err != nil {
		a.Error = "the delivery could not be signed"
		return a, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		a.Error = "the endpoint's URL is not valid"
		return a, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Livslang-Webhooks/1")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := w.Client.Do(req)
	if err != nil {
		a.Latency, a.Error = time.Since(start), reason(err)
		return a, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.Latency, a.StatusCode = time.Since(start), resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "HTTP " + resp.Status
	}
	return a, nil
}

// outcome: 2xx delivered; 410 Gone disables the endpoint; anything else is retried by the policy.
func (w *Worker) outcome(d store.Delivery, a store.Attempt) store.Outcome {
	switch {
	case a.StatusCode >= 200 && a.StatusCode <= 299:
		return store.Outcome{Status: "succeeded"}
	case a.StatusCode == http.StatusGone:
		return store.Outcome{Status: "gave_up", Disable: true}
	}
	next, ok := w.Policy.Next(d.Attempts+1, d.QueuedAt, a.At.Add(a.Latency))
	if !ok {
		return store.Outcome{Status: "gave_up"}
	}
	return store.Outcome{Status: "failed", NextAttempt: next}
}
