package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAdminOperations(t *testing.T) {
	s := startServer(t, nil)
	user := s.register(t)

	adminEmail := newEmail()
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	env["ADMIN_PASSWORD"] = "adminPassword123"
	code, out, errOut := runCommand(env, "", "create-admin", "--email", adminEmail, "--name", "Root")
	if code != 0 || !strings.Contains(out, "created admin") {
		t.Fatalf("create-admin: %d %s %s", code, out, errOut)
	}
	admin := &account{Email: adminEmail, Password: "adminPassword123"}
	admin.Access, _ = s.login(t, admin)

	// Every field of the maximum page fits the default cost limit.
	r := s.gql(`{ users(limit: 100) { id name email role isActive createdAt updatedAt } }`, nil, bearer(admin.Access))
	users, _ := r.Get("data.users").([]any)
	if len(users) != 2 {
		t.Fatalf("users: %s", r.Raw)
	}
	r = s.gql(`{ users(limit: 1, offset: 1) { email } }`, nil, bearer(admin.Access))
	if r.Str("data.users.0.email") != adminEmail {
		t.Fatalf("users page: %s", r.Raw)
	}
	r = s.gql(`{ users(limit: 0) { email } }`, nil, bearer(admin.Access))
	if gqlCode(r) != "VALIDATION_ERROR" {
		t.Fatalf("users(limit: 0): %s", r.Raw)
	}

	// Deactivation shuts the user out at once: tokens, refresh and login.
	id := fmt.Sprint(int(user.ID))
	r = s.gql(`mutation($id: ID!) { setUserActive(id: $id, active: false) { id isActive } }`, map[string]any{"id": id}, bearer(admin.Access))
	if r.Get("data.setUserActive.isActive") != false {
		t.Fatalf("setUserActive: %s", r.Raw)
	}
	expect(t, s.request(http.MethodGet, "/api/auth/me", nil, bearer(user.Access)), 403, "FORBIDDEN")
	r = s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": user.Email, "password": user.Password})
	expect(t, r, 403, "FORBIDDEN")
	if r.Str("error.message") != "Inactive user" {
		t.Errorf("message %q", r.Str("error.message"))
	}
	expect(t, s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": user.Refresh}), 403, "FORBIDDEN")

	// Reactivated, the user logs in again; old tokens stay dead.
	r = s.gql(`mutation($id: ID!) { setUserActive(id: $id, active: true) { isActive } }`, map[string]any{"id": id}, bearer(admin.Access))
	if r.Get("data.setUserActive.isActive") != true {
		t.Fatalf("reactivate: %s", r.Raw)
	}
	if s.meStatus(user.Access) != http.StatusUnauthorized {
		t.Error("a token from before deactivation works again")
	}
	s.login(t, user)

	r = s.gql(`mutation { setUserActive(id: "999999", active: false) { id } }`, nil, bearer(admin.Access))
	if gqlCode(r) != "NOT_FOUND" {
		t.Fatalf("unknown user: %s", r.Raw)
	}

	// An existing email is refused without --promote, and nothing changes:
	// neither the role nor the password nor the sessions.
	access, _ := s.login(t, user)
	code, out, errOut = runCommand(env, "", "create-admin", "--email", strings.ToUpper(user.Email), "--name", "Root")
	if code != 1 || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "--promote") {
		t.Fatalf("create-admin on an existing email: %d %q %q", code, out, errOut)
	}
	if r = s.gql(`{ users { id } }`, nil, bearer(access)); gqlCode(r) != "FORBIDDEN" {
		t.Fatalf("the existing user became admin: %s", r.Raw)
	}
	if s.meStatus(access) != http.StatusOK {
		t.Fatal("the existing user's token stopped working")
	}
	s.login(t, user)
	expect(t, s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": user.Email, "password": "adminPassword123"}), http.StatusUnauthorized, "")

	// --promote keeps their password (ADMIN_PASSWORD is ignored) and signs
	// out every session: tokens from before stop working at once.
	_, refresh := s.login(t, user)
	code, out, errOut = runCommand(env, "", "create-admin", "--promote", "--email", strings.ToUpper(user.Email))
	if code != 0 || !strings.Contains(out, "promoted") || !regexp.MustCompile(`signed out [1-9][0-9]* session`).MatchString(out) || !strings.Contains(errOut, "ADMIN_PASSWORD is ignored") {
		t.Fatalf("promote: %d %q %q", code, out, errOut)
	}
	if st := s.meStatus(access); st != http.StatusUnauthorized {
		t.Fatalf("an access token from before --promote: %d, want 401", st)
	}
	expect(t, s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": refresh}), 401, "UNAUTHORIZED")
	expect(t, s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": user.Email, "password": "adminPassword123"}), http.StatusUnauthorized, "")
	access, _ = s.login(t, user)
	r = s.gql(`{ users { id } }`, nil, bearer(access))
	if r.Get("errors") != nil {
		t.Fatalf("promoted user is not admin: %s", r.Raw)
	}

	// --promote of an email nobody has creates the admin, as without it.
	other := newEmail()
	code, out, errOut = runCommand(env, "", "create-admin", "--promote", "--email", other, "--name", "Other")
	if code != 0 || !strings.Contains(out, "created admin") {
		t.Fatalf("promote of a new email: %d %q %q", code, out, errOut)
	}
	s.login(t, &account{Email: other, Password: "adminPassword123"})
}

// forge signs claims with key and method, with our kid unless noKid.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedTokensAreRefused(t *testing.T) {
	s := startServer(t, nil)
	a := s.register(t)
	good, _, err := jwt.NewParser().ParseUnverified(a.Access, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	base := good.Claims.(jwt.MapClaims)
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for key, val := range base {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	secret := []byte(testSecret)
	noneTok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, base).SignedString(jwt.UnsafeAllowNoneSignatureType)
	cases := map[string]string{
		"alg none":       noneTok,
		"wrong key":      forge(t, jwt.SigningMethodHS256, []byte("another-secret-key-that-is-long-enough!!"), base),
		"other alg":      forge(t, jwt.SigningMethodHS512, secret, base),
		"expired":        forge(t, jwt.SigningMethodHS256, secret, with("exp", time.Now().Add(-time.Minute).Unix())),
		"no exp":         forge(t, jwt.SigningMethodHS256, secret, with("exp", nil)),
		"refresh type":   forge(t, jwt.SigningMethodHS256, secret, with("type", "refresh")),
		"no type":        forge(t, jwt.SigningMethodHS256, secret, with("type", nil)),
		"wrong issuer":   forge(t, jwt.SigningMethodHS256, secret, with("iss", "evil")),
		"other session":  forge(t, jwt.SigningMethodHS256, secret, with("sid", "made-up")),
		"other user":     forge(t, jwt.SigningMethodHS256, secret, with("sub", "999")),
		"tampered":       a.Access[:len(a.Access)-2] + "xx",
		"dots":           strings.Repeat(".", 800<<10/2),
		"empty":          "",
		"two tokens":     a.Access + " " + a.Access,
		"refresh as jwt": a.Refresh,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			r := s.request(http.MethodGet, "/api/auth/me", nil, bearer(tok))
			if r.Status != http.StatusUnauthorized && !(name == "dots" && r.Status == http.StatusRequestHeaderFieldsTooLarge) {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
		})
	}
	// The same claims signed properly (our tokens carry a kid; one without
	// is still verified by signature) are accepted: the refusals above are
	// about what was changed.
	if st := s.meStatus(forge(t, jwt.SigningMethodHS256, secret, base)); st != http.StatusOK {
		t.Fatalf("control token refused: %d", st)
	}
}

func TestCommands(t *testing.T) {
	vars := baseEnv(t)
	t.Run("version", func(t *testing.T) {
		code, out, _ := runCommand(vars, "", "version")
		if code != 0 || !strings.HasPrefix(out, "gqlauth ") {
			t.Fatalf("%d %q", code, out)
		}
	})
	for _, args := range [][]string{{"-h"}, {"--help"}, {"serve", "-h"}, {"migrate", "--help"}, {"create-admin", "-h"}, {"version", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, _ := runCommand(vars, "", args...)
			if code != 0 || !strings.Contains(out, "Usage") {
				t.Fatalf("%d %q", code, out)
			}
		})
	}
	t.Run("unknown command", func(t *testing.T) {
		if code, _, _ := runCommand(vars, "", "frobnicate"); code != 2 {
			t.Fatalf("exit %d", code)
		}
	})
	t.Run("migrate", func(t *testing.T) {
		code, out, errOut := runCommand(vars, "", "migrate")
		if code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf("%d %q %q", code, out, errOut)
		}
	})
	t.Run("create-admin needs a password", func(t *testing.T) {
		code, _, errOut := runCommand(vars, "", "create-admin", "--email", newEmail(), "--name", "X")
		if code != 1 || !strings.Contains(errOut, "ADMIN_PASSWORD") {
			t.Fatalf("%d %q", code, errOut)
		}
	})
	t.Run("create-admin weak password", func(t *testing.T) {
		env := map[string]string{"ADMIN_PASSWORD": "password"}
		for k, v := range vars {
			env[k] = v
		}
		env["ADMIN_PASSWORD"] = "password"
		code, _, errOut := runCommand(env, "", "create-admin", "--email", newEmail(), "--name", "X")
		if code != 1 || !strings.Contains(errOut, "password") {
			t.Fatalf("%d %q", code, errOut)
		}
	})
	bad := []struct{ name, value string }{
		{"SECRET_KEY", "too-short"},
		{"ALGORITHM", "PS256"}, // RS256 is a valid ALGORITHM
		{"ACCESS_TOKEN_EXPIRE_MINUTES", "zero"},
		{"REFRESH_TOKEN_EXPIRE_DAYS", "0"},
		{"REFRESH_REUSE_INTERVAL", "-1"},
		{"SESSION_MAX_DAYS", "x"},
		{"PORT", "70000"},
		{"DATABASE_URL", "mysql://x"},
		{"PLAYGROUND_ENABLED", "maybe"},
		{"TRUSTED_PROXIES", "not-an-ip"},
	}
	for _, b := range bad {
		t.Run("invalid "+b.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range vars {
				env[k] = v
			}
			env[b.name] = b.value
			code, _, errOut := runCommand(env, "", "serve")
			if code != 1 || !strings.Contains(errOut, b.name) {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
}

func TestDevelopmentSecretIsKept(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "dev.db")
	env := map[string]string{"SECRET_KEY": "", "DATABASE_URL": "sqlite://" + dbPath}
	s := startServer(t, env)
	a := s.register(t)
	info, err := os.Stat(dbPath + ".secret")
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v", info.Mode().Perm())
	}
	// A second server on the same file accepts the first one's tokens.
	s2 := startServer(t, env)
	if st := s2.meStatus(a.Access); st != http.StatusOK {
		t.Fatalf("token refused after restart: %d", st)
	}
}
