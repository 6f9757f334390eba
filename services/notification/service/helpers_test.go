package service_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/smtptest"
	"livslang.dk/pkg/testenv"
	"livslang.dk/services/notification/internal/channels"
	"livslang.dk/services/notification/internal/policy"
	"livslang.dk/services/notification/service"
)

// clock is the injected clock: real time shifted to a chosen moment, so time still passes (retries
// and leases work) and a test moves it forward with Set.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newClock(at time.Time) *clock { return &clock{offset: time.Until(at)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(at)
}

// cph is a wall-clock time in Copenhagen.
func cph(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, policy.Copenhagen)
	if err != nil {
		panic(err)
	}
	return t
}

// stack is notification running against real Postgres and JetStream, with a test SMTP server that can
// bounce, the development SMS and Digital Post providers writing into a temporary folder, and a clock.
type stack struct {
	env     *testenv.Env
	base    string
	smtp    *smtptest.Server
	clock   *clock
	sms     string // the SMS file
	post    string // the Digital Post folder
	vars    map[string]string
	options service.Options
	pool    *pgxpool.Pool
	stop    func() // stops the running instance
}

// restart stops the running instance and starts another on the same database and NATS, as a
// redeploy would.
func (s *stack) restart(t *testing.T) {
	t.Helper()
	s.stop()
	s.base, s.stop = s.runStoppable(t)
}

// logs keeps an instance's log, shown when the test fails.
type logs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newStack(t *testing.T, at time.Time, extra map[string]string, opts service.Options) *stack {
	t.Helper()
	s := &stack{env: testenv.New(t, "notification"), smtp: smtptest.Start(t), clock: newClock(at)}
	dir := t.TempDir()
	s.sms, s.post = filepath.Join(dir, "sms.jsonl"), filepath.Join(dir, "digital-post")
	s.vars = map[string]string{"LIVSLANG_SMTP_ADDR": s.smtp.Addr, "LIVSLANG_SMS_FILE": s.sms, "LIVSLANG_DIGITAL_POST_DIR": s.post,
		"LIVSLANG_PORTAL_URL": "https://livslang.herning.dk", "LIVSLANG_WEBHOOK_RETRY_SCHEDULE": "20ms,50ms,100ms",
		"LIVSLANG_WEBHOOK_ALLOW_LOOPBACK": "true", "LIVSLANG_NOTIFICATION_PII_KEYS": s.env.SealingKeys("notification")}
	for k, v := range extra {
		s.vars[k] = v
	}
	if opts.Now == nil {
		opts.Now = s.clock.Now
	}
	s.options = opts
	s.base, s.stop = s.runStoppable(t)
	pool, err := pxpool(s.env.DB["notification"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s.pool = pool
	return s
}

func pxpool(url string) (*pgxpool.Pool, error) {
	return pgxpool.New(context.Background(), url)
}

// runStoppable runs an instance that the test can stop before it ends.
func (s *stack) runStoppable(t *testing.T) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars := map[string]string{"LIVSLANG_NOTIFICATION_ADDR": addr, "LIVSLANG_NOTIFICATION_DATABASE_URL": s.env.DB["notification"],
		"LIVSLANG_NATS_URL": s.env.NATSURL, "LIVSLANG_ISSUER_URL": s.env.IssuerURL}
	for k, v := range s.vars {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := &logs{}
	go func() { done <- s.options.Run(ctx, func(k string) string { return vars[k] }, log) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("instance stopped with: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("instance did not stop within 20 s")
			}
			if t.Failed() {
				t.Logf("notification log:\n%s", log.String())
			}
		})
	}
	t.Cleanup(stop)
	base := "http://" + addr
	testenv.Eventually(t, 30*time.Second, "the instance is ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base, stop
}

func (s *stack) publish(t *testing.T, e events.Envelope) { s.env.Publish(t, e, e.ID) }

func (s *stack) citizenToken(t *testing.T, id string) string {
	return s.env.Token(t, auth.Claims{Subject: id, Role: auth.RoleCitizen, CPR: "0101851234"})
}

func (s *stack) adminToken(t *testing.T) string {
	return s.env.Token(t, auth.Claims{Subject: "admin-" + uuid.NewString(), Role: auth.RoleAdmin})
}

// citizen publishes a profile and returns the citizen's id.
func (s *stack) citizen(t *testing.T, name, email, phone, language string) string {
	t.Helper()
	id := "citizen-" + uuid.NewString()
	e, err := events.New("/livslang/registration", events.TypeProfileUpdated, events.SubjectProfileUpdated, id, time.Now(),
		events.ProfileUpdated{CitizenID: id, Version: 1, Name: name, Email: email, Phone: phone, Facts: events.ProfileFacts{Language: language}})
	if err != nil {
		t.Fatal(err)
	}
	s.publish(t, e)
	return id
}

var run = events.CourseFacts{Code: "40103", Title: "Gaffeltruckcertifikat (B)", TitleEN: "Forklift certificate (B)",
	Category: "amu", InstitutionName: "Herningsholm Erhvervsskole", StartsOn: "2027-01-11", EndsOn: "2027-01-15",
	HoursPerWeek: 37, FeeDKK: 1040, Schemes: []string{"self", "veu"}, SeatsTotal: 12}

// newRun is a run of an institution of its own, so that tests do not share webhooks.
func newRun() events.CourseFacts {
	c := run
	c.ID, c.InstitutionID = uuid.NewString(), uuid.NewString()
	return c
}

var subjects = map[string]string{
	events.TypeEnrolmentRequested: events.SubjectEnrolmentRequested, events.TypeEnrolmentWaitlisted: events.SubjectEnrolmentWaitlisted,
	events.TypeEnrolmentOffered: events.SubjectEnrolmentOffered, events.TypeEnrolmentConfirmed: events.SubjectEnrolmentConfirmed,
	events.TypeEnrolmentRejected: events.SubjectEnrolmentRejected, events.TypeEnrolmentCancelled: events.SubjectEnrolmentCancelled,
	events.TypeEnrolmentAccepted: events.SubjectEnrolmentAccepted, events.TypeEnrolmentStarted: events.SubjectEnrolmentStarted,
}

// enrolment is the state of one enrolment as registration announces it.
type enrolment struct {
	events.Enrolment
}

func newEnrolment(citizen string, course events.CourseFacts) *enrolment {
	return &enrolment{events.Enrolment{EnrolmentID: uuid.NewString(), CitizenID: citizen, FundingPreference: "veu", Course: course,
		Profile: events.ProfileFacts{BirthDate: "1988-03-14", Language: "da"}}}
}

// event moves the enrolment on (a new version) and returns the event registration would publish at at.
func (e *enrolment) event(t *testing.T, eventType, status, cause, reason string, at time.Time) events.Envelope {
	t.Helper()
	e.Version++
	e.Status, e.Cause, e.Reason = status, cause, reason
	env, err := events.New("/livslang/registration", eventType, subjects[eventType], e.EnrolmentID, at, e.Enrolment)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

var approved = &events.FundingSummary{Outcome: "approved", Scheme: "veu", CitizenPaysDKK: 1040, WeeklyDKK: 4865}

var rejectedBySVU = &events.FundingSummary{Outcome: "rejected", Scheme: "svu",
	Reasons:   []string{"SVU is not paid for AMU courses (SVU-loven § 2)"},
	ReasonsDA: []string{"Der gives ikke SVU til AMU-kurser (SVU-loven § 2)"}}

// memos reads the Digital Post folder: message id → document.
func (s *stack) memos(t *testing.T) map[string]channels.MeMo {
	t.Helper()
	out := map[string]channels.MeMo{}
	entries, err := os.ReadDir(s.post)
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".xml") {
			continue
		}
		doc, err := channels.ReadMeMo(filepath.Join(s.post, e.Name()))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[strings.TrimSuffix(e.Name(), ".xml")] = doc
	}
	return out
}

func (s *stack) memosTo(t *testing.T, recipient string) []channels.MeMo {
	var out []channels.MeMo
	for _, m := range s.memos(t) {
		if m.Header.Recipient.RecipientID == recipient {
			out = append(out, m)
		}
	}
	return out
}

func (s *stack) smsTo(t *testing.T, recipient string) []channels.SMSLine {
	t.Helper()
	lines, err := channels.ReadSMSFile(s.sms)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []channels.SMSLine
	for _, l := range lines {
		if l.RecipientID == recipient {
			out = append(out, l)
		}
	}
	return out
}

func mailParts(t *testing.T, m smtptest.Message) smtptest.Parts {
	t.Helper()
	p, err := smtptest.Decode(m.Raw)
	if err != nil {
		t.Fatalf("mail to %s: %v\n%s", m.To, err, m.Raw)
	}
	return p
}

// delivery is one row of the administrators' delivery view.
type delivery struct {
	ID            string  `json:"id"`
	EventID       string  `json:"event_id"`
	RecipientID   string  `json:"recipient_id"`
	Kind          string  `json:"kind"`
	Channel       string  `json:"channel"`
	Language      string  `json:"language"`
	Status        string  `json:"status"`
	Attempts      int     `json:"attempts"`
	CreatedAt     string  `json:"created_at"`
	SentAt        *string `json:"sent_at"`
	NextAttemptAt *string `json:"next_attempt_at"`
	Outcome       string  `json:"outcome"`
	Detail        string  `json:"detail"`
	MustArrive    bool    `json:"must_arrive"`
	FallbackOf    *string `json:"fallback_of"`
	ReminderID    *string `json:"reminder_id"`
}

// deliveries reads the administrators' view for a recipient, oldest first.
func (s *stack) deliveries(t *testing.T, recipient string) []delivery {
	t.Helper()
	var page struct{ Items []delivery }
	r := testenv.Do(t, http.MethodGet, s.base+"/v1/admin/deliveries?recipient="+recipient, s.adminToken(t), nil)
	testenv.MustStatus(t, r, http.StatusOK)
	r.JSON(t, &page)
	for i, j := 0, len(page.Items)-1; i < j; i, j = i+1, j-1 {
		page.Items[i], page.Items[j] = page.Items[j], page.Items[i]
	}
	return page.Items
}

// settled reports whether every message to the recipient is done (sent, failed or cancelled).
func (s *stack) settled(t *testing.T, recipient string, n int) bool {
	d := s.deliveries(t, recipient)
	if len(d) != n {
		return false
	}
	for _, x := range d {
		if x.Status == "pending" || x.Status == "sending" {
			return false
		}
	}
	return true
}

func byKindChannel(ds []delivery) map[string]delivery {
	out := map[string]delivery{}
	for _, d := range ds {
		out[d.Kind+"/"+d.Channel] = d
	}
	return out
}

// reminder is a row of the reminders table.
type reminder struct {
	Kind, Status, Note string
	DueAt              time.Time
}

func (s *stack) reminders(t *testing.T, subject string) []reminder {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT kind, status, note, due_at FROM reminders WHERE subject_id = $1
		ORDER BY due_at, kind, created_at`, subject)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []reminder
	for rows.Next() {
		var r reminder
		if err := rows.Scan(&r.Kind, &r.Status, &r.Note, &r.DueAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
