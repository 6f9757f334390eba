package pii

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"fmt"
)

// An export key pair is made for one data request: the coordinator keeps the private key (sealed
// with the citizen's data key) and announces the public key, and every service seals its part of
// the export to it (HPKE, RFC 9180: DHKEM(X25519), HKDF-SHA256, AES-256-GCM). What travels through
// the outbox and the event streams can then be read only by the coordinator, and only until it
// destroys the private key.
var (
	exportKEM  = ecdh.X25519()
	exportKDF  = hpke.HKDFSHA256()
	exportAEAD = hpke.AES256GCM()
)

// NewExportKey makes a key pair for one export and returns the raw private and public keys.
func NewExportKey() (private, public []byte, err error) {
	k, err := exportKEM.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("export key: %w", err)
	}
	return k.Bytes(), k.PublicKey().Bytes(), nil
}

// SealExport encrypts plaintext to the public key; info binds it to its use (request and service).
func SealExport(public, info, plaintext []byte) ([]byte, error) {
	pub, err := exportKEM.NewPublicKey(public)
	if err != nil {
		return nil, fmt.Errorf("export public key: %w", err)
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("export public key: %w", err)
	}
	out, err := hpke.Seal(pk, exportKDF, exportAEAD, info, plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal export: %w", err)
	}
	return out, nil
}

// OpenExport decrypts what SealExport produced for the private key's public half and the same info.
func OpenExport(private, info, ciphertext []byte) ([]byte, error) {
	priv, err := exportKEM.NewPrivateKey(private)
	if err != nil {
		return nil, fmt.Errorf("export private key: %w", err)
	}
	k, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("export private key: %w", err)
	}
	out, err := hpke.Open(k, exportKDF, exportAEAD, info, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	return out, nil
}
