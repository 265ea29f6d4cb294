package app_test

import (
	"net/http"
	"testing"
	"time"

	"gqlauth/internal/mail/mailtest"
	"gqlauth/internal/testenv"
)

// TestResetEndsLockoutFromEveryAddress: a password reset ends every login
// lockout of the email, from addresses the reset never saw as well as the
// lockout across addresses, and the counts start afresh after it.
func TestResetEndsLockoutFromEveryAddress(t *testing.T) {
	testenv.InsideWindow(t, testenv.HourWindow, 2*time.Minute)
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, map[string]string{
		"TRUSTED_PROXIES":     "127.0.0.1",
		"LOGIN_FAILURE_LIMIT": "3", "LOGIN_FAILURE_WINDOW_SECONDS": "3600",
		"LOGIN_LOCKOUT_THRESHOLD": "5",
	}))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait) // the verification message
	login := func(password, addr string) *response {
		return s.request(http.MethodPost, "/api/auth/login/json",
			map[string]string{"email": a.Email, "password": password}, "X-Forwarded-For: "+addr)
	}
	const strangerA, strangerB, owner = "203.0.113.1", "2001:db8:1:2::1", "198.51.100.1"
	for i := 0; i < 3; i++ {
		expect(t, login("wrongPassword!", strangerA), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	expect(t, login(a.Password, strangerA), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	for i := 0; i < 2; i++ {
		expect(t, login("wrongPassword!", strangerB), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	// Five failures in all: the email is locked from everywhere.
	r := login(a.Password, owner)
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}

	newPassword := "brandNewSecret42"
	for round := 0; round < 2; round++ {
		r = s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}, "X-Forwarded-For: "+owner)
		expect(t, r, http.StatusOK, "")
		_, token := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")
		r = s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": newPassword}, "X-Forwarded-For: "+owner)
		expect(t, r, http.StatusOK, "")
		// The stranger's address has a fresh budget of three.
		for i := 0; i < 2; i++ {
			expect(t, login("wrongPassword!", strangerA), http.StatusUnauthorized, "UNAUTHORIZED")
		}
		expect(t, login(newPassword, strangerA), http.StatusOK, "")
		expect(t, login(newPassword, strangerB), http.StatusOK, "")
		for i := 0; i < 3; i++ {
			expect(t, login("wrongPassword!", strangerA), http.StatusUnauthorized, "UNAUTHORIZED")
		}
		expect(t, login(newPassword, strangerA), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		expect(t, login(newPassword, owner), http.StatusOK, "")
		newPassword = "evenNewerSecret7"
	}
}

// TestResetPasswordAttemptsAreLimited: every reset attempt that gets as far
// as a hash counts per user and per client address as a password change
// does. A new password equal to the current one costs a hash and leaves the
// token usable, so it can be looped; the loop gets 429 with Retry-After over
// REST and GraphQL.
func TestResetPasswordAttemptsAreLimited(t *testing.T) {
	testenv.InsideWindow(t, testenv.HourWindow, 2*time.Minute)
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, map[string]string{
		"PASSWORD_USER_LIMIT": "3", "PASSWORD_USER_WINDOW_SECONDS": "3600",
	}))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait)
	expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}), http.StatusOK, "")
	_, token := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")
	for i := 0; i < 2; i++ {
		r := s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": a.Password})
		expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	}
	reset := `mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, newPassword: $p}) }`
	g := s.gql(reset, map[string]any{"t": token, "p": a.Password})
	if c := gqlCode(g); c != "VALIDATION_ERROR" {
		t.Fatalf("third attempt over GraphQL: %s", g.Raw)
	}
	r := s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": "brandNewSecret42"})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After over REST")
	}
	g = s.gql(reset, map[string]any{"t": token, "p": "brandNewSecret42"})
	if c := gqlCode(g); c != "RATE_LIMIT_EXCEEDED" || g.Header.Get("Retry-After") == "" {
		t.Fatalf("over GraphQL: code %q, Retry-After %q: %s", c, g.Header.Get("Retry-After"), g.Raw)
	}
}
