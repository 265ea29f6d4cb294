package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"gqlauth/ent"
	"gqlauth/ent/user"
	"gqlauth/internal/auth"
	"gqlauth/internal/config"
	"gqlauth/internal/password"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/service"
	"gqlauth/internal/testenv"
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

// newFakeClock returns the tests' injectable clock, which only moves when
// told to.
func newFakeClock() *testenv.Clock {
	// Sub-second part on purpose: the service truncates to whole seconds.
	return testenv.NewClock(time.Date(2031, 3, 4, 10, 20, 30, 250_000_000, time.UTC))
}

// testEnv is one service over its own fresh database.
type testEnv struct {
	svc     *auth.Service
	client  *ent.Client
	dialect string
	clock   *testenv.Clock
	tokens  *auth.Tokens
	hasher  auth.Hasher
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

func mustHasher(p *argon2id.Params) *password.Hasher {
	h, err := password.NewHasher(p, 16, 64, 30*time.Second)
	if err != nil {
		panic(err)
	}
	return h
}

// newTestService returns a service on a fresh database (testenv.NewDB: an
// SQLite file, or a fresh PostgreSQL schema when TEST_DATABASE_URL is a
// postgres URL), a fake
// clock shared by the service, the token verifier and the rate limiter, and
// the contract's default lifetimes. Rate limits are off unless set.
func newTestService(t testing.TB, opts ...option) *testEnv {
	t.Helper()
	db := testenv.NewDB(t)
	client := db.Client
	clock := newFakeClock()
	tokens, err := auth.NewTokens(testSecret, "HS256", testIssuer, clock.Now)
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	limiter := ratelimit.NewStore(client, clock.Now)
	o := service.Options(config.Defaults(), db)
	o.Tokens, o.Hasher, o.Limiter, o.Limits, o.Now = tokens, mustHasher(cheapParams), limiter, auth.Limits{}, clock.Now
	for _, opt := range opts {
		opt(&o)
	}
	return &testEnv{svc: auth.New(o), client: client, dialect: db.Dialect, clock: clock, tokens: tokens, hasher: o.Hasher, limiter: limiter}
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
