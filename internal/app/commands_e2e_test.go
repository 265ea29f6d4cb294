package app_test

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"gqlauth/internal/app"
	"gqlauth/internal/testenv"
)

// TestHelpAndVersion: `help`, `help COMMAND`, `--version`, and every
// command's -h says what an operator needs: where the configuration comes
// from, ADMIN_PASSWORD and --promote.
func TestHelpAndVersion(t *testing.T) {
	vars := baseEnv(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"Usage", "create-admin", "environment variables", ".env", "README"}},
		{[]string{"help", "create-admin"}, []string{"Usage: gqlauth create-admin", "ADMIN_PASSWORD", "--promote", "-promote"}},
		{[]string{"create-admin", "-h"}, []string{"ADMIN_PASSWORD", "-promote", "keep", "signed out"}},
		{[]string{"serve", "-h"}, []string{"environment variables", ".env", "configuration table of the README"}},
		{[]string{"migrate", "-h"}, []string{"environment variables", "SECRET_KEY"}},
		{[]string{"--version"}, []string{"gqlauth ", runtime.Version()}},
		{[]string{"version"}, []string{"gqlauth ", runtime.Version()}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCommand(vars, "", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d; stderr %q", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.TrimSpace(out) == "gqlauth dev" {
				t.Errorf("version says only dev")
			}
		})
	}
	if code, _, _ := runCommand(vars, "", "help", "frobnicate"); code != 2 {
		t.Errorf("help of an unknown command: exit %d, want 2", code)
	}
}

// TestDescribeBuild: the version comes from the build's own record: the
// -ldflags stamp, the module version, the VCS revision, and says so when
// there is none.
func TestDescribeBuild(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}
	for _, tc := range []struct {
		name    string
		stamped string
		bi      debug.BuildInfo
		want    string
	}{
		{"ldflags", "v9.9.9", debug.BuildInfo{GoVersion: "go1.x", Main: debug.Module{Version: "(devel)"}}, "v9.9.9 (go1.x)"},
		{"module version", "", debug.BuildInfo{GoVersion: "go1.x", Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3 (go1.x)"},
		{"vcs revision", "", debug.BuildInfo{GoVersion: "go1.x", Main: debug.Module{Version: "(devel)"}, Settings: rev}, "devel (go1.x, commit 0123456789ab-dirty)"},
		{"pseudo-version", "", debug.BuildInfo{GoVersion: "go1.x", Main: debug.Module{Version: "v0.0.0-20260101000000-0123456789ab+dirty"}, Settings: rev}, "v0.0.0-20260101000000-0123456789ab+dirty (go1.x)"},
		{"nothing", "", debug.BuildInfo{GoVersion: "go1.x", Main: debug.Module{Version: "(devel)"}}, "devel (go1.x, no version or VCS stamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := app.DescribeBuild(tc.stamped, &tc.bi); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want %q…", got, tc.want)
			}
		})
	}
}

// TestToolsNeedNoSigningKeys: migrate and create-admin sign nothing, so they
// neither need nor generate SECRET_KEY or a key file, nor warn about them;
// a missing directory of the SQLite file is created (0700).
func TestToolsNeedNoSigningKeys(t *testing.T) {
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "sub", "x.db")
			vars := map[string]string{"DATABASE_URL": "sqlite://" + db, "ALGORITHM": alg, "ADMIN_PASSWORD": "adminPassword123"}
			code, out, errOut := runCommand(vars, "", "migrate")
			if code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("migrate: %d %q %q", code, out, errOut)
			}
			code, out, errOut2 := runCommand(vars, "", "create-admin", "--email", newEmail(), "--name", "Root")
			if code != 0 || !strings.Contains(out, "created admin") {
				t.Fatalf("create-admin: %d %q %q", code, out, errOut2)
			}
			for _, s := range []string{errOut, errOut2} {
				if strings.Contains(s, "SECRET_KEY") || strings.Contains(s, "JWT_KEYS") {
					t.Errorf("a tool warns about signing keys: %q", s)
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(db))
			for _, e := range entries {
				if strings.Contains(e.Name(), ".secret") || strings.Contains(e.Name(), ".jwks") {
					t.Errorf("a tool wrote %s", e.Name())
				}
			}
			if info, err := os.Stat(filepath.Dir(db)); err != nil || info.Mode().Perm() != 0o700 {
				t.Errorf("database directory: %v %v, want mode 0700", info.Mode().Perm(), err)
			}
		})
	}
	t.Run("migrate on PostgreSQL", func(t *testing.T) {
		base := testenv.RequirePostgres(t)
		url := testenv.WithSearchPath(t, base, testenv.NewSchema(t, base))
		for _, alg := range []string{"HS256", "EdDSA"} {
			vars := map[string]string{"DATABASE_URL": url, "ALGORITHM": alg, "ADMIN_PASSWORD": "adminPassword123"}
			if code, out, errOut := runCommand(vars, "", "migrate"); code != 0 {
				t.Fatalf("migrate with %s and no keys: %d %q %q", alg, code, out, errOut)
			}
			if code, out, errOut := runCommand(vars, "", "create-admin", "--email", newEmail(), "--name", "Root"); code != 0 {
				t.Fatalf("create-admin with %s and no keys: %d %q %q", alg, code, out, errOut)
			}
			// serve still refuses, naming the variable.
			if code, _, errOut := runCommand(vars, "", "serve"); code != 1 || !strings.Contains(errOut, map[string]string{"HS256": "SECRET_KEY", "EdDSA": "JWT_KEYS"}[alg]) {
				t.Fatalf("serve with %s and no keys: %d %q", alg, code, errOut)
			}
		}
	})
}

// TestCreateAdminInputBeforePrompt: a bad --email or --name is reported
// before any password is asked for (here, before it says ADMIN_PASSWORD is
// missing), and nothing is created.
func TestCreateAdminInputBeforePrompt(t *testing.T) {
	vars := baseEnv(t)
	for _, tc := range []struct {
		args  []string
		field string
	}{
		{[]string{"--email", "not-an-email", "--name", "Root"}, "email"},
		{[]string{"--email", "Root <root@example.com>", "--name", "Root"}, "email"},
		{[]string{"--email", newEmail(), "--name", "   "}, "name"},
		{[]string{"--email", "not-an-email", "--promote"}, "email"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runCommand(vars, "", append([]string{"create-admin"}, tc.args...)...)
			if code != 1 || !strings.Contains(errOut, tc.field+":") || strings.Contains(errOut, "ADMIN_PASSWORD") {
				t.Fatalf("exit %d, stderr %q: want the %s problem and no password prompt", code, errOut, tc.field)
			}
		})
	}
}

// TestBadDotEnvValue: a bad value read from .env is reported as coming from
// .env, through the command line.
func TestBadDotEnvValue(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(".env", []byte("PORT=eighty\nALGORITHM=HS999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := baseEnv(t)
	delete(vars, "PORT")
	code, _, errOut := runCommand(vars, "", "serve")
	if code != 1 || !strings.Contains(errOut, "PORT (from .env)") || !strings.Contains(errOut, "ALGORITHM (from .env)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// The environment wins over .env, and its values are not blamed on .env.
	vars["PORT"] = "eighty-one"
	vars["ALGORITHM"] = "HS256"
	code, _, errOut = runCommand(vars, "", "migrate")
	if code != 1 || !strings.Contains(errOut, "invalid PORT:") || strings.Contains(errOut, "ALGORITHM") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
