// Package pii protects personal data at rest: AES-256-GCM sealing with a key id so master keys can
// rotate, per-citizen data keys wrapped by the master key (envelope encryption, so erasing a citizen
// is destroying their key), a keyed hash (HMAC-SHA256) to look data up without storing it in the
// clear, and one-time public keys (HPKE) to send a citizen's export between services.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Keys seals with the current key and opens with any known key.
type Keys struct {
	current byte
	aeads   map[byte]cipher.AEAD
	index   []byte
}

// ParseKeys reads "id:base64key[,id:base64key...]" (the first is current; ids 1-255; 32-byte keys)
// and a separate base64 index (HMAC) key.
func ParseKeys(sealing, index string) (*Keys, error) {
	k, err := ParseSealingKeys(sealing)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(index)
	if err != nil || len(raw) < 32 {
		return nil, errors.New("index key: want at least 32 bytes in base64")
	}
	k.index = raw
	return k, nil
}

// ParseSealingKeys reads sealing keys as ParseKeys does, for a service that seals but looks nothing
// up: its Keys have no index key, and Index panics.
func ParseSealingKeys(sealing string) (*Keys, error) {
	k := &Keys{aeads: map[byte]cipher.AEAD{}}
	var first = true
	for _, part := range splitComma(sealing) {
		var id int
		var enc string
		if n, err := fmt.Sscanf(part, "%d:%s", &id, &enc); n != 2 || err != nil || id < 1 || id > 255 {
			return nil, fmt.Errorf("sealing key %q: want id:base64", part)
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("sealing key %d: want 32 bytes in base64", id)
		}
		block, _ := aes.NewCipher(raw)
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealing key %d: %w", id, err)
		}
		if _, dup := k.aeads[byte(id)]; dup {
			return nil, fmt.Errorf("sealing key %d: listed twice", id)
		}
		k.aeads[byte(id)] = aead
		if first {
			k.current, first = byte(id), false
		}
	}
	if first {
		return nil, errors.New("no sealing key")
	}
	return k, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// Current is the id of the key that seals.
func (k *Keys) Current() byte { return k.current }

// Seal encrypts plaintext bound to aad (e.g. the row's id): key id || nonce || ciphertext.
func (k *Keys) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	out := append([]byte{k.current}, nonce...)
	return aead.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts what Seal produced with any known key.
func (k *Keys) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1 {
		return nil, errors.New("open: empty")
	}
	aead, ok := k.aeads[sealed[0]]
	if !ok {
		return nil, fmt.Errorf("open: unknown key id %d", sealed[0])
	}
	ns := aead.NonceSize()
	if len(sealed) < 1+ns {
		return nil, errors.New("open: too short")
	}
	pt, err := aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], aad)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return pt, nil
}

// Index is a keyed hash of value for equality look-ups.
func (k *Keys) Index(value string) []byte {
	if k.index == nil {
		panic("pii: Index on keys without an index key")
	}
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(value))
	return m.Sum(nil)
}
