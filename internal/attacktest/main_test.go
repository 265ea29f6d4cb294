package attacktest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", for reading rows
	_ "github.com/mattn/go-sqlite3"    // "sqlite3", for integrity_check and reading rows

	"gqlauth/internal/testclient"
	"gqlauth/internal/testenv"
)

// testSecret is the SECRET_KEY of every child; restarts reuse it.
const testSecret = "attacktest-secret-key-that-is-long-enough-0123456789"

// binPath is the gqlauth binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "attacktest-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "attacktest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "attacktest: building gqlauth:", err)
		return 1
	}
	return m.Run()
}

// build compiles the module's main package (gqlauth) into dir.
func build(dir string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("not inside a Go module")
	}
	binPath = filepath.Join(dir, "gqlauth")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binPath, "gqlauth")
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, b)
	}
	return nil
}

// ---------------------------------------------------------------- databases

// testDB is a database for one test: an SQLite file, or a fresh schema of
// TEST_DATABASE_URL dropped when the test ends.
type testDB struct {
	URL    string // the DATABASE_URL for the child
	Path   string // the SQLite file ("" on PostgreSQL)
	Schema string // the PostgreSQL schema ("" on SQLite)
}

func (d *testDB) isSQLite() bool { return d.Path != "" }

// newDB returns a fresh database: a new schema of TEST_DATABASE_URL when
// that is a PostgreSQL URL (unless sqliteOnly), else an SQLite file in a
// temporary directory. The schema is dropped when the test ends, after the
// children, whose cleanups run first.
func newDB(t *testing.T, sqliteOnly bool) *testDB {
	t.Helper()
	base := testenv.PostgresURL()
	if base == "" || sqliteOnly {
		u := testenv.SQLiteURL(t)
		return &testDB{URL: u, Path: strings.TrimPrefix(u, "sqlite://")}
	}
	schema := testenv.NewSchema(t, base)
	return &testDB{URL: testenv.WithSearchPath(t, base, schema), Schema: schema}
}

// open opens the test database from the test process.
func (d *testDB) open(t *testing.T) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if d.isSQLite() {
		db, err = sql.Open("sqlite3", "file:"+d.Path+"?_busy_timeout=5000")
	} else {
		db, err = sql.Open("pgx", d.URL)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// passwordHash reads the stored hash of email.
func (d *testDB) passwordHash(t *testing.T, email string) string {
	t.Helper()
	q := "SELECT password_hash FROM users WHERE email = ?"
	if !d.isSQLite() {
		q = "SELECT password_hash FROM users WHERE email = $1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var h string
	if err := d.open(t).QueryRowContext(ctx, q, email).Scan(&h); err != nil {
		t.Fatalf("reading the password hash of %s: %v", email, err)
	}
	return h
}

// ---------------------------------------------------------------- children

// child is a gqlauth process serving on a loopback port.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	URL    string // http://127.0.0.1:PORT
	Addr   string // 127.0.0.1:PORT
	Env    map[string]string
	stderr *capBuffer
	client *testclient.Client
	tr     *http.Transport

	done     chan struct{} // closed when the process has exited
	exitCode atomic.Int64
}

// startChild runs `gqlauth serve` with env over the base configuration
// (loopback, port 0, the test secret, LOG_LEVEL=warn, a fresh database
// unless env names one) and waits for its "listening" line. The process is
// killed when the test ends if it is still running.
func startChild(t *testing.T, env map[string]string) *child {
	t.Helper()
	return startChildFrom(t, binPath, env)
}

// startChildFrom is startChild running the program at bin.
func startChildFrom(t *testing.T, bin string, env map[string]string) *child {
	t.Helper()
	vars := map[string]string{
		"PORT":       "0",
		"HOST":       "127.0.0.1",
		"SECRET_KEY": testSecret,
		"LOG_LEVEL":  "warn",
	}
	for k, v := range env {
		vars[k] = v
	}
	if vars["DATABASE_URL"] == "" {
		vars["DATABASE_URL"] = newDB(t, false).URL
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var environ []string
	for _, k := range keys {
		environ = append(environ, k+"="+vars[k])
	}

	cmd := exec.Command(bin, "serve")
	cmd.Dir = t.TempDir() // no stray .env
	cmd.Env = environ
	stderr := &capBuffer{max: 16 << 20}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, Env: vars, stderr: stderr, done: make(chan struct{})}
	c.exitCode.Store(-1)
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br) // keep stdout drained
	}()
	go func() {
		_ = cmd.Wait()
		if cmd.ProcessState != nil {
			c.exitCode.Store(int64(cmd.ProcessState.ExitCode()))
		}
		close(c.done)
	}()
	t.Cleanup(func() {
		c.kill()
		if c.tr != nil {
			c.tr.CloseIdleConnections()
		}
	})

	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(line, "gqlauth listening on http://")
		if !ok {
			c.kill()
			t.Fatalf("unexpected first stdout line %q; stderr:\n%s", line, stderr.String())
		}
		c.Addr = addr
		c.URL = "http://" + addr
	case <-time.After(30 * time.Second):
		c.kill()
		t.Fatalf("gqlauth did not start within 30s; stderr:\n%s", stderr.String())
	}
	c.tr = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        128,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     30 * time.Second,
	}
	c.client = newClient(c.URL, c.tr)
	return c
}

// newClient is a client of base over tr that gives up after 20 seconds.
func newClient(base string, tr http.RoundTripper) *testclient.Client {
	c := testclient.New(base, tr)
	c.HTTP.Timeout = 20 * time.Second
	return c
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// signal sends sig to the child.
func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v: %v", sig, err)
	}
}

// kill sends SIGKILL unless the child has exited, and waits for it.
func (c *child) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
}

// waitExit waits up to d for the child to exit and returns its exit code.
func (c *child) waitExit(d time.Duration) (code int, exited bool) {
	select {
	case <-c.done:
		return int(c.exitCode.Load()), true
	case <-time.After(d):
		return 0, false
	}
}

// logs is what the child wrote to stderr so far.
func (c *child) logs() string { return c.stderr.String() }

// rssKB reads the child's resident set size from /proc.
func (c *child) rssKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.pid()))
	if err != nil {
		t.Skipf("cannot read /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, err := strconv.Atoi(f[0])
				if err == nil {
					return n
				}
			}
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", c.pid())
	return 0
}

// capBuffer keeps up to max bytes written to it; safe for concurrent use.
type capBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (w *capBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (w *capBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// ---------------------------------------------------------------- requests

// reply is a decoded HTTP response.
type reply = testclient.Response

// send sends one request (testclient.Client.Send). Safe for concurrent use.
func (c *child) send(method, path string, body any, headers ...string) (*reply, error) {
	return c.client.Send(method, path, body, headers...)
}

// must is send that fails the test on a transport error. Only for the
// test's own goroutine.
func (c *child) must(t *testing.T, method, path string, body any, headers ...string) *reply {
	t.Helper()
	r, err := c.send(method, path, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v\nchild stderr:\n%s", method, path, err, tail(c.logs(), 4000))
	}
	return r
}

// gql posts a GraphQL operation.
func (c *child) gql(t *testing.T, query string, vars map[string]any, headers ...string) *reply {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return c.must(t, http.MethodPost, "/graphql", body, headers...)
}

var (
	bearer = testclient.Bearer
	// expect fails unless r has status and, when code is set, the envelope
	// with that error code.
	expect = testclient.Expect
	clip   = testclient.Clip
)

// expectRetryAfter fails unless r carries a positive whole Retry-After.
func expectRetryAfter(t *testing.T, r *reply) {
	t.Helper()
	v := r.Header.Get("Retry-After")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want a positive number of seconds; body %s", v, clip(r.Raw))
	}
}

// ---------------------------------------------------------------- accounts

var emailSeq atomic.Int64

// newEmail returns an address no other test uses.
func newEmail() string {
	return fmt.Sprintf("attack%d-%s@example.com", emailSeq.Add(1), randHex(4))
}

const (
	goodPassword  = "securePassword123"
	wrongPassword = "notTheRightPassword9"
)

// account is a registered user and its tokens.
type account struct {
	Email, Password string
	Access, Refresh string
}

// register creates a user over REST (201) and returns it.
func (c *child) register(t *testing.T) *account {
	t.Helper()
	a := &account{Email: newEmail(), Password: goodPassword}
	r := c.must(t, http.MethodPost, "/api/auth/register", map[string]string{"name": "Attack Test", "email": a.Email, "password": a.Password})
	expect(t, r, http.StatusCreated, "")
	a.Access, a.Refresh = r.Str("access_token"), r.Str("refresh_token")
	if a.Access == "" || a.Refresh == "" {
		t.Fatalf("register returned no tokens: %s", clip(r.Raw))
	}
	return a
}

// login posts JSON credentials, with optional headers.
func (c *child) login(email, password string, headers ...string) (*reply, error) {
	return c.send(http.MethodPost, "/api/auth/login/json", map[string]string{"email": email, "password": password}, headers...)
}

// ---------------------------------------------------------------- utilities

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail is the end of s, for failure messages.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// median of ds (ds is sorted in place).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// percentile p (0–100) of ds (sorted in place), nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[max(0, min(i, len(ds)-1))]
}
