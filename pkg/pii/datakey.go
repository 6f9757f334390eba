package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// DataKey is one citizen's data key (envelope encryption): their personal data is sealed with it,
// and it is stored only wrapped by the service's master key. Destroying the wrapped key makes every
// copy of the data sealed with it unreadable, in backups too (crypto-shredding).
type DataKey struct{ aead cipher.AEAD }

// NewDataKey makes a fresh random data key and returns it with its raw bytes, to be wrapped.
func NewDataKey() (DataKey, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return DataKey{}, nil, fmt.Errorf("data key: %w", err)
	}
	k, err := dataKey(raw)
	return k, raw, err
}

func dataKey(raw []byte) (DataKey, error) {
	if len(raw) != 32 {
		return DataKey{}, errors.New("data key: want 32 bytes")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return DataKey{}, fmt.Errorf("data key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return DataKey{}, fmt.Errorf("data key: %w", err)
	}
	return DataKey{aead: aead}, nil
}

// wrapAAD binds a wrapped key to its owner, so one citizen's wrapped key cannot be swapped for another's.
func wrapAAD(owner string) []byte { return []byte("livslang data key\x00" + owner) }

// Wrap seals a data key's raw bytes with the current master key for owner (the citizen's id).
func (k *Keys) Wrap(raw []byte, owner string) ([]byte, error) {
	return k.Seal(raw, wrapAAD(owner))
}

// Unwrap opens a wrapped data key with whichever master key wrapped it.
func (k *Keys) Unwrap(wrapped []byte, owner string) (DataKey, error) {
	raw, err := k.Open(wrapped, wrapAAD(owner))
	if err != nil {
		return DataKey{}, fmt.Errorf("unwrap data key: %w", err)
	}
	return dataKey(raw)
}

// Rewrap wraps a data key again with the current master key; it reports false, changing nothing,
// when the current key already wraps it. After every data key is rewrapped, the old master key can
// be removed from the configuration.
func (k *Keys) Rewrap(wrapped []byte, owner string) ([]byte, bool, error) {
	if len(wrapped) > 0 && wrapped[0] == k.current {
		return wrapped, false, nil
	}
	raw, err := k.Open(wrapped, wrapAAD(owner))
	if err != nil {
		return nil, false, fmt.Errorf("rewrap data key: %w", err)
	}
	out, err := k.Seal(raw, wrapAAD(owner))
	return out, err == nil, err
}

// Seal encrypts plaintext bound to aad (e.g. the table and column): nonce || ciphertext.
func (d DataKey) Seal(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, d.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return d.aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts what Seal produced.
func (d DataKey) Open(sealed, aad []byte) ([]byte, error) {
	ns := d.aead.NonceSize()
	if len(sealed) < ns {
		return nil, errors.New("open: too short")
	}
	pt, err := d.aead.Open(nil, sealed[:ns], sealed[ns:], aad)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return pt, nil
}
