package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// checker waits for the system to settle, then verifies the invariants over Postgres (every
// service's schema, as the superuser) and the workload's history.
type checker struct {
	st  *stack
	w   *workload
	n   *nemesis
	log func(string, ...any)
}

// settle waits until the system is quiet: every instance ready, the outboxes sent, the consumers
// caught up, the mail and webhook queues empty and no decided enrolment left pending. It reports
// whether that happened within limit, and how long it took.
func (c *checker) settle(ctx context.Context, limit time.Duration) (bool, float64) {
	began := time.Now()
	last := ""
	for {
		why := c.busy(ctx)
		if why == "" {
			return true, time.Since(began).Seconds()
		}
		if why != last {
			c.log("  waiting: %s", why)
			last = why
		}
		if time.Since(began) > limit || ctx.Err() != nil {
			return false, time.Since(began).Seconds()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// busy says what is still moving, or "" when nothing is.
func (c *checker) busy(ctx context.Context) string {
	hc := &http.Client{Timeout: 2 * time.Second}
	for _, p := range c.st.all() {
		resp, err := hc.Get(p.ready)
		if err != nil {
			return p.name + " not ready"
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return p.name + " not ready"
		}
	}
	var outbox, mail, hooks, undecided int
	err := c.st.db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM registration.outbox WHERE sent_at IS NULL) + (SELECT count(*) FROM funding.outbox WHERE sent_at IS NULL)
			+ (SELECT count(*) FROM notification.outbox WHERE sent_at IS NULL),
		(SELECT count(*) FROM notification.messages WHERE status IN ('pending', 'sending')),
		(SELECT count(*) FROM notification.webhook_deliveries WHERE status IN ('pending', 'failed')),
		(SELECT count(*) FROM registration.enrolments e JOIN funding.decisions d ON d.enrolment_id = e.id
			WHERE e.status = 'pending' AND d.outcome IN ('approved', 'rejected') AND d.enrolment_version = e.version)`).
		Scan(&outbox, &mail, &hooks, &undecided)
	switch {
	case err != nil:
		return "postgres: " + err.Error()
	case outbox > 0:
		return fmt.Sprintf("%d outbox rows unsent", outbox)
	case mail > 0:
		return fmt.Sprintf("%d messages to send", mail)
	case hooks > 0:
		return fmt.Sprintf("%d webhook deliveries to make", hooks)
	case undecided > 0:
		return fmt.Sprintf("%d decided enrolments still pending", undecided)
	}
	lag, err := c.consumerLag(ctx)
	if err != nil {
		return "nats: " + err.Error()
	}
	for name, n := range lag {
		if n > 0 {
			return fmt.Sprintf("consumer %s has %d messages to handle", name, n)
		}
	}
	return ""
}

// consumerLag is each durable consumer's undelivered plus unacknowledged messages.
func (c *checker) consumerLag(ctx context.Context) (map[string]int, error) {
	nc, js, err := c.st.connectNATS()
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	out := map[string]int{}
	for stream, names := range consumersOf {
		for _, name := range names {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			cons, err := js.Consumer(cctx, stream, name)
			if err != nil {
				cancel()
				return nil, fmt.Errorf("consumer %s: %w", name, err)
			}
			info, err := cons.Info(cctx)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("consumer %s: %w", name, err)
			}
			out[name] = int(info.NumPending) + info.NumAckPending
		}
	}
	return out, nil
}

// check is one invariant's result.
type check struct {
	Name       string   `json:"name"`
	Violations int      `json:"violations"`
	Examples   []string `json:"examples,omitempty"`
}

func (k *check) fail(format string, a ...any) {
	k.Violations++
	if len(k.Examples) < 10 {
		k.Examples = append(k.Examples, fmt.Sprintf(format, a...))
	}
}

// state is what the checker reads from Postgres.
type state struct {
	enrolments map[string]*enrolmentRow
	history    map[string][]historyRow
	keys       map[string]string // "<citizen>/<key>" → enrolment id in the stored answer
	runs       []runRow
	decisions  map[string]decisionRow // by enrolment id
	referrals  map[string]referralRow
	messages   []messageRow
}

type enrolmentRow struct {
	ID, Citizen, Course, Status, Referral, InstitutionDecision string
	HoldsSeat                                                  bool
	Priority                                                   int
	DrawRank                                                   *int
	RequestedAt                                                time.Time
}

type historyRow struct {
	Status, Cause string
	Committed     time.Time
}

type runRow struct {
	ID, Institution    string
	Total, Taken, Held int
	Waiting            int
}

type decisionRow struct{ Outcome, Status, Review string }

type referralRow struct{ ID, Citizen, Course, Status, Enrolment string }

type messageRow struct {
	ID, EventID, Recipient, Channel, Status string
	SentAt                                  *time.Time
}

func (c *checker) load(ctx context.Context) (*state, error) {
	db := c.st.db
	s := &state{enrolments: map[string]*enrolmentRow{}, history: map[string][]historyRow{}, keys: map[string]string{},
		decisions: map[string]decisionRow{}, referrals: map[string]referralRow{}}
	rows, err := db.Query(ctx, `SELECT id::text, citizen_id, course_id::text, status, coalesce(referral_id::text, ''), institution_decision,
			holds_seat, priority, draw_rank, requested_at
		FROM registration.enrolments WHERE citizen_id LIKE $1`, citizenPrefix+"%")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		e := &enrolmentRow{}
		if err := rows.Scan(&e.ID, &e.Citizen, &e.Course, &e.Status, &e.Referral, &e.InstitutionDecision, &e.HoldsSeat, &e.Priority,
			&e.DrawRank, &e.RequestedAt); err != nil {
			return nil, err
		}
		s.enrolments[e.ID] = e
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.Query(ctx, `SELECT h.enrolment_id::text, h.status, h.cause, pg_xact_commit_timestamp(h.xmin)
		FROM registration.enrolment_history h JOIN registration.enrolments e ON e.id = h.enrolment_id
		WHERE e.citizen_id LIKE $1 ORDER BY h.enrolment_id, h.seq`, citizenPrefix+"%")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var h historyRow
		var at *time.Time
		if err := rows.Scan(&id, &h.Status, &h.Cause, &at); err != nil {
			return nil, err
		}
		if at != nil {
			h.Committed = *at
		}
		s.history[id] = append(s.history[id], h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.Query(ctx, `SELECT principal, key, convert_from(coalesce(body, ''), 'UTF8') FROM registration.idempotency_keys
		WHERE principal LIKE $1`, citizenPrefix+"%")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var principal, key, body string
		if err := rows.Scan(&principal, &key, &body); err != nil {
			return nil, err
		}
		var answer struct {
			ID        string
			Enrolment struct{ ID string } // registration keeps the enrolment it created, not its rendering
		}
		_ = json.Unmarshal([]byte(body), &answer)
		s.keys[principal+"/"+key] = cmp.Or(answer.Enrolment.ID, answer.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.runs, err = collect(ctx, db, `SELECT c.id::text, c.institution_id::text, c.seats_total, c.seats_taken,
			(SELECT count(*) FROM registration.enrolments e WHERE e.course_id = c.id AND e.holds_seat),
			(SELECT count(*) FROM registration.enrolments e WHERE e.course_id = c.id AND e.status = 'waitlisted')
		FROM registration.course_runs c WHERE c.code LIKE $1`, func(r pgx.Rows) (runRow, error) {
		var x runRow
		return x, r.Scan(&x.ID, &x.Institution, &x.Total, &x.Taken, &x.Held, &x.Waiting)
	}, runPrefix+"%"); err != nil {
		return nil, err
	}
	decisions, err := collect(ctx, db, `SELECT enrolment_id::text, outcome, status, review_status FROM funding.decisions WHERE citizen_id LIKE $1`,
		func(r pgx.Rows) ([2]any, error) {
			var id string
			var d decisionRow
			err := r.Scan(&id, &d.Outcome, &d.Status, &d.Review)
			return [2]any{id, d}, err
		}, citizenPrefix+"%")
	if err != nil {
		return nil, err
	}
	for _, d := range decisions {
		s.decisions[d[0].(string)] = d[1].(decisionRow)
	}
	referrals, err := collect(ctx, db, `SELECT id::text, citizen_id, course_id::text, status, coalesce(enrolment_id::text, '')
		FROM funding.referrals WHERE citizen_id LIKE $1`, func(r pgx.Rows) (referralRow, error) {
		var x referralRow
		return x, r.Scan(&x.ID, &x.Citizen, &x.Course, &x.Status, &x.Enrolment)
	}, citizenPrefix+"%")
	if err != nil {
		return nil, err
	}
	for _, r := range referrals {
		s.referrals[r.ID] = r
	}
	s.messages, err = collect(ctx, db, `SELECT id::text, event_id::text, recipient_id, channel, status, sent_at FROM notification.messages
		WHERE recipient_id LIKE $1`, func(r pgx.Rows) (messageRow, error) {
		var x messageRow
		return x, r.Scan(&x.ID, &x.EventID, &x.Recipient, &x.Channel, &x.Status, &x.SentAt)
	}, citizenPrefix+"%")
	return s, err
}

func collect[T any](ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, scan func(pgx.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// check runs every invariant and fills the report.
func (c *checker) check(ctx context.Context, rep *report) error {
	s, err := c.load(ctx)
	if err != nil {
		return err
	}
	ops, stats, gaps := c.w.h.snapshot()
	rep.HTTP = stats
	rep.countOps(ops)
	runs := map[string]runRow{}
	for _, r := range s.runs {
		runs[r.ID] = r
	}

	lost, dup := c.acknowledged(s, ops)
	rep.Lost, rep.Duplicated = lost.Violations, dup.Violations
	seats := c.seats(s)
	rep.Oversold = seats.Violations
	pools, caps, leaks, err := c.money(ctx)
	if err != nil {
		return err
	}
	rep.Overspent, rep.CapsExceeded = pools.Violations, caps.Violations
	order := waitlistOrder(s.enrolments, s.history, runs)
	consumed, err := c.consumed(ctx)
	if err != nil {
		return err
	}
	notes, err := c.notifications(ctx, s, rep)
	if err != nil {
		return err
	}
	hooks, err := c.webhooks(ctx, rep)
	if err != nil {
		return err
	}
	feed, err := c.feeds(ctx, gaps)
	if err != nil {
		return err
	}
	outbox, poison, err := c.queues(ctx, rep)
	if err != nil {
		return err
	}
	profiles, err := c.profiles(ctx)
	if err != nil {
		return err
	}
	c.n.mu.Lock()
	ended := slices.Clone(c.n.ended)
	c.n.mu.Unlock()
	var recovery check
	rep.RecoveryS, recovery = recoveries(ended, ops)
	rep.Checks = []check{lost, dup, seats, pools, caps, leaks, order, consumed, notes, hooks, feed, outbox, poison, profiles,
		c.backpressure(stats), validRequests(ops), recovery, c.shutdowns(stats), c.natsWrites()}
	c.n.mu.Lock()
	rep.NemesisErrors = slices.Clone(c.n.failures)
	kills := slices.Clone(c.n.kills)
	c.n.mu.Unlock()
	if rep.InFlightAtKill, err = c.inFlightAtKill(ctx, kills); err != nil {
		return err
	}
	for _, p := range append(c.st.all(), c.st.nats...) {
		if n, last := p.crashes(); n > 0 {
			rep.UnexpectedExits = append(rep.UnexpectedExits, fmt.Sprintf("%s exited %d time(s) by itself (last: %s)", p.name, n, last))
		}
	}
	return nil
}

// inFlightAtKill counts, per service, the events that were written before one of its instances was
// killed and published after: the kills that landed between a commit and its publish.
func (c *checker) inFlightAtKill(ctx context.Context, kills []kill) (map[string]int, error) {
	out := map[string]int{}
	for _, svc := range serviceNames {
		var at []time.Time
		for _, k := range kills {
			if k.Service == svc {
				at = append(at, k.At)
			}
		}
		var n int
		if err := c.st.db.QueryRow(ctx, `SELECT count(*) FROM `+svc+`.outbox o
			WHERE EXISTS (SELECT 1 FROM unnest($1::timestamptz[]) k WHERE o.created_at <= k AND o.sent_at >= k)`, at).Scan(&n); err != nil {
			return nil, err
		}
		out[svc] = n
	}
	return out, nil
}

// finalOrWaiting are the states an enrolment may rest in.
var finalOrWaiting = []string{"waitlisted", "offered", "confirmed", "rejected", "cancelled", "started", "completed", "withdrawn"}

// acknowledged checks that every 2xx-answered operation took effect and came to rest, and that
// nothing was made twice.
func (c *checker) acknowledged(s *state, ops []op) (lost, dup check) {
	lost.Name, dup.Name = "every acknowledged request reached a final or waiting state", "nothing was made twice"
	resting := func(id string) (string, bool) {
		e, found := s.enrolments[id]
		if !found {
			return "missing", false
		}
		if e.Status == "pending" { // resting only while a caseworker reviews it
			d, decided := s.decisions[id]
			return "pending (decision: " + cmp.Or(d.Outcome, "none") + ")", decided && d.Outcome == "review_required"
		}
		return e.Status, slices.Contains(finalOrWaiting, e.Status)
	}
	made := map[[2]string]int{} // (citizen, run) → enrolments the citizen's requests made
	for _, e := range s.enrolments {
		if h := s.history[e.ID]; len(h) > 0 && h[0].Cause == "citizen" {
			made[[2]string{e.Citizen, e.Course}]++
		}
	}
	referred := map[[2]string]int{}
	for _, r := range s.referrals {
		referred[[2]string{r.Citizen, r.Course}]++
	}
	heldFor, live := map[string]bool{}, map[[2]string]bool{} // referral → a seat held for it; (citizen, run) → a live enrolment
	for _, e := range s.enrolments {
		if e.Referral != "" {
			heldFor[e.Referral] = true
		}
		if slices.Contains([]string{"pending", "waitlisted", "offered", "confirmed"}, e.Status) {
			live[[2]string{e.Citizen, e.Course}] = true
		}
	}
	for _, o := range ops {
		if len(o.Results) > 1 {
			dup.fail("%s %s by %s answered %v", o.Kind, o.Target, o.Actor, o.Results)
		}
		if o.Outcome != ok {
			continue
		}
		switch o.Kind {
		case "enrol":
			if st, fine := resting(o.Result); !fine {
				lost.fail("enrolment %s (202 %s) is %s", o.Result, o.State, st)
			}
			if got := s.keys[o.Actor+"/"+o.Key]; got != o.Result {
				dup.fail("idempotency key of enrolment %s stores %q", o.Result, got)
			}
			if n := made[[2]string{o.Actor, o.Target}]; n > 1 {
				dup.fail("%s has %d enrolments on run %s from one request", o.Actor, n, o.Target)
			}
		case "cancel", "offer_decline":
			if e := s.enrolments[o.Target]; e == nil || e.Status != "cancelled" {
				lost.fail("%s of %s answered %d but the enrolment is %s", o.Kind, o.Target, o.Status, statusOf(e))
			}
		case "offer_accept":
			if st, fine := resting(o.Target); !fine || st == "offered" {
				lost.fail("offer_accept of %s answered %d but the enrolment is %s", o.Target, o.Status, st)
			}
		case "accept":
			if e := s.enrolments[o.Target]; e == nil || e.InstitutionDecision != "accepted" {
				lost.fail("institution accepted %s but its decision is %q", o.Target, decisionOf(e))
			}
		case "complete":
			e := s.enrolments[o.Target]
			if e == nil || e.Status != "completed" {
				lost.fail("completion of %s answered %d but the enrolment is %s", o.Target, o.Status, statusOf(e))
			} else if d := s.decisions[o.Target]; d.Outcome == "approved" && d.Status != "paid" {
				lost.fail("enrolment %s completed but funding's decision is %s, not paid", o.Target, d.Status)
			}
		case "refer":
			r, found := s.referrals[o.Result]
			switch {
			case !found:
				lost.fail("referral %s (201) is missing", o.Result)
			case referred[[2]string{r.Citizen, r.Course}] > 1:
				dup.fail("%s has %d referrals to run %s from one request", r.Citizen, referred[[2]string{r.Citizen, r.Course}], r.Course)
			}
			if found && r.Status == "open" && !heldFor[r.ID] && !live[[2]string{r.Citizen, r.Course}] {
				lost.fail("open referral %s holds no seat in registration", r.ID)
			}
		case "referral_accept", "referral_decline":
			r := s.referrals[o.Target]
			want := map[string]string{"referral_accept": "accepted", "referral_decline": "declined"}[o.Kind]
			if r.Status != want && !(want == "accepted" && r.Status == "withdrawn") {
				lost.fail("%s of %s answered %d but the referral is %q", o.Kind, o.Target, o.Status, r.Status)
			}
			if want == "accepted" && r.Enrolment != "" {
				if st, fine := resting(r.Enrolment); !fine || st == "offered" {
					lost.fail("accepted referral %s: its enrolment %s is %s", r.ID, r.Enrolment, st)
				}
			}
		}
	}
	return lost, dup
}

func statusOf(e *enrolmentRow) string {
	if e == nil {
		return "missing"
	}
	return e.Status
}

func decisionOf(e *enrolmentRow) string {
	if e == nil {
		return "missing"
	}
	return e.InstitutionDecision
}

// seats checks that no run holds more seats than it has, and that its count matches its enrolments.
func (c *checker) seats(s *state) check {
	k := check{Name: "no run has more seats taken than its capacity"}
	for _, r := range s.runs {
		if r.Taken > r.Total || r.Held > r.Total {
			k.fail("run %s: %d seats, %d taken, %d enrolments hold one", r.ID, r.Total, r.Taken, r.Held)
		}
		if r.Taken != r.Held {
			k.fail("run %s counts %d seats taken but %d enrolments hold one", r.ID, r.Taken, r.Held)
		}
	}
	return k
}

// money checks the pools, the citizens' caps and that ended enrolments and referrals hold no money.
func (c *checker) money(ctx context.Context) (pools, caps, leaks check, err error) {
	pools.Name, caps.Name, leaks.Name = "no pool overspent; pools match their reservations", "no citizen cap exceeded; caps match their reservations",
		"ended enrolments and referrals hold no money"
	db := c.st.db
	type pool struct {
		id, scheme, owner                            string
		amount, reserved, paid, sumReserved, sumPaid int64
	}
	ps, err := collect(ctx, db, `SELECT p.id::text, p.scheme, p.owner, p.amount_dkk, p.reserved_dkk, p.paid_dkk,
			coalesce((SELECT sum(amount_dkk) FROM funding.reservations r WHERE r.pool_id = p.id AND r.status = 'reserved'), 0)::bigint,
			coalesce((SELECT sum(paid_dkk) FROM funding.reservations r WHERE r.pool_id = p.id AND r.status = 'paid'), 0)::bigint
		FROM funding.budget_pools p`, func(r pgx.Rows) (pool, error) {
		var x pool
		return x, r.Scan(&x.id, &x.scheme, &x.owner, &x.amount, &x.reserved, &x.paid, &x.sumReserved, &x.sumPaid)
	})
	if err != nil {
		return
	}
	for _, p := range ps {
		if p.reserved+p.paid > p.amount {
			pools.fail("pool %s (%s %s) holds %d of %d kr.", p.id, p.scheme, p.owner, p.reserved+p.paid, p.amount)
		}
		if p.reserved != p.sumReserved || p.paid != p.sumPaid {
			pools.fail("pool %s (%s %s): reserved %d, paid %d; its reservations say %d and %d", p.id, p.scheme, p.owner, p.reserved, p.paid, p.sumReserved, p.sumPaid)
		}
	}
	type usage struct {
		citizen, scheme, period string
		used, limit, sum        int64
	}
	us, err := collect(ctx, db, `SELECT u.citizen_id, u.scheme, u.period, u.used_dkk, u.limit_dkk,
			coalesce((SELECT sum(CASE WHEN r.status = 'reserved' THEN r.amount_dkk ELSE r.paid_dkk END) FROM funding.reservations r
				WHERE r.citizen_id = u.citizen_id AND r.scheme = u.scheme AND r.period = u.period AND r.status IN ('reserved', 'paid')), 0)::bigint
		FROM funding.citizen_usage u`, func(r pgx.Rows) (usage, error) {
		var x usage
		return x, r.Scan(&x.citizen, &x.scheme, &x.period, &x.used, &x.limit, &x.sum)
	})
	if err != nil {
		return
	}
	for _, u := range us {
		if u.used > u.limit {
			caps.fail("%s %s %s: used %d of %d kr.", u.citizen, u.scheme, u.period, u.used, u.limit)
		}
		if u.used != u.sum {
			caps.fail("%s %s %s: used %d kr.; its reservations say %d", u.citizen, u.scheme, u.period, u.used, u.sum)
		}
	}
	held, err := collect(ctx, db, `SELECT r.enrolment_id::text || ' (' || e.status || ')' FROM funding.reservations r
			JOIN registration.enrolments e ON e.id = r.enrolment_id
			WHERE r.status = 'reserved' AND e.status IN ('cancelled', 'rejected', 'completed', 'withdrawn')
		UNION ALL
		SELECT f.id::text || ' (referral ' || f.status || ')' FROM funding.reservations r JOIN funding.referrals f ON f.id = r.enrolment_id
			WHERE r.status = 'reserved' AND f.status IN ('declined', 'expired', 'withdrawn')
		UNION ALL
		SELECT f.id::text || ' (accepted referral whose enrolment is ' || e.status || ')' FROM funding.reservations r
			JOIN funding.referrals f ON f.id = r.enrolment_id JOIN registration.enrolments e ON e.referral_id = f.id
			WHERE r.status = 'reserved' AND f.status = 'accepted' AND e.status IN ('cancelled', 'rejected', 'completed', 'withdrawn')
		UNION ALL
		SELECT e.id::text || ' (completed, decision ' || d.status || ')' FROM registration.enrolments e
			JOIN funding.decisions d ON d.enrolment_id = e.id
			WHERE e.status = 'completed' AND d.outcome = 'approved' AND d.status <> 'paid'`, func(r pgx.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
	for _, h := range held {
		leaks.fail("%s still holds money", h)
	}
	return
}

// waitlistOrder checks that no run gave a seat from its waiting list to an enrolment while one that
// ranks before it (priority group, draw, time of request) was waiting, and that no run has a free
// seat while someone waits. Commit timestamps say what a transaction could see.
func waitlistOrder(enrolments map[string]*enrolmentRow, history map[string][]historyRow, runs map[string]runRow) check {
	k := check{Name: "waiting lists served in order; no free seat while someone waits"}
	type interval struct {
		e        *enrolmentRow
		from, to time.Time // committed waiting; to is zero while it still waits
	}
	waits := map[string][]interval{} // run → waiting intervals
	type promotion struct {
		e  *enrolmentRow
		at time.Time
	}
	var promotions []promotion
	for id, h := range history {
		e := enrolments[id]
		if e == nil {
			continue
		}
		for i, row := range h {
			if row.Status != "waitlisted" {
				continue
			}
			iv := interval{e: e, from: row.Committed}
			if i+1 < len(h) {
				iv.to = h[i+1].Committed
				if next := h[i+1].Status; next == "offered" || next == "pending" {
					promotions = append(promotions, promotion{e: e, at: h[i+1].Committed})
				}
			}
			waits[e.Course] = append(waits[e.Course], iv)
		}
	}
	// A transaction committed this long before another is taken to have been visible to it.
	const slack = 250 * time.Millisecond
	for _, p := range promotions {
		for _, iv := range waits[p.e.Course] {
			if iv.e == p.e || !ranksBefore(iv.e, p.e) {
				continue
			}
			if iv.from.Before(p.at.Add(-slack)) && (iv.to.IsZero() || iv.to.After(p.at)) {
				k.fail("run %s: %s got a seat at %s while %s, ahead of it, waited", p.e.Course, p.e.ID, p.at.Format(time.StampMilli), iv.e.ID)
			}
		}
	}
	for _, r := range runs {
		if r.Waiting > 0 && r.Taken < r.Total {
			k.fail("run %s has %d free seat(s) and %d waiting", r.ID, r.Total-r.Taken, r.Waiting)
		}
	}
	return k
}

// ranksBefore is the waiting list's order: priority group, then the draw, then time of request, then id.
func ranksBefore(a, b *enrolmentRow) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	ra, rb := drawRank(a), drawRank(b)
	if ra != rb {
		return ra < rb
	}
	if !a.RequestedAt.Equal(b.RequestedAt) {
		return a.RequestedAt.Before(b.RequestedAt)
	}
	return a.ID < b.ID
}

func drawRank(e *enrolmentRow) int {
	if e.DrawRank == nil {
		return 1 << 31
	}
	return *e.DrawRank
}

// consumed checks that every event a service published reached every consumer that reads it: each
// consumer's inbox has it (a consumer applies an event in the transaction that records it there).
func (c *checker) consumed(ctx context.Context) (check, error) {
	k := check{Name: "every published event reached every consumer that reads it"}
	// funding records only the enrolment events that change what a decision holds (and every one
	// of a referral's enrolment); notification-webhooks records none (its deliveries are unique per
	// event and endpoint, checked by the webhook check).
	missing, err := collect(ctx, c.st.db, `WITH expected(event_id, subject, consumer, schema) AS (
			SELECT o.event_id, o.subject, 'notification-registration', 'notification' FROM registration.outbox o
				WHERE o.subject LIKE 'livslang.registration.enrolment.%' OR o.subject IN ('livslang.registration.profile.updated', 'livslang.registration.course.updated')
			UNION ALL SELECT o.event_id, o.subject, 'funding-registration', 'funding' FROM registration.outbox o
				WHERE o.subject IN ('livslang.registration.profile.updated', 'livslang.registration.course.updated',
						'livslang.registration.enrolment.requested', 'livslang.registration.enrolment.cancelled',
						'livslang.registration.enrolment.rejected', 'livslang.registration.enrolment.completed',
						'livslang.registration.enrolment.withdrawn')
					OR (o.subject LIKE 'livslang.registration.enrolment.%' AND convert_from(o.envelope, 'UTF8')::jsonb->'data'->>'referral_id' <> '')
			UNION ALL SELECT o.event_id, o.subject, 'registration-funding-decisions', 'registration' FROM funding.outbox o
				WHERE o.subject LIKE 'livslang.funding.decision.%' OR o.subject LIKE 'livslang.funding.referral.%'
			UNION ALL SELECT o.event_id, o.subject, 'notification-referrals', 'notification' FROM funding.outbox o
				WHERE o.subject LIKE 'livslang.funding.referral.%')
		SELECT x.consumer || ' never applied ' || x.subject || ' ' || x.event_id FROM expected x
		WHERE NOT CASE x.schema
			WHEN 'funding' THEN EXISTS (SELECT 1 FROM funding.inbox i WHERE i.consumer = x.consumer AND i.event_id = x.event_id)
			WHEN 'notification' THEN EXISTS (SELECT 1 FROM notification.inbox i WHERE i.consumer = x.consumer AND i.event_id = x.event_id)
			ELSE EXISTS (SELECT 1 FROM registration.inbox i WHERE i.consumer = x.consumer AND i.event_id = x.event_id) END`,
		func(r pgx.Rows) (string, error) {
			var s string
			return s, r.Scan(&s)
		})
	for _, m := range missing {
		k.fail("%s", m)
	}
	return k, err
}

// notifications checks that every event that should tell a citizen made one e-mail, sent and
// received, and every decision also one Digital Post letter, sent and in the letters' folder; and
// that no e-mail was received twice other than a send a killed instance could not record.
func (c *checker) notifications(ctx context.Context, s *state, rep *report) (check, error) {
	k := check{Name: "every notification that should exist exists exactly once, and was sent once"}
	type ev struct {
		id, typ, citizen, referral, cause string
	}
	evs, err := collect(ctx, c.st.db, `SELECT o.event_id::text, e->>'type', e->'data'->>'citizen_id', coalesce(e->'data'->>'referral_id', ''),
			coalesce(e->'data'->>'cause', '')
		FROM (SELECT event_id, convert_from(envelope, 'UTF8')::jsonb e FROM registration.outbox WHERE subject LIKE 'livslang.registration.enrolment.%'
			UNION ALL SELECT event_id, convert_from(envelope, 'UTF8')::jsonb FROM funding.outbox WHERE subject = 'livslang.funding.referral.created') o(event_id, e)
		WHERE e->'data'->>'citizen_id' LIKE $1`, func(r pgx.Rows) (ev, error) {
		var x ev
		return x, r.Scan(&x.id, &x.typ, &x.citizen, &x.referral, &x.cause)
	}, citizenPrefix+"%")
	if err != nil {
		return k, err
	}
	byChannel := map[string]map[string][]messageRow{"email": {}, "digital_post": {}} // channel → event id → messages
	for _, m := range s.messages {
		if byEvent := byChannel[m.Channel]; byEvent != nil {
			byEvent[m.EventID] = append(byEvent[m.EventID], m)
		}
		switch m.Channel {
		case "email":
			rep.Notifications.Emails++
		case "digital_post":
			rep.Notifications.DigitalPost++
		}
	}
	missing, duplicated := 0, 0
	expect := func(e ev, channel, what string) {
		switch n := len(byChannel[channel][e.id]); {
		case n == 0:
			missing++
			k.fail("no %s for %s %s to %s", what, e.typ, e.id, e.citizen)
		case n > 1:
			duplicated++
			k.fail("%d %ss for %s %s", n, what, e.typ, e.id)
		}
	}
	for _, e := range evs {
		if tellsCitizen(e.typ, e.referral, e.cause) {
			expect(e, "email", "e-mail")
		}
		if isDecision(e.typ, e.cause) {
			expect(e, "digital_post", "Digital Post letter")
		}
	}
	for _, m := range s.messages {
		if m.Channel != "digital_post" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c.st.digitalPostDir(), m.ID+".xml")); m.Status != "sent" || err != nil {
			missing++
			k.fail("Digital Post letter %s is %s, its file: %v", m.ID, m.Status, err)
		}
	}
	// Sent once: the sink got each e-mail; a second copy is only allowed when an instance of
	// notification was killed between the two (it sent and died before recording it).
	got := map[string][]time.Time{}
	for _, r := range c.st.smtp.receipts() {
		id, _, _ := strings.Cut(r.MessageID, "@")
		got[id] = append(got[id], r.At)
	}
	c.n.mu.Lock()
	kills := slices.Clone(c.n.kills)
	c.n.mu.Unlock()
	for _, m := range s.messages {
		if m.Channel != "email" {
			continue
		}
		if m.Status != "sent" {
			missing++
			k.fail("e-mail %s is %s", m.ID, m.Status)
			continue
		}
		times := got[m.ID]
		if len(times) == 0 {
			missing++
			k.fail("e-mail %s is recorded sent but the mail server never got it", m.ID)
		}
		for i := 1; i < len(times); i++ {
			if slices.ContainsFunc(kills, func(x kill) bool {
				return x.Service == "notification" && !x.At.Before(times[i-1]) && !x.At.After(times[i])
			}) {
				rep.NotificationsResent++
				continue
			}
			duplicated++
			k.fail("e-mail %s received again at %s (first %s) with no crash between", m.ID, times[i].Format(time.StampMilli), times[0].Format(time.StampMilli))
		}
	}
	rep.NotificationsMissing, rep.NotificationsDuplicated = missing, duplicated
	return k, nil
}

// tellsCitizen is notification's rule (internal/notify) for which enrolment events e-mail the
// citizen: every one but started, completed and withdrawn; an offer only when it is not a
// referral's; a cancellation unless it is a withdrawn referral's. A new referral does too.
func tellsCitizen(typ, referral, cause string) bool {
	switch typ {
	case "livslang.enrolment.requested.v1", "livslang.enrolment.waitlisted.v1", "livslang.enrolment.confirmed.v1",
		"livslang.enrolment.rejected.v1", "livslang.enrolment.accepted.v1", "livslang.referral.created.v1":
		return true
	case "livslang.enrolment.offered.v1":
		return referral == ""
	case "livslang.enrolment.cancelled.v1":
		return referral == "" || cause != "caseworker"
	}
	return false
}

// isDecision is notification's rule (policy.IsDecision) for which of these events are a public
// authority's decision and so also go by Digital Post: a referral, and a rejection funding made.
func isDecision(typ, cause string) bool {
	return typ == "livslang.referral.created.v1" || (typ == "livslang.enrolment.rejected.v1" && cause == "funding")
}

// webhooks checks that every enrolment event of the workload's institutions has one delivery per
// endpoint, delivered, and that the receiver accepted it (a repeat with the same webhook-id is
// allowed: receivers deduplicate by it).
func (c *checker) webhooks(ctx context.Context, rep *report) (check, error) {
	k := check{Name: "every webhook delivered once per event and endpoint"}
	var insts []string
	for _, in := range c.w.insts {
		insts = append(insts, in.id)
	}
	type delivery struct{ id, event, status string }
	problems, err := collect(ctx, c.st.db, `SELECT o.event_id::text, coalesce(d.id::text, ''), coalesce(d.status, ''),
			(SELECT count(*) FROM notification.webhook_deliveries d2 WHERE d2.event_id = o.event_id AND d2.endpoint_id = w.id)
		FROM registration.outbox o
		JOIN notification.webhook_endpoints w ON w.institution_id = convert_from(o.envelope, 'UTF8')::jsonb->'data'->'course'->>'institution_id'
		LEFT JOIN notification.webhook_deliveries d ON d.event_id = o.event_id AND d.endpoint_id = w.id
		WHERE o.subject LIKE 'livslang.registration.enrolment.%' AND w.institution_id = ANY($1) AND o.created_at > w.created_at`,
		func(r pgx.Rows) (delivery, error) {
			var x delivery
			var n int
			err := r.Scan(&x.event, &x.id, &x.status, &n)
			if n > 1 {
				x.status = fmt.Sprintf("%d deliveries", n)
			}
			return x, err
		}, insts)
	if err != nil {
		return k, err
	}
	got, bad := c.st.hooks.receipts()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.WebhookID]++
	}
	for _, d := range problems {
		switch {
		case d.id == "":
			k.fail("no webhook delivery for event %s", d.event)
		case d.status != "succeeded":
			k.fail("webhook delivery %s of event %s is %s", d.id, d.event, d.status)
		case seen[d.id] == 0:
			k.fail("webhook delivery %s is recorded delivered but the receiver never accepted it", d.id)
		default:
			rep.WebhooksResent += seen[d.id] - 1
		}
		rep.Webhooks++
	}
	if bad > 0 {
		k.fail("%d webhook requests with a wrong signature", bad)
	}
	return k, nil
}

// feeds checks each institution's feed: sequence numbers 1..head without a gap, every enrolment
// event of its runs in it once, and the feed reader never saw a number skipped.
func (c *checker) feeds(ctx context.Context, readerGaps []string) (check, error) {
	k := check{Name: "institution feeds have no gaps"}
	for _, g := range readerGaps {
		k.fail("feed reader: %s", g)
	}
	for _, in := range c.w.insts {
		seqs, err := collect(ctx, c.st.db, `SELECT seq FROM registration.institution_feed WHERE institution_id = $1 ORDER BY seq`,
			func(r pgx.Rows) (int64, error) {
				var n int64
				return n, r.Scan(&n)
			}, in.id)
		if err != nil {
			return k, err
		}
		var head int64
		if err := c.st.db.QueryRow(ctx, `SELECT coalesce((SELECT seq FROM registration.institution_feed_heads WHERE institution_id = $1), 0)`, in.id).Scan(&head); err != nil {
			return k, err
		}
		for _, g := range feedGaps(seqs, head) {
			k.fail("%s: %s", in.name, g)
		}
		var notInFeed int
		if err := c.st.db.QueryRow(ctx, `SELECT count(*) FROM registration.outbox o
			WHERE o.subject LIKE 'livslang.registration.enrolment.%'
				AND convert_from(o.envelope, 'UTF8')::jsonb->'data'->'course'->>'institution_id' = $1
				AND NOT EXISTS (SELECT 1 FROM registration.institution_feed f WHERE f.institution_id = $1::uuid AND f.event_id = o.event_id)`,
			in.id).Scan(&notInFeed); err != nil {
			return k, err
		}
		if notInFeed > 0 {
			k.fail("%s: %d enrolment events are not in its feed", in.name, notInFeed)
		}
	}
	return k, nil
}

// feedGaps lists what is wrong with a feed's sequence numbers: each must follow the one before, from 1
// to head.
func feedGaps(seqs []int64, head int64) []string {
	var out []string
	var want int64 = 1
	for _, s := range seqs {
		if s != want {
			out = append(out, fmt.Sprintf("sequence %d follows %d", s, want-1))
		}
		want = s + 1
	}
	if want-1 != head {
		out = append(out, fmt.Sprintf("the feed ends at %d but its head says %d", want-1, head))
	}
	return out
}

// queues checks the outboxes are empty and that each poison message is parked, with a reason, by
// every consumer that got it, and that nothing else was parked or is left unhandled.
func (c *checker) queues(ctx context.Context, rep *report) (outbox, poison check, err error) {
	outbox.Name, poison.Name = "nothing stays in an outbox", "poison messages parked with a reason; nothing else parked or stuck"
	for _, schema := range serviceNames {
		var n int
		if err = c.st.db.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
			return
		}
		if n > 0 {
			outbox.fail("%s: %d events never sent", schema, n)
		}
	}
	type parked struct{ consumer, id, reason string }
	var all []parked
	for _, schema := range serviceNames {
		var ps []parked
		ps, err = collect(ctx, c.st.db, `SELECT consumer, coalesce(convert_from(payload, 'UTF8')::jsonb->>'id', ''), reason FROM `+schema+`.parked_messages`,
			func(r pgx.Rows) (parked, error) {
				var x parked
				return x, r.Scan(&x.consumer, &x.id, &x.reason)
			})
		if err != nil {
			return
		}
		all = append(all, ps...)
	}
	rep.Parked = len(all)
	c.n.mu.Lock()
	msgs := slices.Clone(c.n.poison)
	c.n.mu.Unlock()
	rep.PoisonMessages = len(msgs)
	expected := map[string]bool{}
	for _, m := range msgs {
		for _, consumer := range m.Consumers {
			expected[consumer+"/"+m.ID] = true
			i := slices.IndexFunc(all, func(p parked) bool { return p.consumer == consumer && p.id == m.ID })
			switch {
			case i < 0:
				poison.fail("%s %s (%s) not parked by %s", m.Kind, m.ID, m.Type, consumer)
			case all[i].reason == "":
				poison.fail("%s parked %s without a reason", consumer, m.ID)
			case m.Kind == "unknown-version" && !strings.Contains(all[i].reason, "unknown event type"):
				poison.fail("%s parked %s (%s) for another reason: %s", consumer, m.ID, m.Type, all[i].reason)
			}
		}
	}
	for _, p := range all {
		if !expected[p.consumer+"/"+p.id] {
			poison.fail("%s parked event %s that was not poison: %s", p.consumer, p.id, p.reason)
		}
	}
	lag, lerr := c.consumerLag(ctx)
	if lerr != nil {
		poison.fail("consumer state unknown: %v", lerr)
	}
	for name, n := range lag {
		if n > 0 {
			poison.fail("consumer %s has %d messages unhandled", name, n)
		}
	}
	return
}

// profiles checks that each citizen's latest profile reached funding and notification.
func (c *checker) profiles(ctx context.Context) (check, error) {
	k := check{Name: "every citizen's latest profile reached every service"}
	stale, err := collect(ctx, c.st.db, `SELECT r.id || ' v' || r.version || ': funding v' || coalesce(f.version::text, '-')
			|| ', notification v' || coalesce(n.version::text, '-')
		FROM registration.citizens r LEFT JOIN funding.citizens f ON f.id = r.id LEFT JOIN notification.recipients n ON n.id = r.id
		WHERE r.id LIKE $1 AND (f.version IS DISTINCT FROM r.version OR n.version IS DISTINCT FROM r.version)`,
		func(r pgx.Rows) (string, error) {
			var s string
			return s, r.Scan(&s)
		}, citizenPrefix+"%")
	for _, s := range stale {
		k.fail("%s", s)
	}
	return k, err
}

// backpressure checks the answers under faults: a dependency that is down or slow is a 503 (or
// 429) with Retry-After, never another 5xx.
func (c *checker) backpressure(s httpStats) check {
	k := check{Name: "no 5xx but 503, and every 503 and 429 says Retry-After"}
	for _, e := range s.Examples {
		k.fail("%s", e)
	}
	k.Violations = s.ServerErrors
	if s.UnavailableNoRetryAfter > 0 {
		k.fail("%d answers 503 or 429 without Retry-After", s.UnavailableNoRetryAfter)
	}
	return k
}

// validRequests checks that no request was refused as invalid: the workload sends only valid ones,
// so a 400 is a failure (a database error, say) passed off as the caller's mistake, which a client
// would not retry.
func validRequests(ops []op) check {
	k := check{Name: "no valid request refused as invalid (400)"}
	for _, o := range ops {
		if o.Outcome == failed && o.Status == 400 {
			k.fail("%s %s by %s: %s", o.Kind, o.Target, o.Actor, o.Note)
		}
	}
	return k
}

// recoveryBound is how soon after a fault is over a write must succeed again.
const recoveryBound = 30 * time.Second

// recoveries measures, for each kind of fault, the longest time from the moment it was over (what
// it broke running again) to the next write answered 2xx; the system must recover by itself within
// recoveryBound.
func recoveries(ended []faultEnd, ops []op) (map[string]float64, check) {
	k := check{Name: fmt.Sprintf("after every fault a write succeeds again within %s, by itself", recoveryBound)}
	var writes []time.Time // when each acknowledged write was answered, in order
	for _, o := range ops {
		if o.Outcome == ok && o.Kind != "enrol_again" {
			writes = append(writes, o.End)
		}
	}
	slices.SortFunc(writes, func(a, b time.Time) int { return a.Compare(b) })
	out := map[string]float64{}
	for _, f := range ended {
		i, _ := slices.BinarySearchFunc(writes, f.At, func(a, b time.Time) int { return a.Compare(b) })
		if i == len(writes) {
			continue // the last fault: the workload stopped with it
		}
		d := writes[i].Sub(f.At)
		out[f.Kind] = max(out[f.Kind], r1(d.Seconds()))
		if d > recoveryBound {
			k.fail("no write succeeded for %.1f s after %s was over", d.Seconds(), f.Kind)
		}
	}
	return out, k
}

// shutdowns checks the rolling restart: every instance exited by itself within the bound after
// SIGTERM, and no request then was answered 5xx.
func (c *checker) shutdowns(s httpStats) check {
	k := check{Name: fmt.Sprintf("rolling restart: each instance exits within %s of SIGTERM; no 5xx meanwhile", shutdownBound)}
	for _, d := range c.n.shutdowns {
		if !d.Graceful {
			k.fail("%s did not exit within %s of SIGTERM", d.Instance, shutdownBound)
		}
	}
	if s.Rolling5xx > 0 {
		k.fail("%d requests answered 5xx during the rolling restart", s.Rolling5xx)
	}
	return k
}

// natsWrites checks the NATS servers' logs: no server stopped a stream or consumer because it could
// not apply what its Raft group had agreed ("critical write error"), which leaves the group short of
// a replica, or without a leader, until an operator steps in.
func (c *checker) natsWrites() check {
	k := check{Name: "no NATS server stopped a stream or consumer (critical write error)"}
	for _, n := range c.st.nats {
		b, err := os.ReadFile(filepath.Join(c.st.logDir, n.name+".log"))
		if err != nil {
			k.fail("%s: %v", n.name, err)
			continue
		}
		for line := range strings.Lines(string(b)) {
			if strings.Contains(line, "critical write error") {
				k.fail("%s: %s", n.name, strings.TrimSpace(line))
			}
		}
	}
	return k
}
