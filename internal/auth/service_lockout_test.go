package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/password"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/testenv"
)

// from is a context whose caller is at ip.
func from(ip string) context.Context {
	return auth.WithClient(context.Background(), auth.Client{IP: ip})
}

func TestAddrKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"", ""},
		{"pipe", "pipe"},
	} {
		if got := auth.AddrKey(tc.in); got != tc.want {
			t.Errorf("AddrKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestStrangerCannotLockOwnerOut: failures count per email and client
// address, so a stranger's wrong guesses lock the stranger's address only;
// the owner's right password from another address logs in, and does not
// unlock the stranger. IPv6 addresses count by /64, IPv4-mapped ones as IPv4.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	t.Parallel()
	const limit = 5
	for _, tc := range []struct {
		name            string
		stranger, owner string
		sameBudget      bool
	}{
		{"IPv4", "203.0.113.7", "198.51.100.9", false},
		{"IPv6 other /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"IPv4 mapped vs other IPv4", "::ffff:203.0.113.7", "203.0.113.8", false},
		{"IPv6 same /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", true},
		{"IPv4 mapped vs plain", "::ffff:203.0.113.7", "203.0.113.7", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestService(t, withLimits(auth.Limits{
				LoginFailures: auth.Rule{Limit: limit, Window: 15 * time.Minute},
				Lockout:       auth.Rule{Limit: 100, Window: 24 * time.Hour},
			}))
			env.register(t, testName, testEmail, testPassword)
			for range limit {
				_, err := env.svc.Login(from(tc.stranger), testEmail, "wrongPassword99")
				wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
			}
			_, err := env.svc.Login(from(tc.stranger), testEmail, testPassword)
			e := wantCode(t, err, auth.CodeRateLimited, "")
			if e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute {
				t.Errorf("RetryAfter = %v, want in (0, 15m]", e.RetryAfter)
			}
			_, err = env.svc.Login(from(tc.owner), testEmail, testPassword)
			if tc.sameBudget {
				wantCode(t, err, auth.CodeRateLimited, "")
				return
			}
			if err != nil {
				t.Fatalf("the owner's right password from %s after a stranger's %d failures from %s: %v", tc.owner, limit, tc.stranger, err)
			}
			_, err = env.svc.Login(from(tc.stranger), testEmail, testPassword)
			wantCode(t, err, auth.CodeRateLimited, "")
		})
	}
}

// TestLockoutAcrossAddresses: failures spread over addresses still lock the
// email once they reach the higher per-email threshold, from any address.
func TestLockoutAcrossAddresses(t *testing.T) {
	t.Parallel()
	env := newTestService(t, withLimits(auth.Limits{
		LoginFailures: auth.Rule{Limit: 3, Window: 15 * time.Minute},
		Lockout:       auth.Rule{Limit: 6, Window: 24 * time.Hour},
	}))
	env.register(t, testName, testEmail, testPassword)
	for i := range 6 {
		_, err := env.svc.Login(from([]string{"203.0.113.1", "203.0.113.2", "2001:db8::1"}[i%3]), testEmail, "wrongPassword99")
		wantCode(t, err, auth.CodeUnauthorized, auth.MsgIncorrectLogin)
	}
	_, err := env.svc.Login(from("198.51.100.1"), testEmail, testPassword)
	e := wantCode(t, err, auth.CodeRateLimited, "")
	if e.RetryAfter <= 15*time.Minute || e.RetryAfter > 24*time.Hour {
		t.Errorf("RetryAfter = %v, want the lockout window's (up to 24h)", e.RetryAfter)
	}
	// A refused attempt counts nowhere: the fresh address did not spend
	// its own budget while the email was locked.
	env.clock.Advance(24 * time.Hour)
	for range 2 {
		_, err := env.svc.Login(from("198.51.100.1"), testEmail, "wrongPassword99")
		wantCode(t, err, auth.CodeUnauthorized, "")
	}
	if _, err := env.svc.Login(from("198.51.100.1"), testEmail, testPassword); err != nil {
		t.Fatalf("after the lockout window: %v", err)
	}
}

// busyHasher refuses every hash for capacity while busy is set.
type busyHasher struct {
	*password.Hasher
	busy atomic.Bool
}

func (h *busyHasher) Saturated() bool { return h.busy.Load() || h.Hasher.Saturated() }

func (h *busyHasher) Hash(ctx context.Context, pw string) (string, error) {
	if h.busy.Load() {
		return "", password.ErrBusy
	}
	return h.Hasher.Hash(ctx, pw)
}

func (h *busyHasher) Verify(ctx context.Context, pw, encoded string) (bool, bool, error) {
	if h.busy.Load() {
		return false, false, password.ErrBusy
	}
	return h.Hasher.Verify(ctx, pw, encoded)
}

// TestCapacityRefusalsAreNotCounted: an attempt refused for hashing
// capacity (503) never counts as a failure, for login or changePassword.
func TestCapacityRefusalsAreNotCounted(t *testing.T) {
	t.Parallel()
	h := &busyHasher{Hasher: mustHasher(cheapParams)}
	env := newTestService(t, withLimits(auth.Limits{
		LoginFailures: auth.Rule{Limit: 2, Window: 15 * time.Minute},
		Lockout:       auth.Rule{Limit: 2, Window: 24 * time.Hour},
		PasswordCheck: auth.Rule{Limit: 2, Window: 15 * time.Minute},
		PasswordIP:    auth.Rule{Limit: 2, Window: 15 * time.Minute},
		PasswordUser:  auth.Rule{Limit: 2, Window: 15 * time.Minute},
	}), func(o *auth.Options) { o.Hasher = h })
	pair := env.register(t, testName, testEmail, testPassword)
	pr := env.authenticate(t, pair.AccessToken)
	ctx := from("203.0.113.7")

	h.busy.Store(true)
	for i := range 6 {
		_, err := env.svc.Login(ctx, testEmail, testPassword)
		wantCode(t, err, auth.CodeServiceUnavailable, "")
		_, err = env.svc.Login(ctx, testEmail, "wrongPassword99")
		wantCode(t, err, auth.CodeServiceUnavailable, "")
		err = env.svc.ChangePassword(ctx, pr, testPassword, "anotherSecret"+string(rune('a'+i)))
		wantCode(t, err, auth.CodeServiceUnavailable, "")
	}
	h.busy.Store(false)
	if _, err := env.svc.Login(ctx, testEmail, testPassword); err != nil {
		t.Fatalf("right password after 12 capacity refusals: %v", err)
	}
	noErr(t, env.svc.ChangePassword(ctx, pr, testPassword, "anotherSecret1"))
}

// TestChangePasswordIsLimited: every changePassword attempt costs hashes,
// so attempts count per user and per client address, right ones too.
func TestChangePasswordIsLimited(t *testing.T) {
	t.Parallel()
	env := newTestService(t, withLimits(auth.Limits{
		PasswordIP:   auth.Rule{Limit: 4, Window: 15 * time.Minute},
		PasswordUser: auth.Rule{Limit: 3, Window: 15 * time.Minute},
	}))
	a := env.authenticate(t, env.register(t, testName, testEmail, testPassword).AccessToken)
	b := env.authenticate(t, env.register(t, "Other", "other@example.com", testPassword).AccessToken)
	ctx := from("2001:db8:7:7::1")
	pw := []string{testPassword, "anotherSecret1"}
	for i := range 3 {
		noErr(t, env.svc.ChangePassword(ctx, a, pw[i%2], pw[(i+1)%2]))
	}
	err := env.svc.ChangePassword(ctx, a, pw[1], pw[0])
	e := wantCode(t, err, auth.CodeRateLimited, "")
	if e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute {
		t.Errorf("RetryAfter = %v", e.RetryAfter)
	}
	// Same user from another address: the per-user count holds.
	wantCode(t, env.svc.ChangePassword(from("203.0.113.9"), a, pw[1], pw[0]), auth.CodeRateLimited, "")
	// Another user from the same /64: one attempt left of the address's 4
	// (the refusals above counted nowhere).
	other := from("2001:db8:7:7:1::2")
	noErr(t, env.svc.ChangePassword(other, b, testPassword, "anotherSecret1"))
	wantCode(t, env.svc.ChangePassword(other, b, "anotherSecret1", testPassword), auth.CodeRateLimited, "")
	// Another address is not affected.
	noErr(t, env.svc.ChangePassword(from("203.0.113.9"), b, "anotherSecret1", testPassword))
	// The window ends.
	env.clock.Advance(15 * time.Minute)
	noErr(t, env.svc.ChangePassword(ctx, a, pw[1], pw[0]))
}

// TestResetPasswordIsLimited: a reset whose new password is the current one
// costs a hash and leaves the token usable; such attempts count per user
// and per address like a password change.
func TestResetPasswordIsLimited(t *testing.T) {
	ctx := from("203.0.113.7")
	e := newRecoveryEnv(t, func(o *auth.Options) {
		o.Limiter = ratelimit.NewStore(o.Client, o.Now) // the fake clock: no window edge mid-test
		o.Limits.PasswordUser = auth.Rule{Limit: 2, Window: time.Hour}
		o.Limits.PasswordIP = auth.Rule{Limit: 100, Window: time.Hour}
	})
	noErr(t, e.svc.ForgotPassword(ctx, testenv.UserEmail))
	tok := e.lastToken(t, testenv.UserEmail, auth.MailReset)
	for range 2 {
		wantField(t, e.svc.ResetPassword(ctx, tok, testenv.UserPassword), "newPassword")
	}
	wantCode(t, e.svc.ResetPassword(ctx, tok, testenv.UserPassword), auth.CodeRateLimited, "")
	wantCode(t, e.svc.ResetPassword(from("198.51.100.1"), tok, "brandNewSecret42"), auth.CodeRateLimited, "")
}

// TestResetPasswordEndsLockoutEverywhere: a reset ends the lockout of the
// email from every address (those it never saw included) and the lockout
// across addresses; the counts start afresh after it.
func TestResetPasswordEndsLockoutEverywhere(t *testing.T) {
	e := newRecoveryEnv(t, func(o *auth.Options) {
		o.Limiter = ratelimit.NewStore(o.Client, o.Now) // the fake clock: no window edge mid-test
		o.Limits.LoginFailures = auth.Rule{Limit: 3, Window: time.Hour}
		o.Limits.Lockout = auth.Rule{Limit: 5, Window: 24 * time.Hour}
	})
	a, b, c := from("203.0.113.1"), from("2001:db8:1:2::1"), from("198.51.100.1")
	fail := func(ctx context.Context, n int) {
		t.Helper()
		for range n {
			_, err := e.svc.Login(ctx, testenv.UserEmail, "wrongPassword!")
			wantCode(t, err, auth.CodeUnauthorized, "")
		}
	}
	fail(a, 3)
	fail(b, 2)
	for _, ctx := range []context.Context{a, b, c} {
		_, err := e.svc.Login(ctx, testenv.UserEmail, testenv.UserPassword)
		wantCode(t, err, auth.CodeRateLimited, "")
	}
	newPassword := "brandNewSecret42"
	for round := range 2 {
		noErr(t, e.svc.ForgotPassword(c, testenv.UserEmail))
		noErr(t, e.svc.ResetPassword(c, e.lastToken(t, testenv.UserEmail, auth.MailReset), newPassword))
		// Address a is unlocked without ever logging in from it: it has a
		// fresh budget of 3, and the email a fresh budget of 5.
		fail(a, 2)
		if _, err := e.svc.Login(a, testenv.UserEmail, newPassword); err != nil {
			t.Fatalf("round %d: login from a formerly locked address after the reset: %v", round, err)
		}
		fail(a, 3)
		_, err := e.svc.Login(a, testenv.UserEmail, newPassword)
		wantCode(t, err, auth.CodeRateLimited, "")
		newPassword = "evenNewerSecret7"
	}
}
