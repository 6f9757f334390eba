package channels_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"livslang.dk/pkg/smtptest"
	"livslang.dk/services/notification/internal/channels"
)

var at = time.Date(2027, 1, 4, 9, 30, 0, 0, time.UTC)

func message(id string) channels.Message {
	return channels.Message{ID: id, Kind: "enrolment_rejected", RecipientID: "c8a9df20-99dc-43a3-ab69-45c33cb7ed01",
		Name: "Mette Nielsen", Email: "mette@example.dk", Phone: "20 12 34 56", Language: "da",
		Subject: "Din tilmelding blev ikke godkendt: Gaffeltruck & co", Text: "Kære Mette Nielsen\n\nØv.\n",
		HTML: "<p>Kære Mette Nielsen</p>", SMS: "Livslang: Øv.", Decision: true}
}

func TestEmailIsMultipartAndBouncesArePermanent(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	smtp := channels.SMTP{Addr: srv.Addr, From: "livslang@herning.dk", Now: func() time.Time { return at }}
	ref, err := smtp.Send(context.Background(), message("m-1"))
	if err != nil || ref != "<m-1@livslang.herning.dk>" {
		t.Fatalf("send: %q, %v", ref, err)
	}
	mails := srv.To("mette@example.dk")
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	h := mails[0].Header
	if h.Get("Message-ID") != "<m-1@livslang.herning.dk>" || !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative;") ||
		h.Get("Auto-Submitted") != "auto-generated" || h.Get("Content-Language") != "da" || h.Get("Date") != "Mon, 04 Jan 2027 09:30:00 +0000" {
		t.Fatalf("headers %v", h)
	}
	p, err := smtptest.Decode(mails[0].Raw)
	if err != nil || p.Subject != "Din tilmelding blev ikke godkendt: Gaffeltruck & co" || p.Text != "Kære Mette Nielsen\r\n\r\nØv.\r\n" ||
		p.HTML != "<p>Kære Mette Nielsen</p>" {
		t.Fatalf("parts %+v, %v", p, err)
	}

	srv.Bounce("gone@example.dk")
	m := message("m-2")
	m.Email = "gone@example.dk"
	_, err = smtp.Send(context.Background(), m)
	if !channels.IsPermanent(err) || !strings.Contains(err.Error(), "550") {
		t.Fatalf("bounce: %v", err)
	}
	if red := channels.Redact(err.Error()); strings.Contains(red, "gone@example.dk") || !strings.Contains(red, "<address>") {
		t.Fatalf("redacted: %s", red)
	}
	srv.Busy("busy@example.dk", 1)
	m.Email = "busy@example.dk"
	if _, err = smtp.Send(context.Background(), m); err == nil || channels.IsPermanent(err) {
		t.Fatalf("451 should be retried: %v", err)
	}
	if _, err = smtp.Send(context.Background(), m); err != nil {
		t.Fatalf("second try: %v", err)
	}
	m.Email = ""
	if _, err = smtp.Send(context.Background(), m); !channels.IsPermanent(err) {
		t.Fatalf("no address: %v", err)
	}
	down := channels.SMTP{Addr: "127.0.0.1:1", From: "x@y.dk"}
	if _, err = down.Send(context.Background(), message("m-3")); err == nil || channels.IsPermanent(err) {
		t.Fatalf("a server that is down should be retried: %v", err)
	}
}

// A server that hangs up after accepting a mail (before QUIT is answered) has the mail: sending it
// again would deliver it twice.
func TestEmailAcceptedBeforeAFailedQuitIsSent(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	srv.HangUpAfterAccepting()
	smtp := channels.SMTP{Addr: srv.Addr, From: "livslang@herning.dk", Now: func() time.Time { return at }}
	if _, err := smtp.Send(context.Background(), message("m-1")); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := len(srv.To("mette@example.dk")); n != 1 {
		t.Fatalf("%d mails", n)
	}
}

func TestSMSFileAppendsOnceAndRefusesBadNumbers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sms", "sms.jsonl")
	f := &channels.SMSFile{Path: path, Now: func() time.Time { return at }}
	for range 2 {
		if ref, err := f.Send(context.Background(), message("s-1")); err != nil || ref != "sms:s-1" {
			t.Fatalf("send: %q, %v", ref, err)
		}
	}
	// A new provider (a restarted process) reads what the file has.
	again := &channels.SMSFile{Path: path}
	if _, err := again.Send(context.Background(), message("s-1")); err != nil {
		t.Fatal(err)
	}
	lines, err := channels.ReadSMSFile(path)
	if err != nil || len(lines) != 1 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	l := lines[0]
	if l.To != "+4520123456" || l.Text != "Livslang: Øv." || l.RecipientID != "c8a9df20-99dc-43a3-ab69-45c33cb7ed01" ||
		!l.SentAt.Equal(at) || l.Kind != "enrolment_rejected" {
		t.Fatalf("line %+v", l)
	}
	for _, bad := range []string{"", "1234", "+45 0123 4567", "not a number", "+45123456789"} {
		m := message("s-bad")
		m.Phone = bad
		if _, err := f.Send(context.Background(), m); !channels.IsPermanent(err) {
			t.Errorf("phone %q: %v", bad, err)
		}
	}
	for in, want := range map[string]string{"20123456": "+4520123456", "+45 20 12 34 56": "+4520123456",
		"0045-20123456": "+4520123456", "+46701234567": "+46701234567"} {
		if got, ok := channels.Phone(in); !ok || got != want {
			t.Errorf("Phone(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestDigitalPostWritesOneMeMoPerMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dp := channels.DigitalPostDir{Dir: dir, SenderID: "29189854", SenderLabel: "Herning Kommune", Now: func() time.Time { return at }}
	path, err := dp.Send(context.Background(), message("d-1"))
	if err != nil || path != filepath.Join(dir, "d-1.xml") {
		t.Fatalf("send: %q, %v", path, err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.1" memoSchVersion="1.1.0">`) {
		t.Fatalf("document:\n%s", raw)
	}
	doc, err := channels.ReadMeMo(path)
	if err != nil {
		t.Fatal(err)
	}
	h := doc.Header
	if h.MessageType != "DIGITALPOST" || h.MessageUUID != "d-1" || h.Label != "Din tilmelding blev ikke godkendt: Gaffeltruck & co" ||
		!h.LegalNotification || h.Sender.SenderID != "29189854" || h.Sender.IDType != "CVR" ||
		h.Recipient.RecipientID != "c8a9df20-99dc-43a3-ab69-45c33cb7ed01" || h.Recipient.IDType != "PSEUDONYM" ||
		doc.Body.CreatedDateTime != "2027-01-04T09:30:00Z" {
		t.Fatalf("header %+v", doc)
	}
	files := doc.Body.MainDocument.Files
	if len(files) != 2 || files[0].EncodingFormat != "text/plain" || files[1].EncodingFormat != "text/html" || files[0].Language != "da" {
		t.Fatalf("files %+v", files)
	}
	if text, _ := base64.StdEncoding.DecodeString(files[0].Content); string(text) != "Kære Mette Nielsen\n\nØv.\n" {
		t.Fatalf("text %q", text)
	}
	// Sent again (after a crash before it was recorded): the file is not written again.
	changed := message("d-1")
	changed.Subject = "something else"
	if _, err := dp.Send(context.Background(), changed); err != nil {
		t.Fatal(err)
	}
	if again, _ := channels.ReadMeMo(path); again.Header.Label != h.Label {
		t.Fatal("the document was written twice")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files in the folder (a temporary file left behind?)", len(entries))
	}
}
