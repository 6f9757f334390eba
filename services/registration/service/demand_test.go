package service_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/testenv"
)

// day is a civil date n days from today.
func day(n int) string { return time.Now().AddDate(0, 0, n).Format(time.DateOnly) }

func (b bundle) employer(t *testing.T, number, name string) string {
	t.Helper()
	return b.env.Token(t, auth.Claims{Subject: "hr-" + number + "-" + uuid.NewString()[:8], Role: auth.RoleEmployer, CVR: number, Name: name})
}

type demandView struct {
	ID, CVR, Status, Place string
	CompanyName            string `json:"company_name"`
	CourseCode             string `json:"course_code"`
	Employees              int
	Earliest, Latest       string
	ContactOK              bool `json:"contact_ok"`
}

type offerView struct {
	ID        string
	DemandID  string `json:"demand_id"`
	Seats     int
	SeatsHeld int `json:"seats_held"`
	Status    string
	ExpiresAt string `json:"expires_at"`
	Course    struct{ ID, Code string }
}

func (b bundle) postDemand(t *testing.T, tok, number string, body map[string]any) demandView {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+number+"/demands", tok, body, "Idempotency-Key", uuid.NewString())
	testenv.MustStatus(t, r, http.StatusCreated)
	var d demandView
	r.JSON(t, &d)
	if r.Header.Get("Location") != "/v1/employers/"+number+"/demands/"+d.ID {
		t.Fatalf("Location %q for demand %s", r.Header.Get("Location"), d.ID)
	}
	return d
}

func (b bundle) demandOf(t *testing.T, tok, number, id string) demandView {
	t.Helper()
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/employers/"+number+"/demands/"+id, tok, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	var d demandView
	r.JSON(t, &d)
	return d
}

func (b bundle) offersOf(t *testing.T, tok, number string) []offerView {
	t.Helper()
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/employers/"+number+"/offers", tok, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	var l struct{ Items []offerView }
	r.JSON(t, &l)
	return l.Items
}

func (b bundle) seatsAvailable(t *testing.T, course string) int {
	t.Helper()
	var c struct {
		SeatsAvailable int `json:"seats_available"`
	}
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+course, "", nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &c)
	return c.SeatsAvailable
}

// publish publishes a run of the institution through the API and returns its id and seats available.
func (b bundle) publish(t *testing.T, inst uuid.UUID, staff string, body map[string]any) (string, int) {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body)
	testenv.MustStatus(t, r, http.StatusCreated)
	var run struct {
		ID             string
		SeatsAvailable int `json:"seats_available"`
	}
	r.JSON(t, &run)
	return run.ID, run.SeatsAvailable
}

func amuRun(code string, seats, startsIn int, location string) map[string]any {
	return map[string]any{"code": code, "title": "Gaffeltruckcertifikat", "title_en": "Forklift certificate", "category": "amu",
		"schemes": []string{"self", "veu"}, "location": location, "starts_on": day(startsIn), "ends_on": day(startsIn + 4),
		"hours_per_week": 37, "fee_dkk": 1040, "seats_total": seats}
}

func TestDemandBecomesOffers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const steel, wood = "12345674", "41657006"
	a := b.employer(t, steel, "Herning Stål A/S")
	other := b.employer(t, wood, "Ikast Træ ApS")
	want := map[string]any{"course_code": "AMU 47583", "employees": 3, "earliest": day(20), "latest": day(60), "place": "Herning", "contact_ok": true}

	// Idempotent: the same key and body answers the same, another body under the key is refused.
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/demands", a, want, "Idempotency-Key", "demand-1")
	testenv.MustStatus(t, r, http.StatusCreated)
	again := testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/demands", a, want, "Idempotency-Key", "demand-1")
	testenv.MustStatus(t, again, http.StatusCreated)
	if string(r.Body) != string(again.Body) {
		t.Fatalf("a repeated request got another answer:\n%s\n%s", r.Body, again.Body)
	}
	var mine demandView
	r.JSON(t, &mine)
	if mine.Status != "open" || mine.CompanyName != "Herning Stål A/S" || mine.Employees != 3 || mine.Earliest != day(20) {
		t.Fatalf("created demand: %+v", mine)
	}
	changed := map[string]any{"course_code": "AMU 47583", "employees": 9, "earliest": day(20), "latest": day(60), "contact_ok": true}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/demands", a, changed, "Idempotency-Key", "demand-1"),
		http.StatusUnprocessableEntity)
	// The other company's: anywhere near Herning, not to be named.
	theirs := b.postDemand(t, other, wood, map[string]any{"course_code": "amu47583", "employees": 4, "earliest": day(20), "latest": day(50),
		"place": "7400 Herning", "contact_ok": false})
	b.postDemand(t, other, wood, map[string]any{"skill": "Svejsning", "category": "amu", "employees": 2, "earliest": day(40), "latest": day(90),
		"contact_ok": true})

	// Bad demands are refused.
	for name, bad := range map[string]map[string]any{
		"nothing named": {"employees": 2, "earliest": day(20), "latest": day(30), "contact_ok": true},
		"past":          {"skill": "Svejsning", "employees": 2, "earliest": day(-1), "latest": day(30), "contact_ok": true},
		"reversed":      {"skill": "Svejsning", "employees": 2, "earliest": day(30), "latest": day(20), "contact_ok": true},
		"too many":      {"skill": "Svejsning", "employees": 501, "earliest": day(20), "latest": day(30), "contact_ok": true},
		"no contact_ok": {"skill": "Svejsning", "employees": 2, "earliest": day(20), "latest": day(30)},
	} {
		r := testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/demands", a, bad, "Idempotency-Key", uuid.NewString())
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", name, r)
		}
	}

	// Each company sees its own; another company is forbidden, and cannot reach it through its own path.
	var own struct{ Items []demandView }
	testenv.Do(t, http.MethodGet, b.base+"/v1/employers/"+steel+"/demands", a, nil).JSON(t, &own)
	if len(own.Items) != 1 || own.Items[0].ID != mine.ID {
		t.Fatalf("the company's demands: %+v", own.Items)
	}
	forbidden := testenv.Do(t, http.MethodGet, b.base+"/v1/employers/"+steel+"/demands", other, nil)
	testenv.MustStatus(t, forbidden, http.StatusForbidden)
	if ct := forbidden.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("403 as %q, want a problem", ct)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/employers/"+wood+"/demands/"+mine.ID, other, nil), http.StatusNotFound)

	// Institutions see the demand added up: one row for the code in Herning (7 employees, 2 companies,
	// only the name that agreed), one for the skill.
	inst, staff := b.institution(t)
	type total struct {
		CourseCode   string `json:"course_code"`
		Skill        string
		Place        string
		Period       struct{ From, To string }
		Employees    int
		Companies    int
		CompanyNames []string `json:"company_names"`
	}
	var totals struct {
		Items        []total
		WaitingLists []struct {
			CourseCode string `json:"course_code"`
			Waitlisted int
		} `json:"waiting_lists"`
	}
	r = testenv.Do(t, http.MethodGet, b.base+"/v1/demand", staff, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &totals)
	if len(totals.Items) != 2 {
		t.Fatalf("demand totals: %s", r.Body)
	}
	var code, skill total
	for _, it := range totals.Items {
		if it.CourseCode != "" {
			code = it
		} else {
			skill = it
		}
	}
	month := time.Now().AddDate(0, 0, 20).Format("2006-01") + "-01"
	if code.Employees != 7 || code.Companies != 2 || code.Place != "herning" || len(code.CompanyNames) != 1 ||
		code.CompanyNames[0] != "Herning Stål A/S" || code.Period.From != month {
		t.Fatalf("the code's total: %+v (want 7 employees of 2 companies in herning from %s, one named)", code, month)
	}
	if skill.Skill != "Svejsning" || skill.Employees != 2 || len(skill.CompanyNames) != 1 || skill.CompanyNames[0] != "Ikast Træ ApS" {
		t.Fatalf("the skill's total: %+v", skill)
	}
	r = testenv.Do(t, http.MethodGet, b.base+"/v1/demand?course_code=AMU+47583&from="+day(70), staff, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &totals)
	if len(totals.Items) != 0 {
		t.Fatalf("demand after its windows: %s", r.Body)
	}

	// A matching run is published: the older demand gets 3 seats, the next the 2 left; both held.
	run, free := b.publish(t, inst, staff, amuRun("AMU 47583", 5, 30, "Lillelundvej 13, Herning"))
	if free != 0 || b.seatsAvailable(t, run) != 0 {
		t.Fatalf("%d seats available after the offers, want 0", free)
	}
	offers := b.offersOf(t, a, steel)
	if len(offers) != 1 || offers[0].Seats != 3 || offers[0].SeatsHeld != 3 || offers[0].Status != "open" || offers[0].Course.ID != run {
		t.Fatalf("the company's offers: %+v", offers)
	}
	expires, err := time.Parse(time.RFC3339, offers[0].ExpiresAt)
	if err != nil || time.Until(expires) < 4*24*time.Hour || time.Until(expires) > 5*24*time.Hour+time.Minute {
		t.Fatalf("the offer expires at %s, want in 5 days", offers[0].ExpiresAt)
	}
	theirOffers := b.offersOf(t, other, wood)
	if len(theirOffers) != 1 || theirOffers[0].Seats != 2 || theirOffers[0].DemandID != theirs.ID {
		t.Fatalf("the other company's offers: %+v", theirOffers)
	}
	if d := b.demandOf(t, a, steel, mine.ID); d.Status != "offered" {
		t.Fatalf("demand with an offer is %s", d.Status)
	}
	testenv.Eventually(t, 10*time.Second, "two offers from demand announced", func() bool {
		return len(b.env.Events(t, "REGISTRATION", events.SubjectDemandOffered)) == 2
	})
	// Another company cannot answer the offer.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/offers/"+offers[0].ID+"/accept", other, nil), http.StatusForbidden)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+wood+"/offers/"+offers[0].ID+"/accept", other, nil), http.StatusNotFound)

	// A citizen waits for a seat; the institution sees the waiting list with the demand.
	citizen := b.citizen(t, 1)
	waiting := b.enrolAs(t, citizen, uuid.MustParse(run), "self")
	if waiting.Status != "waitlisted" {
		t.Fatalf("with every seat held the citizen is %s", waiting.Status)
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/demand?course_code=AMU+47583", staff, nil).JSON(t, &totals)
	if len(totals.WaitingLists) != 1 || totals.WaitingLists[0].Waitlisted != 1 {
		t.Fatalf("waiting lists with the demand: %+v", totals.WaitingLists)
	}

	// Accepting keeps the seats and meets the demand.
	r = testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/offers/"+offers[0].ID+"/accept", a, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	var accepted offerView
	r.JSON(t, &accepted)
	if accepted.Status != "accepted" || accepted.SeatsHeld != 3 {
		t.Fatalf("accepted offer: %+v", accepted)
	}
	if d := b.demandOf(t, a, steel, mine.ID); d.Status != "met" {
		t.Fatalf("demand after the accept is %s, want met", d.Status)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/offers/"+offers[0].ID+"/decline", a, nil), http.StatusConflict)

	// Declining gives the seats back: the first goes to the waiting citizen, the other is free.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+wood+"/offers/"+theirOffers[0].ID+"/decline", other, nil), http.StatusOK)
	if v := b.view(t, citizen, waiting.ID); v.Status != "offered" {
		t.Fatalf("the waiting citizen is %s after the decline, want offered", v.Status)
	}
	if n := b.seatsAvailable(t, run); n != 1 {
		t.Fatalf("%d seats available after the decline, want 1", n)
	}
	if d := b.demandOf(t, other, wood, theirs.ID); d.Status != "open" {
		t.Fatalf("declined demand is %s, want open again", d.Status)
	}

	// The company's staff take the seats the accepted offer holds, one at a time (staff enrolment's hook).
	take := func(number string) bool {
		t.Helper()
		var got bool
		if err := pgx.BeginFunc(context.Background(), b.pool, func(tx pgx.Tx) error {
			var err error
			got, err = b.st.TakeOfferSeat(context.Background(), tx, number, uuid.MustParse(run))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if !take(steel) || take(wood) {
		t.Fatal("the company with the accepted offer takes a held seat, the one that declined none")
	}
	if o := b.offersOf(t, a, steel); o[0].SeatsHeld != 2 {
		t.Fatalf("after one seat taken the offer holds %d, want 2", o[0].SeatsHeld)
	}
	if n := b.seatsAvailable(t, run); n != 1 {
		t.Fatalf("a held seat taken changed the free seats to %d", n)
	}
}

func TestDemandOfferExpiresAndDemandWithdraws(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const steel = "12345674"
	a := b.employer(t, steel, "Herning Stål A/S")
	d := b.postDemand(t, a, steel, map[string]any{"course_code": "AMU 40001", "employees": 4, "earliest": day(10), "latest": day(90),
		"contact_ok": true})
	inst, staff := b.institution(t)

	// Ikast is out of reach of a Herning demand; no place on the demand is reach anywhere.
	b.postDemand(t, a, steel, map[string]any{"course_code": "AMU 40001", "employees": 1, "earliest": day(10), "latest": day(90),
		"place": "Herning", "contact_ok": true})
	run, free := b.publish(t, inst, staff, amuRun("AMU 40001", 10, 30, "Stadion Allé 1, Ikast"))
	if free != 6 {
		t.Fatalf("%d seats free, want 6 (4 offered to the demand without a place)", free)
	}
	// Silence: the offer lapses after its days, its seats are free again and the demand open.
	later := b.st.WithClock(func() time.Time { return time.Now().Add(6 * 24 * time.Hour) })
	if n, err := later.ExpireDemandOffers(context.Background()); err != nil || n != 1 {
		t.Fatalf("expired %d offers: %v", n, err)
	}
	if n := b.seatsAvailable(t, run); n != 10 {
		t.Fatalf("%d seats free after the expiry, want 10", n)
	}
	if o := b.offersOf(t, a, steel); len(o) != 1 || o[0].Status != "expired" || o[0].SeatsHeld != 0 {
		t.Fatalf("offers after the expiry: %+v", o)
	}
	if v := b.demandOf(t, a, steel, d.ID); v.Status != "open" {
		t.Fatalf("demand after its offer expired is %s, want open", v.Status)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/employers/"+steel+"/offers/"+b.offersOf(t, a, steel)[0].ID+"/accept", a, nil),
		http.StatusConflict)

	// A run below its minimum shows the demand it matches; changing the run offers it the seats.
	body := amuRun("AMU 40001", 10, 45, "Herning")
	body["min_participants"] = 8
	second, _ := b.publish(t, inst, staff, body)
	var view struct {
		Items []struct {
			CourseID       string                              `json:"course_id"`
			BelowMinimum   bool                                `json:"below_minimum"`
			MatchingDemand *struct{ Employees, Companies int } `json:"matching_demand"`
		}
	}
	testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/demand", staff, nil).JSON(t, &view)
	found := false
	for _, it := range view.Items {
		switch it.CourseID {
		case second:
			found = true
			// Both demands were offered this run at once (5 seats held), so nothing open is left to show.
			if !it.BelowMinimum || it.MatchingDemand != nil {
				t.Fatalf("second run: %+v", it)
			}
		case run:
			if it.MatchingDemand != nil {
				t.Fatalf("a run at its minimum shows no demand: %+v", it)
			}
		}
	}
	if !found {
		t.Fatal("the second run is not in the institution's view")
	}
	if n := b.seatsAvailable(t, second); n != 5 {
		t.Fatalf("%d seats free on the second run, want 5", n)
	}
	// A demand that comes after the run is shown with it, and a change of the run offers it seats.
	late := b.postDemand(t, a, steel, map[string]any{"course_code": "AMU 40001", "employees": 2, "earliest": day(10), "latest": day(90),
		"place": "Herning Kommune", "contact_ok": false})
	testenv.Do(t, http.MethodGet, b.base+"/v1/institutions/"+inst.String()+"/demand", staff, nil).JSON(t, &view)
	for _, it := range view.Items {
		if it.CourseID == second && (it.MatchingDemand == nil || it.MatchingDemand.Employees != 2 || it.MatchingDemand.Companies != 1) {
			t.Fatalf("second run with a later demand: %+v", it.MatchingDemand)
		}
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPatch, b.base+"/v1/courses/"+second, staff, map[string]any{"description": "Med certifikat"}), http.StatusOK)
	if v := b.demandOf(t, a, steel, late.ID); v.Status != "offered" {
		t.Fatalf("the later demand is %s after the run changed, want offered", v.Status)
	}
	if n := b.seatsAvailable(t, second); n != 3 {
		t.Fatalf("%d seats free on the second run, want 3", n)
	}

	// Withdrawing gives the held seats back; again changes nothing.
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, b.base+"/v1/employers/"+steel+"/demands/"+d.ID, a, nil), http.StatusNoContent)
	testenv.MustStatus(t, testenv.Do(t, http.MethodDelete, b.base+"/v1/employers/"+steel+"/demands/"+d.ID, a, nil), http.StatusNoContent)
	if v := b.demandOf(t, a, steel, d.ID); v.Status != "withdrawn" {
		t.Fatalf("withdrawn demand is %s", v.Status)
	}
	if n := b.seatsAvailable(t, second); n != 7 {
		t.Fatalf("%d seats free after the withdrawal, want 7", n)
	}
	for _, o := range b.offersOf(t, a, steel) {
		if o.DemandID == d.ID && o.Course.ID == second && (o.Status != "withdrawn" || o.SeatsHeld != 0) {
			t.Fatalf("the withdrawn demand's offer: %+v", o)
		}
	}

	// A cancelled run ends the offers on it and opens their demands again.
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/courses/"+second+"/cancel", staff, map[string]string{"reason": "for få"}), http.StatusOK)
	if v := b.demandOf(t, a, steel, late.ID); v.Status != "open" {
		t.Fatalf("the demand offered a cancelled run is %s, want open", v.Status)
	}
}

// demandFixtures makes, for the authorization matrix, a demand of the company 12345674 (to read and
// withdraw) and two offers to it (to accept and to decline).
type demandFixture struct{ demand, accept, decline string }

func (b bundle) demandFixtures(t *testing.T, tok string) demandFixture {
	t.Helper()
	const number = "12345674"
	body := map[string]any{"course_code": "AMU 90001", "employees": 2, "earliest": day(10), "latest": day(90), "contact_ok": true}
	first, second := b.postDemand(t, tok, number, body), b.postDemand(t, tok, number, body)
	body["course_code"] = "AMU 90002"
	fx := demandFixture{demand: b.postDemand(t, tok, number, body).ID}
	inst, staff := b.institution(t)
	b.publish(t, inst, staff, amuRun("AMU 90001", 10, 30, "Herning"))
	for _, o := range b.offersOf(t, tok, number) {
		switch o.DemandID {
		case first.ID:
			fx.accept = o.ID
		case second.ID:
			fx.decline = o.ID
		}
	}
	if fx.accept == "" || fx.decline == "" {
		t.Fatalf("demand fixtures: %+v", fx)
	}
	return fx
}
