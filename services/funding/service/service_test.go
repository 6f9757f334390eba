package service_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgtest"
	"livslang.dk/pkg/pii"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/funding/service"
)

// testIndexKey is a CPR index key for tests that never look a CPR number up.
const testIndexKey = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXk="

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func requested(t *testing.T, citizen, preference, birth string, schemes ...string) events.Envelope {
	t.Helper()
	start := time.Now().AddDate(0, 1, 0)
	e, err := events.New("/livslang/registration", events.TypeEnrolmentRequested, events.SubjectEnrolmentRequested, "", time.Now(),
		events.Enrolment{
			EnrolmentID: uuid.NewString(), Version: 1, Status: "pending", CitizenID: citizen, FundingPreference: preference,
			Course: events.CourseFacts{ID: uuid.NewString(), Code: "AMU 47583", Title: "Gaffeltruckcertifikat", Category: "amu",
				StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 0, 4).Format(time.DateOnly),
				HoursPerWeek: 37, FeeDKK: 1040, Schemes: schemes, SeatsTotal: 16},
			Profile: events.ProfileFacts{BirthDate: birth, Language: "da",
				Education:  events.Education{Level: "erhvervsuddannelse", CompletedYear: 2008},
				Employment: events.Employment{Status: "employed", Since: "2020-01-01", WeeklyHours: 37}, // no company to ask
				Benefits:   "none"},
		})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// ring holds the data keys of the funding service env started, for a store a test opens itself.
func ring(t *testing.T, env *testenv.Env) datakeys.Keyring {
	t.Helper()
	keys, err := pii.ParseSealingKeys(env.SealingKeys("funding"))
	if err != nil {
		t.Fatal(err)
	}
	return datakeys.Keyring{Keys: keys}
}

type decision struct {
	EnrolmentID string `json:"enrolment_id"`
	Outcome     string
	Scheme      string
	Amounts     struct {
		FeeCoveredDKK      int64 `json:"fee_covered_dkk"`
		CitizenPaysDKK     int64 `json:"citizen_pays_dkk"`
		WeeklyAllowanceDKK int64 `json:"weekly_allowance_dkk"`
		TotalDKK           int64 `json:"total_dkk"`
	}
	Rules []struct {
		ID, Scheme, Outcome, Reference, Explanation string
		Facts                                       map[string]any
	}
}

func TestDecidesEveryRequestOnceWithReasons(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, "funding")
	base := env.Start(t, "funding", service.Run, map[string]string{"LIVSLANG_CPR_INDEX_KEY": testIndexKey})
	citizen := "citizen-" + uuid.NewString()
	token := env.Token(t, auth.Claims{Subject: citizen, Role: auth.RoleCitizen, CPR: "0101851234"})

	veu := requested(t, citizen, "veu", "1985-01-01", "self", "veu")
	svu := requested(t, citizen, "svu", "1985-01-01", "self", "veu") // the run does not offer SVU
	self := requested(t, citizen, "self", "1985-01-01", "self")
	for _, e := range []events.Envelope{veu, svu, self} {
		env.Publish(t, e, e.ID)
	}
	get := func(e events.Envelope) (decision, int) {
		var en events.Enrolment
		_ = e.Decode(&en)
		r := testenv.Do(t, http.MethodGet, base+"/v1/decisions/"+en.EnrolmentID, token, nil)
		var d decision
		if r.Status == http.StatusOK {
			r.JSON(t, &d)
		}
		return d, r.Status
	}
	testenv.Eventually(t, 10*time.Second, "three decisions", func() bool {
		return len(env.Events(t, events.StreamFunding, "livslang.funding.decision.>")) == 3
	})
	d, _ := get(veu)
	if d.Outcome != "approved" || d.Scheme != "veu" || d.Amounts.CitizenPaysDKK != 1040 || d.Amounts.WeeklyAllowanceDKK <= 0 {
		t.Fatalf("VEU decision %+v", d)
	}
	for _, r := range d.Rules {
		if r.Reference == "" || r.Explanation == "" || r.Outcome == "" {
			t.Fatalf("rule without reference or explanation: %+v", r)
		}
	}
	d, _ = get(svu)
	if d.Outcome != "rejected" {
		t.Fatalf("SVU on a run that does not offer it: %s", d.Outcome)
	}
	d, _ = get(self)
	if d.Outcome != "approved" || d.Amounts.CitizenPaysDKK != 1040 || d.Amounts.FeeCoveredDKK != 0 {
		t.Fatalf("self-pay decision %+v", d)
	}

	// Redelivery of a request (past JetStream deduplication) decides nothing new.
	env.Publish(t, veu, "again-"+veu.ID)
	env.Publish(t, veu, "once-more-"+veu.ID)
	marker := requested(t, citizen, "self", "1985-01-01", "self")
	env.Publish(t, marker, marker.ID)
	testenv.Eventually(t, 10*time.Second, "the marker decided", func() bool {
		_, status := get(marker)
		return status == http.StatusOK
	})
	// The marker's decision is read from the database as soon as it is committed; its event follows
	// through the outbox. The citizen's events are handled in order, so any decision the redeliveries
	// made would be published before the marker's.
	decided := func() int { return len(env.Events(t, events.StreamFunding, "livslang.funding.decision.>")) }
	testenv.Eventually(t, 10*time.Second, "the marker's decision published", func() bool { return decided() >= 4 })
	if n := decided(); n != 4 {
		t.Fatalf("%d decision events after redelivery, want 4", n)
	}

	// Only the citizen sees the decision.
	other := env.Token(t, auth.Claims{Subject: "someone-else", Role: auth.RoleCitizen, CPR: "0202851234"})
	var en events.Enrolment
	_ = veu.Decode(&en)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, base+"/v1/decisions/"+en.EnrolmentID, other, nil), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, base+"/v1/decisions/"+en.EnrolmentID, "", nil), http.StatusUnauthorized)
}

func TestTooYoungForSVU(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, "funding")
	base := env.Start(t, "funding", service.Run, map[string]string{"LIVSLANG_CPR_INDEX_KEY": testIndexKey})
	citizen := "young-" + uuid.NewString()
	token := env.Token(t, auth.Claims{Subject: citizen, Role: auth.RoleCitizen, CPR: "0101051234"})
	e := requested(t, citizen, "svu", time.Now().AddDate(-23, 0, 0).Format(time.DateOnly), "self", "svu")
	env.Publish(t, e, e.ID)
	var en events.Enrolment
	_ = e.Decode(&en)
	var d decision
	testenv.Eventually(t, 10*time.Second, "decided", func() bool {
		r := testenv.Do(t, http.MethodGet, base+"/v1/decisions/"+en.EnrolmentID, token, nil)
		if r.Status != http.StatusOK {
			return false
		}
		r.JSON(t, &d)
		return true
	})
	if d.Outcome != "rejected" {
		t.Fatalf("a 23-year-old got SVU for AMU: %+v", d)
	}
	found := false
	for _, r := range d.Rules {
		if r.ID == "svu.age" {
			found = r.Outcome == "not_met"
		}
	}
	if !found {
		t.Fatalf("the age rule is not the reason: %+v", d.Rules)
	}
	// The decision is visible once committed; its event follows through the outbox relay.
	var published []events.Envelope
	testenv.Eventually(t, 10*time.Second, "one rejection event published", func() bool {
		published = env.Events(t, events.StreamFunding, events.SubjectFundingRejected)
		return len(published) == 1
	})
	var got events.FundingDecided
	if err := published[0].Decode(&got); err != nil || len(got.Summary.Reasons) == 0 || len(got.Summary.ReasonsDA) == 0 {
		t.Fatalf("rejection event carries no reasons: %+v %v", got, err)
	}
}
