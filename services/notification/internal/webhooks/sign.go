// Package webhooks pushes enrolment events to institutions' endpoints by the Standard Webhooks
// convention (https://www.standardwebhooks.com): secrets and signatures, the body an institution
// receives, the retry policy, and the Worker that sends due deliveries.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const secretPrefix = "whsec_"

// NewSecret returns a fresh signing secret in Standard Webhooks form: "whsec_" and the standard
// base64 of 32 random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Sign returns the "v1,<base64 HMAC-SHA256>" signature of "{id}.{unix seconds}.{body}" under secret.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Headers are the Standard Webhooks headers of one attempt: webhook-id, webhook-timestamp and
// webhook-signature with one signature per secret, space-separated (the new secret's and, during a
// rotation, the old one's).
func Headers(secrets []string, id string, at time.Time, body []byte) (map[string]string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		sig, err := Sign(secret, id, at, body)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sig)
	}
	return map[string]string{
		"webhook-id":        id,
		"webhook-timestamp": strconv.FormatInt(at.Unix(), 10),
		"webhook-signature": strings.Join(sigs, " "),
	}, nil
}
