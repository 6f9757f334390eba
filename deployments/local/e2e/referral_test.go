package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/testenv"
)

type referral struct {
	ID              string
	Status          string
	CourseID        string `json:"course_id"`
	Funding         string
	ValidUntil      string  `json:"valid_until"`
	EnrolmentID     *string `json:"enrolment_id"`
	EnrolmentStatus string  `json:"enrolment_status"`
	History         []struct{ Event, ActorRole string }
}

// The whole case: refer → the citizen sees it and accepts → enrolment confirmed with the referral's
// funding → the institution accepts → completion → the caseworker sees it all.
func TestReferralJourney(t *testing.T) {
	t.Parallel()
	s := start(t)
	lars := s.citizen(t, "0205841457", "Lars Sørensen", "lars@example.dk", "da")
	course, _ := s.course(t, "lagerstyring")
	herning := s.env.Token(t, auth.Claims{Subject: "cw-herning", Role: auth.RoleCaseworker, Municipality: "657"})
	holstebro := s.env.Token(t, auth.Claims{Subject: "cw-holstebro", Role: auth.RoleCaseworker, Municipality: "661"})
	until := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	body := map[string]string{"cpr": "0205841457", "course_id": course, "funding": "municipality",
		"reason": "Opkvalificering til lagerjob", "valid_until": until}
	var ref referral
	testenv.Eventually(t, 20*time.Second, "funding knows the citizen", func() bool {
		r := testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals", herning, body)
		if r.Status != http.StatusCreated {
			return false
		}
		r.JSON(t, &ref)
		return true
	})
	if ref.Status != "open" || ref.EnrolmentID != nil || ref.Funding != "municipality" || ref.ValidUntil != until {
		t.Fatalf("new referral %+v", ref)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals", holstebro, body), http.StatusUnprocessableEntity)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.fund+"/v1/referrals/"+ref.ID, holstebro, nil), http.StatusNotFound)

	// The citizen sees it; registration holds a seat for it as an offer.
	var mine struct{ Items []referral }
	testenv.Do(t, http.MethodGet, s.fund+"/v1/referrals", lars.token, nil).JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != ref.ID {
		t.Fatalf("the citizen's referrals %+v", mine.Items)
	}
	var enrolments struct {
		Items []struct {
			ID, Status, ReferralID string
			ReferralIDJSON         string `json:"referral_id"`
		}
	}
	testenv.Eventually(t, 20*time.Second, "a seat held for the referral", func() bool {
		testenv.Do(t, http.MethodGet, s.reg+"/v1/me/enrolments", lars.token, nil).JSON(t, &enrolments)
		return len(enrolments.Items) == 1 && enrolments.Items[0].Status == "offered" && enrolments.Items[0].ReferralIDJSON == ref.ID
	})
	enrolmentID := enrolments.Items[0].ID
	testenv.Eventually(t, 20*time.Second, "Lars is told of the referral", func() bool {
		for _, m := range s.mailsTo(lars.email) {
			if strings.HasPrefix(m.Subject, "Kommunen har henvist dig") && strings.Contains(m.Body, "Opkvalificering til lagerjob") {
				return true
			}
		}
		return false
	})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals/"+ref.ID+"/accept", lars.token, nil), http.StatusOK)
	e := s.waitStatus(t, lars, enrolmentID, "confirmed")
	if e.Funding.Scheme != "municipality" || e.Funding.Outcome != "approved" {
		t.Fatalf("funding of the referred enrolment %+v", e.Funding)
	}

	// The institution accepts and reports completion; the caseworker follows it.
	staff := s.env.Token(t, auth.Claims{Subject: "hh", Role: auth.RoleInstitution, InstitutionID: "d7151794-43da-493a-9bb0-dd8a8445f22e"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+enrolmentID+"/accept", staff, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+enrolmentID+"/outcome", staff,
		map[string]any{"outcome": "completed", "attended_hours": 10}), http.StatusOK)
	testenv.Eventually(t, 20*time.Second, "the caseworker sees the completion", func() bool {
		testenv.Do(t, http.MethodGet, s.fund+"/v1/referrals/"+ref.ID, herning, nil).JSON(t, &ref)
		return ref.EnrolmentStatus == "completed"
	})
	var events []string
	for _, h := range ref.History {
		events = append(events, h.Event)
	}
	got := strings.Join(events, ",")
	for _, want := range []string{"created", "accepted", "enrolment_pending", "enrolment_confirmed", "enrolment_accepted_by_institution", "enrolment_completed"} {
		if !strings.Contains(got, want) {
			t.Fatalf("history %s lacks %s", got, want)
		}
	}
	var filtered struct{ Items []referral }
	testenv.Do(t, http.MethodGet, s.fund+"/v1/referrals?status=accepted&due_before="+until, herning, nil).JSON(t, &filtered)
	if len(filtered.Items) != 1 {
		t.Fatalf("filtered list %+v", filtered.Items)
	}
	checkEvents(t, s)
}

// Bulk referral gives a result per client; a referral whose funding is impossible is refused with
// the reason; declining gives the seat and the money back.
func TestBulkReferralAndDecline(t *testing.T) {
	t.Parallel()
	s := start(t)
	mette := s.citizen(t, "1403881236", "Mette", "mette@example.dk", "da")
	s.citizen(t, "0205841457", "Lars", "lars@example.dk", "da")
	course, _ := s.course(t, "gaffeltruck")
	herning := s.env.Token(t, auth.Claims{Subject: "cw-herning", Role: auth.RoleCaseworker, Municipality: "657"})
	until := time.Now().AddDate(0, 0, 5).Format(time.DateOnly)
	// The regional pool is for unemployed people: both citizens are employed.
	var refused struct {
		Errors []struct{ Field, Message string }
	}
	for _, number := range []string{"1403881236", "0205841457"} { // so funding has both profiles too
		testenv.Eventually(t, 20*time.Second, "refused with the reason", func() bool {
			r := testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals", herning, map[string]string{"cpr": number, "course_id": course,
				"funding": "regional_pulje", "reason": "test", "valid_until": until})
			r.JSON(t, &refused)
			return r.Status == http.StatusUnprocessableEntity && len(refused.Errors) > 0 && refused.Errors[0].Field == "funding"
		})
	}
	var bulk struct {
		Created, Refused int
		Results          []struct {
			CPR    string
			Status int
		}
	}
	r := testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals/bulk", herning, map[string]any{
		"cprs": []string{"1403881236", "0205841457", "3112999999", "0101010101"}, "course_id": course, "funding": "municipality",
		"reason": "Truckcertifikat til lagerjobs", "valid_until": until})
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &bulk)
	if bulk.Created != 2 || bulk.Refused != 2 || bulk.Results[0].CPR != "140388-XXXX" || bulk.Results[2].Status != http.StatusUnprocessableEntity {
		t.Fatalf("bulk %+v", bulk)
	}
	admin := s.env.Token(t, auth.Claims{Subject: "admin", Role: auth.RoleAdmin})
	before := reserved(s.pools(t, admin), "municipality", "657")
	if before < 2*1040 {
		t.Fatalf("the municipal pool holds %d kr. for two referrals", before)
	}
	var mine struct{ Items []referral }
	testenv.Do(t, http.MethodGet, s.fund+"/v1/referrals", mette.token, nil).JSON(t, &mine)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.fund+"/v1/referrals/"+mine.Items[0].ID+"/decline", mette.token,
		map[string]string{"reason": "Jeg har fået job"}), http.StatusOK)
	if got := reserved(s.pools(t, admin), "municipality", "657"); got != before-1040 {
		t.Fatalf("after the decline the pool holds %d, want %d", got, before-1040)
	}
	var enrolments struct{ Items []struct{ Status string } }
	testenv.Eventually(t, 20*time.Second, "the held seat released", func() bool {
		testenv.Do(t, http.MethodGet, s.reg+"/v1/me/enrolments", mette.token, nil).JSON(t, &enrolments)
		return len(enrolments.Items) == 1 && enrolments.Items[0].Status == "cancelled"
	})
}
