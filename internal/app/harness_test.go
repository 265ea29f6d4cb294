package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gqlauth/internal/app"
	"gqlauth/internal/testclient"
	"gqlauth/internal/testenv"
)

// testSecret is the SECRET_KEY of test servers; tests forge tokens with it.
const testSecret = "test-secret-key-that-is-long-enough-0123456789"

// envFunc returns a getenv over vars.
func envFunc(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// baseEnv is the configuration every test server starts from.
func baseEnv(t testing.TB) map[string]string {
	return map[string]string{
		"PORT":         "0",
		"HOST":         "127.0.0.1",
		"SECRET_KEY":   testSecret,
		"DATABASE_URL": testenv.DatabaseURL(t),
		"LOG_LEVEL":    "warn",
		// Under -race, with other packages' tests beside them, hashes run
		// many times slower than in production: these tests check
		// behaviour, not capacity (the attack tests do), so a hash waits
		// rather than being shed with a 503.
		"HASH_QUEUE_WAIT_MS": "60000",
	}
}

// lineWriter hands each complete line written to it to a channel, and keeps
// everything for failure messages.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
	part  []byte
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 100)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(w.part[:i]):
		default:
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// server is a gqlauth started through app.Run, as main starts it.
type server struct {
	t      testing.TB
	URL    string
	env    map[string]string
	stdout *lineWriter // the listening line is already read from lines
	stderr *lineWriter
	client *testclient.Client
}

// startServer runs `serve` with env (merged over baseEnv) on a free port
// and stops it when the test ends.
func startServer(t testing.TB, env map[string]string) *server {
	t.Helper()
	vars := baseEnv(t)
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newLineWriter(), newLineWriter()
	done := make(chan int, 1)
	go func() { done <- app.Run(ctx, []string{"serve"}, envFunc(vars), strings.NewReader(""), stdout, stderr) }()
	var addr string
	select {
	case line := <-stdout.lines:
		addr = strings.TrimPrefix(line, "gqlauth listening on ")
	case code := <-done:
		cancel()
		t.Fatalf("server exited with %d before listening:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("server exited with %d:\n%s", code, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Errorf("server did not shut down")
		}
	})
	client := testclient.New(addr, nil)
	client.Check = validateResponse
	return &server{t: t, URL: addr, env: vars, stdout: stdout, stderr: stderr, client: client}
}

// response is a decoded HTTP response.
type response = testclient.Response

// request sends one request; body may be nil, a string (sent as is) or any
// value (sent as JSON). Headers are "Name: value" strings.
func (s *server) request(method, path string, body any, headers ...string) *response {
	s.t.Helper()
	return s.client.Do(s.t, method, path, body, headers...)
}

// validateResponse, when set (by the OpenAPI test file), checks every REST
// response against the published document.
var validateResponse func(t testing.TB, req *http.Request, r *response)

var bearer = testclient.Bearer

// gql posts a GraphQL operation.
func (s *server) gql(query string, vars map[string]any, headers ...string) *response {
	s.t.Helper()
	return s.client.GQL(s.t, query, vars, headers...)
}

// expect fails the test unless r has status and (when code is not "") the
// envelope error code.
var expect = testclient.Expect

// gqlCode returns the extensions.code of the first GraphQL error.
func gqlCode(r *response) string { return r.Str("errors.0.extensions.code") }

var userSeq struct {
	sync.Mutex
	n int
}

// newEmail returns an address no other test uses.
func newEmail() string {
	userSeq.Lock()
	defer userSeq.Unlock()
	userSeq.n++
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("user%d-%s@example.com", userSeq.n, hex.EncodeToString(b))
}

// account is a registered user and its current tokens.
type account struct {
	Email, Password, Name string
	ID                    float64
	Access, Refresh       string
}

// register creates a user over REST and returns its tokens.
func (s *server) register(t testing.TB) *account {
	t.Helper()
	a := &account{Email: newEmail(), Password: "securePassword123", Name: "John Doe"}
	r := s.request(http.MethodPost, "/api/auth/register", map[string]string{"name": a.Name, "email": a.Email, "password": a.Password})
	expect(t, r, http.StatusCreated, "")
	a.ID, _ = r.Get("user.id").(float64)
	a.Access, a.Refresh = r.Str("access_token"), r.Str("refresh_token")
	return a
}

// login opens another session for a.
func (s *server) login(t testing.TB, a *account) (access, refresh string) {
	t.Helper()
	r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password})
	expect(t, r, http.StatusOK, "")
	return r.Str("access_token"), r.Str("refresh_token")
}

// meStatus is the status of GET /api/auth/me with token.
func (s *server) meStatus(token string) int {
	return s.request(http.MethodGet, "/api/auth/me", nil, bearer(token)).Status
}

// runCommand runs a gqlauth command through app.Run with env over vars. A
// command still running after two minutes (a serve that should not have
// started) is stopped and reported as exit code -1.
func runCommand(vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code = app.Run(ctx, args, envFunc(vars), strings.NewReader(stdin), &out, &errb)
	if ctx.Err() != nil {
		return -1, out.String(), errb.String() + "\n(runCommand: stopped after 2 minutes)"
	}
	return code, out.String(), errb.String()
}
