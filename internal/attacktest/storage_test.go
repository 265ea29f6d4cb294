package attacktest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestPasswordStorageAndLogs promises: passwords are stored as argon2id PHC
// strings with at least OWASP's minimum parameters, and no password, token
// or hash ever appears in the logs, even at LOG_LEVEL=debug.
func TestPasswordStorageAndLogs(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			db := newDB(t, false)
			srv := startChild(t, map[string]string{
				"DATABASE_URL": db.URL, "LOG_LEVEL": "debug", "LOG_FORMAT": format,
			})
			const newPassword = "anotherSecurePassword456"
			secrets := map[string]string{"password": goodPassword, "wrong password": wrongPassword, "new password": newPassword}
			addToken := func(name, tok string) {
				if tok == "" {
					t.Fatalf("%s: no token", name)
				}
				secrets[name] = tok
				// The signature alone is as secret as the token.
				secrets[name+" signature"] = tok[strings.LastIndexByte(tok, '.')+1:]
			}

			a := srv.register(t)
			addToken("register access", a.Access)
			addToken("register refresh", a.Refresh)

			const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
			hash := db.passwordHash(t, a.Email)
			if !strings.HasPrefix(hash, prefix) {
				t.Fatalf("stored hash %q, want the prefix %s", hash, prefix)
			}
			secrets["hash"] = hash
			secrets["hash digest"] = hash[strings.LastIndexByte(hash, '$')+1:]

			expect(t, mustLogin(t, srv, a.Email, wrongPassword), http.StatusUnauthorized, "UNAUTHORIZED")
			r := mustLogin(t, srv, a.Email, a.Password)
			expect(t, r, http.StatusOK, "")
			addToken("login access", r.Str("access_token"))
			addToken("login refresh", r.Str("refresh_token"))

			r = srv.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": r.Str("refresh_token")})
			expect(t, r, http.StatusOK, "")
			access := r.Str("access_token")
			addToken("refreshed access", access)
			addToken("refreshed refresh", r.Str("refresh_token"))

			r = srv.must(t, http.MethodPost, "/api/auth/change-password",
				map[string]string{"current_password": wrongPassword, "new_password": newPassword}, bearer(access))
			expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
			r = srv.must(t, http.MethodPost, "/api/auth/change-password",
				map[string]string{"current_password": a.Password, "new_password": newPassword}, bearer(access))
			expect(t, r, http.StatusOK, "")
			newHash := db.passwordHash(t, a.Email)
			if !strings.HasPrefix(newHash, prefix) || newHash == hash {
				t.Fatalf("hash after change-password %q, want a new one with the prefix %s", newHash, prefix)
			}
			secrets["new hash"] = newHash

			// The same secrets through GraphQL variables, a failure included.
			g := srv.gql(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken refreshToken } }`,
				map[string]any{"e": a.Email, "p": newPassword})
			addToken("graphql access", g.Str("data.login.accessToken"))
			addToken("graphql refresh", g.Str("data.login.refreshToken"))
			srv.gql(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`,
				map[string]any{"e": a.Email, "p": wrongPassword})
			srv.gql(t, `mutation($t: String!) { refresh(refreshToken: $t) { accessToken } }`,
				map[string]any{"t": g.Str("data.login.refreshToken")})
			// Malformed GraphQL carrying a password in its variables.
			srv.must(t, http.MethodPost, "/graphql", `{"query":"mutation { login(","variables":{"p":"`+newPassword+`"}}`)
			srv.must(t, http.MethodPost, "/graphql", `{"query":"{ me { id } }","variables":"`+newPassword+`"}`)
			srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(access))
			srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(access+"x"))

			logs := srv.logs()
			if !strings.Contains(logs, "/api/auth/login/json") {
				t.Fatalf("the debug logs do not show the requests; stderr:\n%s", tail(logs, 2000))
			}
			for name, s := range secrets {
				if strings.Contains(logs, s) {
					i := strings.Index(logs, s)
					from := strings.LastIndexByte(logs[:i], '\n') + 1
					to := strings.IndexByte(logs[i:], '\n')
					if to < 0 {
						to = len(logs) - i
					}
					t.Errorf("the %s appears in the logs: %s", name, logs[from:i+to])
				}
			}
		})
	}
}

// TestLegacyBcryptAndHugePasswords promises: a legacy bcrypt hash verifies
// its password and is replaced by argon2id on that login, but never accepts
// a password that differs after byte 72 (where bcrypt stops reading); and
// passwords over the policy's length are refused before any hash.
func TestLegacyBcryptAndHugePasswords(t *testing.T) {
	db := newDB(t, false)
	srv := startChild(t, map[string]string{"DATABASE_URL": db.URL, "LOGIN_FAILURE_LIMIT": "0", "LOGIN_IP_LIMIT": "0"})
	a := srv.register(t)

	legacy := strings.Repeat("Legacy-P4ss-", 6) // exactly 72 bytes
	if len(legacy) != 72 {
		t.Fatalf("fixture is %d bytes", len(legacy))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(legacy), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	q := "UPDATE users SET password_hash = ? WHERE email = ?"
	if !db.isSQLite() {
		q = "UPDATE users SET password_hash = $1 WHERE email = $2"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.open(t).ExecContext(ctx, q, string(h), a.Email); err != nil {
		t.Fatalf("storing a bcrypt hash: %v", err)
	}

	// bcrypt itself would accept these: they agree on the first 72 bytes.
	for _, longer := range []string{legacy + "x", legacy + "anything else at all"} {
		if bcrypt.CompareHashAndPassword(h, []byte(longer)) == nil {
			expect(t, mustLogin(t, srv, a.Email, longer), http.StatusUnauthorized, "UNAUTHORIZED")
		}
	}
	expect(t, mustLogin(t, srv, a.Email, legacy), http.StatusOK, "")
	if got := db.passwordHash(t, a.Email); !strings.HasPrefix(got, "$argon2id$") {
		t.Fatalf("after a bcrypt login the stored hash is %q, want it re-hashed as argon2id", got)
	}
	expect(t, mustLogin(t, srv, a.Email, legacy), http.StatusOK, "")
	expect(t, mustLogin(t, srv, a.Email, legacy+"x"), http.StatusUnauthorized, "UNAUTHORIZED")

	// Over 255 characters: a validation error at register and login.
	huge := strings.Repeat("p", 60<<10)
	r := srv.must(t, http.MethodPost, "/api/auth/register", map[string]string{"name": "Huge", "email": newEmail(), "password": huge})
	expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if r.Get("error.details.password") == nil {
		t.Fatalf("a 60 KB password at register: %s, want the problem under password", clip(r.Raw))
	}
	for _, pw := range []string{strings.Repeat("p", 256), huge} {
		r = mustLogin(t, srv, a.Email, pw)
		expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	}
}
