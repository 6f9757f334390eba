// Package channels delivers rendered messages: e-mail over SMTP, SMS and Digital Post, each behind the
// Provider interface. The SMS and Digital Post providers here are development providers that write
// real, inspectable files (a JSON line per SMS, a MeMo XML document per Digital Post message); a
// production provider (an SMS gateway, the Digital Post provider behind Serviceplatformen's SF1601)
// implements the same interface.
package channels

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Message is a rendered message for one recipient on one channel.
type Message struct {
	// ID is the message's id, unique per (event, recipient, channel) and the same on every attempt:
	// the e-mail's Message-ID, Digital Post's messageUUID, the SMS's reference.
	ID          string
	Kind        string
	RecipientID string // the citizen's pseudonymous id; never a CPR number
	Name        string
	Email       string
	Phone       string
	Language    string
	Subject     string
	Text        string
	HTML        string
	SMS         string
	Decision    bool // a public authority's decision
}

// Provider delivers messages on one channel.
type Provider interface {
	// Send delivers m and returns the provider's reference for it. Sending again a message whose ID
	// the provider already accepted must not deliver it twice where the provider can tell (each
	// provider says whether it can). A failure that retrying cannot fix is Permanent.
	Send(ctx context.Context, m Message) (ref string, err error)
}

// ErrPermanent marks a refusal that retrying cannot fix: a bounce, an invalid phone number.
var ErrPermanent = errors.New("refused for good")

// Permanent marks err as a permanent failure.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// IsPermanent reports whether err is a permanent failure.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

var (
	emailAddress = regexp.MustCompile(`[^\s<>"@]+@[^\s<>"]+`)
	longNumber   = regexp.MustCompile(`\+?\d[\d ]{6,}\d`)
)

// Redact removes e-mail addresses and phone-like numbers from a provider's error text, so what is
// stored and shown to administrators names no one (servers often echo the address they refuse).
func Redact(s string) string {
	s = emailAddress.ReplaceAllString(s, "<address>")
	return longNumber.ReplaceAllString(s, "<number>")
}

// Phone normalises a phone number to E.164: a Danish number of 8 digits (with or without +45 or 0045,
// spaces and dashes allowed) or another country's +CC number of 8 to 15 digits.
func Phone(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(s, "00"); ok {
		s = "+" + rest
	}
	digits := strings.TrimPrefix(s, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	switch {
	case !strings.HasPrefix(s, "+") && len(digits) == 8:
		return "+45" + digits, digits[0] != '0' && digits[0] != '1'
	case strings.HasPrefix(s, "+45"):
		return s, len(digits) == 10 && digits[2] != '0' && digits[2] != '1'
	case strings.HasPrefix(s, "+"):
		return s, len(digits) >= 8 && len(digits) <= 15 && digits[0] != '0'
	}
	return "", false
}
