package attacktest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// TestForgedAsymmetricTokens runs the binary with each asymmetric ALGORITHM,
// a key from its own `keys generate` and JWT_AUDIENCE, and presents forged
// tokens built from what an attacker has: the published public key, and any
// key of their own. Every one is refused; the untouched token is accepted.
func TestForgedAsymmetricTokens(t *testing.T) {
	const aud = "https://api.example.com"
	for _, alg := range []string{"EdDSA", "ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			gen := func() string {
				out, err := exec.Command(binPath, "keys", "generate", "--alg", alg).Output()
				if err != nil {
					t.Fatalf("keys generate: %v", err)
				}
				return string(out)
			}
			own := gen()
			srv := startChild(t, map[string]string{"ALGORITHM": alg, "JWT_KEYS": own, "JWT_AUDIENCE": aud, "SECRET_KEY": ""})
			a := srv.register(t)

			var pub jose.JSONWebKeySet
			if err := json.Unmarshal(srv.must(t, http.MethodGet, "/.well-known/jwks.json", nil).Raw, &pub); err != nil || len(pub.Keys) != 1 {
				t.Fatalf("JWKS: %v %+v", err, pub)
			}
			kid := pub.Keys[0].KeyID
			claims := jwt.MapClaims{}
			if _, err := jwt.NewParser(jwt.WithValidMethods([]string{alg})).ParseWithClaims(a.Access, claims,
				func(*jwt.Token) (any, error) { return pub.Keys[0].Key, nil }); err != nil {
				t.Fatalf("the token does not verify with the published key: %v", err)
			}
			var mine jose.JSONWebKeySet
			_ = json.Unmarshal([]byte(gen()), &mine)
			attackerKey := mine.Keys[0].Key

			der, _ := x509.MarshalPKIXPublicKey(pub.Keys[0].Key)
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			jwkJSON, _ := json.Marshal(pub.Keys[0])
			sign := func(method jwt.SigningMethod, key any, kid any, c jwt.MapClaims) string {
				tk := jwt.NewWithClaims(method, c)
				if kid != nil {
					tk.Header["kid"] = kid
				}
				s, err := tk.SignedString(key)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			with := func(k string, v any) jwt.MapClaims {
				c := jwt.MapClaims{}
				for n, val := range claims {
					c[n] = val
				}
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
				return c
			}
			method := jwt.GetSigningMethod(alg)
			forged := map[string]string{
				"attacker's key, our kid":   sign(method, attackerKey, kid, claims),
				"attacker's key, their kid": sign(method, attackerKey, mine.Keys[0].KeyID, claims),
				"HS256, PEM public key":     sign(jwt.SigningMethodHS256, pemKey, kid, claims),
				"HS256, DER public key":     sign(jwt.SigningMethodHS256, der, kid, claims),
				"HS256, JWK as secret":      sign(jwt.SigningMethodHS256, jwkJSON, kid, claims),
				"alg none":                  sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, claims),
				"tampered signature":        a.Access[:len(a.Access)-4] + "AAAA",
				"no aud":                    sign(method, attackerKey, kid, with("aud", nil)),
				"expired":                   sign(method, attackerKey, kid, with("exp", time.Now().Add(-time.Hour).Unix())),
			}
			for name, tok := range forged {
				t.Run(name, func(t *testing.T) {
					expect(t, srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(tok)), http.StatusUnauthorized, "UNAUTHORIZED")
				})
			}
			if r := srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(a.Access)); r.Status != http.StatusOK {
				t.Fatalf("the real token is refused: %d", r.Status)
			}
		})
	}
}
