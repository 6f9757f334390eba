package channels

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SMSFile is the development SMS provider: it appends one JSON line per message to a file, e.g.
//
//	{"id":"…","to":"+4520123456","recipient_id":"…","kind":"enrolment_confirmed","language":"da","text":"Livslang: …","sent_at":"…"}
//
// Deduplication: a message id already in the file is not written again (like an SMS gateway that takes
// a client reference). Real gateways differ; one that takes no reference cannot deduplicate, and an SMS
// resent after a crash between the gateway's answer and the sent mark would arrive twice.
type SMSFile struct {
	Path string
	Now  func() time.Time // default time.Now

	mu   sync.Mutex
	sent map[string]bool // ids in the file; read from it on first use
}

// SMSLine is one line of the file.
type SMSLine struct {
	ID          string    `json:"id"`
	To          string    `json:"to"`
	RecipientID string    `json:"recipient_id"`
	Kind        string    `json:"kind"`
	Language    string    `json:"language"`
	Text        string    `json:"text"`
	SentAt      time.Time `json:"sent_at"`
}

// Send appends m's SMS text to the file. A missing or invalid phone number is permanent.
func (f *SMSFile) Send(ctx context.Context, m Message) (string, error) {
	if m.Phone == "" {
		return "", Permanent(errors.New("no phone number on the profile"))
	}
	to, ok := Phone(m.Phone)
	if !ok {
		return "", Permanent(errors.New("the phone number on the profile is not a valid mobile number"))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(); err != nil {
		return "", err
	}
	ref := "sms:" + m.ID
	if f.sent[m.ID] {
		return ref, nil
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	line, err := json.Marshal(SMSLine{ID: m.ID, To: to, RecipientID: m.RecipientID, Kind: m.Kind, Language: m.Language,
		Text: m.SMS, SentAt: now().UTC()})
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return "", fmt.Errorf("sms file: %w", err)
	}
	file, err := os.OpenFile(f.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("sms file: %w", err)
	}
	_, err = file.Write(append(line, '\n'))
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("sms file: %w", err)
	}
	f.sent[m.ID] = true
	return ref, nil
}

func (f *SMSFile) load() error {
	if f.sent != nil {
		return nil
	}
	lines, err := ReadSMSFile(f.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sms file: %w", err)
	}
	f.sent = map[string]bool{}
	for _, l := range lines {
		f.sent[l.ID] = true
	}
	return nil
}

// ReadSMSFile reads every line of an SMS file (a torn last line is skipped).
func ReadSMSFile(path string) ([]SMSLine, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var out []SMSLine
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l SMSLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.ID != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
