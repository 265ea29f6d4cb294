package auth

import (
	"errors"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gqlauth/internal/keys"
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

// Tokens signs and verifies JWTs with a key Set: one HMAC secret, or a JWK
// Set whose first key signs and whose every key verifies (by kid).
type Tokens struct {
	keys     *keys.Set
	issuer   string
	audience string
	now      func() time.Time
	parser   *jwt.Parser
}

// TokenOptions configure NewTokensWith. Keys and Issuer are required.
type TokenOptions struct {
	Keys   *keys.Set
	Issuer string
	// Audience, when set, is the aud of every token, and a token without it
	// is refused.
	Audience string
	Now      func() time.Time
}

// NewTokens returns a signer/verifier for alg (HS256, HS384 or HS512) with
// one HMAC key.
func NewTokens(key []byte, alg, issuer string, now func() time.Time) (*Tokens, error) {
	set, err := keys.NewHMAC(key, alg)
	if err != nil {
		return nil, err
	}
	return NewTokensWith(TokenOptions{Keys: set, Issuer: issuer, Now: now})
}

// NewTokensWith returns a signer/verifier over o.Keys. Verification pins
// the Set's algorithm, requires exp, the issuer and (when set) the audience.
func NewTokensWith(o TokenOptions) (*Tokens, error) {
	if o.Keys == nil {
		return nil, errors.New("no signing keys")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &Tokens{keys: o.Keys, issuer: o.Issuer, audience: o.Audience, now: o.Now}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{o.Keys.Algorithm()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(o.Issuer),
		jwt.WithTimeFunc(o.Now),
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	t.parser = jwt.NewParser(opts...)
	return t, nil
}

// Keys is the key Set tokens are signed and verified with.
func (t *Tokens) Keys() *keys.Set { return t.keys }

// Sign returns the token for claims, signed by the Set's first key and
// naming it in `kid`. Equal claims give equal claims back, which lets the
// reuse grace window hand out the current refresh token again without
// storing it (byte-identical with HS*, EdDSA and RS256; ES256 signatures are
// randomised, so there only the claims and jti repeat).
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
	if t.audience != "" {
		c.Audience = jwt.ClaimStrings{t.audience}
	}
	kid, key := t.keys.SigningKey()
	tok := jwt.NewWithClaims(t.keys.Method(), c)
	tok.Header["kid"] = kid
	return tok.SignedString(key)
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
	_, err := t.parser.ParseWithClaims(raw, &c, t.keys.Keyfunc)
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
