package metrics_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver for WatchDB
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"gqlauth/internal/auth"
	"gqlauth/internal/metrics"
)

var _ auth.Metrics = (*metrics.Metrics)(nil)

// value reads one series from reg: a counter's or gauge's value, or a
// histogram's sample count; -1 when the series does not exist.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func TestEachMetricMoves(t *testing.T) {
	depth := 0
	cases := []struct {
		name   string
		call   func(m *metrics.Metrics)
		metric string
		labels map[string]string
		want   float64
	}{
		{"http requests", func(m *metrics.Metrics) { m.ObserveHTTP("POST", "POST /api/auth/login", 401, 20*time.Millisecond) },
			"gqlauth_http_requests_total", map[string]string{"method": "POST", "route": "POST /api/auth/login", "status": "401"}, 1},
		{"http duration", func(m *metrics.Metrics) { m.ObserveHTTP("GET", "unmatched", 404, time.Millisecond) },
			"gqlauth_http_request_duration_seconds", map[string]string{"method": "GET", "route": "unmatched"}, 1},
		{"unknown http methods are pooled", func(m *metrics.Metrics) { m.ObserveHTTP("BREW", "unmatched", 405, time.Millisecond) },
			"gqlauth_http_requests_total", map[string]string{"method": "other", "route": "unmatched", "status": "405"}, 1},
		{"logins", func(m *metrics.Metrics) { m.Login("failure"); m.Login("failure") },
			"gqlauth_login_attempts_total", map[string]string{"outcome": "failure"}, 2},
		{"refresh reuse", func(m *metrics.Metrics) { m.RefreshReuse() },
			"gqlauth_refresh_reuse_detected_total", nil, 1},
		{"rate limited", func(m *metrics.Metrics) { m.RateLimited("login-ip") },
			"gqlauth_rate_limited_total", map[string]string{"kind": "login-ip"}, 1},
		{"hash wait", func(m *metrics.Metrics) { m.ObserveHashWait(30 * time.Millisecond) },
			"gqlauth_hash_wait_seconds", nil, 1},
		{"hash queue depth", func(m *metrics.Metrics) { m.WatchHashQueue(func() int { return depth }); depth = 7 },
			"gqlauth_hash_queue_depth", nil, 7},
		{"db pool", func(m *metrics.Metrics) { m.WatchDB(openDB(t), "main") },
			"go_sql_max_open_connections", map[string]string{"db_name": "main"}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := metrics.New(reg)
			if got := value(t, reg, tc.metric, tc.labels); got > 0 {
				t.Fatalf("%s = %v before the call", tc.metric, got)
			}
			tc.call(m)
			if got := value(t, reg, tc.metric, tc.labels); got != tc.want {
				t.Fatalf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
			}
		})
	}
}

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(3)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestHandlerServesTextExposition(t *testing.T) {
	m := metrics.New(nil)
	m.WatchHashQueue(func() int { return 0 })
	m.WatchDB(openDB(t), "main")
	m.ObserveHTTP("GET", "GET /healthz", 200, time.Millisecond)
	m.Login("success")
	m.RefreshReuse()
	m.RateLimited("login-ip")
	m.ObserveHashWait(time.Millisecond)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, name := range []string{
		"gqlauth_http_requests_total", "gqlauth_http_request_duration_seconds_bucket",
		"gqlauth_login_attempts_total", "gqlauth_refresh_reuse_detected_total", "gqlauth_rate_limited_total",
		"gqlauth_hash_queue_depth", "gqlauth_hash_wait_seconds_bucket",
		"go_sql_open_connections", "go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(string(body), "\n"+name) {
			t.Errorf("exposition lacks %s", name)
		}
	}
}

// The default registry already holds the Go and process collectors.
func TestNewOnDefaultRegistry(t *testing.T) {
	m := metrics.New(prometheus.DefaultRegisterer)
	m.Login("success")
	if got := value(t, prometheus.DefaultGatherer, "gqlauth_login_attempts_total", map[string]string{"outcome": "success"}); got != 1 {
		t.Fatalf("login_attempts_total = %v, want 1", got)
	}
}

// gqlServer is a gqlgen server over a three-field schema whose executor
// answers every operation with fixed data.
func gqlServer(ext graphql.HandlerExtension) http.Handler {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { ping: String\n pang: String }\ntype Mutation { pong: String }"})
	es := &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: []byte(`{}`)})
		},
	}
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	srv.Use(ext)
	return srv
}

func postGraphQL(t *testing.T, h http.Handler, query string) {
	t.Helper()
	body := fmt.Sprintf(`{"query": %q}`, query)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK && rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("POST %s: status %d: %s", query, rec.Code, rec.Body)
	}
}

func TestGraphQLExtension(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	h := gqlServer(m.GraphQLExtension())
	for _, q := range []string{
		"query Ping { ping }",
		"query Ping { ping }",
		"{ ping }",
		"{ a: ping b: ping __typename }", // one field, aliased twice
		"mutation Pong { pong }",
		"{ ping pang }", // several root fields
		"{ __typename }",
		"{ __schema { queryType { name } } }",
		"query Frag { ...F ... on Query { pang } } fragment F on Query { pang }",
		"query Broken { nope }", // fails validation: never executes
	} {
		postGraphQL(t, h, q)
	}

	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"operation": "query", "name": "ping"}, 4},
		{map[string]string{"operation": "query", "name": "pang"}, 1},
		{map[string]string{"operation": "mutation", "name": "pong"}, 1},
		{map[string]string{"operation": "query", "name": "other"}, 2},
		{map[string]string{"operation": "query", "name": "introspection"}, 1},
		// The client's operation names are never label values.
		{map[string]string{"name": "Ping"}, -1},
		{map[string]string{"name": "Pong"}, -1},
		{map[string]string{"name": "Frag"}, -1},
		{map[string]string{"name": "Broken"}, -1},
		{map[string]string{"name": "nope"}, -1},
	} {
		if got := value(t, reg, "gqlauth_graphql_operations_total", tc.labels); got != tc.want {
			t.Errorf("graphql_operations_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if got := value(t, reg, "gqlauth_graphql_operation_duration_seconds", map[string]string{"operation": "query"}); got != 8 {
		t.Errorf("graphql_operation_duration_seconds{query} count = %v, want 8", got)
	}
}

// TestOperationNamesCannotFillLabels: operation names chosen by clients
// mint no series, however many there are.
func TestOperationNamesCannotFillLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	h := gqlServer(m.GraphQLExtension())
	for i := range 250 {
		postGraphQL(t, h, fmt.Sprintf("query Op%d { ping }", i))
	}
	postGraphQL(t, h, "query Q"+strings.Repeat("x", 64)+" { ping }")
	if got := testutil.CollectAndCount(reg, "gqlauth_graphql_operations_total"); got != 1 {
		t.Errorf("series = %d, want 1 (name=ping)", got)
	}
	if got := value(t, reg, "gqlauth_graphql_operations_total", map[string]string{"name": "ping"}); got != 251 {
		t.Errorf("ping = %v, want 251", got)
	}
}
