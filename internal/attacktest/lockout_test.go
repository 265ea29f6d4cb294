package attacktest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gqlauth/internal/testenv"
)

func xff(addr string) string { return "X-Forwarded-For: " + addr }

// TestStrangerCannotLockOut promises: five wrong passwords for an email
// from one client address make that address wait (429, Retry-After), but
// the owner's right password from another address logs in (REST and
// GraphQL), and the owner's success does not unlock the stranger. Client
// addresses are IPv4 addresses and IPv6 /64 prefixes (an IPv4-mapped IPv6
// address counts as IPv4); they come from X-Forwarded-For through a trusted
// proxy.
func TestStrangerCannotLockOut(t *testing.T) {
	// The default limits (five per 15 min), behind a trusted proxy.
	testenv.InsideWindow(t, 15*time.Minute, time.Minute)
	srv := startChild(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1"})
	gqlLogin := `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }`
	for _, tc := range []struct {
		name            string
		stranger, owner string
		shared          bool // one budget: the owner waits too
	}{
		{"IPv4", "203.0.113.66", "198.51.100.5", false},
		{"IPv6 in another /64", "2001:db8:aa:1::1", "2001:db8:aa:2::1", false},
		{"IPv6 in the same /64", "2001:db8:bb:1::1", "2001:db8:bb:1:ffff:ffff:ffff:fffe", true},
		{"IPv4-mapped IPv6 is IPv4", "::ffff:203.0.113.77", "203.0.113.77", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := srv.register(t)
			for i := 1; i <= 5; i++ {
				r := mustLogin(t, srv, a.Email, wrongPassword, xff(tc.stranger))
				if r.Status != http.StatusUnauthorized {
					t.Fatalf("stranger's failure %d got %d, want 401: %s", i, r.Status, clip(r.Raw))
				}
			}
			r := mustLogin(t, srv, a.Email, a.Password, xff(tc.stranger))
			expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
			expectRetryAfter(t, r)

			r = mustLogin(t, srv, a.Email, a.Password, xff(tc.owner))
			if tc.shared {
				expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("the owner's right password from %s after five failures from %s got %d, want 200: %s",
					tc.owner, tc.stranger, r.Status, clip(r.Raw))
			}
			g := srv.gql(t, gqlLogin, map[string]any{"e": a.Email, "p": a.Password}, xff(tc.owner))
			if g.Str("data.login.accessToken") == "" {
				t.Fatalf("GraphQL login of the owner from %s: %s", tc.owner, clip(g.Raw))
			}
			// The owner's success is not the stranger's.
			expect(t, mustLogin(t, srv, a.Email, a.Password, xff(tc.stranger)), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		})
	}

	t.Run("an IPv6 /64 is one client address", func(t *testing.T) {
		// Per-address limits count a /64 as one client: an attacker cannot
		// take a fresh budget from each of its 2^64 addresses.
		testenv.InsideWindow(t, testenv.HourWindow, time.Minute)
		srv := startChild(t, map[string]string{
			"TRUSTED_PROXIES": "127.0.0.1", "LOGIN_IP_LIMIT": "3", "LOGIN_IP_WINDOW_SECONDS": "3600",
		})
		for _, addr := range []string{"2001:db8:dd:1::1", "2001:db8:dd:1::2", "2001:db8:dd:1:8000::3"} {
			expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff(addr)), http.StatusUnauthorized, "")
		}
		r := mustLogin(t, srv, newEmail(), wrongPassword, xff("2001:db8:dd:1:ffff:ffff:ffff:ffff"))
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expectRetryAfter(t, r)
		expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("2001:db8:dd:2::1")), http.StatusUnauthorized, "")
		// IPv4, and IPv4 mapped into IPv6, count per address.
		for i := 0; i < 3; i++ {
			expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("203.0.113.5")), http.StatusUnauthorized, "")
		}
		expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("::ffff:203.0.113.5")), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expect(t, mustLogin(t, srv, newEmail(), wrongPassword, xff("203.0.113.6")), http.StatusUnauthorized, "")
	})

	t.Run("spoofed X-Forwarded-For from an untrusted peer buys nothing", func(t *testing.T) {
		// Straight from the socket peer, with no trusted proxy: the header
		// is ignored, so the stranger cannot pose as the owner's address
		// to lock it, nor rotate addresses to escape the limit.
		srv := startChild(t, nil)
		a := srv.register(t)
		for i := 0; i < 5; i++ {
			expect(t, mustLogin(t, srv, a.Email, wrongPassword, xff(fmt.Sprintf("203.0.113.%d", i+1))), http.StatusUnauthorized, "")
		}
		expect(t, mustLogin(t, srv, a.Email, a.Password, xff("198.51.100.200")), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	})
}

// TestCapacityRefusalsAreNotFailures promises: a login refused for hashing
// capacity (503) never counts as a failed attempt. With one hash slot and
// no queue, a storm of other logins makes the owner's right password get
// 503 again and again, more times than LOGIN_FAILURE_LIMIT; it never gets
// 429, and logs in once the storm ends.
func TestCapacityRefusalsAreNotFailures(t *testing.T) {
	const limit = 2
	srv := startChild(t, map[string]string{
		"LOGIN_FAILURE_LIMIT": fmt.Sprint(limit), "LOGIN_LOCKOUT_THRESHOLD": fmt.Sprint(limit),
		"LOGIN_IP_LIMIT": "0", "LOGIN_IP_FAILURE_LIMIT": "0",
		"HASH_CONCURRENCY": "1", "HASH_QUEUE_SIZE": "0", "HASH_QUEUE_WAIT_MS": "50",
	})
	a := srv.register(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = srv.login(newEmail(), wrongPassword)
			}
		})
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	time.Sleep(200 * time.Millisecond)
	run, busy, ok := 0, 0, 0
	for i := 0; i < 400 && run <= 3*limit; i++ {
		r := mustLogin(t, srv, a.Email, a.Password)
		switch r.Status {
		case http.StatusServiceUnavailable:
			expect(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
			run++
			busy++
		case http.StatusOK:
			run = 0
			ok++
		default:
			t.Fatalf("the owner's right password during a hash storm got %d after %d capacity refusals in a row (limit %d), "+
				"want 503 or 200: refusals for capacity count as failures: %s", r.Status, run, limit, clip(r.Raw))
		}
	}
	if run <= 3*limit {
		t.Fatalf("the storm never refused more than %d logins in a row (%d busy, %d ok): too weak to test", run, busy, ok)
	}
	close(stop)
	wg.Wait()
	t.Logf("owner: %d capacity refusals (%d in a row), %d successes during the storm", busy, run, ok)
	expect(t, mustLogin(t, srv, a.Email, a.Password), http.StatusOK, "")
}

// TestChangePasswordIsNotAHashOracle promises: changePassword attempts are
// limited per user and per client address (each costs two hashes), over
// REST and GraphQL, right passwords included, with 429 RATE_LIMIT_EXCEEDED
// and Retry-After. The attack: twelve accounts from one address looping a
// four-field changePassword document.
func TestChangePasswordIsNotAHashOracle(t *testing.T) {
	testenv.InsideWindow(t, 15*time.Minute, time.Minute)
	const perUser, perIP = 10, 100 // the defaults
	srv := startChild(t, nil)
	const accounts = 12
	accs := make([]*account, accounts)
	for i := range accs {
		accs[i] = srv.register(t)
	}
	doc := `mutation($a: String!, $b: String!) {
  c1: changePassword(input: {currentPassword: $a, newPassword: $b})
  c2: changePassword(input: {currentPassword: $b, newPassword: $a})
  c3: changePassword(input: {currentPassword: $a, newPassword: $b})
  c4: changePassword(input: {currentPassword: $b, newPassword: $a})
}`
	var changed, limited atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, accounts)
	for _, a := range accs {
		wg.Go(func() {
			vars := map[string]any{"a": a.Password, "b": a.Password + "X"}
			body := map[string]any{"query": doc, "variables": vars}
			for round := 0; round < 10; round++ {
				r, err := srv.send(http.MethodPost, "/graphql", body, bearer(a.Access))
				if err != nil {
					errs <- err.Error()
					return
				}
				n := 0
				for _, f := range []string{"c1", "c2", "c3", "c4"} {
					if r.Get("data."+f) == true {
						n++
					}
				}
				changed.Add(int64(n))
				codes := r.GQLCodes()
				if len(codes) == 0 {
					continue
				}
				for _, c := range codes {
					if c != "RATE_LIMIT_EXCEEDED" {
						errs <- fmt.Sprintf("codes %v: %s", codes, clip(r.Raw))
						return
					}
				}
				if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
					errs <- "RATE_LIMIT_EXCEEDED without Retry-After: " + clip(r.Raw)
					return
				}
				limited.Add(1)
				return
			}
			errs <- "an account looped 10 four-field documents without a refusal"
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	took := time.Since(start)
	t.Logf("%d accounts from one address: %d password changes (~%d hashes) in %v before every account was refused",
		accounts, changed.Load(), 2*changed.Load(), took.Round(time.Millisecond))
	if changed.Load() > perIP {
		t.Fatalf("%d changes from one address, want at most PASSWORD_IP_LIMIT=%d", changed.Load(), perIP)
	}
	if limited.Load() != accounts {
		t.Fatalf("%d of %d accounts were refused", limited.Load(), accounts)
	}

	// Over REST, per user: a fresh address (the proxy's client) still
	// cannot go past the user's budget.
	prox := startChild(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1", "PASSWORD_USER_LIMIT": "3", "PASSWORD_IP_LIMIT": "5"})
	a, b := prox.register(t), prox.register(t)
	pw := []string{a.Password, a.Password + "X"}
	change := func(acc *account, cur, next, from string) *reply {
		return prox.must(t, http.MethodPost, "/api/auth/change-password",
			map[string]string{"current_password": cur, "new_password": next}, bearer(acc.Access), xff(from))
	}
	for i := 0; i < 3; i++ {
		expect(t, change(a, pw[i%2], pw[(i+1)%2], "203.0.113.10"), http.StatusOK, "")
	}
	r := change(a, pw[1], pw[0], "203.0.113.10")
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	expectRetryAfter(t, r)
	expect(t, change(a, pw[1], pw[0], "198.51.100.10"), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	// Per address: b shares 203.0.113.10's budget of 5 (3 used), from the same /64 for IPv6 too.
	bp := []string{b.Password, b.Password + "X"}
	expect(t, change(b, bp[0], bp[1], "203.0.113.10"), http.StatusOK, "")
	expect(t, change(b, bp[1], bp[0], "203.0.113.10"), http.StatusOK, "")
	r = change(b, bp[0], bp[1], "203.0.113.10")
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	expectRetryAfter(t, r)
	// The same over GraphQL, from another address: b has one attempt left.
	g := prox.gql(t, `mutation($a: String!, $b: String!) { changePassword(input: {currentPassword: $a, newPassword: $b}) }`,
		map[string]any{"a": bp[0], "b": bp[1]}, bearer(b.Access), xff("2001:db8:cc:1::1"))
	if g.Get("data.changePassword") != true {
		t.Fatalf("b's third change from another address: %s", clip(g.Raw))
	}
	g = prox.gql(t, `mutation($a: String!, $b: String!) { changePassword(input: {currentPassword: $a, newPassword: $b}) }`,
		map[string]any{"a": bp[1], "b": bp[0]}, bearer(b.Access), xff("2001:db8:cc:1::2"))
	if codes := g.GQLCodes(); len(codes) != 1 || codes[0] != "RATE_LIMIT_EXCEEDED" || g.Header.Get("Retry-After") == "" {
		t.Fatalf("b's fourth change over GraphQL: codes %v, Retry-After %q: %s", codes, g.Header.Get("Retry-After"), clip(g.Raw))
	}
	if !strings.Contains(srv.logs()+prox.logs(), "rate limit exceeded") {
		t.Log("no rate-limit log line seen (LOG_LEVEL=warn should show them)")
	}
}
