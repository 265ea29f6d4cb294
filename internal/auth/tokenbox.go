package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
)

// TokenBox seals emailed tokens for the outbox with AES-256-GCM under a key
// derived from the server's secret, so that a copy of the database holds no
// usable token: tokens are stored as hashes, and the outbox row's copy is
// sealed until it is sent and then cleared. It implements Sealer, and Open
// serves the sender. It may hold several keys: the first seals, every one
// opens, so instances whose secrets overlap read each other's messages.
type TokenBox struct {
	aeads []cipher.AEAD
}

// NewTokenBox derives one sealing key from each secret (HMAC-SHA256 with a
// fixed label, so it is never a signing key itself); the first seals. No
// non-empty secret gives a random key: tokens then cannot be opened after a
// restart.
func NewTokenBox(secrets ...[]byte) (*TokenBox, error) {
	b := &TokenBox{}
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		aead, err := sealingAEAD(secret)
		if err != nil {
			return nil, err
		}
		b.aeads = append(b.aeads, aead)
	}
	if len(b.aeads) == 0 {
		random := make([]byte, 32)
		if _, err := rand.Read(random); err != nil {
			return nil, err
		}
		aead, err := sealingAEAD(random)
		if err != nil {
			return nil, err
		}
		b.aeads = append(b.aeads, aead)
	}
	return b, nil
}

func sealingAEAD(secret []byte) (cipher.AEAD, error) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("gqlauth mail outbox token seal v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal implements Sealer: nonce ‖ ciphertext, under the first key.
func (b *TokenBox) Seal(plain []byte) ([]byte, error) {
	aead := b.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, nil), nil
}

// Open returns what Seal sealed under any of the box's keys.
func (b *TokenBox) Open(sealed []byte) ([]byte, error) {
	for _, aead := range b.aeads {
		n := aead.NonceSize()
		if len(sealed) < n {
			return nil, errors.New("sealed token too short")
		}
		if plain, err := aead.Open(nil, sealed[:n], sealed[n:], nil); err == nil {
			return plain, nil
		}
	}
	return nil, errors.New("sealed under none of this box's keys")
}
