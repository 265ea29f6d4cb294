package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the fresh schema

	"gqlauth/internal/app"
	"gqlauth/internal/config"
	"gqlauth/internal/keys"
)

// product is the gqlauth server running in this process through app.Run,
// exactly as main runs it.
type product struct {
	base    string         // http://127.0.0.1:PORT
	cfg     *config.Config // the configuration the server loaded
	env     map[string]string
	dbLabel string // what to print about the database
	process string // -process: the binary the server runs from
	stop    func()
}

// benchEnv is the environment the benchmark gives the server: loopback on a
// free port, a fixed random secret, quiet logs, rate limits off, and a hash
// queue that holds every benchmark client (the storm still overflows it).
// With an asymmetric alg it signs with one new key of that kind (JWT_KEYS).
func benchEnv(databaseURL string, clients int, alg string) (map[string]string, error) {
	secret := make([]byte, 36)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	jwtKeys := ""
	if keys.IsAsymmetric(alg) {
		b, err := keys.Generate(alg)
		if err != nil {
			return nil, err
		}
		jwtKeys = string(b)
	}
	metricsToken := make([]byte, 24)
	if _, err := rand.Read(metricsToken); err != nil {
		return nil, err
	}
	return map[string]string{
		"METRICS_TOKEN":           base64.RawURLEncoding.EncodeToString(metricsToken), // the queue watch reads /metrics
		"ALGORITHM":               alg,
		"JWT_KEYS":                jwtKeys,
		"HOST":                    "127.0.0.1",
		"PORT":                    "0",
		"DATABASE_URL":            databaseURL,
		"SECRET_KEY":              base64.RawURLEncoding.EncodeToString(secret),
		"LOG_LEVEL":               "error",
		"LOGIN_IP_LIMIT":          "0",
		"LOGIN_IP_FAILURE_LIMIT":  "0",
		"REGISTER_IP_LIMIT":       "0",
		"REFRESH_IP_LIMIT":        "0",
		"LOGIN_FAILURE_LIMIT":     "0",
		"LOGIN_LOCKOUT_THRESHOLD": "0",
		"HASH_QUEUE_SIZE":         strconv.Itoa(max(4*runtime.NumCPU(), clients)),
	}, nil
}

// startProduct runs `gqlauth serve` in-process and waits for its
// "gqlauth listening on http://ADDR" line. Variables the benchmark does not
// set come from the process environment (e.g. DB_MAX_OPEN_CONNS).
func startProduct(ctx context.Context, env map[string]string, dbLabel string) (*product, error) {
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	stderr := &headBuffer{max: 8 << 10}
	done := make(chan int, 1)
	go func() {
		code := app.Run(ctx, []string{"serve"}, getenv, nil, pw, stderr)
		pw.Close()
		done <- code
	}()

	lines := make(chan string, 1)
	br := bufio.NewReader(pr)
	go func() {
		line, _ := br.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br) // keep stdout drained
	}()
	stop := func() { cancel(); <-done }
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(line, "gqlauth listening on ")
		if !ok {
			stop()
			return nil, fmt.Errorf("unexpected first line %q; stderr: %s", line, stderr)
		}
		return &product{base: addr, cfg: cfg, env: env, dbLabel: dbLabel, stop: stop}, nil
	case code := <-done:
		cancel()
		return nil, fmt.Errorf("server exited with %d: %s", code, stderr)
	case <-time.After(60 * time.Second):
		stop()
		return nil, errors.New("server did not start within 60s: " + stderr.String())
	}
}

// benchDB is where the benchmark's data lives: a temporary SQLite file, or a
// fresh schema of BENCH_DATABASE_URL, removed afterwards.
type benchDB struct {
	url     string
	label   string
	cleanup func()
}

func newDatabase(ctx context.Context) (*benchDB, error) {
	raw := os.Getenv("BENCH_DATABASE_URL")
	if raw == "" {
		dir, err := os.MkdirTemp("", "loadbench-*")
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "bench.db")
		return &benchDB{
			url:     "sqlite://" + path,
			label:   "SQLite " + path,
			cleanup: func() { os.RemoveAll(dir) },
		}, nil
	}
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return nil, errors.New("BENCH_DATABASE_URL must be a postgres:// URL")
	}
	schema := fmt.Sprintf("loadbench_%d_%d", os.Getpid(), time.Now().Unix())
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, fmt.Errorf("creating schema: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		admin.Close()
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx sends it as a run-time parameter
	u.RawQuery = q.Encode()
	return &benchDB{
		url:   u.String(),
		label: fmt.Sprintf("PostgreSQL %s (schema %s)", redact(u), schema),
		cleanup: func() {
			_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		},
	}, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	if u.User != nil {
		c.User = url.User(u.User.Username())
	}
	c.RawQuery = ""
	return c.String()
}

// headBuffer keeps the first max bytes written to it, for error messages.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - len(t.b); room > 0 {
		t.b = append(t.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (t *headBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
