package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token types, the `type` claim.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// maxClockSkew is how far in the future a token's iat may lie: instances
// sharing a database may disagree on the time by a little, and a fresh token
// from one must work on the other.
const maxClockSkew = 30 * time.Second

// maxTokenLen bounds what is handed to the JWT parser; our tokens are a few
// hundred bytes, so anything far longer is hostile.
const maxTokenLen = 4096

// Claims are the JWT claims of both token types.
type Claims struct {
	Type      string `json:"type"`
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// UserID returns the `sub` claim as a user id.
func (c *Claims) UserID() (int, bool) {
	id, err := strconv.Atoi(c.Subject)
	return id, err == nil && id > 0
}

// Tokens signs and verifies JWTs with one HMAC key. The key id in the header
// lets a later release verify with several keys while signing with one.
type Tokens struct {
	key    []byte
	kid    string
	method jwt.SigningMethod
	issuer string
	now    func() time.Time
	parser *jwt.Parser
}

// NewTokens returns a signer/verifier for alg (HS256, HS384 or HS512).
func NewTokens(key []byte, alg, issuer string, now func() time.Time) (*Tokens, error) {
	if len(key) < 32 {
		return nil, errors.New("signing key must be at least 32 bytes")
	}
	method := jwt.GetSigningMethod(alg)
	if _, ok := method.(*jwt.SigningMethodHMAC); !ok {
		return nil, errors.New("unsupported algorithm " + alg)
	}
	sum := sha256.Sum256(append([]byte("gqlauth-kid:"), key...))
	t := &Tokens{
		key:    key,
		kid:    base64.RawURLEncoding.EncodeToString(sum[:9]),
		method: method,
		issuer: issuer,
		now:    now,
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(now),
	)
	return t, nil
}

// Sign returns the signed token for claims. Equal claims give equal tokens,
// which lets the reuse grace window hand out the current refresh token again
// without storing it.
func (t *Tokens) Sign(typ string, userID int, sessionID, jti string, issuedAt, expiresAt time.Time) (string, error) {
	c := Claims{
		Type:      typ,
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   strconv.Itoa(userID),
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			IssuedAt:  jwt.NewNumericDate(issuedAt),
			ID:        jti,
		},
	}
	tok := jwt.NewWithClaims(t.method, c)
	tok.Header["kid"] = t.kid
	return tok.SignedString(t.key)
}

// Parse verifies raw as a token of type typ and returns its claims. Any
// failure (bad signature, other algorithm, expired, wrong type or issuer,
// missing claims) is an UNAUTHORIZED error with a generic message.
func (t *Tokens) Parse(raw, typ string) (*Claims, error) {
	invalid := unauthorized(MsgInvalidCredentials)
	if raw == "" || len(raw) > maxTokenLen {
		return nil, invalid
	}
	var c Claims
	_, err := t.parser.ParseWithClaims(raw, &c, func(tok *jwt.Token) (any, error) {
		if kid, ok := tok.Header["kid"]; ok && kid != t.kid {
			return nil, errors.New("unknown key id")
		}
		return t.key, nil
	})
	if err != nil {
		return nil, invalid
	}
	if _, ok := c.UserID(); !ok || c.Type != typ || c.SessionID == "" || c.ID == "" {
		return nil, invalid
	}
	if c.IssuedAt == nil || c.IssuedAt.After(t.now().Add(maxClockSkew)) {
		return nil, invalid
	}
	return &c, nil
}
