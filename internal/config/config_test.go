package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/config"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"algorithm", c.Algorithm, "HS256"},
		{"access", c.AccessTTL, 30 * time.Minute},
		{"refresh", c.RefreshTTL, 7 * 24 * time.Hour},
		{"reuse", c.ReuseInterval, 10 * time.Second},
		{"session", c.SessionMaxAge, 30 * 24 * time.Hour},
		{"database", c.DatabaseURL, "sqlite://gqlauth.db"},
		{"port", c.Port, 8080},
		{"body", c.MaxBodyBytes, int64(65536)},
		{"generated secret", c.SecretGenerated, true},
		{"playground", c.Playground, true},
		{"cors", len(c.CORSOrigins), 0},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestDotEnvAndPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	content := "PORT=9000\nALGORITHM=HS512\nCORS_ORIGINS= https://a.example , https://b.example\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(env(map[string]string{"PORT": "9100"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9100 {
		t.Errorf("environment should win over .env: port %d", c.Port)
	}
	if c.Algorithm != "HS512" {
		t.Errorf(".env not read: algorithm %s", c.Algorithm)
	}
	if strings.Join(c.CORSOrigins, "|") != "https://a.example|https://b.example" {
		t.Errorf("CORS origins %q", c.CORSOrigins)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	t.Chdir(t.TempDir())
	cases := []struct{ name, value string }{
		{"SECRET_KEY", "short"},
		{"ALGORITHM", "none"},
		{"ACCESS_TOKEN_EXPIRE_MINUTES", "0"},
		{"REFRESH_TOKEN_EXPIRE_DAYS", "-3"},
		{"REFRESH_REUSE_INTERVAL", "soon"},
		{"SESSION_MAX_DAYS", "1.5"},
		{"DATABASE_URL", "mysql://db"},
		{"PORT", "65536"},
		{"PLAYGROUND_ENABLED", "sometimes"},
		{"TRUSTED_PROXIES", "10.0.0.0/33"},
		{"LOG_FORMAT", "xml"},
		{"MAX_BODY_BYTES", "10"},
		{"HASH_CONCURRENCY", "0"},
		{"ACCESS_TOKEN_EXPIRE_MINUTES", "99999999999999"},
		{"REFRESH_TOKEN_EXPIRE_DAYS", "200000"},
		{"CORS_ORIGINS", "notaurl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{c.name: c.value}))
			if err == nil || !strings.Contains(err.Error(), c.name) {
				t.Fatalf("error %v does not name %s", err, c.name)
			}
		})
	}
	t.Run("postgres needs a secret", func(t *testing.T) {
		_, err := config.Load(env(map[string]string{"DATABASE_URL": "postgres://x@localhost/db"}))
		if err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a bad DATABASE_URL is the only complaint", func(t *testing.T) {
		_, err := config.Load(env(map[string]string{"DATABASE_URL": "mysql://x"}))
		if err == nil || strings.Contains(err.Error(), "SECRET_KEY") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("all problems at once", func(t *testing.T) {
		_, err := config.Load(env(map[string]string{"PORT": "x", "ALGORITHM": "y"}))
		if err == nil || !strings.Contains(err.Error(), "PORT") || !strings.Contains(err.Error(), "ALGORITHM") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestDevelopmentSecretFile(t *testing.T) {
	dir := t.TempDir()
	c, err := config.Load(env(map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(dir, "a.db")}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKey) < config.MinSecretBytes {
		t.Fatalf("secret of %d bytes", len(c.SecretKey))
	}
	info, err := os.Stat(c.SecretFile())
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", info, err)
	}
	again, _ := config.Load(env(map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(dir, "a.db")}))
	if err := again.EnsureSecret(); err != nil || string(again.SecretKey) != string(c.SecretKey) {
		t.Fatalf("secret not reused: %v", err)
	}
}

// TestSigningKeyVariables: which of SECRET_KEY and JWT_KEYS each ALGORITHM
// needs, and what is refused naming which variable.
func TestSigningKeyVariables(t *testing.T) {
	t.Chdir(t.TempDir())
	const pg = "postgres://x@localhost/db"
	const jwks = `{"keys":[]}` // parsed later, by internal/keys
	cases := []struct {
		name    string
		vars    map[string]string
		refuses string // "" = loads
		alg     string
	}{
		{"EdDSA on SQLite without keys", map[string]string{"ALGORITHM": "EdDSA"}, "", "EdDSA"},
		{"EdDSA on PostgreSQL without keys", map[string]string{"ALGORITHM": "EdDSA", "DATABASE_URL": pg}, "JWT_KEYS", ""},
		{"ES256 on PostgreSQL with keys, no secret", map[string]string{"ALGORITHM": "ES256", "JWT_KEYS": jwks, "DATABASE_URL": pg}, "", "ES256"},
		{"JWT_KEYS with HS256", map[string]string{"ALGORITHM": "HS256", "JWT_KEYS": jwks}, "JWT_KEYS", ""},
		{"JWT_KEYS without ALGORITHM", map[string]string{"JWT_KEYS": jwks}, "", ""},
		{"HS512 on PostgreSQL without a secret", map[string]string{"ALGORITHM": "HS512", "DATABASE_URL": pg}, "SECRET_KEY", ""},
		{"RS256 is an algorithm now", map[string]string{"ALGORITHM": "rs256"}, "", "RS256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(env(c.vars))
			if c.refuses != "" {
				if err == nil || !strings.Contains(err.Error(), c.refuses) {
					t.Fatalf("error %v does not name %s", err, c.refuses)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Algorithm != c.alg || !cfg.Asymmetric() {
				t.Fatalf("algorithm %q asymmetric %v", cfg.Algorithm, cfg.Asymmetric())
			}
		})
	}
}

// TestDotEnvErrorsSaySo: a bad value read from .env is reported as coming
// from .env; the same bad value from the environment is not.
func TestDotEnvErrorsSaySo(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=eighty\nSECRET_KEY=short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(env(nil))
	for _, want := range []string{"invalid PORT (from .env):", "invalid SECRET_KEY (from .env):"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
	_, err = config.Load(env(map[string]string{"PORT": "ninety", "SECRET_KEY": strings.Repeat("k", 32)}))
	if err == nil || !strings.Contains(err.Error(), "invalid PORT: ") || strings.Contains(err.Error(), "from .env") {
		t.Errorf("error %v, want PORT blamed on the environment", err)
	}
	c, err := config.Load(env(map[string]string{"PORT": "90", "SECRET_KEY": strings.Repeat("k", 32)}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Invalid("PORT"); got != "invalid PORT" {
		t.Errorf("Invalid(PORT) = %q", got)
	}
}

// TestLoadForTool: tools that sign nothing load a PostgreSQL configuration
// without SECRET_KEY or JWT_KEYS, which Load refuses; values given are
// still checked.
func TestLoadForTool(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, alg := range []string{"HS256", "EdDSA"} {
		vars := map[string]string{"DATABASE_URL": "postgres://u@h/db", "ALGORITHM": alg}
		if _, err := config.Load(env(vars)); err == nil {
			t.Errorf("Load accepted PostgreSQL with %s and no key", alg)
		}
		if _, err := config.LoadForTool(env(vars)); err != nil {
			t.Errorf("LoadForTool with %s: %v", alg, err)
		}
	}
	vars := map[string]string{"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "short", "PORT": "x"}
	if _, err := config.LoadForTool(env(vars)); err == nil || !strings.Contains(err.Error(), "SECRET_KEY") || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("LoadForTool with bad values: %v", err)
	}
}
