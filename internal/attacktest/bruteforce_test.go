package attacktest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"gqlauth/internal/testenv"
)

// TestBruteForce promises: login attempts are limited per account (failed
// logins) and per client address (all attempts) with 429
// RATE_LIMIT_EXCEEDED and Retry-After, checked before any hash; at most 100
// consecutive failures per account pass (NIST 800-63B); register and refresh
// are limited per address; the address is the socket peer and
// X-Forwarded-For counts only from trusted proxies; counters live in Redis
// when REDIS_URL is set.
func TestBruteForce(t *testing.T) {
	t.Run("per-email failures", func(t *testing.T) {
		srv := startChild(t, map[string]string{"LOGIN_FAILURE_LIMIT": "3", "LOGIN_IP_LIMIT": "0"})
		perEmail(t, srv)
	})

	t.Run("limits are checked before hashing", func(t *testing.T) {
		// One hash slot and no queue: while a storm of other logins holds
		// it, anything that needs a hash gets 503. A locked email must get
		// 429 all the same, because its refusal needs no hash.
		srv := startChild(t, map[string]string{
			"LOGIN_FAILURE_LIMIT": "2", "LOGIN_IP_LIMIT": "0",
			"LOGIN_IP_FAILURE_LIMIT": "0",
			"HASH_CONCURRENCY":       "1", "HASH_QUEUE_SIZE": "0", "HASH_QUEUE_WAIT_MS": "50",
		})
		a := srv.register(t)
		for i := 0; i < 2; i++ {
			expect(t, mustLogin(t, srv, a.Email, wrongPassword), http.StatusUnauthorized, "UNAUTHORIZED")
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		busy := 0
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 200; j++ {
					select {
					case <-stop:
						return
					default:
					}
					if r, err := srv.login(newEmail(), wrongPassword); err == nil && r.Status == http.StatusServiceUnavailable {
						mu.Lock()
						busy++
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(200 * time.Millisecond)
		var statuses []int
		for i := 0; i < 10; i++ {
			statuses = append(statuses, mustLogin(t, srv, a.Email, a.Password).Status)
			time.Sleep(20 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		for _, s := range statuses {
			if s != http.StatusTooManyRequests {
				t.Fatalf("a locked email during a hash storm got %v, want 429 every time (the limit comes before the hash)", statuses)
			}
		}
		mu.Lock()
		t.Logf("the storm got %d busy (503) answers meanwhile", busy)
		mu.Unlock()
	})

	t.Run("per-address limit and spoofed X-Forwarded-For", func(t *testing.T) {
		testenv.InsideWindow(t, testenv.HourWindow, time.Minute)
		srv := startChild(t, map[string]string{"LOGIN_IP_LIMIT": "3", "LOGIN_IP_WINDOW_SECONDS": "3600", "LOGIN_FAILURE_LIMIT": "0"})
		a := srv.register(t)
		for i := 0; i < 3; i++ {
			// Different unknown emails: only the address counter grows.
			expect(t, mustLogin(t, srv, newEmail(), wrongPassword), http.StatusUnauthorized, "UNAUTHORIZED")
		}
		r := mustLogin(t, srv, a.Email, a.Password)
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
		for _, xff := range []string{"203.0.113.7", "198.51.100.1, 203.0.113.8", "127.0.0.1"} {
			r := mustLogin(t, srv, a.Email, a.Password, "X-Forwarded-For: "+xff, "X-Real-IP: "+xff, "Forwarded: for="+xff)
			if r.Status != http.StatusTooManyRequests {
				t.Fatalf("a spoofed X-Forwarded-For %q from an untrusted peer got %d; want 429 (the socket peer counts)", xff, r.Status)
			}
		}
	})

	t.Run("trusted proxy X-Forwarded-For", func(t *testing.T) {
		testenv.InsideWindow(t, testenv.HourWindow, time.Minute)
		srv := startChild(t, map[string]string{
			"LOGIN_IP_LIMIT": "2", "LOGIN_IP_WINDOW_SECONDS": "3600", "LOGIN_FAILURE_LIMIT": "0", "TRUSTED_PROXIES": "127.0.0.1",
		})
		xff := func(v string) string { return "X-Forwarded-For: " + v }
		for i := 0; i < 2; i++ {
			expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("203.0.113.1")), http.StatusUnauthorized, "")
		}
		r := mustLogin(t, srv, newEmail(), wrongPassword, xff("203.0.113.1"))
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
		// Another client behind the proxy has its own counter.
		expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("203.0.113.2")), http.StatusUnauthorized, "")
		// The proxy appends the real peer; a spoofed left part buys nothing.
		expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("198.51.100.77, 203.0.113.1")), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		// The proxy itself (no header) is a third client.
		expect(t, mustLogin(t, srv, newEmail(), wrongPassword), http.StatusUnauthorized, "")
	})

	t.Run("register per address", func(t *testing.T) {
		testenv.InsideWindow(t, testenv.HourWindow, time.Minute)
		srv := startChild(t, map[string]string{"REGISTER_IP_LIMIT": "2"})
		srv.register(t)
		srv.register(t)
		r := srv.must(t, http.MethodPost, "/api/auth/register",
			map[string]string{"name": "Third", "email": newEmail(), "password": goodPassword})
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
	})

	t.Run("refresh per address", func(t *testing.T) {
		testenv.InsideWindow(t, testenv.HourWindow, time.Minute)
		srv := startChild(t, map[string]string{"REFRESH_IP_LIMIT": "2", "REFRESH_IP_WINDOW_SECONDS": "3600"})
		a := srv.register(t)
		for i := 0; i < 2; i++ {
			r := srv.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": "not.a.token" + randHex(4)})
			expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
		}
		r := srv.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": a.Refresh})
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
	})

	t.Run("NIST cap of 100 consecutive failures", func(t *testing.T) {
		srv := startChild(t, map[string]string{
			"LOGIN_FAILURE_LIMIT": "0", "LOGIN_LOCKOUT_THRESHOLD": "100", "LOGIN_IP_LIMIT": "0",
			"LOGIN_IP_FAILURE_LIMIT": "0",
		})
		a := srv.register(t)
		for i := 1; i <= 100; i++ {
			r := mustLogin(t, srv, a.Email, wrongPassword)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d got %d, want 401 (the cap is 100): %s", i, r.Status, clip(r.Raw))
			}
		}
		r := mustLogin(t, srv, a.Email, wrongPassword)
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
		expect(t, mustLogin(t, srv, a.Email, a.Password), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	})

	t.Run("concurrent failures stay within the limit", func(t *testing.T) {
		const limit, attempts = 3, 16
		srv := startChild(t, map[string]string{
			"LOGIN_FAILURE_LIMIT": "3", "LOGIN_IP_LIMIT": "0", "LOGIN_IP_FAILURE_LIMIT": "0", "HASH_QUEUE_SIZE": "64", "HASH_QUEUE_WAIT_MS": "20000",
		})
		a := srv.register(t)
		statuses := make([]int, attempts)
		errs := make([]error, attempts)
		testenv.AtOnce(attempts, func(i int) {
			r, err := srv.login(a.Email, wrongPassword)
			errs[i] = err
			if r != nil {
				statuses[i] = r.Status
			}
		})
		passed := 0
		for i, s := range statuses {
			if errs[i] != nil {
				t.Fatalf("login %d: %v", i, errs[i])
			}
			switch s {
			case http.StatusUnauthorized:
				passed++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("login %d got %d, want 401 or 429", i, s)
			}
		}
		if passed > limit {
			t.Fatalf("%d of %d concurrent wrong-password logins for one email had their password checked (401) "+
				"with LOGIN_FAILURE_LIMIT=%d: parallel guesses slip past the per-email limit (check-then-record)",
				passed, attempts, limit)
		}
	})

	t.Run("per-email failures in Redis", func(t *testing.T) {
		redisURL := testenv.RedisURL(t)
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			t.Fatalf("TEST_REDIS_URL: %v", err)
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			t.Fatalf("Redis at TEST_REDIS_URL does not answer: %v", err)
		}
		srv := startChild(t, map[string]string{"LOGIN_FAILURE_LIMIT": "3", "LOGIN_IP_LIMIT": "0", "LOGIN_IP_FAILURE_LIMIT": "0", "REDIS_URL": redisURL})
		email := perEmail(t, srv)
		keys, err := scanKeys(ctx, rdb, "gqlauth:rl:*"+email+"*")
		if err != nil {
			t.Fatalf("scanning Redis: %v", err)
		}
		if len(keys) == 0 {
			t.Fatal("the limit held, but no gqlauth:rl: key for the email is in Redis: the counts are not kept there")
		}
		t.Logf("counters in Redis: %v", keys)
		for _, k := range keys {
			if ttl, err := rdb.PTTL(ctx, k).Result(); err != nil || ttl <= 0 {
				t.Errorf("Redis counter %s has no expiry (PTTL %v, %v)", k, ttl, err)
			}
		}
	})
}

// perEmail checks the per-email failure limit (LOGIN_FAILURE_LIMIT=3) and
// returns the email it locked.
func perEmail(t *testing.T, srv *child) string {
	t.Helper()
	a := srv.register(t)
	other := srv.register(t)
	for i := 0; i < 3; i++ {
		expect(t, mustLogin(t, srv, a.Email, wrongPassword), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	for i := 0; i < 5; i++ {
		r := mustLogin(t, srv, a.Email, wrongPassword)
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
	}
	// The right password is refused too: the check comes before the hash.
	r := mustLogin(t, srv, a.Email, a.Password)
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	expectRetryAfter(t, r)
	// Case and spaces do not make a new account.
	expect(t, mustLogin(t, srv, "  "+strings.ToUpper(a.Email)+" ", a.Password), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	// The same limit over GraphQL.
	g := srv.gql(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`,
		map[string]any{"e": a.Email, "p": a.Password})
	if codes := g.GQLCodes(); len(codes) != 1 || codes[0] != "RATE_LIMIT_EXCEEDED" || g.HasData() {
		t.Fatalf("GraphQL login of a locked email: codes %v, want [RATE_LIMIT_EXCEEDED] and no data: %s", codes, clip(g.Raw))
	}
	// Another account is not affected.
	expect(t, mustLogin(t, srv, other.Email, other.Password), http.StatusOK, "")
	return a.Email
}

func mustLogin(t *testing.T, srv *child, email, password string, headers ...string) *reply {
	t.Helper()
	r, err := srv.login(email, password, headers...)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return r
}

// scanKeys lists the keys matching pattern, boundedly.
func scanKeys(ctx context.Context, rdb *redis.Client, pattern string) ([]string, error) {
	var out []string
	var cursor uint64
	for i := 0; i < 1000; i++ {
		keys, next, err := rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
		if next == 0 {
			break
		}
		cursor = next
	}
	return out, nil
}
