package main

import (
	"reflect"
	"testing"
	"time"
)

func TestFeedGaps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		seqs []int64
		head int64
		want []string
	}{
		{nil, 0, nil},
		{[]int64{1, 2, 3}, 3, nil},
		{[]int64{1, 3}, 3, []string{"sequence 3 follows 1"}},
		{[]int64{2, 3}, 3, []string{"sequence 2 follows 0"}},
		{[]int64{1, 2}, 3, []string{"the feed ends at 2 but its head says 3"}},
	} {
		if got := feedGaps(tc.seqs, tc.head); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("feedGaps(%v, %d) = %q, want %q", tc.seqs, tc.head, got, tc.want)
		}
	}
}

// The waiting-list check flags a seat given to one enrolment while another that ranks before it was
// visibly waiting, and a free seat with a waiting list; not a request that committed too late to be seen.
func TestWaitlistOrder(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	first := &enrolmentRow{ID: "a", Course: "run", RequestedAt: at(0)}
	second := &enrolmentRow{ID: "b", Course: "run", RequestedAt: at(1)}
	referred := &enrolmentRow{ID: "r", Course: "run", RequestedAt: at(2), Priority: 3}
	full := map[string]runRow{"run": {ID: "run", Total: 3, Taken: 3}}
	for _, tc := range []struct {
		name    string
		history map[string][]historyRow
		runs    map[string]runRow
		want    int
	}{
		{"in order", map[string][]historyRow{
			"a": {{Status: "waitlisted", Committed: at(0)}, {Status: "offered", Committed: at(5)}},
			"b": {{Status: "waitlisted", Committed: at(1)}, {Status: "offered", Committed: at(6)}},
		}, full, 0},
		{"second served first", map[string][]historyRow{
			"a": {{Status: "waitlisted", Committed: at(0)}, {Status: "offered", Committed: at(6)}},
			"b": {{Status: "waitlisted", Committed: at(1)}, {Status: "pending", Committed: at(5)}},
		}, full, 1},
		{"first left the list before", map[string][]historyRow{
			"a": {{Status: "waitlisted", Committed: at(0)}, {Status: "cancelled", Committed: at(4)}},
			"b": {{Status: "waitlisted", Committed: at(1)}, {Status: "offered", Committed: at(5)}},
		}, full, 0},
		{"first committed too late to be seen", map[string][]historyRow{
			"a": {{Status: "waitlisted", Committed: at(5.1)}},
			"b": {{Status: "waitlisted", Committed: at(1)}, {Status: "offered", Committed: at(5.2)}},
		}, full, 0},
		{"a referral ranks first", map[string][]historyRow{
			"a": {{Status: "waitlisted", Committed: at(0)}, {Status: "offered", Committed: at(5)}},
			"r": {{Status: "waitlisted", Committed: at(2)}},
		}, full, 1},
		{"free seat while waiting", map[string][]historyRow{
			"a": {{Status: "waitlisted", Committed: at(0)}},
		}, map[string]runRow{"run": {ID: "run", Total: 3, Taken: 2, Waiting: 1}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enrolments := map[string]*enrolmentRow{"a": first, "b": second, "r": referred}
			if got := waitlistOrder(enrolments, tc.history, tc.runs); got.Violations != tc.want {
				t.Fatalf("%d violations (%v), want %d", got.Violations, got.Examples, tc.want)
			}
		})
	}
}

func TestValidSignature(t *testing.T) {
	t.Parallel()
	// The example of the Standard Webhooks specification.
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	sig := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if !validSignature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, "v1,bogus "+sig) {
		t.Fatal("the specification's example does not verify")
	}
	if validSignature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", body, sig) {
		t.Fatal("a changed timestamp verifies")
	}
}

func TestRecoveries(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ops := []op{
		{Kind: "enrol", Outcome: ok, End: at(1)},
		{Kind: "cancel", Outcome: failed, End: at(3)},
		{Kind: "profile", Outcome: ok, End: at(4)},
		{Kind: "enrol", Outcome: ok, End: at(50)},
	}
	got, k := recoveries([]faultEnd{{"pg-crash", at(2)}, {"pg-crash", at(2.5)}, {"pg-cut", at(10)}, {"nats-restart", at(60)}}, ops)
	want := map[string]float64{"pg-crash": 2, "pg-cut": 40}
	if !reflect.DeepEqual(got, want) || k.Violations != 1 {
		t.Fatalf("recoveries %v, %d violations (%v); want %v and one", got, k.Violations, k.Examples, want)
	}
}
