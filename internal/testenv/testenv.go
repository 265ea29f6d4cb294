// Package testenv is the test set-up the packages' tests share: a fresh
// database for each test (an SQLite file in a temporary directory, or — when
// TEST_DATABASE_URL is a PostgreSQL URL — a schema of its own in that
// database, dropped when the test ends), an auth.Service wired as
// internal/app wires it, and small helpers (a settable clock, goroutines
// released at once, dotted-path lookups in decoded JSON). Only tests import
// it; product code must not.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", for creating and dropping schemas

	"gqlauth/internal/auth"
	"gqlauth/internal/config"
	"gqlauth/internal/database"
	"gqlauth/internal/password"
	"gqlauth/internal/service"
)

// PostgresURL is TEST_DATABASE_URL when it is a PostgreSQL URL, else "".
func PostgresURL() string {
	u := os.Getenv("TEST_DATABASE_URL")
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		return u
	}
	return ""
}

// DatabaseURL returns the DATABASE_URL of a fresh database for one test: a
// new schema of TEST_DATABASE_URL (see NewSchema) when that is a PostgreSQL
// URL, else an SQLite file in t.TempDir().
func DatabaseURL(t testing.TB) string {
	t.Helper()
	if base := PostgresURL(); base != "" {
		return WithSearchPath(t, base, NewSchema(t, base))
	}
	return SQLiteURL(t)
}

// SQLiteURL returns the DATABASE_URL of a new SQLite file in t.TempDir().
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
}

// NewSchema creates a schema t_<random> on the PostgreSQL at base and drops
// it, with everything in it, when the test ends. Cleanups run last first, so
// whatever the test opens on the schema afterwards is closed before the drop.
func NewSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("creating a schema on TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return schema
}

// WithSearchPath returns the PostgreSQL URL raw with search_path set to
// schema.
func WithSearchPath(t testing.TB, raw, schema string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parsing %q: %v", raw, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens the database at rawURL (a DATABASE_URL) through
// internal/database, migrates it, and closes it when the test ends.
func Open(t testing.TB, rawURL string, pool database.Pool) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := database.Open(ctx, rawURL, pool)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	Migrate(t, db)
	return db
}

// NewDB opens and migrates a fresh database (DatabaseURL). On PostgreSQL the
// pool is capped at 12 connections: enough for the concurrency tests, few
// enough for parallel tests to stay under max_connections. On SQLite it is
// left unbounded, so that concurrency tests really use several connections.
func NewDB(t testing.TB) *database.DB {
	t.Helper()
	var pool database.Pool
	if PostgresURL() != "" {
		pool.MaxOpen = 12
	}
	return Open(t, DatabaseURL(t), pool)
}

// migrateMu serializes migrations: Ent's migration fills in the
// package-level table descriptors (schema.Atlas.setupTables) and is not safe
// to run concurrently in one process.
var migrateMu sync.Mutex

// Migrate brings db's schema up to date, one migration at a time.
func Migrate(t testing.TB, db *database.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// BenchPool is the connection pool of the micro-benchmarks' databases.
var BenchPool = database.Pool{MaxOpen: 16, MaxIdle: 16}

// OpenBench opens and migrates an SQLite database for a benchmark.
func OpenBench(t testing.TB) *database.DB {
	t.Helper()
	return Open(t, SQLiteURL(t), BenchPool)
}

// The user NewService registers.
const (
	UserName     = "Bench User"
	UserEmail    = "bench@example.com"
	UserPassword = "loadbench-Pw-0001"
)

// Service is an auth.Service built by service.Options, as the program builds
// it, with HS256 tokens (issuer "gqlauth"), the production argon2 parameters,
// the default lifetimes and rate limits off, and one registered user.
type Service struct {
	*auth.Service
	Tokens *auth.Tokens
	// Pair is the registered user and its first session's tokens.
	Pair *auth.TokenPair
}

// NewService builds the service on db, adjust (when not nil) changing its
// Options first (a limiter, a logger), and registers UserEmail.
func NewService(t testing.TB, db *database.DB, adjust func(*auth.Options)) *Service {
	t.Helper()
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), "HS256", "gqlauth", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(password.Argon2Params, 1, 4, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o := service.Options(config.Defaults(), db)
	o.Tokens, o.Hasher, o.Limits = tokens, hasher, auth.Limits{}
	if adjust != nil {
		adjust(&o)
	}
	svc := auth.New(o)
	pair, err := svc.Register(context.Background(), auth.RegisterInput{Name: UserName, Email: UserEmail, Password: UserPassword})
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Service: svc, Tokens: tokens, Pair: pair}
}

// AtOnce runs f(0) … f(n-1) in n goroutines released together, so that they
// race as hard as they can, and returns when all have returned.
func AtOnce(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// Clock is an injectable clock that only moves when told to. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Lookup returns the value at a dotted path of a decoded JSON value
// ("user.id", "errors.0.extensions.code"): parts name object members, or
// index arrays when numeric. It is nil when the path leads nowhere.
func Lookup(v any, path string) any {
	cur := v
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// HourWindow is the window tests give per-address limits whose counts they
// assert over real time: rate-limit counters are fixed windows aligned to
// the clock, so a short test that straddles a window's edge starts counting
// again. With an hour, InsideWindow rarely has to wait.
const HourWindow = time.Hour

// InsideWindow waits, if need be, until at least need remains of the
// current window of length w (aligned as internal/ratelimit aligns them),
// so that a test's hits all fall in one window.
func InsideWindow(t testing.TB, w, need time.Duration) {
	t.Helper()
	now := time.Now()
	left := w - time.Duration(now.UnixNano()%int64(w))
	if left < need {
		t.Logf("waiting %s for the next rate-limit window", left.Round(time.Second))
		time.Sleep(left + 100*time.Millisecond)
	}
}
