package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/retention"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/funding/internal/store"
	"livslang.dk/services/funding/service"
)

// An erased citizen's decisions are kept, sealed with their data key, for their retention: five
// whole years after the end of the year they were closed; then they go, and the key with them.
// Facts are sealed at rest, and an event about the citizen that arrives after the erasure keeps
// and decides nothing.
func TestErasureKeepsDecisionsUntilTheirRetentionEnds(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, "funding")
	base := env.Start(t, "funding", service.Run, map[string]string{"LIVSLANG_CPR_INDEX_KEY": testIndexKey})
	ctx := context.Background()
	pool, err := pgdb.Connect(ctx, env.DB["funding"], 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	citizen := "citizen-" + uuid.NewString()
	token := env.Token(t, auth.Claims{Subject: citizen, Role: auth.RoleCitizen, CPR: "0101851234"})
	profile, err := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, citizen, time.Now(),
		events.ProfileUpdated{CitizenID: citizen, CPRIndex: "index-of-" + citizen, Version: 1, Name: "Lis", Email: "lis@example.dk",
			Facts: events.ProfileFacts{BirthDate: "1985-01-01", Municipality: "657", Language: "da", Benefits: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	env.Publish(t, profile, profile.ID)
	req := requested(t, citizen, "self", "1985-01-01", "self")
	env.Publish(t, req, req.ID)
	var en events.Enrolment
	_ = req.Decode(&en)
	testenv.Eventually(t, 10*time.Second, "the decision", func() bool {
		return testenv.Do(t, http.MethodGet, base+"/v1/decisions/"+en.EnrolmentID, token, nil).Status == http.StatusOK
	})
	if n := count(`SELECT count(*) FROM citizens WHERE facts IS NOT NULL OR facts_sealed IS NULL`) +
		count(`SELECT count(*) FROM decisions WHERE facts <> '{}' OR rules <> '[]' OR personal_sealed IS NULL`); n != 0 {
		t.Fatalf("%d rows with facts in the clear", n)
	}
	en.Version, en.Status = 2, "cancelled"
	cancelled, err := events.New("/livslang/registration", events.TypeEnrolmentCancelled, events.SubjectEnrolmentCancelled, en.EnrolmentID, time.Now(), en)
	if err != nil {
		t.Fatal(err)
	}
	env.Publish(t, cancelled, cancelled.ID)
	testenv.Eventually(t, 10*time.Second, "the decision released", func() bool {
		return count(`SELECT count(*) FROM decisions WHERE status = 'released'`) == 1
	})

	erasure := events.DataRequest{RequestID: uuid.NewString(), CitizenID: citizen, Kind: events.DataErasure, RequestedAt: time.Now()}
	e, err := events.New("/livslang/registration", events.TypeDataRequestRequested, events.SubjectDataRequestRequested, erasure.RequestID, time.Now(), erasure)
	if err != nil {
		t.Fatal(err)
	}
	env.Publish(t, e, e.ID)
	var answer events.DataRequestAnswered
	testenv.Eventually(t, 10*time.Second, "funding's answer", func() bool {
		list := env.Events(t, events.StreamFunding, events.DataRequestAnsweredSubject("funding"))
		return len(list) == 1 && list[0].Decode(&answer) == nil
	})
	var decisions events.Kept
	for _, k := range answer.Report.Kept {
		if strings.HasPrefix(k.What, "funding decisions") {
			decisions = k
		}
	}
	lastDay := time.Date(time.Now().Year()+5, 12, 31, 0, 0, 0, 0, time.UTC)
	if decisions.Count != 1 || decisions.Until != lastDay.Format(time.DateOnly) || !strings.Contains(decisions.LegalBasis, "17(3)(b)") {
		t.Fatalf("kept %+v", answer.Report.Kept)
	}
	if count(`SELECT count(*) FROM citizens`) != 0 || count(`SELECT count(*) FROM citizen_keys WHERE wrapped IS NOT NULL AND erased_at IS NOT NULL`) != 1 {
		t.Fatal("the citizen's facts should be gone and their key kept for the decision")
	}
	// The kept decision is still readable (the citizen may still ask to see it).
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, base+"/v1/decisions/"+en.EnrolmentID, token, nil), http.StatusOK)
	// Nothing new is kept or decided for the erased citizen.
	profile.ID = uuid.NewString()
	env.Publish(t, profile, profile.ID)
	late := requested(t, citizen, "self", "1985-01-01", "self")
	env.Publish(t, late, late.ID)
	marker := requested(t, "someone-else", "self", "1985-01-01", "self")
	env.Publish(t, marker, marker.ID)
	testenv.Eventually(t, 10*time.Second, "the marker decided", func() bool {
		return count(`SELECT count(*) FROM decisions WHERE citizen_id = 'someone-else'`) == 1
	})
	if n := count(`SELECT count(*) FROM decisions WHERE citizen_id = $1`, citizen) + count(`SELECT count(*) FROM citizens WHERE id = $1`, citizen); n != 1 {
		t.Fatalf("%d rows about the erased citizen, want only the kept decision", n)
	}

	st := &store.Store{Pool: pool, Ring: ring(t, env), Retention: store.Retention{DecisionYears: 5}}
	run := func(at time.Time) map[string]int64 {
		t.Helper()
		done, err := retention.Job{Steps: st.RetentionSteps(), Now: func() time.Time { return at }}.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return done
	}
	if done := run(lastDay.Add(12 * time.Hour)); done["decisions"] != 0 || done["erased_citizens_keys"] != 0 {
		t.Fatalf("on the last day: %v", done)
	}
	if done := run(lastDay.AddDate(0, 0, 2)); done["decisions"] != 1 || done["erased_citizens_keys"] != 1 {
		t.Fatalf("after the retention: %v", done)
	}
	if n := count(`SELECT count(*) FROM decisions WHERE citizen_id = $1`, citizen) +
		count(`SELECT count(*) FROM citizen_keys WHERE citizen_id = $1 AND wrapped IS NOT NULL`, citizen); n != 0 {
		t.Fatalf("%d rows left", n)
	}
}
