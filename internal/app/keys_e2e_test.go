package app_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"gqlauth/internal/keys"
	"gqlauth/internal/mail/mailtest"
	"gqlauth/internal/testenv"
)

// newKey runs `gqlauth keys generate --alg alg` and returns its JWK Set.
func newKey(t *testing.T, alg string) string {
	t.Helper()
	code, out, errOut := runCommand(nil, "", "keys", "generate", "--alg", alg)
	if code != 0 {
		t.Fatalf("keys generate --alg %s: exit %d: %s", alg, code, errOut)
	}
	return out
}

// keySet joins JWK Sets, in order, into one JWT_KEYS value.
func keySet(t *testing.T, sets ...string) string {
	t.Helper()
	var all []json.RawMessage
	for _, s := range sets {
		var v struct{ Keys []json.RawMessage }
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("not a JWK Set: %v\n%s", err, s)
		}
		all = append(all, v.Keys...)
	}
	b, _ := json.Marshal(map[string]any{"keys": all})
	return string(b)
}

// kidOf returns the kid of the first key of a JWK Set.
func kidOf(t *testing.T, set string) string {
	t.Helper()
	var v struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal([]byte(set), &v); err != nil || len(v.Keys) == 0 {
		t.Fatalf("not a JWK Set: %v", err)
	}
	return v.Keys[0].Kid
}

// headerKid returns the kid in a token's header.
func headerKid(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// fetchJWKS returns the server's published keys.
func fetchJWKS(t *testing.T, s *server) jose.JSONWebKeySet {
	t.Helper()
	r := s.request(http.MethodGet, "/.well-known/jwks.json", nil)
	expect(t, r, http.StatusOK, "")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Raw, &set); err != nil {
		t.Fatalf("JWKS: %v: %s", err, r.Raw)
	}
	return set
}

// TestAsymmetricTokens: with each asymmetric ALGORITHM and JWT_KEYS, tokens
// are signed by the first key with its kid, verify with the published public
// key, and every forgery is refused.
func TestAsymmetricTokens(t *testing.T) {
	for _, alg := range keys.Asymmetric {
		t.Run(alg, func(t *testing.T) {
			a, spare := newKey(t, alg), newKey(t, alg)
			s := startServer(t, map[string]string{"ALGORITHM": alg, "JWT_KEYS": a, "SECRET_KEY": ""})
			acct := s.register(t)
			tok, _, err := jwt.NewParser().ParseUnverified(acct.Access, jwt.MapClaims{})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Header["alg"] != alg || tok.Header["kid"] != kidOf(t, a) {
				t.Fatalf("header %v, want alg %s kid %s", tok.Header, alg, kidOf(t, a))
			}
			// A third party verifies with the published key alone.
			pub := fetchJWKS(t, s)
			if len(pub.Keys) != 1 || !pub.Keys[0].IsPublic() || pub.Keys[0].KeyID != kidOf(t, a) {
				t.Fatalf("published keys %+v", pub.Keys)
			}
			claims := jwt.MapClaims{}
			if _, err := jwt.NewParser(jwt.WithValidMethods([]string{alg})).ParseWithClaims(acct.Access, claims,
				func(*jwt.Token) (any, error) { return pub.Keys[0].Key, nil }); err != nil {
				t.Fatalf("token does not verify with the published key: %v", err)
			}
			if st := s.meStatus(acct.Access); st != http.StatusOK {
				t.Fatalf("me %d", st)
			}

			own, _ := keys.ParseJSON([]byte(a), alg)
			kid, priv := own.SigningKey()
			other, _ := keys.ParseJSON([]byte(spare), alg)
			_, otherPriv := other.SigningKey()
			sign := func(method jwt.SigningMethod, key any, kid any, c jwt.MapClaims) string {
				tk := jwt.NewWithClaims(method, c)
				if kid != nil {
					tk.Header["kid"] = kid
				}
				out, err := tk.SignedString(key)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			der, err := x509.MarshalPKIXPublicKey(pub.Keys[0].Key)
			if err != nil {
				t.Fatal(err)
			}
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			jwkJSON, _ := json.Marshal(pub.Keys[0])
			noneTok := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, claims)
			with := func(k string, v any) jwt.MapClaims {
				c := jwt.MapClaims{}
				for n, val := range claims {
					c[n] = val
				}
				c[k] = v
				return c
			}
			forged := map[string]string{
				"wrong key same kid":     sign(own.Method(), otherPriv, kid, claims),
				"HS256 with PEM key":     sign(jwt.SigningMethodHS256, pemKey, kid, claims),
				"HS256 with DER key":     sign(jwt.SigningMethodHS256, der, kid, claims),
				"HS256 with JWK as text": sign(jwt.SigningMethodHS256, jwkJSON, kid, claims),
				"alg none":               noneTok,
				"unknown kid":            sign(own.Method(), priv, "no-such-kid", claims),
				"no kid":                 sign(own.Method(), priv, nil, claims),
				"wrong issuer":           sign(own.Method(), priv, kid, with("iss", "evil")),
				"refresh type":           sign(own.Method(), priv, kid, with("type", "refresh")),
				"expired":                sign(own.Method(), priv, kid, with("exp", time.Now().Add(-time.Minute).Unix())),
			}
			for name, f := range forged {
				if st := s.meStatus(f); st != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", name, st)
				}
			}
			// The same claims signed properly pass: the refusals are about
			// what was changed.
			if st := s.meStatus(sign(own.Method(), priv, kid, claims)); st != http.StatusOK {
				t.Fatalf("control token refused: %d", st)
			}
			// Refresh works and signs with the same key.
			r := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": acct.Refresh})
			expect(t, r, http.StatusOK, "")
			if headerKid(t, r.Str("access_token")) != kid {
				t.Fatalf("refreshed token has kid %s", headerKid(t, r.Str("access_token")))
			}
		})
	}
}

// TestJWKSEndpoint checks the contract's headers of GET /.well-known/jwks.json.
func TestJWKSEndpoint(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		keys int
	}{
		{"HS256 publishes nothing", nil, 0},
		{"EdDSA with two keys", map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": keySet(t, newKey(t, "EdDSA"), newKey(t, "EdDSA"))}, 2},
		{"RS256", map[string]string{"ALGORITHM": "RS256", "JWT_KEYS": newKey(t, "RS256")}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startServer(t, c.env)
			r := s.request(http.MethodGet, "/.well-known/jwks.json", nil)
			expect(t, r, http.StatusOK, "")
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			cc := r.Header.Get("Cache-Control")
			maxAge, err := strconv.Atoi(strings.TrimPrefix(cc, "public, max-age="))
			if !strings.HasPrefix(cc, "public, max-age=") || err != nil || maxAge <= 0 || maxAge > 3600 {
				t.Errorf("Cache-Control %q", cc)
			}
			var body struct{ Keys []map[string]any }
			if err := json.Unmarshal(r.Raw, &body); err != nil || body.Keys == nil || len(body.Keys) != c.keys {
				t.Fatalf("body %s (%v)", r.Raw, err)
			}
			for _, k := range body.Keys {
				for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
					if _, ok := k[private]; ok {
						t.Errorf("published key has %q", private)
					}
				}
				if k["use"] != "sig" || k["alg"] != c.env["ALGORITHM"] || k["kid"] == nil || k["kty"] == nil {
					t.Errorf("published key %v", k)
				}
			}
			etag := r.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			r2 := s.request(http.MethodGet, "/.well-known/jwks.json", nil, "If-None-Match: "+etag)
			if r2.Status != http.StatusNotModified || len(r2.Raw) != 0 {
				t.Errorf("If-None-Match: %d %s", r2.Status, r2.Raw)
			}
			r3 := s.request(http.MethodGet, "/.well-known/jwks.json", nil, `If-None-Match: "other"`)
			expect(t, r3, http.StatusOK, "")
			expect(t, s.request(http.MethodPost, "/.well-known/jwks.json", "{}"), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		})
	}
}

// TestSigningKeyConfiguration: a bad JWT_KEYS, or none with PostgreSQL,
// stops the server with a message naming JWT_KEYS, before it connects.
func TestSigningKeyConfiguration(t *testing.T) {
	ed := newKey(t, "EdDSA")
	var one struct{ Keys []map[string]any }
	_ = json.Unmarshal([]byte(ed), &one)
	edit := func(change func(k map[string]any)) string {
		k := map[string]any{}
		for n, v := range one.Keys[0] {
			k[n] = v
		}
		change(k)
		b, _ := json.Marshal(map[string]any{"keys": []any{k}})
		return string(b)
	}
	// Nothing listens here: a server that tried to connect would fail
	// with a connection error instead of naming JWT_KEYS.
	const unreachablePG = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"not JSON", map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": "{not json"}},
		{"no kid", map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": edit(func(k map[string]any) { delete(k, "kid") })}},
		{"public key only", map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": edit(func(k map[string]any) { delete(k, "d") })}},
		{"key type not ALGORITHM", map[string]string{"ALGORITHM": "ES256", "JWT_KEYS": edit(func(k map[string]any) { delete(k, "alg") })}},
		{"missing file", map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": "@/nonexistent/keys.json"}},
		{"with an HS algorithm", map[string]string{"ALGORITHM": "HS256", "JWT_KEYS": ed}},
		{"PostgreSQL without JWT_KEYS", map[string]string{"ALGORITHM": "EdDSA", "DATABASE_URL": unreachablePG}},
		{"PostgreSQL with a bad JWT_KEYS", map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": "[]", "DATABASE_URL": unreachablePG}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := baseEnv(t)
			for k, v := range c.env {
				vars[k] = v
			}
			code, _, errOut := runCommand(vars, "", "serve")
			if code != 1 || !strings.Contains(errOut, "JWT_KEYS") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if strings.Contains(errOut, one.Keys[0]["d"].(string)) {
				t.Fatalf("the error quotes the private key: %s", errOut)
			}
		})
	}
	t.Run("from a file, ALGORITHM taken from the keys", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keys.json")
		if err := os.WriteFile(path, []byte(ed), 0o600); err != nil {
			t.Fatal(err)
		}
		s := startServer(t, map[string]string{"JWT_KEYS": "@" + path})
		a := s.register(t)
		if headerKid(t, a.Access) != kidOf(t, ed) {
			t.Fatal("not signed with the file's key")
		}
	})
}

// TestDevelopmentKeyIsKept: on SQLite without JWT_KEYS an asymmetric key is
// generated beside the database (0600) and reused after a restart; a key
// file others may read is refused, naming it.
func TestDevelopmentKeyIsKept(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "dev.db")
	env := map[string]string{"ALGORITHM": "ES256", "DATABASE_URL": "sqlite://" + dbPath, "SECRET_KEY": ""}
	var a *account
	t.Run("first start", func(t *testing.T) {
		s := startServer(t, env)
		a = s.register(t)
		if len(fetchJWKS(t, s).Keys) != 1 {
			t.Fatal("the generated key is not published")
		}
	})
	keyFile := dbPath + ".jwks-es256.json"
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", info.Mode().Perm())
	}
	t.Run("restart", func(t *testing.T) {
		s := startServer(t, env)
		if st := s.meStatus(a.Access); st != http.StatusOK {
			t.Fatalf("token refused after restart: %d", st)
		}
	})
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	vars := baseEnv(t)
	for k, v := range env {
		vars[k] = v
	}
	code, _, errOut := runCommand(vars, "", "serve")
	if code != 1 || !strings.Contains(errOut, keyFile) {
		t.Fatalf("readable key file: exit %d, stderr %q", code, errOut)
	}
}

// TestAudience: with JWT_AUDIENCE tokens carry aud; one without it or with
// another is refused.
func TestAudience(t *testing.T) {
	const aud = "https://api.example.com"
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			env := map[string]string{"JWT_AUDIENCE": aud, "ALGORITHM": alg}
			if alg == "EdDSA" {
				env["JWT_KEYS"] = newKey(t, alg)
			}
			s := startServer(t, env)
			a := s.register(t)
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(a.Access, claims); err != nil {
				t.Fatal(err)
			}
			if got, _ := claims.GetAudience(); len(got) != 1 || got[0] != aud {
				t.Fatalf("aud %v", claims["aud"])
			}
			var key any = []byte(testSecret)
			kid := headerKid(t, a.Access)
			if alg == "EdDSA" {
				set, _ := keys.ParseJSON([]byte(env["JWT_KEYS"]), alg)
				_, key = set.SigningKey()
			}
			sign := func(c jwt.MapClaims) string {
				tk := jwt.NewWithClaims(jwt.GetSigningMethod(alg), c)
				tk.Header["kid"] = kid
				out, _ := tk.SignedString(key)
				return out
			}
			with := func(v any) jwt.MapClaims {
				c := jwt.MapClaims{}
				for n, val := range claims {
					c[n] = val
				}
				if v == nil {
					delete(c, "aud")
				} else {
					c["aud"] = v
				}
				return c
			}
			for name, c := range map[string]struct {
				tok  string
				want int
			}{
				"no aud":      {sign(with(nil)), http.StatusUnauthorized},
				"other aud":   {sign(with("https://other.example.com")), http.StatusUnauthorized},
				"aud string":  {sign(with(aud)), http.StatusOK},
				"aud in list": {sign(with([]string{"x", aud})), http.StatusOK},
			} {
				if st := s.meStatus(c.tok); st != c.want {
					t.Errorf("%s: status %d, want %d", name, st, c.want)
				}
			}
		})
	}
}

// rotationStep is one deployment of a rotation: the JWT_KEYS every
// instance runs with.
func rotationSteps(t *testing.T) (a, b string, steps []string) {
	a, b = newKey(t, "EdDSA"), newKey(t, "EdDSA")
	return a, b, []string{keySet(t, a), keySet(t, b, a), keySet(t, b)}
}

// TestKeyRotationAcrossRestarts: [A] → [B, A] → [B] on one SQLite file,
// each step a restart: tokens of A keep working until the last step, new
// tokens are signed by B from the second, and a session survives it all by
// refreshing.
func TestKeyRotationAcrossRestarts(t *testing.T) {
	a, b, steps := rotationSteps(t)
	env := map[string]string{"ALGORITHM": "EdDSA", "DATABASE_URL": testenv.SQLiteURL(t)}
	var acct *account
	var refreshB string
	t.Run("[A]", func(t *testing.T) {
		env["JWT_KEYS"] = steps[0]
		s := startServer(t, env)
		acct = s.register(t)
		if headerKid(t, acct.Access) != kidOf(t, a) {
			t.Fatal("not signed by A")
		}
	})
	t.Run("[B, A]", func(t *testing.T) {
		env["JWT_KEYS"] = steps[1]
		s := startServer(t, env)
		if st := s.meStatus(acct.Access); st != http.StatusOK {
			t.Fatalf("A's access token refused: %d", st)
		}
		r := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": acct.Refresh})
		expect(t, r, http.StatusOK, "")
		if headerKid(t, r.Str("access_token")) != kidOf(t, b) {
			t.Fatal("new tokens are not signed by B")
		}
		refreshB = r.Str("refresh_token")
		if len(fetchJWKS(t, s).Keys) != 2 {
			t.Fatal("both keys are not published")
		}
	})
	t.Run("[B]", func(t *testing.T) {
		env["JWT_KEYS"] = steps[2]
		s := startServer(t, env)
		if st := s.meStatus(acct.Access); st != http.StatusUnauthorized {
			t.Fatalf("A's token still works after A was dropped: %d", st)
		}
		r := s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": refreshB})
		expect(t, r, http.StatusOK, "")
		if st := s.meStatus(r.Str("access_token")); st != http.StatusOK {
			t.Fatalf("B's token refused: %d", st)
		}
	})
}

// TestKeyRotationAcrossInstances: two instances on one PostgreSQL roll
// through [A] → [B, A] → [B] one at a time; at every moment a token from
// either instance works on the other, until A is dropped everywhere.
func TestKeyRotationAcrossInstances(t *testing.T) {
	base := testenv.RequirePostgres(t)
	a, b, steps := rotationSteps(t)
	dbURL := testenv.WithSearchPath(t, base, testenv.NewSchema(t, base))
	start := func(t *testing.T, keys string) *server {
		return startServer(t, map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": keys, "DATABASE_URL": dbURL, "SECRET_KEY": ""})
	}
	one := start(t, steps[0])
	acct := one.register(t)
	// The rollout of [B, A]: instance two first.
	two := start(t, steps[1])
	if st := two.meStatus(acct.Access); st != http.StatusOK {
		t.Fatalf("A's token refused by the instance with [B, A]: %d", st)
	}
	r := two.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": acct.Refresh})
	expect(t, r, http.StatusOK, "")
	byB := r.Str("access_token")
	if headerKid(t, byB) != kidOf(t, b) {
		t.Fatal("instance two does not sign with B")
	}
	// Instance one still runs [A]: this is why B goes second first.
	if st := one.meStatus(byB); st != http.StatusUnauthorized {
		t.Fatalf("instance with [A] accepted a token of B: %d", st)
	}
	// ... so instance one gets [B, A] too; now both accept both.
	one = start(t, steps[1])
	for name, tok := range map[string]string{"A": acct.Access, "B": byB} {
		for i, s := range []*server{one, two} {
			if st := s.meStatus(tok); st != http.StatusOK {
				t.Fatalf("instance %d refused the token of %s: %d", i+1, name, st)
			}
		}
	}
	if headerKid(t, acct.Access) != kidOf(t, a) {
		t.Fatal("the first token is not signed by A")
	}
	// The last step, [B] everywhere: A's tokens stop, B's work.
	one, two = start(t, steps[2]), start(t, steps[2])
	for i, s := range []*server{one, two} {
		if st := s.meStatus(acct.Access); st != http.StatusUnauthorized {
			t.Fatalf("instance %d still accepts A: %d", i+1, st)
		}
		if st := s.meStatus(byB); st != http.StatusOK {
			t.Fatalf("instance %d refuses B: %d", i+1, st)
		}
	}
}

// TestKeysGenerateCommand: keys generate prints a JWK Set with one private
// key of the asked algorithm, a random kid, and takes -h.
func TestKeysGenerateCommand(t *testing.T) {
	for _, alg := range []string{"", "EdDSA", "ES256", "RS256"} {
		t.Run("alg "+alg, func(t *testing.T) {
			args := []string{"keys", "generate"}
			want := alg
			if alg != "" {
				args = append(args, "--alg", alg)
			} else {
				want = "EdDSA"
			}
			code, out, errOut := runCommand(nil, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			set, err := keys.ParseJSON([]byte(out), want)
			if err != nil {
				t.Fatalf("output is not a private %s JWK Set: %v\n%s", want, err, out)
			}
			if ids := set.IDs(); len(ids) != 1 || len(ids[0]) < 16 {
				t.Fatalf("kids %v", ids)
			}
			_, again, _ := runCommand(nil, "", args...)
			if kidOf(t, again) == kidOf(t, out) {
				t.Fatal("two runs gave the same kid")
			}
		})
	}
	for _, args := range [][]string{{"keys", "-h"}, {"keys", "generate", "-h"}, {"keys", "generate", "--help"}} {
		code, out, _ := runCommand(nil, "", args...)
		if code != 0 || !strings.Contains(out, "Usage") || !strings.Contains(out, "--alg") && !strings.Contains(out, "-alg") {
			t.Fatalf("%v: exit %d, %q", args, code, out)
		}
	}
	for _, args := range [][]string{{"keys"}, {"keys", "rotate"}, {"keys", "generate", "--alg", "HS256"}} {
		if code, _, _ := runCommand(nil, "", args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestOutboxSealedWithoutSecretKey: with asymmetric signing on PostgreSQL
// no SECRET_KEY is needed, so the outbox key comes from JWT_KEYS, alike on
// every instance that shares a key, mid-rotation included. Instance one
// ([B, A]) cannot reach SMTP and stores a message; instance two ([A]) must
// be able to open and send it.
func TestOutboxSealedWithoutSecretKey(t *testing.T) {
	base := testenv.RequirePostgres(t)
	_, _, steps := rotationSteps(t)
	dbURL := testenv.WithSearchPath(t, base, testenv.NewSchema(t, base))
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "smtp://" + dead.Addr().String()
	dead.Close()
	smtp := mailtest.Start(t)
	vars := func(keys, smtpURL string) map[string]string {
		env := mailEnv(smtp, map[string]string{"ALGORITHM": "EdDSA", "JWT_KEYS": keys, "DATABASE_URL": dbURL, "SECRET_KEY": ""})
		env["SMTP_URL"] = smtpURL
		return env
	}
	one := startServer(t, vars(steps[1], deadURL))
	acct := one.register(t)
	two := startServer(t, vars(steps[0], smtp.URL()))
	m, err := smtp.Next(mailWait)
	if err != nil {
		t.Fatalf("the message instance one stored was never sent by instance two: %v", err)
	}
	if len(m.To) != 1 || m.To[0] != acct.Email {
		t.Fatalf("message to %v, want %s", m.To, acct.Email)
	}
	_, token := linkOf(t, two, m, "/verify-email")
	expect(t, two.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token}), http.StatusOK, "")
}
