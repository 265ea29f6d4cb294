// Package keys holds the keys gqlauth signs and verifies tokens with: one
// HMAC secret (ALGORITHM=HS256/HS384/HS512), or a JWK Set of private keys
// (ALGORITHM=EdDSA/ES256/RS256, JWT_KEYS) where the first key signs and
// every key verifies. It also renders the public JWK Set served at
// /.well-known/jwks.json.
//
// JWK parsing is go-jose's (github.com/go-jose/go-jose/v4); signing and
// verifying stay with golang-jwt, which takes the Go keys go-jose yields.
package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Algorithms gqlauth signs with.
const (
	HS256 = "HS256"
	HS384 = "HS384"
	HS512 = "HS512"
	EdDSA = "EdDSA"
	ES256 = "ES256"
	RS256 = "RS256"
)

// Asymmetric lists the algorithms whose keys come from a JWK Set.
var Asymmetric = []string{EdDSA, ES256, RS256}

// MinRSABits is the smallest RSA modulus accepted in JWT_KEYS.
const MinRSABits = 2048

// GenerateRSABits is the size of RSA keys made by Generate.
const GenerateRSABits = 3072

// MinSecretBytes is the shortest HMAC secret accepted.
const MinSecretBytes = 32

// IsAsymmetric reports whether alg signs with a private key (EdDSA, ES256,
// RS256) rather than a shared secret.
func IsAsymmetric(alg string) bool {
	for _, a := range Asymmetric {
		if a == alg {
			return true
		}
	}
	return false
}

// Key is one key of a Set: its id, what signs with it (nil for a key that
// only verifies) and what verifies with it.
type Key struct {
	ID     string
	sign   any // []byte, ed25519.PrivateKey, *ecdsa.PrivateKey or *rsa.PrivateKey
	verify any // []byte, ed25519.PublicKey, *ecdsa.PublicKey or *rsa.PublicKey
}

// Set is the configured keys for one algorithm. It is immutable and safe for
// concurrent use.
type Set struct {
	alg       string
	method    jwt.SigningMethod
	signing   *Key
	keys      []*Key
	byID      map[string]*Key
	requireID bool
	jwks      []byte
	etag      string
}

// NewHMAC returns the Set of one HMAC secret for alg (HS256, HS384, HS512).
// Its key id is derived from the secret, so every instance with the same
// SECRET_KEY names it alike. Tokens without a kid are accepted, as they were
// before key ids existed.
func NewHMAC(secret []byte, alg string) (*Set, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("signing secret must be at least %d bytes", MinSecretBytes)
	}
	method := jwt.GetSigningMethod(alg)
	if _, ok := method.(*jwt.SigningMethodHMAC); !ok {
		return nil, fmt.Errorf("unsupported algorithm %q for a secret", alg)
	}
	sum := sha256.Sum256(append([]byte("gqlauth-kid:"), secret...))
	k := &Key{ID: base64.RawURLEncoding.EncodeToString(sum[:9]), sign: secret, verify: secret}
	return newSet(alg, method, []*Key{k}, false)
}

// Parse reads a JWK Set of private keys for alg (EdDSA, ES256 or RS256), as
// JWT_KEYS holds it: the JSON itself, or "@/path/to/file.json". The first
// key signs; every key verifies. Each key needs a unique kid, a private part,
// and a type that fits alg; `alg` and `use`, when present, must be alg and
// "sig". Errors describe the problem without quoting key material.
func Parse(value, alg string) (*Set, error) {
	data, err := Read(value)
	if err != nil {
		return nil, err
	}
	return ParseJSON(data, alg)
}

// Read returns JWT_KEYS's JSON: the value itself, or the file it names
// with a leading "@".
func Read(value string) ([]byte, error) {
	data := []byte(strings.TrimSpace(value))
	if path, ok := strings.CutPrefix(string(data), "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, errors.Unwrap(err))
		}
		data = b
	}
	return data, nil
}

// Infer returns the algorithm the first key of a JWK Set is for: its alg, or
// what its kty and crv imply. It lets JWT_KEYS stand without ALGORITHM.
func Infer(data []byte) (string, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil || len(raw.Keys) == 0 {
		return "", errors.New("not a JSON JWK Set ({\"keys\": [...]}) with at least one key")
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw.Keys[0]); err != nil {
		return "", fmt.Errorf("key 1: not a valid JWK: %s", joseReason(err))
	}
	if jwk.Algorithm != "" {
		return jwk.Algorithm, nil
	}
	switch jwk.Key.(type) {
	case ed25519.PrivateKey, ed25519.PublicKey:
		return EdDSA, nil
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return ES256, nil
	case *rsa.PrivateKey, *rsa.PublicKey:
		return RS256, nil
	}
	return "", fmt.Errorf("key 1 is %s; set ALGORITHM", describe(jwk.Key))
}

// ParseJSON is Parse for the JSON itself.
func ParseJSON(data []byte, alg string) (*Set, error) {
	if !IsAsymmetric(alg) {
		return nil, fmt.Errorf("ALGORITHM=%s signs with SECRET_KEY; a JWK Set needs ALGORITHM EdDSA, ES256 or RS256", alg)
	}
	// Decoded key by key, so an error names the key at fault.
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, errors.New("not a JSON JWK Set ({\"keys\": [...]})")
	}
	if len(raw.Keys) == 0 {
		return nil, errors.New("the JWK Set has no keys")
	}
	keys := make([]*Key, 0, len(raw.Keys))
	for i, r := range raw.Keys {
		k, err := parseKey(r, alg)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return newSet(alg, jwt.GetSigningMethod(alg), keys, true)
}

func parseKey(r json.RawMessage, alg string) (*Key, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(r); err != nil {
		return nil, fmt.Errorf("not a valid JWK: %s", joseReason(err))
	}
	if jwk.KeyID == "" {
		return nil, errors.New("has no kid")
	}
	id := fmt.Sprintf("%q", jwk.KeyID)
	if jwk.Algorithm != "" && jwk.Algorithm != alg {
		return nil, fmt.Errorf("kid %s has alg %q, but ALGORITHM is %s", id, jwk.Algorithm, alg)
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, fmt.Errorf("kid %s has use %q, want \"sig\"", id, jwk.Use)
	}
	if jwk.IsPublic() {
		return nil, fmt.Errorf("kid %s is a public key; JWT_KEYS holds private keys (the public parts are derived)", id)
	}
	k := &Key{ID: jwk.KeyID}
	switch key := jwk.Key.(type) {
	case ed25519.PrivateKey:
		if alg == EdDSA {
			k.sign, k.verify = key, key.Public()
		}
	case *ecdsa.PrivateKey:
		if alg == ES256 && key.Curve == elliptic.P256() {
			k.sign, k.verify = key, &key.PublicKey
		}
	case *rsa.PrivateKey:
		if alg == RS256 {
			if key.N.BitLen() < MinRSABits {
				return nil, fmt.Errorf("kid %s is a %d-bit RSA key; at least %d bits are required", id, key.N.BitLen(), MinRSABits)
			}
			key.Precompute() // CRT values: signing is many times slower without them
			k.sign, k.verify = key, &key.PublicKey
		}
	}
	if k.sign == nil {
		return nil, fmt.Errorf("kid %s is %s, which does not fit ALGORITHM=%s (%s)", id, describe(jwk.Key), alg, wants(alg))
	}
	if !jwk.Valid() {
		return nil, fmt.Errorf("kid %s is not a valid key", id)
	}
	return k, nil
}

// joseReason shortens go-jose's messages ("go-jose/go-jose: …").
func joseReason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s, "go-jose") {
		return s[i+2:]
	}
	return s
}

func describe(k any) string {
	switch key := k.(type) {
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	case *ecdsa.PrivateKey:
		return "an EC key on " + key.Curve.Params().Name
	case *rsa.PrivateKey:
		return "an RSA key"
	case []byte:
		return "a symmetric key"
	default:
		return fmt.Sprintf("a %T", k)
	}
}

func wants(alg string) string {
	switch alg {
	case EdDSA:
		return `kty "OKP", crv "Ed25519"`
	case ES256:
		return `kty "EC", crv "P-256"`
	default:
		return `kty "RSA", at least 2048 bits`
	}
}

func newSet(alg string, method jwt.SigningMethod, keys []*Key, requireID bool) (*Set, error) {
	s := &Set{alg: alg, method: method, signing: keys[0], keys: keys, byID: make(map[string]*Key, len(keys)), requireID: requireID}
	pub := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		if _, dup := s.byID[k.ID]; dup {
			return nil, fmt.Errorf("kid %q appears twice", k.ID)
		}
		s.byID[k.ID] = k
		if _, secret := k.verify.([]byte); !secret {
			pub.Keys = append(pub.Keys, jose.JSONWebKey{Key: k.verify, KeyID: k.ID, Algorithm: alg, Use: "sig"})
		}
	}
	b, err := json.Marshal(pub)
	if err != nil {
		return nil, fmt.Errorf("rendering the public JWK Set: %w", err)
	}
	s.jwks = b
	sum := sha256.Sum256(b)
	s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return s, nil
}

// Algorithm is the JWS algorithm every token is signed with.
func (s *Set) Algorithm() string { return s.alg }

// Method is golang-jwt's signing method for Algorithm.
func (s *Set) Method() jwt.SigningMethod { return s.method }

// SigningKey returns the kid and key that sign new tokens: the first key.
func (s *Set) SigningKey() (kid string, key any) { return s.signing.ID, s.signing.sign }

// IDs returns the key ids in order, the signing key first.
func (s *Set) IDs() []string {
	ids := make([]string, len(s.keys))
	for i, k := range s.keys {
		ids[i] = k.ID
	}
	return ids
}

// VerificationKey returns the key that verifies a token whose header names
// kid (hasKID false when the header has none). A JWK Set refuses a missing or
// unknown kid; an HMAC secret accepts a missing one.
func (s *Set) VerificationKey(kid string, hasKID bool) (any, error) {
	if !hasKID {
		if s.requireID {
			return nil, errors.New("token has no kid")
		}
		return s.signing.verify, nil
	}
	k, ok := s.byID[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	return k.verify, nil
}

// PrivateMaterial returns each key's private bytes in the Set's order: the
// secret itself for HMAC, the PKCS#8 encoding otherwise. It is what other
// server-side secrets are derived from when SECRET_KEY is not set (never
// use it as-is: derive with a label).
func (s *Set) PrivateMaterial() ([][]byte, error) {
	out := make([][]byte, 0, len(s.keys))
	for _, k := range s.keys {
		switch key := k.sign.(type) {
		case nil:
			continue
		case []byte:
			out = append(out, key)
		default:
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k.ID, err)
			}
			out = append(out, der)
		}
	}
	return out, nil
}

// Keyfunc is a golang-jwt key function over the Set. It pins nothing
// itself: the parser must pin the algorithm (jwt.WithValidMethods).
func (s *Set) Keyfunc(tok *jwt.Token) (any, error) {
	raw, has := tok.Header["kid"]
	kid, ok := raw.(string)
	if has && !ok {
		return nil, errors.New("kid is not a string")
	}
	return s.VerificationKey(kid, has)
}

// PublicJWKS is the public JWK Set as JSON: {"keys": [...]} with kty, kid,
// alg, use "sig" and the public parameters of every key, in order; empty for
// an HMAC secret, which is never published.
func (s *Set) PublicJWKS() []byte { return s.jwks }

// ETag is a strong validator of PublicJWKS.
func (s *Set) ETag() string { return s.etag }

// Generate returns a JWK Set (indented JSON) holding one new private key for
// alg, with a random kid, alg and use "sig".
func Generate(alg string) ([]byte, error) {
	var key any
	var err error
	switch alg {
	case EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		key, err = rsa.GenerateKey(rand.Reader, GenerateRSABits)
	default:
		return nil, fmt.Errorf("cannot generate a key for %q (EdDSA, ES256 or RS256)", alg)
	}
	if err != nil {
		return nil, err
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: key, KeyID: base64.RawURLEncoding.EncodeToString(b), Algorithm: alg, Use: "sig",
	}}}
	return json.MarshalIndent(set, "", "  ")
}
