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
// serves the sender.
type TokenBox struct {
	aead cipher.AEAD
}

// NewTokenBox derives the sealing key from secret (HMAC-SHA256 with a fixed
// label, so it is never the signing key itself). A nil or empty secret
// gives a random key: tokens then cannot be opened after a restart.
func NewTokenBox(secret []byte) (*TokenBox, error) {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("gqlauth mail outbox token seal v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &TokenBox{aead: aead}, nil
}

// Seal implements Sealer: nonce ‖ ciphertext.
func (b *TokenBox) Seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	return b.aead.Seal(nonce, nonce, plain, nil), nil
}

// Open returns what Seal sealed.
func (b *TokenBox) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed token too short")
	}
	return b.aead.Open(nil, sealed[:n], sealed[n:], nil)
}
