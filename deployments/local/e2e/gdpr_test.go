package e2e

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	funding "livslang.dk/services/funding/service"
	notification "livslang.dk/services/notification/service"
	registration "livslang.dk/services/registration/service"
)

// startStoppable starts the system like start, with a notification that the test can stop and start
// again (on the same database and durable consumers).
func startStoppable(t *testing.T) (s system, stop func(), restart func()) {
	env := testenv.New(t, "registration", "funding", "notification")
	watch := guardCPR(t, env)
	s = system{env: env, smtp: smtptest.Start(t), post: t.TempDir()}
	index := key()
	s.reg = env.Start(t, "registration", registration.Run, map[string]string{
		"LIVSLANG_REGISTRATION_PII_KEYS": "1:" + key(), "LIVSLANG_CPR_INDEX_KEY": index,
		"LIVSLANG_REGISTRATION_SEED_DEMO": "true",
	})
	s.fund = env.Start(t, "funding", funding.Run, map[string]string{"LIVSLANG_CPR_INDEX_KEY": index, "LIVSLANG_FUNDING_SEED_DEMO": "true"})
	vars := map[string]string{"LIVSLANG_SMTP_ADDR": s.smtp.Addr, "LIVSLANG_DIGITAL_POST_DIR": s.post,
		"LIVSLANG_SMS_FILE": filepath.Join(t.TempDir(), "sms.jsonl")}
	var stopRunning func()
	s.notification, stopRunning = env.StartStoppable(t, "notification", notification.Run, vars)
	watch(s.reg, s.fund)
	restart = func() {
		var base string
		base, stopRunning = env.StartStoppable(t, "notification", notification.Run, vars)
		watch(base)
	}
	return s, func() { stopRunning() }, restart
}

type dataRequest struct {
	ID          string
	Kind        string
	Status      string
	DownloadURL string `json:"download_url"`
	Services    map[string]struct {
		Status string
		Report *struct {
			Deleted []struct {
				What  string
				Count int64
			}
			Kept []struct {
				What, Why, Until string
				LegalBasis       string `json:"legal_basis"`
				Count            int64
			}
		}
	}
}

func (s system) requestData(t *testing.T, c citizen, kind, idempotencyKey string) testenv.Response {
	return testenv.Do(t, http.MethodPost, s.reg+"/v1/me/data-requests", c.token, map[string]string{"kind": kind},
		"Idempotency-Key", idempotencyKey)
}

func (s system) dataRequest(t *testing.T, c citizen, id string) dataRequest {
	var d dataRequest
	r := testenv.Do(t, http.MethodGet, s.reg+"/v1/me/data-requests/"+id, c.token, nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &d)
	return d
}

func (d dataRequest) kept(service, what string) (count int64, legalBasis, until string) {
	for _, k := range d.Services[service].Report.Kept {
		if strings.HasPrefix(k.What, what) {
			return k.Count, k.LegalBasis, k.Until
		}
	}
	return 0, "", ""
}

func (d dataRequest) deleted(service, what string) int64 {
	for _, x := range d.Services[service].Report.Deleted {
		if strings.HasPrefix(x.What, what) {
			return x.Count
		}
	}
	return -1
}

// A citizen downloads all their data from the three services in one file, then has it erased: each
// service deletes what it may and reports what it keeps and why, funding keeps the decisions the law
// requires, and notification, down when the erasure starts, does its part when it comes back.
func TestExportAndErasureAcrossTheServices(t *testing.T) {
	t.Parallel()
	s, stopNotification, startNotification := startStoppable(t)
	ctx := context.Background()
	mette := s.citizen(t, "1403881236", "Mette Nielsen", "mette@example.dk", "da")
	bo := s.citizen(t, "0205841457", "Bo Holm", "bo@example.dk", "da")
	truck, _ := s.course(t, "gaffeltruck")
	weld, seats := s.course(t, "svejsning")

	// Mette completes the forklift course (funding pays it out) and holds a seat on the welding course.
	done := s.waitStatus(t, mette, s.enrol(t, mette, truck, "veu").ID, "confirmed")
	held := s.waitStatus(t, mette, s.enrol(t, mette, weld, "self").ID, "confirmed")
	const herningsholm = "d7151794-43da-493a-9bb0-dd8a8445f22e"
	staff := s.env.Token(t, auth.Claims{Subject: "staff-hh", Role: auth.RoleInstitution, InstitutionID: herningsholm})
	var course struct {
		StartsOn string `json:"starts_on"`
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/courses/"+truck, "", nil).JSON(t, &course)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+done.ID+"/accept", staff, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+done.ID+"/attendance", staff,
		map[string]any{"date": course.StartsOn, "hours": 7.4}), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments/"+done.ID+"/outcome", staff,
		map[string]any{"outcome": "completed", "attended_hours": 37}), http.StatusOK)
	testenv.Eventually(t, 20*time.Second, "the forklift course paid out", func() bool {
		var d struct{ Status string }
		testenv.Do(t, http.MethodGet, s.fund+"/v1/decisions/"+done.ID, mette.token, nil).JSON(t, &d)
		return d.Status == "paid"
	})
	testenv.Eventually(t, 20*time.Second, "Mette's mails", func() bool { return len(s.mailsTo(mette.email)) >= 4 })

	// A caseworker and the institution read Mette's data: the audit logs say who, when and why, and
	// she can read them; Bo sees nothing of hers.
	caseworker := s.env.Token(t, auth.Claims{Subject: "cw-herning", Role: auth.RoleCaseworker, Municipality: "657"})
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.fund+"/v1/decisions/"+held.ID, caseworker, nil), http.StatusOK)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.reg+"/v1/enrolments/"+done.ID, staff, nil), http.StatusOK)
	var log struct {
		Items []struct {
			ActorRole string `json:"actor_role"`
			ActorID   string `json:"actor_id"`
			Action    string
			Resource  string
			Purpose   string
		}
	}
	testenv.Do(t, http.MethodGet, s.fund+"/v1/me/audit", mette.token, nil).JSON(t, &log)
	if len(log.Items) == 0 || log.Items[0].ActorID != "cw-herning@657" || log.Items[0].Action != "read" || log.Items[0].Purpose == "" {
		t.Fatalf("funding's audit log for Mette: %+v", log.Items)
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/me/audit", mette.token, nil).JSON(t, &log)
	if len(log.Items) == 0 || log.Items[0].ActorRole != "institution" || log.Items[0].Resource != "enrolment" {
		t.Fatalf("registration's audit log for Mette: %+v", log.Items)
	}
	testenv.Do(t, http.MethodGet, s.reg+"/v1/me/audit", bo.token, nil).JSON(t, &log)
	for _, e := range log.Items {
		if e.Resource == "enrolment" {
			t.Fatalf("Bo sees an entry about someone's enrolment: %+v", e)
		}
	}

	// The export: idempotent, one section per service, only for Mette.
	exportKey := uuid.NewString()
	r := s.requestData(t, mette, "export", exportKey)
	testenv.MustStatus(t, r, http.StatusAccepted)
	var made map[string]string
	r.JSON(t, &made)
	if len(made) != 3 || made["kind"] != "export" || made["status"] != "pending" || made["id"] == "" {
		t.Fatalf("POST /v1/me/data-requests answered %s", r.Body)
	}
	if again := s.requestData(t, mette, "export", exportKey); again.Status != http.StatusAccepted || !bytes.Equal(again.Body, r.Body) {
		t.Fatalf("a repeated request: %s", again)
	}
	testenv.MustStatus(t, s.requestData(t, mette, "erasure", exportKey), http.StatusUnprocessableEntity)
	var export dataRequest
	testenv.Eventually(t, 30*time.Second, "the export completed", func() bool {
		export = s.dataRequest(t, mette, made["id"])
		return export.Status == "completed"
	})
	if !strings.HasSuffix(export.DownloadURL, "/v1/me/data-requests/"+made["id"]+"/export") {
		t.Fatalf("export %+v", export)
	}
	file := testenv.Do(t, http.MethodGet, export.DownloadURL, mette.token, nil)
	testenv.MustStatus(t, file, http.StatusOK)
	var got struct {
		Sections struct {
			Registration struct {
				Profile    struct{ CPR, Name, Email string }
				Enrolments []struct {
					ID, Status string
					Attendance []struct{ Hours float64 }
				}
				AuditLog []any `json:"audit_log"`
			}
			Funding struct {
				Facts struct {
					BirthDate string `json:"birth_date"`
				}
				Decisions []struct {
					Status  string
					Request struct {
						CitizenID string `json:"citizen_id"`
					}
				}
				AuditLog []any `json:"audit_log"`
			}
			Notification struct {
				Recipient struct{ Email string }
				Messages  []struct{ Kind, Status string }
			}
		}
	}
	file.JSON(t, &got)
	reg, fund, note := got.Sections.Registration, got.Sections.Funding, got.Sections.Notification
	if reg.Profile.CPR != "1403881236" || reg.Profile.Name != "Mette Nielsen" || len(reg.Enrolments) != 2 || len(reg.AuditLog) == 0 {
		t.Fatalf("registration's section: %+v", reg)
	}
	if fund.Facts.BirthDate != "1988-03-14" || len(fund.Decisions) != 2 || fund.Decisions[0].Request.CitizenID != mette.id || len(fund.AuditLog) == 0 {
		t.Fatalf("funding's section: %+v", fund)
	}
	if note.Recipient.Email != "mette@example.dk" || len(note.Messages) < 4 {
		t.Fatalf("notification's section: %+v", note)
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, export.DownloadURL, bo.token, nil), http.StatusNotFound)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, export.DownloadURL, "", nil), http.StatusUnauthorized)

	// At rest, the profiles are sealed with each citizen's data key.
	regDB := dbPool(t, s.env.DB["registration"])
	var plain, leaks int
	if err := regDB.QueryRow(ctx, `SELECT count(*) FILTER (WHERE name IS NOT NULL OR cpr_sealed IS NOT NULL),
			count(*) FILTER (WHERE position('mette@example.dk' IN encode(profile_sealed, 'escape')) > 0) FROM citizens`).
		Scan(&plain, &leaks); err != nil || plain != 0 || leaks != 0 {
		t.Fatalf("plaintext profiles: %d, e-mail in sealed bytes: %d (%v)", plain, leaks, err)
	}

	// Notification is down when the erasure starts.
	testenv.Eventually(t, 20*time.Second, "every mail to Mette sent", func() bool {
		var mine struct{ Items []struct{ Status string } }
		testenv.Do(t, http.MethodGet, s.notification+"/v1/me/notifications", mette.token, nil).JSON(t, &mine)
		for _, m := range mine.Items {
			if m.Status != "sent" {
				return false
			}
		}
		return len(mine.Items) >= 4
	})
	mails := len(s.mailsTo(mette.email))
	stopNotification()
	erasure := s.requestData(t, mette, "erasure", uuid.NewString())
	testenv.MustStatus(t, erasure, http.StatusAccepted)
	erasure.JSON(t, &made)
	var d dataRequest
	testenv.Eventually(t, 30*time.Second, "funding's part of the erasure", func() bool {
		d = s.dataRequest(t, mette, made["id"])
		return d.Services["funding"].Status == "completed"
	})
	if d.Status != "pending" || d.Services["registration"].Status != "completed" || d.Services["notification"].Status != "pending" {
		t.Fatalf("with notification down: %+v", d)
	}
	// Registration erased the profile and refuses anything new for Mette; her seat went back.
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.reg+"/v1/me/profile", mette.token, nil), http.StatusGone)
	r = testenv.Do(t, http.MethodPost, s.reg+"/v1/enrolments", mette.token, map[string]string{"course_id": weld, "funding_preference": "self"},
		"Idempotency-Key", uuid.NewString())
	testenv.MustStatus(t, r, http.StatusGone)
	testenv.MustStatus(t, s.requestData(t, mette, "export", uuid.NewString()), http.StatusGone)
	testenv.MustStatus(t, s.requestData(t, mette, "erasure", uuid.NewString()), http.StatusConflict)
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.reg+"/v1/me/data-requests/"+export.ID, mette.token, nil), http.StatusNotFound)
	if _, free := s.course(t, "svejsning"); free != seats {
		t.Fatalf("%d seats free on the welding run after the erasure, want %d", free, seats)
	}

	startNotification()
	testenv.Eventually(t, 30*time.Second, "the erasure completed once notification was back", func() bool {
		d = s.dataRequest(t, mette, made["id"])
		return d.Status == "completed"
	})
	// Notification applied the erasure before the cancellation the erasure caused, so it queued nothing
	// for the address it had just erased.
	cancelled := s.env.Events(t, "REGISTRATION", "livslang.registration.enrolment.cancelled")
	if len(cancelled) != 1 || cancelled[0].Subject != held.ID {
		t.Fatalf("cancelled events %+v", cancelled)
	}
	noteDB := dbPool(t, s.env.DB["notification"])
	testenv.Eventually(t, 20*time.Second, "notification applied the cancellation", func() bool {
		var applied bool
		_ = noteDB.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = 'notification-registration' AND event_id = $1)`,
			cancelled[0].ID).Scan(&applied)
		return applied
	})
	var queued int
	if err := noteDB.QueryRow(ctx, `SELECT count(*) FROM messages WHERE recipient_id = $1`, mette.id).Scan(&queued); err != nil || queued != 0 {
		t.Errorf("%d messages for Mette after her erasure (%v)", queued, err)
	}
	if n := len(s.mailsTo(mette.email)); n != mails {
		t.Errorf("%d mails to Mette after her erasure", n-mails)
	}
	if n := d.deleted("registration", "profile"); n != 1 {
		t.Errorf("registration deleted %d profiles", n)
	}
	if n, basis, until := d.kept("registration", "completed and withdrawn enrolments"); n != 1 || !strings.Contains(basis, "17(3)(b)") ||
		!strings.HasSuffix(until, "-12-31") {
		t.Errorf("registration kept %d completed enrolments (%q, until %q)", n, basis, until)
	}
	if n, basis, _ := d.kept("funding", "funding decisions"); n != 2 || !strings.Contains(basis, "forvaltningsloven") ||
		!strings.Contains(basis, "bogføringsloven") {
		t.Errorf("funding kept %d decisions (%q)", n, basis)
	}
	if n := d.deleted("notification", "the messages to you"); n < 4 {
		t.Errorf("notification deleted %d messages", n)
	}
	if n := d.deleted("notification", "your name"); n != 1 {
		t.Errorf("notification deleted %d recipients", n)
	}

	// Registration's and notification's keys for Mette are destroyed; funding keeps its key for the
	// decisions it must keep. Bo's data is as it was.
	for _, c := range []struct {
		service  string
		shredded bool
	}{{"registration", true}, {"notification", true}, {"funding", false}} {
		db := dbPool(t, s.env.DB[c.service])
		var shredded, erased bool
		if err := db.QueryRow(ctx, `SELECT wrapped IS NULL, erased_at IS NOT NULL FROM citizen_keys WHERE citizen_id = $1`,
			mette.id).Scan(&shredded, &erased); err != nil || shredded != c.shredded || !erased {
			t.Errorf("%s: Mette's key shredded %v, erased %v (%v)", c.service, shredded, erased, err)
		}
	}
	var recipients int
	_ = noteDB.QueryRow(ctx, `SELECT count(*) FROM recipients WHERE id = $1`, mette.id).Scan(&recipients)
	if recipients != 0 {
		t.Errorf("notification still has Mette's contact details")
	}
	testenv.MustStatus(t, testenv.Do(t, http.MethodGet, s.reg+"/v1/me/profile", bo.token, nil), http.StatusOK)
	checkEvents(t, s)
}

func dbPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgdb.Connect(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
