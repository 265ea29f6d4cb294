package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"

	"gqlauth/ent/user"
	"gqlauth/internal/auth"
)

// recordingMetrics counts what the service reports.
type recordingMetrics struct {
	mu      sync.Mutex
	logins  map[string]int
	limited map[string]int
	reuse   int
}

func newRecordingMetrics() *recordingMetrics {
	return &recordingMetrics{logins: map[string]int{}, limited: map[string]int{}}
}

func (m *recordingMetrics) RateLimited(kind string) { m.mu.Lock(); m.limited[kind]++; m.mu.Unlock() }
func (m *recordingMetrics) Login(outcome string)    { m.mu.Lock(); m.logins[outcome]++; m.mu.Unlock() }
func (m *recordingMetrics) RefreshReuse()           { m.mu.Lock(); m.reuse++; m.mu.Unlock() }
func (m *recordingMetrics) snapshot() (map[string]int, map[string]int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, r := map[string]int{}, map[string]int{}
	for k, v := range m.logins {
		l[k] = v
	}
	for k, v := range m.limited {
		r[k] = v
	}
	return l, r, m.reuse
}

func TestLoginSuccess(t *testing.T) {
	t.Parallel()
	m := newRecordingMetrics()
	env := newTestService(t, withMetrics(m))
	reg := env.register(t, testName, testEmail, testPassword)
	p := env.login(t, "  JOHN@example.com ", testPassword)
	if p.User.ID != reg.User.ID || p.TokenType != "bearer" || p.ExpiresIn != 1800 {
		t.Fatalf("login = %+v / %+v", p, p.User)
	}
	pr := env.authenticate(t, p.AccessToken)
	// Login opens a new session, distinct from register's.
	if pr2 := env.authenticate(t, reg.AccessToken); pr2.SessionID == pr.SessionID {
		t.Fatalf("login reused the register session %q", pr.SessionID)
	}
	if ss, _ := env.svc.Sessions(context.Background(), pr); len(ss) != 2 {
		t.Fatalf("sessions = %d, want 2", len(ss))
	}
	if l, _, _ := m.snapshot(); l["success"] != 1 {
		t.Errorf("login metrics = %v", l)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	env.register(t, testName, testEmail, testPassword)
	cases := []struct{ name, email, password string }{
		{"wrong password", testEmail, "wrongPassword99"},
		{"wrong password, case", testEmail, strings.ToUpper(testPassword)},
		{"unknown email", "nobody@example.com", testPassword},
		{"unknown email, wrong password", "nobody@example.com", "wrongPassword99"},
		{"short wrong password", testEmail, "x"},
	}
	var first *auth.Error
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.svc.Login(context.Background(), tc.email, tc.password)
			e := wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
			if e.Fields != nil || e.RetryAfter != 0 {
				t.Errorf("error carries extra detail: %+v", e)
			}
			if first == nil {
				first = e
			} else if e.Error() != first.Error() {
				t.Errorf("error %q differs from %q", e.Error(), first.Error())
			}
		})
	}
	t.Run("validation", func(t *testing.T) {
		_, err := env.svc.Login(context.Background(), "", testPassword)
		wantField(t, err, "email")
		_, err = env.svc.Login(context.Background(), testEmail, "")
		wantField(t, err, "password")
	})
}

func TestLoginInactiveUser(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	reg := env.register(t, testName, testEmail, testPassword)
	noErr(t, env.client.User.UpdateOneID(reg.User.ID).SetIsActive(false).Exec(context.Background()))
	_, err := env.svc.Login(context.Background(), testEmail, testPassword)
	wantCode(t, err, auth.CodeForbidden, auth.MsgInactiveUser)
	// The session opened at registration no longer authenticates either.
	_, err = env.svc.Authenticate(context.Background(), reg.AccessToken)
	wantCode(t, err, auth.CodeForbidden, auth.MsgInactiveUser)
	// A wrong password for an inactive user does not reveal that it is inactive.
	_, err = env.svc.Login(context.Background(), testEmail, "wrongPassword99")
	wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
}

// TestLoginPerEmailLimits covers both per-email rules (the short failure
// window and the long lockout): after Limit failures the next attempt is
// refused before the password is looked at.
func TestLoginPerEmailLimits(t *testing.T) {
	t.Parallel()
	const limit = 3
	rules := []struct {
		name   string
		limits auth.Limits
		window time.Duration
	}{
		{"failures", auth.Limits{LoginFailures: auth.Rule{Limit: limit, Window: 15 * time.Minute}}, 15 * time.Minute},
		{"lockout", auth.Limits{Lockout: auth.Rule{Limit: limit, Window: 24 * time.Hour}}, 24 * time.Hour},
	}
	for _, rule := range rules {
		t.Run(rule.name, func(t *testing.T) {
			t.Parallel()
			m := newRecordingMetrics()
			env := newTestService(t, withLimits(rule.limits), withMetrics(m))
			env.register(t, testName, testEmail, testPassword)
			ctx := context.Background()
			for i := range limit {
				// Different case: the counter is per normalized email.
				email := testEmail
				if i == 1 {
					email = strings.ToUpper(testEmail)
				}
				_, err := env.svc.Login(ctx, email, "wrongPassword99")
				wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
			}
			// Now even the right password is refused ...
			_, err := env.svc.Login(ctx, testEmail, testPassword)
			e := wantCode(t, err, auth.CodeRateLimited, "")
			if e.RetryAfter <= 0 || e.RetryAfter > rule.window {
				t.Errorf("RetryAfter = %v, want in (0, %v]", e.RetryAfter, rule.window)
			}
			// ... and before any hashing: with the stored hash made unreadable,
			// a verification would be an INTERNAL_ERROR, yet the answer is 429.
			noErr(t, env.client.User.Update().Where(user.Email(testEmail)).SetPasswordHash("$unknown$format").Exec(ctx))
			_, err = env.svc.Login(ctx, testEmail, testPassword)
			wantCode(t, err, auth.CodeRateLimited, "")
			if _, limited, _ := m.snapshot(); limited["login-fail"]+limited["login-lock"] < 2 {
				t.Errorf("rate-limited metrics = %v", limited)
			}
			// Another email is not affected.
			env.register(t, "Other", "other@example.com", testPassword)
			if _, err := env.svc.Login(ctx, "other@example.com", testPassword); err != nil {
				t.Fatalf("other email: %v", err)
			}
			// After the window the account can be used again.
			hash, _ := env.hasher.Hash(ctx, testPassword)
			noErr(t, env.client.User.Update().Where(user.Email(testEmail)).SetPasswordHash(hash).Exec(ctx))
			env.clock.Advance(rule.window)
			if _, err := env.svc.Login(ctx, testEmail, testPassword); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})
	}

	t.Run("unknown emails are limited too", func(t *testing.T) {
		t.Parallel()
		env := newTestService(t, withLimits(auth.Limits{LoginFailures: auth.Rule{Limit: limit, Window: time.Hour}}))
		for range limit {
			_, err := env.svc.Login(context.Background(), "ghost@example.com", testPassword)
			wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
		}
		_, err := env.svc.Login(context.Background(), "ghost@example.com", testPassword)
		wantCode(t, err, auth.CodeRateLimited, "")
	})
}

func TestLoginSuccessResetsFailures(t *testing.T) {
	t.Parallel()
	const limit = 3
	env := newTestService(t, withLimits(auth.Limits{
		LoginFailures: auth.Rule{Limit: limit, Window: time.Hour},
		Lockout:       auth.Rule{Limit: limit + 1, Window: 24 * time.Hour},
	}))
	env.register(t, testName, testEmail, testPassword)
	ctx := context.Background()
	fail := func(n int) {
		t.Helper()
		for range n {
			_, err := env.svc.Login(ctx, testEmail, "wrongPassword99")
			wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
		}
	}
	// limit-1 failures, a success, limit-1 failures again: without the reset
	// that is 2*(limit-1) = 4 >= both limits, and the next login would be 429.
	fail(limit - 1)
	env.login(t, testEmail, testPassword)
	fail(limit - 1)
	env.login(t, testEmail, testPassword)
}

func TestLoginPerIPLimit(t *testing.T) {
	t.Parallel()
	const limit = 3
	env := newTestService(t, withLimits(auth.Limits{LoginIP: auth.Rule{Limit: limit, Window: time.Minute}}))
	env.register(t, testName, testEmail, testPassword)
	ip := auth.WithClient(context.Background(), auth.Client{IP: "203.0.113.7"})
	// Every attempt counts, successful or not, whatever the email.
	if _, err := env.svc.Login(ip, testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	_, err := env.svc.Login(ip, testEmail, "wrongPassword99")
	wantCode(t, err, auth.CodeUnauthorized, "")
	_, err = env.svc.Login(ip, "ghost@example.com", testPassword)
	wantCode(t, err, auth.CodeUnauthorized, "")
	_, err = env.svc.Login(ip, testEmail, testPassword)
	e := wantCode(t, err, auth.CodeRateLimited, "")
	if e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
		t.Errorf("RetryAfter = %v", e.RetryAfter)
	}
	// Another address is not affected.
	other := auth.WithClient(context.Background(), auth.Client{IP: "203.0.113.8"})
	if _, err := env.svc.Login(other, testEmail, testPassword); err != nil {
		t.Fatalf("other address: %v", err)
	}
	// The next window starts afresh.
	env.clock.Advance(time.Minute)
	if _, err := env.svc.Login(ip, testEmail, testPassword); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestLoginLegacyHashes(t *testing.T) {
	t.Parallel()
	const pw = "legacyPassword42"
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	weakArgon, err := argon2id.CreateHash(pw, &argon2id.Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, hash string }{
		{"bcrypt $2a$", string(bc)},
		{"bcrypt $2b$", "$2b$" + string(bc)[4:]},
		{"argon2id below current parameters", weakArgon},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestService(t)
			ctx := context.Background()
			now := env.clock.Now()
			u, err := env.client.User.Create().SetName("Legacy").SetEmail("legacy@example.com").
				SetPasswordHash(tc.hash).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = env.svc.Login(ctx, "legacy@example.com", "wrongPassword99")
			wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
			if got := env.user(t, "legacy@example.com").PasswordHash; got != tc.hash {
				t.Fatalf("a failed login changed the hash to %q", got)
			}
			p := env.login(t, "legacy@example.com", pw)
			if p.User.ID != u.ID {
				t.Fatalf("logged in as %d, want %d", p.User.ID, u.ID)
			}
			after := env.user(t, "legacy@example.com").PasswordHash
			if !strings.HasPrefix(after, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("hash after login = %q, want a current argon2id hash", after)
			}
			// The new hash verifies.
			env.login(t, "legacy@example.com", pw)
			if again := env.user(t, "legacy@example.com").PasswordHash; again != after {
				t.Errorf("a current hash was rewritten again")
			}
		})
	}
}

func TestLoginBcryptLongPasswordRefused(t *testing.T) {
	t.Parallel()
	env := newTestService(t)
	ctx := context.Background()
	first72 := strings.Repeat("k", 36) + strings.Repeat("9", 36)
	bc, err := bcrypt.GenerateFromPassword([]byte(first72), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := env.clock.Now()
	noErr(t, env.client.User.Create().SetName("Legacy").SetEmail("legacy@example.com").
		SetPasswordHash(string(bc)).SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx))
	// Classic bcrypt implementations ignore bytes past 72 and would accept it.
	long := first72 + "-and-then-some"
	_, err = env.svc.Login(ctx, "legacy@example.com", long)
	wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
	if h := env.user(t, "legacy@example.com").PasswordHash; h != string(bc) {
		t.Fatalf("hash rewritten after a refused login: %q", h)
	}
	// Control: the exact 72-byte password works.
	env.login(t, "legacy@example.com", first72)
}

// TestLoginUnknownEmailCostsAHash: an unknown email is answered only after
// a password hash's worth of work, so response time does not reveal which
// emails are registered. Minimums over several runs are compared, which
// load can only raise, never lower.
func TestLoginUnknownEmailCostsAHash(t *testing.T) {
	t.Parallel()
	env := newTestService(t, withHasherParams(slowParams))
	env.register(t, testName, testEmail, testPassword)
	ctx := context.Background()
	hash, err := env.hasher.Hash(ctx, testPassword)
	noErr(t, err)
	minOf := func(f func()) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	verify := minOf(func() { _, _, _ = env.hasher.Verify(ctx, "wrongPassword99", hash) })
	unknown := minOf(func() {
		_, err := env.svc.Login(ctx, "nobody@example.com", "wrongPassword99")
		wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
	})
	known := minOf(func() {
		_, err := env.svc.Login(ctx, testEmail, "wrongPassword99")
		wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
	})
	t.Logf("one verify %v; login with unknown email %v, with wrong password %v", verify, unknown, known)
	if unknown < verify/2 {
		t.Fatalf("login with an unknown email took %v, less than half a hash verification (%v): no dummy hash", unknown, verify)
	}
}
