package attacktest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// runBin runs the gqlauth program at bin with args and exactly env (plus
// nothing inherited), in a fresh directory, and returns its exit code and
// output. A command that should exit but serves instead (it prints its
// listening line) is killed at once and fails the test; anything else
// still running after 60 s too.
func runBin(t *testing.T, bin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = 5 * time.Second
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &listenWatch{cancel: cancel}
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = out, &errb
	err := cmd.Run()
	if out.served() {
		t.Fatalf("gqlauth %s started serving instead of exiting; stderr:\n%s", strings.Join(args, " "), errb.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("gqlauth %s did not exit within 60s; stderr:\n%s", strings.Join(args, " "), errb.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// listenWatch keeps a command's stdout and stops it (cancel) as soon as it
// says it is listening.
type listenWatch struct {
	mu     sync.Mutex
	b      strings.Builder
	cancel func()
	seen   bool
}

func (w *listenWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if !w.seen && strings.Contains(w.b.String(), "gqlauth listening on") {
		w.seen = true
		w.cancel()
	}
	return len(p), nil
}

func (w *listenWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *listenWatch) served() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}

// umaskWrapper is a script that runs the gqlauth binary under umask 000,
// so that only the program's own choice of modes keeps files private.
func umaskWrapper(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gqlauth-umask0")
	script := "#!/bin/sh\numask 000\nexec " + binPath + " \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return info.Mode().Perm()
}

// TestFilesArePrivate promises: under a umask that takes nothing away, the
// SQLite database with its -wal and -shm files, the generated development
// secret and the generated signing key are all 0600, and a missing
// directory of DATABASE_URL is created 0700.
func TestFilesArePrivate(t *testing.T) {
	bin := umaskWrapper(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "sub", "deeper", "app.db")
	env := map[string]string{"DATABASE_URL": "sqlite://" + db, "SECRET_KEY": ""}

	srv := startChildFrom(t, bin, env)
	a := srv.register(t)
	expect(t, srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(a.Access)), http.StatusOK, "")
	files := []string{db, db + "-wal", db + "-shm", db + ".secret"}
	for _, f := range files {
		if m := modeOf(t, f); m != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(f), m)
		}
	}
	for _, d := range []string{filepath.Dir(db), filepath.Dir(filepath.Dir(db))} {
		if m := modeOf(t, d); m != 0o700 {
			t.Errorf("created directory %s has mode %04o, want 0700", d, m)
		}
	}
	srv.kill()

	// An asymmetric algorithm without JWT_KEYS: a generated key file.
	env["ALGORITHM"] = "EdDSA"
	srv = startChildFrom(t, bin, env)
	srv.register(t)
	if m := modeOf(t, db+".jwks-eddsa.json"); m != 0o600 {
		t.Errorf("generated key file has mode %04o, want 0600", m)
	}
	for _, f := range files {
		if m := modeOf(t, f); m != 0o600 {
			t.Errorf("after a restart %s has mode %04o, want 0600", filepath.Base(f), m)
		}
	}
}

// TestLooseKeyFilesAreRefused promises: a development secret, a generated
// key file or a JWT_KEYS=@file that group or others may read or write, or
// that another user owns, stops the server at start with a message naming
// the file; the file is left as it was.
func TestLooseKeyFilesAreRefused(t *testing.T) {
	_, keySet, _ := runBin(t, binPath, nil, "keys", "generate", "--alg", "EdDSA")
	if !strings.Contains(keySet, `"keys"`) {
		t.Fatalf("keys generate printed %q", keySet)
	}
	type setup struct {
		name string
		file string // relative to the database's directory
		data string
		env  map[string]string
	}
	setups := []setup{
		{"development secret", "app.db.secret", strings.Repeat("s", 48) + "\n", map[string]string{"SECRET_KEY": ""}},
		{"generated key file", "app.db.jwks-eddsa.json", keySet, map[string]string{"ALGORITHM": "EdDSA"}},
		{"JWT_KEYS file", "keys.json", keySet, map[string]string{"JWT_KEYS": "@FILE"}},
	}
	loose := []struct {
		name  string
		mode  os.FileMode
		owner int // -1: this user
	}{
		{"0644", 0o644, -1},
		{"0666 (planted, writable by anyone)", 0o666, -1},
		{"0640", 0o640, -1},
		{"0602", 0o602, -1},
		{"0600 owned by another user", 0o600, 65534},
	}
	for _, s := range setups {
		for _, l := range loose {
			t.Run(s.name+" "+l.name, func(t *testing.T) {
				if l.owner >= 0 && os.Geteuid() != 0 {
					t.Skip("giving a file to another user needs root")
				}
				dir := t.TempDir()
				path := filepath.Join(dir, s.file)
				if err := os.WriteFile(path, []byte(s.data), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, l.mode); err != nil {
					t.Fatal(err)
				}
				if l.owner >= 0 {
					if err := os.Chown(path, l.owner, l.owner); err != nil {
						t.Fatal(err)
					}
				}
				env := map[string]string{
					"DATABASE_URL": "sqlite://" + filepath.Join(dir, "app.db"),
					"SECRET_KEY":   testSecret, "PORT": "0", "HOST": "127.0.0.1",
				}
				for k, v := range s.env {
					env[k] = strings.ReplaceAll(v, "FILE", path)
				}
				code, _, errOut := runBin(t, binPath, env, "serve")
				if code != 1 || !strings.Contains(errOut, path) {
					t.Fatalf("exit %d, want 1 with a message naming %s; stderr:\n%s", code, path, errOut)
				}
				if b, _ := os.ReadFile(path); string(b) != s.data {
					t.Errorf("the file was changed")
				}
				if m := modeOf(t, path); m != l.mode {
					t.Errorf("the file's mode was changed to %04o", m)
				}
			})
		}
	}
	t.Run("private files are accepted", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "keys.json")
		if err := os.WriteFile(path, []byte(keySet), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := startChild(t, map[string]string{"JWT_KEYS": "@" + path, "DATABASE_URL": "sqlite://" + filepath.Join(dir, "app.db")})
		srv.register(t)
	})
}

// TestLooseDatabaseFile promises: an existing SQLite file (and its -wal and
// -shm) that others may read is made private (0600) at start, with a
// warning naming it; one owned by another user is refused, naming it.
func TestLooseDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "app.db")
	srv := startChild(t, map[string]string{"DATABASE_URL": "sqlite://" + db})
	srv.register(t)
	srv.kill() // leaves -wal and -shm behind
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv = startChild(t, map[string]string{"DATABASE_URL": "sqlite://" + db})
	srv.register(t)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if m := modeOf(t, f); m != 0o600 {
			t.Errorf("%s has mode %04o after start, want 0600", filepath.Base(f), m)
		}
		if !strings.Contains(srv.logs(), f+" (was 0644)") {
			t.Errorf("no warning names %s:\n%s", f, srv.logs())
		}
	}
	srv.kill()

	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	if err := os.Chown(db, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runBin(t, binPath, map[string]string{
		"DATABASE_URL": "sqlite://" + db, "SECRET_KEY": testSecret, "PORT": "0", "HOST": "127.0.0.1",
	}, "serve")
	if code != 1 || !strings.Contains(errOut, db) || !strings.Contains(errOut, "owned by user 65534") {
		t.Fatalf("a database file owned by another user: exit %d, stderr:\n%s", code, errOut)
	}
}

// workerPIDs are the child's child processes (its hash workers).
func workerPIDs(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Skipf("cannot read /proc: %v", err)
	}
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// TestHashWorkersAreTheRunningImage promises: hash workers run the image
// the server runs, not whatever file is at its path when they start (an
// upgrade in progress, or someone who could write there), and their
// environment holds none of the server's secrets.
func TestHashWorkersAreTheRunningImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gqlauth")
	b, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o700); err != nil {
		t.Fatal(err)
	}
	srv := startChildFrom(t, bin, map[string]string{
		"SMTP_URL":     "smtp://user:mailpass@127.0.0.1:1",
		"JWT_AUDIENCE": "secret-audience",
	})

	// Replace the file at the binary's path before any worker starts.
	marker := filepath.Join(dir, "impostor-ran")
	impostor := filepath.Join(dir, "impostor")
	if err := os.WriteFile(impostor, []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(impostor, bin); err != nil {
		t.Fatal(err)
	}
	a := srv.register(t)
	expect(t, mustLogin(t, srv, a.Email, a.Password), http.StatusOK, "")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a hash worker ran the file now at the binary's path")
	}

	pids := workerPIDs(t, srv.pid())
	if len(pids) == 0 {
		t.Fatal("no hash worker processes under the server")
	}
	for _, pid := range pids {
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"SECRET_KEY", "DATABASE_URL", "SMTP_URL", "JWT_AUDIENCE", testSecret, "mailpass"} {
			if strings.Contains(string(env), secret) {
				t.Errorf("worker %d's environment holds %s: %q", pid, secret, env)
			}
		}
	}
}
