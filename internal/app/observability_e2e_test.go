package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"gqlauth/internal/testenv"
)

// metricsToken is the METRICS_TOKEN of test servers that read /metrics.
const metricsToken = "test-metrics-token-0123456789"

func TestMetricsEndpoint(t *testing.T) {
	s := startServer(t, map[string]string{"METRICS_TOKEN": metricsToken})
	a := s.register(t)
	s.login(t, a)
	s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": "wrongPassword1"})
	s.gql(meOp, nil, bearer(a.Access))
	r := s.request(http.MethodGet, "/metrics", nil, bearer(metricsToken))
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.Status)
	}
	body := string(r.Raw)
	for _, want := range []string{
		`gqlauth_http_requests_total{method="POST",route="POST /api/auth/register",status="201"} 1`,
		`gqlauth_login_attempts_total{outcome="success"} 1`,
		`gqlauth_login_attempts_total{outcome="failure"} 1`,
		`gqlauth_graphql_operations_total`,
		`gqlauth_hash_queue_depth`,
		`go_sql_open_connections{db_name="main"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	off := startServer(t, map[string]string{"METRICS_ENABLED": "false", "METRICS_TOKEN": metricsToken})
	expect(t, off.request(http.MethodGet, "/metrics", nil, bearer(metricsToken)), 404, "NOT_FOUND")
}

// TestRedisLimiter runs the login limits with counters in Redis, and
// proves Redis is what counts: the keys are there, and a second instance
// on a database of its own (which has no counts, nor even the account)
// refuses the locked email too.
func TestRedisLimiter(t *testing.T) {
	url := testenv.RedisURL(t)
	s := startServer(t, map[string]string{"REDIS_URL": url, "LOGIN_FAILURE_LIMIT": "2"})
	a := s.register(t)
	for range 2 {
		expect(t, s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": "wrongPassword1"}), 401, "UNAUTHORIZED")
	}
	r := s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}

	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	keys, err := rdb.Keys(t.Context(), "gqlauth:rl:*"+a.Email+"*").Result()
	if err != nil {
		t.Fatalf("reading Redis: %v", err)
	}
	if len(keys) == 0 {
		t.Fatal("the limit held, but no gqlauth:rl: key for the email is in Redis")
	}

	other := startServer(t, map[string]string{"REDIS_URL": url, "LOGIN_FAILURE_LIMIT": "2"})
	if other.env["DATABASE_URL"] == s.env["DATABASE_URL"] {
		t.Fatal("the second instance shares the first one's database")
	}
	expect(t, other.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password}), 429, "RATE_LIMIT_EXCEEDED")
}

func TestRedisUnreachableStopsStart(t *testing.T) {
	vars := baseEnv(t)
	vars["REDIS_URL"] = "redis://127.0.0.1:1/0"
	code, _, errOut := runCommand(vars, "", "serve")
	if code != 1 || !strings.Contains(errOut, "REDIS_URL") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
