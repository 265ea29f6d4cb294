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
	"strings"
	"testing"

	"gqlauth/graph"
	"gqlauth/internal/auth"
	"gqlauth/internal/testenv"
)

func newBenchGraph(b *testing.B) (http.Handler, string) {
	b.Helper()
	s := testenv.NewService(b, testenv.OpenBench(b), nil)
	h := graph.NewHandler(s.Service, graph.Options{Introspection: true, MaxDepth: 10, MaxComplexity: 300, MaxTokens: 2000, MaxAuthFields: 5})
	return h, s.Pair.AccessToken
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
