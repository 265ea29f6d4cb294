package graph_test

// Micro-benchmark of the GraphQL `me` execution through graph.NewHandler
// alone (parse from the query cache, validation, the @auth directive, the
// resolver and the JSON response), on SQLite in b.TempDir():
//
//	go test -run '^$' -bench . -benchmem ./graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gqlauth/graph"
	"gqlauth/internal/auth"
	"gqlauth/internal/database"
)

func newBenchGraph(b *testing.B) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"), database.Pool{MaxOpen: 16, MaxIdle: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), "HS256", "gqlauth", time.Now)
	if err != nil {
		b.Fatal(err)
	}
	hasher, err := auth.NewHasher(auth.Argon2Params, 1, 4, 2*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	svc := auth.New(auth.Options{
		Client: db.Client, Tokens: tokens, Hasher: hasher,
		AccessTTL: 30 * time.Minute, RefreshTTL: 7 * 24 * time.Hour,
		ReuseInterval: 10 * time.Second, SessionMaxAge: 30 * 24 * time.Hour,
		Unavailable: database.IsUnavailable,
	})
	pair, err := svc.Register(ctx, auth.RegisterInput{Name: "Bench User", Email: "bench@example.com", Password: "loadbench-Pw-0001"})
	if err != nil {
		b.Fatal(err)
	}
	h := graph.NewHandler(svc, graph.Options{Introspection: true, MaxDepth: 10, MaxComplexity: 300, MaxTokens: 2000, MaxAuthFields: 5})
	return h, pair.AccessToken
}

func BenchmarkMe(b *testing.B) {
	h, token := newBenchGraph(b)
	const body = `{"query":"{ me { id email } }"}`
	for b.Loop() {
		// The REST edge puts the bearer token in the context; do the same.
		req := httptest.NewRequestWithContext(auth.WithBearer(context.Background(), token),
			http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
