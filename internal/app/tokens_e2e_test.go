package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestTokenFormat checks the contract's claims and header for each
// configured algorithm and lifetime.
func TestTokenFormat(t *testing.T) {
	cases := []struct {
		alg           string
		accessMinutes string
		refreshDays   string
		access        time.Duration
		refresh       time.Duration
	}{
		{"HS256", "", "", 30 * time.Minute, 7 * 24 * time.Hour},
		{"HS384", "5", "1", 5 * time.Minute, 24 * time.Hour},
		{"HS512", "60", "14", time.Hour, 14 * 24 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			s := startServer(t, map[string]string{"ALGORITHM": c.alg,
				"ACCESS_TOKEN_EXPIRE_MINUTES": c.accessMinutes, "REFRESH_TOKEN_EXPIRE_DAYS": c.refreshDays})
			r := s.request(http.MethodPost, "/api/auth/register", map[string]string{"name": "T", "email": newEmail(), "password": "securePassword123"})
			expect(t, r, http.StatusCreated, "")
			if r.Get("expires_in") != float64(c.access/time.Second) {
				t.Errorf("expires_in %v, want %v", r.Get("expires_in"), c.access/time.Second)
			}
			var sids []any
			for _, tc := range []struct {
				field, typ string
				life       time.Duration
			}{{"access_token", "access", c.access}, {"refresh_token", "refresh", c.refresh}} {
				claims := jwt.MapClaims{}
				tok, err := jwt.NewParser(jwt.WithValidMethods([]string{c.alg})).ParseWithClaims(r.Str(tc.field), claims,
					func(*jwt.Token) (any, error) { return []byte(testSecret), nil })
				if err != nil {
					t.Fatalf("%s does not verify with SECRET_KEY and %s: %v", tc.field, c.alg, err)
				}
				if kid, _ := tok.Header["kid"].(string); kid == "" {
					t.Errorf("%s header has no kid: %v", tc.field, tok.Header)
				}
				if claims["type"] != tc.typ || claims["iss"] == nil || claims["jti"] == nil || claims["sid"] == nil {
					t.Errorf("%s claims: %v", tc.field, claims)
				}
				if sub, ok := claims["sub"].(string); !ok || sub == "" {
					t.Errorf("sub is not a string: %v", claims["sub"])
				}
				if _, ok := claims["email"]; ok {
					t.Errorf("the email is a claim: %v", claims)
				}
				iat, _ := claims["iat"].(float64)
				exp, _ := claims["exp"].(float64)
				if got := time.Duration(exp-iat) * time.Second; got != tc.life {
					t.Errorf("%s lives %v, want %v", tc.field, got, tc.life)
				}
				sids = append(sids, claims["sid"])
			}
			if sids[0] != sids[1] {
				t.Errorf("access and refresh tokens name different sessions: %v", sids)
			}
			if s.meStatus(r.Str("access_token")) != http.StatusOK {
				t.Error("access token refused")
			}
		})
	}
}
