package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gqlauth/internal/auth"
	"gqlauth/internal/testenv"
)

// tokenFixture is a Tokens verifier on a fake clock plus what is needed to
// forge tokens for it.
type tokenFixture struct {
	tokens *auth.Tokens
	clock  *testenv.Clock
	kid    string
}

func newTokenFixture(t *testing.T, alg string) *tokenFixture {
	t.Helper()
	clock := newFakeClock()
	tokens, err := auth.NewTokens(testSecret, alg, testIssuer, clock.Now)
	if err != nil {
		t.Fatalf("NewTokens(%s): %v", alg, err)
	}
	raw, err := tokens.Sign(auth.TokenAccess, 1, "sid", "jti", clock.Now(), clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		t.Fatalf("signed token has no kid header: %v", tok.Header)
	}
	if tok.Header["alg"] != alg {
		t.Fatalf("alg header = %v, want %s", tok.Header["alg"], alg)
	}
	return &tokenFixture{tokens: tokens, clock: clock, kid: kid}
}

// claims returns valid claims of type typ for the fixture.
func (f *tokenFixture) claims(typ string) jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"type": typ, "sid": "session-1", "sub": "42", "jti": "jti-1", "iss": testIssuer,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

// forge signs claims with method and key, setting kid unless it is empty.
func forge(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("forging token: %v", err)
	}
	return s
}

func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			f := newTokenFixture(t, alg)
			iat := f.clock.Now().Truncate(time.Second)
			exp := iat.Add(30 * time.Minute)
			for _, typ := range []string{auth.TokenAccess, auth.TokenRefresh} {
				raw, err := f.tokens.Sign(typ, 7, "sess-7", "jti-7", iat, exp)
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				c, err := f.tokens.Parse(raw, typ)
				if err != nil {
					t.Fatalf("Parse(%s): %v", typ, err)
				}
				if id, ok := c.UserID(); !ok || id != 7 || c.Subject != "7" {
					t.Errorf("sub = %q (%d, %v), want \"7\"", c.Subject, id, ok)
				}
				if c.Type != typ || c.SessionID != "sess-7" || c.ID != "jti-7" || c.Issuer != testIssuer {
					t.Errorf("claims = %+v", c)
				}
				if !c.ExpiresAt.Time.Equal(exp) || !c.IssuedAt.Time.Equal(iat) {
					t.Errorf("iat/exp = %v/%v, want %v/%v", c.IssuedAt, c.ExpiresAt, iat, exp)
				}
				// Equal claims give equal tokens (the reuse window relies on it).
				again, _ := f.tokens.Sign(typ, 7, "sess-7", "jti-7", iat, exp)
				if again != raw {
					t.Errorf("signing equal claims twice gave different tokens")
				}
				// The email is not a claim.
				var m jwt.MapClaims
				if _, _, err := jwt.NewParser().ParseUnverified(raw, &m); err != nil {
					t.Fatal(err)
				}
				for k := range m {
					switch k {
					case "sub", "type", "sid", "jti", "iat", "exp", "iss":
					default:
						t.Errorf("unexpected claim %q", k)
					}
				}
			}
		})
	}
}

func TestNewTokensRefusesNonHMAC(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"none", "RS256", "ES256", "EdDSA", "PS256", "", "hs256"} {
		if _, err := auth.NewTokens(testSecret, alg, testIssuer, time.Now); err == nil {
			t.Errorf("NewTokens(%q) succeeded, want an error", alg)
		}
	}
}

func TestTokensParseRefuses(t *testing.T) {
	t.Parallel()
	f := newTokenFixture(t, "HS256")
	otherKey := []byte("another-secret-key-0123456789abcdef-xyz")

	with := func(typ string, change func(jwt.MapClaims)) jwt.MapClaims {
		c := f.claims(typ)
		change(c)
		return c
	}
	cases := []struct {
		name string
		typ  string // type Parse is asked for
		raw  func() string
	}{
		{"alg none", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, f.kid, f.claims(auth.TokenAccess))
		}},
		{"alg none without kid", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", f.claims(auth.TokenAccess))
		}},
		{"signed with another key", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, otherKey, f.kid, f.claims(auth.TokenAccess))
		}},
		{"HS512 when HS256 is configured", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS512, testSecret, f.kid, f.claims(auth.TokenAccess))
		}},
		{"HS384 when HS256 is configured", auth.TokenRefresh, func() string {
			return forge(t, jwt.SigningMethodHS384, testSecret, f.kid, f.claims(auth.TokenRefresh))
		}},
		{"unknown kid", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, "some-other-kid", f.claims(auth.TokenAccess))
		}},
		{"access presented as refresh", auth.TokenRefresh, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, f.claims(auth.TokenAccess))
		}},
		{"refresh presented as access", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, f.claims(auth.TokenRefresh))
		}},
		{"no type", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { delete(c, "type") }))
		}},
		{"wrong issuer", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { c["iss"] = "evil" }))
		}},
		{"no issuer", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { delete(c, "iss") }))
		}},
		{"no exp", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { delete(c, "exp") }))
		}},
		{"expired", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) {
				c["exp"] = f.clock.Now().Add(-time.Second).Unix()
			}))
		}},
		{"issued in the future", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) {
				c["iat"] = f.clock.Now().Add(time.Hour).Unix()
			}))
		}},
		{"non-numeric sub", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { c["sub"] = "john@example.com" }))
		}},
		{"zero sub", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { c["sub"] = "0" }))
		}},
		{"no sid", auth.TokenAccess, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { delete(c, "sid") }))
		}},
		{"no jti", auth.TokenRefresh, func() string {
			return forge(t, jwt.SigningMethodHS256, testSecret, f.kid, with(auth.TokenRefresh, func(c jwt.MapClaims) { delete(c, "jti") }))
		}},
		{"tampered payload", auth.TokenAccess, func() string {
			good := forge(t, jwt.SigningMethodHS256, testSecret, f.kid, f.claims(auth.TokenAccess))
			evil := forge(t, jwt.SigningMethodHS256, otherKey, f.kid, with(auth.TokenAccess, func(c jwt.MapClaims) { c["sub"] = "1" }))
			g, e := strings.Split(good, "."), strings.Split(evil, ".")
			return g[0] + "." + e[1] + "." + g[2]
		}},
		{"empty", auth.TokenAccess, func() string { return "" }},
		{"garbage", auth.TokenAccess, func() string { return "not.a.jwt" }},
		{"bearer prefix", auth.TokenAccess, func() string {
			return "Bearer " + forge(t, jwt.SigningMethodHS256, testSecret, f.kid, f.claims(auth.TokenAccess))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.tokens.Parse(tc.raw(), tc.typ)
			wantCode(t, err, auth.CodeUnauthorized, auth.MsgInvalidCredentials)
		})
	}

	// The forging above is only meaningful if a correctly forged token passes.
	t.Run("control: correctly forged token verifies", func(t *testing.T) {
		for _, typ := range []string{auth.TokenAccess, auth.TokenRefresh} {
			c, err := f.tokens.Parse(forge(t, jwt.SigningMethodHS256, testSecret, f.kid, f.claims(typ)), typ)
			if err != nil {
				t.Fatalf("Parse(%s): %v", typ, err)
			}
			if id, _ := c.UserID(); id != 42 || c.SessionID != "session-1" {
				t.Fatalf("claims = %+v", c)
			}
		}
	})
}

func TestTokensExpiryFollowsClock(t *testing.T) {
	t.Parallel()
	f := newTokenFixture(t, "HS256")
	now := f.clock.Now().Truncate(time.Second)
	raw, err := f.tokens.Sign(auth.TokenAccess, 1, "s", "j", now, now.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(29 * time.Minute)
	if _, err := f.tokens.Parse(raw, auth.TokenAccess); err != nil {
		t.Fatalf("token refused before expiry: %v", err)
	}
	f.clock.Advance(time.Minute + time.Second)
	_, err = f.tokens.Parse(raw, auth.TokenAccess)
	wantCode(t, err, auth.CodeUnauthorized, auth.MsgInvalidCredentials)
}

func TestTokensHugeInputRefusedFast(t *testing.T) {
	t.Parallel()
	f := newTokenFixture(t, "HS256")
	good := forge(t, jwt.SigningMethodHS256, testSecret, f.kid, f.claims(auth.TokenAccess))
	cases := map[string]string{
		"1 MB of letters":          strings.Repeat("a", 1<<20),
		"800 KB of dots":           strings.Repeat(".", 800<<10),
		"valid token padded":       good + strings.Repeat("A", 1<<20),
		"huge header segment":      strings.Repeat("e", 1<<20) + ".e30.sig",
		"many segments":            strings.Repeat("a.", 400<<10),
		"huge base64 json payload": "eyJhbGciOiJIUzI1NiJ9." + strings.Repeat("eyJ", 300<<10) + ".x",
	}
	// Correctly signed, but far longer than any token the service issues:
	// the length bound, not the signature, has to refuse it.
	padded := f.claims(auth.TokenAccess)
	padded["pad"] = strings.Repeat("p", 1<<20)
	cases["validly signed, 1 MB of claims"] = forge(t, jwt.SigningMethodHS256, testSecret, f.kid, padded)
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			for _, typ := range []string{auth.TokenAccess, auth.TokenRefresh} {
				_, err := f.tokens.Parse(raw, typ)
				wantCode(t, err, auth.CodeUnauthorized, auth.MsgInvalidCredentials)
			}
			// Generous for -race on a loaded machine; an O(n²) parse or a
			// full decode of 1 MB would be orders of magnitude slower.
			if d := time.Since(start); d > 250*time.Millisecond {
				t.Errorf("refusing took %v", d)
			}
		})
	}
}
