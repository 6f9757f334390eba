package service_test

import (
	"context"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"livslang.dk/pkg/testenv"
	"livslang.dk/services/registration/internal/store"
)

type enrolmentView struct {
	ID             string
	Status         string
	PriorityGroup  string  `json:"priority_group"`
	OfferExpiresAt *string `json:"offer_expires_at"`
	Waitlist       *struct {
		Position          int
		AheadWithPriority int `json:"ahead_with_priority"`
	}
	History []struct{ Status, Cause, Reason string }
}

func (b bundle) view(t *testing.T, tok, id string) enrolmentView {
	t.Helper()
	var e enrolmentView
	r := testenv.Do(t, http.MethodGet, b.base+"/v1/enrolments/"+id, tok, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &e)
	return e
}

func (b bundle) enrolAs(t *testing.T, tok string, course uuid.UUID, preference string) enrolmentView {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments", tok,
		map[string]string{"course_id": course.String(), "funding_preference": preference}, "Idempotency-Key", uuid.NewString())
	testenv.MustStatus(t, r, http.StatusAccepted)
	var e enrolmentView
	r.JSON(t, &e)
	return e
}

func TestOffersPassDownTheList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 1)
	a, bo, c := b.citizen(t, 1), b.citizen(t, 2), b.citizen(t, 3)
	ea, eb, ec := b.enrolAs(t, a, course, "self"), b.enrolAs(t, bo, course, "self"), b.enrolAs(t, c, course, "self")
	if eb.Waitlist == nil || eb.Waitlist.Position != 1 || ec.Waitlist.Position != 2 {
		t.Fatalf("waiting list %+v %+v", eb.Waitlist, ec.Waitlist)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+ea.ID+"/cancel", a, nil), http.StatusOK)
	offered := b.view(t, bo, eb.ID)
	if offered.Status != "offered" || offered.OfferExpiresAt == nil {
		t.Fatalf("first in line: %+v", offered)
	}
	expires, _ := time.Parse(time.RFC3339, *offered.OfferExpiresAt)
	if time.Until(expires) < 24*time.Hour {
		t.Fatalf("the offer expires at %s: less than a day", expires)
	}
	if v := b.view(t, c, ec.ID); v.Waitlist == nil || v.Waitlist.Position != 1 {
		t.Fatalf("second in line moved to %+v", v.Waitlist)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+eb.ID+"/offer/decline", bo, nil), http.StatusOK)
	if v := b.view(t, c, ec.ID); v.Status != "offered" {
		t.Fatalf("after the decline the next is %s, want offered", v.Status)
	}
	// Silence: the offer lapses after its business days and the seat is free again.
	later := b.st.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 20) })
	if n, err := later.ExpireOffers(context.Background()); err != nil || n != 1 {
		t.Fatalf("expired %d offers: %v", n, err)
	}
	v := b.view(t, c, ec.ID)
	if last := v.History[len(v.History)-1]; v.Status != "cancelled" || last.Cause != "system" {
		t.Fatalf("after the offer lapsed: %+v", v)
	}
	if n := count(t, b.pool, `SELECT seats_taken FROM course_runs WHERE id = $1`, course); n != 0 {
		t.Fatalf("%d seats taken, want 0", n)
	}
}

func TestPriorityGroupsComeFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 1)
	first, self, right := b.citizen(t, 1), b.citizen(t, 2), b.citizen(t, 3)
	e1 := b.enrolAs(t, first, course, "self")
	eSelf := b.enrolAs(t, self, course, "self")
	eRight := b.enrolAs(t, right, course, "jobrettet_uddannelse")
	if eRight.PriorityGroup != "legal_right" || eRight.Waitlist.Position != 1 {
		t.Fatalf("a legal right goes first: %+v", eRight)
	}
	v := b.view(t, self, eSelf.ID)
	if v.Waitlist.Position != 2 || v.Waitlist.AheadWithPriority != 1 {
		t.Fatalf("self-enrolled: %+v, want number 2 with one ahead by priority", v.Waitlist)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments/"+e1.ID+"/cancel", first, nil), http.StatusOK)
	if v := b.view(t, right, eRight.ID); v.Status != "offered" {
		t.Fatalf("the legal-right request is %s, want offered", v.Status)
	}
}

func TestSeatHoldExpiresAndOneSeatPerCourse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	course := b.course(t, 1)
	holder, waiting := b.citizen(t, 1), b.citizen(t, 2)
	eh := b.enrolAs(t, holder, course, "self")
	ew := b.enrolAs(t, waiting, course, "self")
	// Another run of the same course (same institution and code): one seat per course at a time.
	var inst, code string
	if err := b.pool.QueryRow(context.Background(), `SELECT institution_id::text, code FROM course_runs WHERE id = $1`, course).Scan(&inst, &code); err != nil {
		t.Fatal(err)
	}
	sibling := uuid.New()
	start := time.Now().AddDate(0, 3, 0)
	if _, err := b.st.CreateCourse(context.Background(), store.Course{ID: sibling, InstitutionID: uuid.MustParse(inst), Code: code,
		Title: "Gaffeltruckcertifikat", TitleEN: "Forklift", Category: "amu", StartsOn: start, EndsOn: start.AddDate(0, 0, 4),
		HoursPerWeek: 37, FeeDKK: 1040, Schemes: []string{"self"}, SeatsTotal: 5}); err != nil {
		t.Fatal(err)
	}
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/enrolments", holder, map[string]string{"course_id": sibling.String(), "funding_preference": "self"},
		"Idempotency-Key", uuid.NewString())
	testenv.MustStatus(t, r, http.StatusConflict)
	// Funding never answered: after the hold time the seat goes to the next in line.
	later := b.st.WithClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if n, err := later.ExpireHolds(context.Background()); err != nil || n != 1 {
		t.Fatalf("expired %d holds: %v", n, err)
	}
	if v := b.view(t, holder, eh.ID); v.Status != "cancelled" || v.History[len(v.History)-1].Cause != "system" {
		t.Fatalf("held seat after its time: %+v", v)
	}
	if v := b.view(t, waiting, ew.ID); v.Status != "offered" {
		t.Fatalf("next in line is %s, want offered", v.Status)
	}
}

// Requests in the first minutes after opening are drawn by lot; anyone can check the draw from the
// published seed.
func TestBallotIsReproducibleFromItsSeed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inst, staff := b.institution(t)
	body := runBody("AK-BALLOT", 3)
	body["opens_at"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	body["ballot_minutes"] = 10
	var run struct{ ID string }
	r := testenv.Do(t, http.MethodPost, b.base+"/v1/institutions/"+inst.String()+"/courses", staff, body)
	testenv.MustStatus(t, r, http.StatusCreated)
	r.JSON(t, &run)
	course := uuid.MustParse(run.ID)
	tokens := map[string]string{}
	for i := range 8 {
		tok := b.citizen(t, 10+i)
		e := b.enrolAs(t, tok, course, "self")
		if e.Status != "waitlisted" {
			t.Fatalf("in the ballot window a request waits for the draw, got %s", e.Status)
		}
		tokens[e.ID] = tok
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+run.ID+"/ballot", "", nil), http.StatusNotFound)
	after := b.st.WithClock(func() time.Time { return time.Now().Add(11 * time.Minute) })
	if n, err := after.DrawBallots(context.Background()); err != nil || n != 1 {
		t.Fatalf("drew %d ballots: %v", n, err)
	}
	var ballot struct {
		Seed  string
		Order []string
	}
	r = testenv.Do(t, http.MethodGet, b.base+"/v1/courses/"+run.ID+"/ballot", "", nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &ballot)
	ids := make([]string, 0, len(tokens))
	for id := range tokens {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		return store.Rank(ballot.Seed, uuid.MustParse(ids[i])) < store.Rank(ballot.Seed, uuid.MustParse(ids[j]))
	})
	if len(ballot.Order) != 8 || len(ballot.Seed) != 64 {
		t.Fatalf("ballot %+v", ballot)
	}
	for i := range ids {
		if ids[i] != ballot.Order[i] {
			t.Fatalf("the published order %v is not the one its seed gives %v", ballot.Order, ids)
		}
	}
	for i, id := range ballot.Order {
		v := b.view(t, tokens[id], id)
		want := "waitlisted"
		if i < 3 {
			want = "pending"
		}
		if v.Status != want {
			t.Fatalf("drawn number %d is %s, want %s", i+1, v.Status, want)
		}
		if i >= 3 && v.Waitlist.Position != i-2 {
			t.Fatalf("drawn number %d has waiting-list position %d, want %d", i+1, v.Waitlist.Position, i-2)
		}
	}
}
