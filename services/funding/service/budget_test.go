package service_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/funding/internal/decisions"
	"livslang.dk/services/funding/internal/rules"
	"livslang.dk/services/funding/internal/store"
	"livslang.dk/services/funding/service"
)

type fundingEnv struct {
	env      *testenv.Env
	base     string
	indexKey []byte
	admin    string
}

func startFunding(t *testing.T, instances int) (fundingEnv, []string) {
	t.Helper()
	env := testenv.New(t, "funding")
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	var bases []string
	for range instances {
		bases = append(bases, env.Start(t, "funding", service.Run, map[string]string{
			"LIVSLANG_CPR_INDEX_KEY": base64.StdEncoding.EncodeToString(key)}))
	}
	admin := env.Token(t, auth.Claims{Subject: "admin", Role: auth.RoleAdmin})
	return fundingEnv{env: env, base: bases[0], indexKey: key, admin: admin}, bases
}

// decisionsAt is funding's decision service on the test's database with its clock days from now,
// to run its timers as they would run then.
func (f fundingEnv) decisionsAt(t *testing.T, days int) *decisions.Service {
	t.Helper()
	db, err := pgdb.Connect(context.Background(), f.env.DB["funding"], 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	now := func() time.Time { return time.Now().AddDate(0, 0, days) }
	return &decisions.Service{DB: db, Store: &store.Store{Pool: db, Now: now, Ring: ring(t, f.env)}, Rates: rules.DefaultRates(), Now: now}
}

func (f fundingEnv) cprIndex(number string) string {
	m := hmac.New(sha256.New, f.indexKey)
	m.Write([]byte(number))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// akademi is a module at an institution, starting in two months (inside Omstillingsfonden's window).
func akademi(institution string, fee int64) events.CourseFacts {
	start := time.Now().AddDate(0, 2, 0)
	return events.CourseFacts{ID: uuid.NewString(), Code: "AK-LED-1", Title: "Ledelse i praksis", TitleEN: "Leadership in practice",
		Category: "akademi", InstitutionID: institution, InstitutionName: "Erhvervsakademi MidtVest",
		StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 2, 0).Format(time.DateOnly),
		HoursPerWeek: 8, FeeDKK: fee, Schemes: []string{"self", "omstillingsfonden", "municipality", "svu"}, SeatsTotal: 30}
}

func facts(level string) events.ProfileFacts {
	return events.ProfileFacts{BirthDate: "1985-04-02", Municipality: "657", Language: "da",
		Education:  events.Education{Level: level, CompletedYear: 2008},
		Employment: events.Employment{Status: "employed", EmployerCVR: "12345674", Since: "2020-01-01", WeeklyHours: 37},
		Benefits:   "none"}
}

// withoutEmployerCVR is a profile whose employer is not named, so no plan waits for a company
// (employer_test.go covers those that do).
func withoutEmployerCVR(p events.ProfileFacts) events.ProfileFacts {
	p.Employment.EmployerCVR = ""
	return p
}

func request(t *testing.T, citizen, preference string, course events.CourseFacts, profile events.ProfileFacts) (events.Envelope, string) {
	t.Helper()
	id := uuid.NewString()
	e, err := events.New("/livslang/registration", events.TypeEnrolmentRequested, events.SubjectEnrolmentRequested, id, time.Now(),
		events.Enrolment{EnrolmentID: id, Version: 1, Status: "pending", CitizenID: citizen, FundingPreference: preference,
			Course: course, Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return e, id
}

// cancelled is registration's event that the enrolment (of course, or none) was cancelled by the
// citizen, at version; referralID names the referral whose seat it was, or "".
func cancelled(t *testing.T, enrolmentID, citizen string, version int64, course events.CourseFacts, referralID string) events.Envelope {
	t.Helper()
	e, err := events.New("/livslang/registration", events.TypeEnrolmentCancelled, events.SubjectEnrolmentCancelled, enrolmentID, time.Now(),
		events.Enrolment{EnrolmentID: enrolmentID, Version: version, Status: "cancelled", CitizenID: citizen, Course: course,
			Cause: "citizen", ReferralID: referralID})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (f fundingEnv) pool(t *testing.T, scheme, owner string, year int, amount int64) {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, f.base+"/v1/budgets", f.admin, map[string]any{
		"scheme": scheme, "owner": owner, "year": year, "amount_dkk": amount})
	testenv.MustStatus(t, r, http.StatusCreated)
}

func (f fundingEnv) budgets(t *testing.T, token string) []store.Pool {
	t.Helper()
	var out struct{ Items []store.Pool }
	r := testenv.Do(t, http.MethodGet, f.base+"/v1/budgets", token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &out)
	return out.Items
}

// Five hundred approvals race for a pool with room for a hundred, through two funding instances that
// share the durable consumer: exactly a hundred are approved and the pool is never overspent.
func TestPoolIsNeverOverspentAcrossInstances(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 2)
	institution := uuid.NewString()
	course := akademi(institution, 8000)
	year, _ := time.Parse(time.DateOnly, course.StartsOn)
	f.pool(t, "omstillingsfonden", institution, year.Year(), 100*8000)
	for i := range 500 {
		e, _ := request(t, fmt.Sprintf("citizen-%03d", i), "omstillingsfonden", course, facts("erhvervsuddannelse"))
		f.env.Publish(t, e, e.ID)
	}
	testenv.Eventually(t, 90*time.Second, "500 decisions", func() bool {
		return len(f.env.Events(t, events.StreamFunding, "livslang.funding.decision.>")) == 500
	})
	approved := len(f.env.Events(t, events.StreamFunding, events.SubjectFundingApproved))
	rejected := f.env.Events(t, events.StreamFunding, events.SubjectFundingRejected)
	if approved != 100 || len(rejected) != 400 {
		t.Fatalf("approved %d, rejected %d; want 100 and 400", approved, len(rejected))
	}
	var d events.FundingDecided
	if err := rejected[0].Decode(&d); err != nil || len(d.Summary.Reasons) == 0 ||
		!strings.Contains(strings.Join(d.Summary.ReasonsDA, " "), "budgettet for Omstillingsfonden") {
		t.Fatalf("a rejection for want of money must say so, in Danish too: %+v", d.Summary)
	}
	pools := f.budgets(t, f.admin)
	if len(pools) != 1 || pools[0].ReservedDKK != 800_000 || pools[0].RemainingDKK != 0 {
		t.Fatalf("pool %+v", pools)
	}
}

// The same race straight against the store: 500 goroutines, room for 100.
func TestReservePoolConcurrently(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	ctx := context.Background()
	pool, err := pgdb.Connect(ctx, f.env.DB["funding"], 40)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := &store.Store{Pool: pool, Now: time.Now, Ring: ring(t, f.env)}
	if _, err := st.CreatePool(ctx, store.Pool{Scheme: "municipality", Owner: "657", Year: 2027, Name: "test", AmountDKK: 100 * 1234}); err != nil {
		t.Fatal(err)
	}
	var ok, full int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := pgdb.Tx(ctx, pool, func(tx pgx.Tx) error {
				return st.ReservePool(ctx, tx, store.Reservation{DecisionID: uuid.New(), EnrolmentID: uuid.New(),
					Scheme: "municipality", Owner: "657", Year: 2027, AmountDKK: 1234})
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrNoBudget):
				full++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 100 || full != 400 {
		t.Fatalf("reserved %d, refused %d; want 100 and 400", ok, full)
	}
}

func TestCancellationReturnsTheMoney(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	institution := uuid.NewString()
	course := akademi(institution, 9000)
	year, _ := time.Parse(time.DateOnly, course.StartsOn)
	f.pool(t, "omstillingsfonden", institution, year.Year(), 50_000)
	e, id := request(t, "citizen-x", "omstillingsfonden", course, facts("erhvervsuddannelse"))
	f.env.Publish(t, e, e.ID)
	testenv.Eventually(t, 10*time.Second, "approved", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.SubjectFundingApproved)) == 1
	})
	if p := f.budgets(t, f.admin)[0]; p.ReservedDKK != 9000 {
		t.Fatalf("reserved %d, want 9000", p.ReservedDKK)
	}
	c := cancelled(t, id, "citizen-x", 3, course, "")
	f.env.Publish(t, c, c.ID)
	f.env.Publish(t, c, "again-"+c.ID) // redelivered: released once
	testenv.Eventually(t, 10*time.Second, "money back in the pool", func() bool {
		p := f.budgets(t, f.admin)[0]
		return p.ReservedDKK == 0 && p.RemainingDKK == 50_000
	})
	// The citizen's yearly cap room is back too: a new module gets the full 10,000 kr. again.
	e2, _ := request(t, "citizen-x", "omstillingsfonden", akademi(institution, 12000), facts("erhvervsuddannelse"))
	f.env.Publish(t, e2, e2.ID)
	testenv.Eventually(t, 10*time.Second, "second approval", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.SubjectFundingApproved)) == 2
	})
	if p := f.budgets(t, f.admin)[0]; p.ReservedDKK != 10_000 {
		t.Fatalf("reserved %d, want the 10,000 kr. cap", p.ReservedDKK)
	}
}

// A cancellation that overtakes its request (another instance got the request, or it was redelivered)
// leaves nothing reserved when the request is decided after it.
func TestCancellationBeforeItsRequestReservesNothing(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	institution := uuid.NewString()
	course := akademi(institution, 9000)
	year, _ := time.Parse(time.DateOnly, course.StartsOn)
	f.pool(t, "omstillingsfonden", institution, year.Year(), 50_000)
	e, id := request(t, "citizen-y", "omstillingsfonden", course, facts("erhvervsuddannelse"))
	c := cancelled(t, id, "citizen-y", 2, course, "")
	f.env.Publish(t, c, c.ID)
	f.env.Publish(t, e, e.ID)
	// The same citizen's next request (one instance: handled after the first, in its lane).
	later, _ := request(t, "citizen-y", "omstillingsfonden", akademi(institution, 9000), facts("erhvervsuddannelse"))
	f.env.Publish(t, later, later.ID)
	testenv.Eventually(t, 10*time.Second, "the later request decided", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.SubjectFundingApproved)) == 1
	})
	if p := f.budgets(t, f.admin)[0]; p.ReservedDKK != 9000 {
		t.Fatalf("reserved %d, want only the later request's 9000", p.ReservedDKK)
	}
	r := testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+id, f.admin, nil)
	testenv.MustStatus(t, r, http.StatusNotFound)
}

func TestReviewQueueForTheCitizensMunicipality(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	course := akademi(uuid.NewString(), 7000)
	year, _ := time.Parse(time.DateOnly, course.StartsOn)
	f.pool(t, "municipality", "657", year.Year(), 20_000)
	e, id := request(t, "citizen-r", "municipality", course, facts("erhvervsuddannelse"))
	f.env.Publish(t, e, e.ID)
	testenv.Eventually(t, 10*time.Second, "review required", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.SubjectFundingReview)) == 1
	})
	herning := f.env.Token(t, auth.Claims{Subject: "cw-herning", Role: auth.RoleCaseworker, Municipality: "657"})
	holstebro := f.env.Token(t, auth.Claims{Subject: "cw-holstebro", Role: auth.RoleCaseworker, Municipality: "661"})
	var queue struct {
		Items []struct {
			ID          string
			EnrolmentID string `json:"enrolment_id"`
			Outcome     string
		}
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/reviews", holstebro, nil).JSON(t, &queue)
	if len(queue.Items) != 0 {
		t.Fatalf("another municipality's caseworker sees %d reviews", len(queue.Items))
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/reviews", herning, nil).JSON(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].EnrolmentID != id || queue.Items[0].Outcome != "review_required" {
		t.Fatalf("review queue %+v", queue.Items)
	}
	decideURL := f.base + "/v1/reviews/" + queue.Items[0].ID + "/decide"
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, decideURL, holstebro, map[string]string{"outcome": "approved", "reason": "ok"}), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, decideURL, herning, map[string]string{"outcome": "maybe", "reason": ""}), http.StatusBadRequest)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, decideURL, herning,
		map[string]string{"outcome": "approved", "reason": "Ledelse er et mangelområde i Herning"}), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, decideURL, herning,
		map[string]string{"outcome": "rejected", "reason": "changed my mind"}), http.StatusConflict)
	var approved []events.Envelope
	testenv.Eventually(t, 10*time.Second, "the approval published", func() bool {
		approved = f.env.Events(t, events.StreamFunding, events.SubjectFundingApproved)
		return len(approved) == 1
	})
	var d events.FundingDecided
	if err := approved[0].Decode(&d); err != nil || d.EnrolmentID != id || d.EnrolmentVersion != 1 {
		t.Fatalf("approval %+v %v", d, err)
	}
	if p := f.budgets(t, herning); len(p) != 1 || p[0].ReservedDKK != 7000 {
		t.Fatalf("municipal pool after approval: %+v", p)
	}
	var got struct {
		Outcome string
		Review  struct{ Status, Reason string }
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+id, herning, nil).JSON(t, &got)
	if got.Outcome != "approved" || got.Review.Status != "decided" || got.Review.Reason == "" {
		t.Fatalf("decision after review %+v", got)
	}
}

func TestEligibilityBeforeEnrolling(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	course := akademi(uuid.NewString(), 9500)
	courseEvent, _ := events.New("/livslang/registration", events.TypeCourseUpdated, events.SubjectCourseUpdated, course.ID, time.Now(),
		events.CourseUpdated{Course: course, Version: 1})
	const number = "0204851234"
	profile, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, "mette", time.Now(),
		events.ProfileUpdated{CitizenID: "mette", CPRIndex: f.cprIndex(number), Version: 1, Name: "Mette", Email: "m@example.dk",
			Facts: facts("erhvervsuddannelse")})
	f.env.Publish(t, courseEvent, courseEvent.ID)
	f.env.Publish(t, profile, profile.ID)
	mette := f.env.Token(t, auth.Claims{Subject: "mette", Role: auth.RoleCitizen, CPR: number, Municipality: "657"})
	herning := f.env.Token(t, auth.Claims{Subject: "cw", Role: auth.RoleCaseworker, Municipality: "657"})
	holstebro := f.env.Token(t, auth.Claims{Subject: "cw2", Role: auth.RoleCaseworker, Municipality: "661"})
	type answer struct {
		CourseID string `json:"course_id"`
		On       string
		Schemes  []struct {
			Scheme, Outcome string
			Amounts         struct {
				CitizenPaysDKK int64 `json:"citizen_pays_dkk"`
			}
			Rules []struct{ ID, Outcome, Reference string }
		}
	}
	var a answer
	testenv.Eventually(t, 10*time.Second, "funding knows the course and the citizen", func() bool {
		r := testenv.Do(t, http.MethodPost, f.base+"/v1/eligibility", mette, map[string]string{"course_id": course.ID})
		if r.Status != http.StatusOK {
			return false
		}
		r.JSON(t, &a)
		return true
	})
	if a.CourseID != course.ID || a.On != time.Now().Format(time.DateOnly) || len(a.Schemes) != len(course.Schemes) {
		t.Fatalf("answer %+v", a)
	}
	outcomes := map[string]string{}
	for _, s := range a.Schemes {
		outcomes[s.Scheme] = s.Outcome
		if len(s.Rules) == 0 {
			t.Fatalf("%s has no reasons", s.Scheme)
		}
	}
	if outcomes["self"] != "eligible" || outcomes["omstillingsfonden"] != "eligible" || outcomes["municipality"] != "review_required" {
		t.Fatalf("outcomes %v", outcomes)
	}
	var byCaseworker answer
	r := testenv.Do(t, http.MethodPost, f.base+"/v1/eligibility", herning, map[string]string{"course_id": course.ID, "cpr": number})
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &byCaseworker)
	if len(byCaseworker.Schemes) != len(a.Schemes) {
		t.Fatalf("caseworker's answer %+v", byCaseworker)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/eligibility", holstebro,
		map[string]string{"course_id": course.ID, "cpr": number}), http.StatusUnprocessableEntity)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/eligibility", mette,
		map[string]string{"course_id": uuid.NewString()}), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, f.base+"/v1/eligibility", mette,
		map[string]string{"course_id": course.ID, "cpr": number}), http.StatusBadRequest)
	// Nothing was written: no decisions, no events in the outbox (but the citizen's funded courses,
	// published when their profile arrived).
	db, err := pgdb.Connect(context.Background(), f.env.DB["funding"], 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var decisions, outbox int
	if err := db.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM decisions),
		(SELECT count(*) FROM outbox WHERE subject <> '`+events.SubjectFundedCourses+`')`).Scan(&decisions, &outbox); err != nil {
		t.Fatal(err)
	}
	if decisions != 0 || outbox != 0 {
		t.Fatalf("eligibility wrote %d decisions and %d events", decisions, outbox)
	}
}

func TestProfileChangeEvaluatesOpenDecisionsAgain(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	start := time.Now().AddDate(0, 1, 0)
	hf := events.CourseFacts{ID: uuid.NewString(), Code: "HF-MAT-C", Title: "Matematik C", Category: "hf_enkeltfag",
		InstitutionID: uuid.NewString(), StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 3, 0).Format(time.DateOnly),
		HoursPerWeek: 5, FeeDKK: 1400, Schemes: []string{"self", "svu"}}
	// A completed gymnasial education may rule SVU out: a caseworker must check the evidence.
	e, id := request(t, "kim", "svu", hf, withoutEmployerCVR(facts("gymnasial")))
	f.env.Publish(t, e, e.ID)
	testenv.Eventually(t, 10*time.Second, "review required", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.SubjectFundingReview)) == 1
	})
	changed, _ := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, "kim", time.Now(),
		events.ProfileUpdated{CitizenID: "kim", Version: 2, Name: "Kim", Email: "kim@example.dk", Facts: withoutEmployerCVR(facts("grundskole"))})
	f.env.Publish(t, changed, changed.ID)
	testenv.Eventually(t, 10*time.Second, "approved after the profile changed", func() bool {
		return len(f.env.Events(t, events.StreamFunding, events.SubjectFundingApproved)) == 1
	})
	admin := f.admin
	var got struct{ Outcome string }
	testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+id, admin, nil).JSON(t, &got)
	if got.Outcome != "approved" {
		t.Fatalf("decision after the profile change: %s", got.Outcome)
	}
}

func TestRateAndSchemeTablesByDate(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	var y24, y25 struct {
		On         string
		Parameters []struct {
			ID     string
			Value  *float64
			Source string
			Status string
		}
	}
	testenv.Do(t, http.MethodGet, f.base+"/v1/rates?on=2024-06-01", "", nil).JSON(t, &y24)
	testenv.Do(t, http.MethodGet, f.base+"/v1/rates?on=2025-06-01", "", nil).JSON(t, &y25)
	find := func(ps []struct {
		ID     string
		Value  *float64
		Source string
		Status string
	}, id string) float64 {
		for _, p := range ps {
			if p.ID == id && p.Value != nil {
				return *p.Value
			}
		}
		t.Fatalf("no %s in %+v", id, ps)
		return 0
	}
	if a, b := find(y24.Parameters, "max_dagpenge_monthly_dkk"), find(y25.Parameters, "max_dagpenge_monthly_dkk"); a != 20359 || b != 21092 {
		t.Fatalf("max dagpenge 2024 %v, 2025 %v", a, b)
	}
	var schemes struct{ Items []map[string]any }
	testenv.Do(t, http.MethodGet, f.base+"/v1/schemes", "", nil).JSON(t, &schemes)
	if len(schemes.Items) < 9 {
		t.Fatalf("%d schemes", len(schemes.Items))
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, f.base+"/v1/rates?on=soon", "", nil), http.StatusBadRequest)
}

// SVU gives at most 40 weeks of 37 hours per level in a lifetime, counted across enrolments.
func TestSVUFortyWeeksAcrossEnrolments(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 1)
	start := time.Now().AddDate(0, 1, 0)
	course := func() events.CourseFacts {
		// 15 weeks of full-time AVU (105 calendar days).
		return events.CourseFacts{ID: uuid.NewString(), Code: "AVU-FT", Title: "AVU fuld tid", Category: "avu",
			InstitutionID: uuid.NewString(), StartsOn: start.Format(time.DateOnly), EndsOn: start.AddDate(0, 0, 104).Format(time.DateOnly),
			HoursPerWeek: 37, FeeDKK: 0, Schemes: []string{"self", "svu"}}
	}
	profile := withoutEmployerCVR(facts("grundskole"))
	var ids []string
	for range 4 {
		e, id := request(t, "sofie", "svu", course(), profile)
		ids = append(ids, id)
		f.env.Publish(t, e, e.ID)
	}
	testenv.Eventually(t, 20*time.Second, "four decisions", func() bool {
		return len(f.env.Events(t, events.StreamFunding, "livslang.funding.decision.>")) == 4
	})
	type dec struct {
		Outcome string
		Amounts struct {
			WeeklyAllowanceDKK int64 `json:"weekly_allowance_dkk"`
			TotalDKK           int64 `json:"total_dkk"`
		}
	}
	var got []dec
	for _, id := range ids {
		var d dec
		testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+id, f.admin, nil).JSON(t, &d)
		got = append(got, d)
	}
	weekly := got[0].Amounts.WeeklyAllowanceDKK
	if got[0].Outcome != "approved" || got[1].Outcome != "approved" || got[2].Outcome != "approved" || got[3].Outcome != "rejected" {
		t.Fatalf("outcomes %+v; want three approvals (15 + 15 + 10 weeks) and a rejection", got)
	}
	if got[0].Amounts.TotalDKK != 15*weekly || got[2].Amounts.TotalDKK != 10*weekly {
		t.Fatalf("totals %d and %d; want %d (15 weeks) and %d (the 10 weeks left)", got[0].Amounts.TotalDKK, got[2].Amounts.TotalDKK, 15*weekly, 10*weekly)
	}
	// Cancelling the first gives its 15 weeks back.
	c := cancelled(t, ids[0], "sofie", 3, events.CourseFacts{}, "")
	f.env.Publish(t, c, c.ID)
	again, againID := request(t, "sofie", "svu", course(), profile)
	testenv.Eventually(t, 10*time.Second, "the cancellation applied", func() bool {
		var d struct{ Status string }
		testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+ids[0], f.admin, nil).JSON(t, &d)
		return d.Status == "released"
	})
	f.env.Publish(t, again, again.ID)
	var d dec
	testenv.Eventually(t, 10*time.Second, "decided", func() bool {
		r := testenv.Do(t, http.MethodGet, f.base+"/v1/decisions/"+againID, f.admin, nil)
		if r.Status != http.StatusOK {
			return false
		}
		r.JSON(t, &d)
		return true
	})
	if d.Outcome != "approved" || d.Amounts.TotalDKK != 15*weekly {
		t.Fatalf("after the cancellation: %+v", d)
	}
}

// A citizen's events can reach funding in any order (two instances, redeliveries): an enrolment
// request, its cancellation and the citizen's next request, each delivered twice, in every one of
// their six orders (one citizen each). Whatever the order, the cancelled enrolment holds nothing,
// the next one holds its fee once, every enrolment is decided at most once, and the pool holds
// exactly the sum of what is reserved.
func TestEveryOrderOfACitizensEventsEndsWithTheSameMoney(t *testing.T) {
	t.Parallel()
	f, _ := startFunding(t, 2)
	institution := uuid.NewString()
	course := akademi(institution, 3000)
	year, _ := time.Parse(time.DateOnly, course.StartsOn)
	f.pool(t, "omstillingsfonden", institution, year.Year(), 100_000)
	orders := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	var first, next []string
	for i, order := range orders {
		citizen := fmt.Sprintf("citizen-order-%d", i)
		reqA, a := request(t, citizen, "omstillingsfonden", course, facts("erhvervsuddannelse"))
		reqB, b := request(t, citizen, "omstillingsfonden", course, facts("erhvervsuddannelse"))
		list := []events.Envelope{reqA, cancelled(t, a, citizen, 2, course, ""), reqB}
		for _, k := range order {
			f.env.Publish(t, list[k], list[k].ID)
		}
		for _, k := range order { // each delivered again
			f.env.Publish(t, list[k], "again-"+list[k].ID)
		}
		first, next = append(first, a), append(next, b)
	}
	pool, err := pgdb.Connect(context.Background(), f.env.DB["funding"], 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// held is what the enrolment holds in pools (poolsOnly) or in pools and the citizen's caps.
	held := func(enrolment string, poolsOnly bool) int64 {
		var n int64
		if err := pool.QueryRow(context.Background(), `SELECT coalesce(sum(amount_dkk), 0) FROM reservations
			WHERE enrolment_id = $1 AND status = 'reserved' AND (pool_id IS NOT NULL OR NOT $2)`, enrolment, poolsOnly).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	decisions := func() map[string]int {
		out := map[string]int{}
		for _, e := range f.env.Events(t, events.StreamFunding, "livslang.funding.decision.>") {
			var d events.FundingDecided
			if err := e.Decode(&d); err != nil {
				t.Fatal(err)
			}
			out[d.EnrolmentID]++
		}
		return out
	}
	testenv.Eventually(t, 30*time.Second, "every next request decided and every cancellation applied", func() bool {
		d := decisions()
		for i := range orders {
			if d[next[i]] == 0 || held(first[i], false) != 0 {
				return false
			}
		}
		return true
	})
	d := decisions()
	var total int64
	for i, order := range orders {
		if n := held(next[i], true); n != 3000 {
			t.Errorf("order %v: the next enrolment holds %d kr., want 3000", order, n)
		}
		if d[first[i]] > 1 || d[next[i]] != 1 {
			t.Errorf("order %v: decided %d and %d times, want at most once and once", order, d[first[i]], d[next[i]])
		}
		total += held(next[i], true)
	}
	if p := f.budgets(t, f.admin)[0]; p.ReservedDKK != total || p.RemainingDKK != 100_000-total {
		t.Fatalf("pool %+v, want %d reserved", p, total)
	}
}
