package auth_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/alexedwards/argon2id"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for TEST_DATABASE_URL
	_ "github.com/mattn/go-sqlite3"    // "sqlite3" driver

	"gqlauth/ent"
	"gqlauth/ent/user"
	"gqlauth/internal/auth"
	"gqlauth/internal/database"
	"gqlauth/internal/ratelimit"
)

// Test defaults: the contract's defaults, with cheap argon2 parameters.
const (
	testIssuer    = "gqlauth"
	testAccessTTL = 30 * time.Minute
	testRefresh   = 7 * 24 * time.Hour
	testReuse     = 10 * time.Second
	testMaxAge    = 30 * 24 * time.Hour
	day           = 24 * time.Hour
)

var (
	testSecret = []byte("test-secret-key-0123456789abcdef-0123")
	// cheapParams keeps hashing fast where a test is not about the hash.
	cheapParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	// slowParams take a few milliseconds per hash, widening race windows
	// in concurrency tests the way production parameters would.
	slowParams = &argon2id.Params{Memory: 8 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
)

// fakeClock is an injectable clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// Sub-second part on purpose: the service truncates to whole seconds.
	return &fakeClock{t: time.Date(2031, 3, 4, 10, 20, 30, 250_000_000, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is one service over its own fresh database.
type testEnv struct {
	svc     *auth.Service
	client  *ent.Client
	clock   *fakeClock
	tokens  *auth.Tokens
	hasher  *auth.Hasher
	limiter *ratelimit.Store
}

// option adjusts the service's Options before it is built.
type option func(*auth.Options)

func withLimits(l auth.Limits) option   { return func(o *auth.Options) { o.Limits = l } }
func withReuse(d time.Duration) option  { return func(o *auth.Options) { o.ReuseInterval = d } }
func withMetrics(m auth.Metrics) option { return func(o *auth.Options) { o.Metrics = m } }
func withHasherParams(p *argon2id.Params) option {
	return func(o *auth.Options) { o.Hasher = mustHasher(p) }
}

func mustHasher(p *argon2id.Params) *auth.Hasher {
	h, err := auth.NewHasher(p, 16, 64, 30*time.Second)
	if err != nil {
		panic(err)
	}
	return h
}

// newTestService returns a service on a fresh database (SQLite file, or a
// fresh PostgreSQL schema when TEST_DATABASE_URL is a postgres URL), a fake
// clock shared by the service, the token verifier and the rate limiter, and
// the contract's default lifetimes. Rate limits are off unless set.
func newTestService(t testing.TB, opts ...option) *testEnv {
	t.Helper()
	client := openTestClient(t)
	clock := newFakeClock()
	tokens, err := auth.NewTokens(testSecret, "HS256", testIssuer, clock.Now)
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	limiter := ratelimit.NewStore(client, clock.Now)
	o := auth.Options{
		Client:        client,
		Tokens:        tokens,
		Hasher:        mustHasher(cheapParams),
		Limiter:       limiter,
		AccessTTL:     testAccessTTL,
		RefreshTTL:    testRefresh,
		ReuseInterval: testReuse,
		SessionMaxAge: testMaxAge,
		Unavailable:   database.IsUnavailable,
		Now:           clock.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &testEnv{svc: auth.New(o), client: client, clock: clock, tokens: tokens, hasher: o.Hasher, limiter: limiter}
}

// usingPostgres reports whether tests run on PostgreSQL.
func usingPostgres() bool {
	u := os.Getenv("TEST_DATABASE_URL")
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

var migrateMu sync.Mutex

func openTestClient(t testing.TB) *ent.Client {
	t.Helper()
	var (
		db  *sql.DB
		dia string
	)
	if usingPostgres() {
		db, dia = openPostgres(t, os.Getenv("TEST_DATABASE_URL")), dialect.Postgres
	} else {
		var err error
		// A file, not :memory:, so that the pool really has several
		// connections and concurrency tests mean something.
		db, err = sql.Open("sqlite3", database.SQLiteDSN(filepath.Join(t.TempDir(), "auth.db")))
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		dia = dialect.SQLite
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dia, db)))
	t.Cleanup(func() { client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Ent's migration fills in the package-level table descriptors
	// (schema.Atlas.setupTables) and is not safe to run concurrently.
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if err := client.Schema.Create(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return client
}

// openPostgres creates a schema of its own for the test and returns a pool
// whose search_path is that schema; the schema is dropped at cleanup.
func openPostgres(t testing.TB, rawURL string) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", rawURL)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	// Registered first, so it runs after the client is closed.
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	// Enough for the concurrency tests, few enough for parallel tests to
	// stay under max_connections.
	db.SetMaxOpenConns(12)
	return db
}

// ---- assertion helpers ----

// asAuthErr returns err as an *auth.Error or fails the test.
func asAuthErr(t testing.TB, err error) *auth.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error, got nil")
	}
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	return e
}

// wantCode asserts err is an *auth.Error with code and, when msg is not
// empty, that message.
func wantCode(t testing.TB, err error, code auth.Code, msg string) *auth.Error {
	t.Helper()
	e := asAuthErr(t, err)
	if e.Code != code {
		t.Fatalf("code = %s (%v), want %s", e.Code, e, code)
	}
	if msg != "" && e.Message != msg {
		t.Fatalf("message = %q, want %q", e.Message, msg)
	}
	return e
}

// wantField asserts err is a VALIDATION_ERROR with a message under field.
func wantField(t testing.TB, err error, field string) *auth.Error {
	t.Helper()
	e := wantCode(t, err, auth.CodeValidation, auth.MsgValidationFailed)
	if len(e.Fields[field]) == 0 {
		t.Fatalf("Fields = %v, want a problem under %q", e.Fields, field)
	}
	for _, m := range e.Fields[field] {
		if strings.TrimSpace(m) == "" {
			t.Fatalf("empty message under %q: %v", field, e.Fields)
		}
	}
	return e
}

// noErr fails the test on an unexpected error.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

const (
	testName     = "John Doe"
	testEmail    = "john@example.com"
	testPassword = "securePassword123"
)

func (e *testEnv) register(t testing.TB, name, email, password string) *auth.TokenPair {
	t.Helper()
	p, err := e.svc.Register(context.Background(), auth.RegisterInput{Name: name, Email: email, Password: password})
	if err != nil {
		t.Fatalf("Register(%q): %v", email, err)
	}
	return p
}

func (e *testEnv) login(t testing.TB, email, password string) *auth.TokenPair {
	t.Helper()
	p, err := e.svc.Login(context.Background(), email, password)
	if err != nil {
		t.Fatalf("Login(%q): %v", email, err)
	}
	return p
}

func (e *testEnv) authenticate(t testing.TB, access string) *auth.Principal {
	t.Helper()
	p, err := e.svc.Authenticate(context.Background(), access)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return p
}

// wantDead asserts the access token no longer authenticates (401).
func (e *testEnv) wantDead(t testing.TB, access string) {
	t.Helper()
	_, err := e.svc.Authenticate(context.Background(), access)
	wantCode(t, err, auth.CodeUnauthorized, "")
}

// user reads a user row by email.
func (e *testEnv) user(t testing.TB, email string) *ent.User {
	t.Helper()
	u, err := e.client.User.Query().Where(user.Email(email)).Only(context.Background())
	if err != nil {
		t.Fatalf("reading user %q: %v", email, err)
	}
	return u
}
