package rest_test

// Micro-benchmarks of GET /api/auth/me through the whole REST surface
// (rest.New with its edge middleware), wired as internal/app wires it, on
// SQLite in b.TempDir():
//
//	go test -run '^$' -bench . -benchmem ./internal/rest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gqlauth/graph"
	"gqlauth/internal/auth"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/rest"
	"gqlauth/internal/testenv"
)

// newBenchHandler builds the service and the HTTP surface like
// internal/app/wiring.go (database limiter, rate limits off) and returns the
// handler and an access token of a registered user.
func newBenchHandler(b *testing.B, log *slog.Logger) (http.Handler, string) {
	b.Helper()
	db := testenv.OpenBench(b)
	svc := testenv.NewService(b, db, func(o *auth.Options) {
		o.Limiter = ratelimit.NewStore(db.Client, nil)
		o.Logger = log
	})
	gql := graph.NewHandler(svc.Service, graph.Options{
		Introspection: true, MaxDepth: 10, MaxComplexity: 300, MaxTokens: 2000, MaxAuthFields: 5, Logger: log,
	})
	h := rest.New(rest.Options{
		Auth: svc.Service, GraphQL: gql, Ready: db.Ping, Playground: true, MaxBodyBytes: 64 << 10,
		RequestTimeout: 30 * time.Second, Logger: log,
	})
	return h, svc.Pair.AccessToken
}

func benchMe(b *testing.B, log *slog.Logger) {
	h, token := newBenchHandler(b, log)
	req := httptest.NewRequest(http.MethodGet, "/api/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkMe runs with the logger at error level, as the load benchmark does.
func BenchmarkMe(b *testing.B) {
	benchMe(b, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})))
}

// BenchmarkMeInfoLog is the default LOG_LEVEL=info: one request line per
// request, formatted and discarded.
func BenchmarkMeInfoLog(b *testing.B) {
	benchMe(b, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
}

// BenchmarkGraphQLMe is the GraphQL `me` through the REST edge, as served.
func BenchmarkGraphQLMe(b *testing.B) {
	h, token := newBenchHandler(b, slog.New(slog.DiscardHandler))
	const body = `{"query":"{ me { id email } }"}`
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
