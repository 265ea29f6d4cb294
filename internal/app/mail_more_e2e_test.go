package app_test

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/mail/mailtest"
)

func TestEmailFlowsOverGraphQL(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	_, verify1 := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")

	r := s.gql(`mutation { resendVerification }`, nil, bearer(a.Access))
	if r.Get("data.resendVerification") != true {
		t.Fatalf("resendVerification: %s", r.Raw)
	}
	_, verify2 := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")
	r = s.gql(`mutation($t: String!) { verifyEmail(token: $t) }`, map[string]any{"t": verify1}, nil...)
	if gqlCode(r) != "BAD_REQUEST" || r.Str("errors.0.message") != "Invalid or expired token" {
		t.Fatalf("older token: %s", r.Raw)
	}
	r = s.gql(`mutation($t: String!) { verifyEmail(token: $t) }`, map[string]any{"t": verify2})
	if r.Get("data.verifyEmail") != true {
		t.Fatalf("verifyEmail: %s", r.Raw)
	}
	r = s.gql(`mutation { resendVerification }`, nil)
	if gqlCode(r) != "UNAUTHORIZED" {
		t.Fatalf("resendVerification without a token: %s", r.Raw)
	}

	r = s.gql(`mutation($e: String!) { forgotPassword(email: $e) }`, map[string]any{"e": a.Email})
	if r.Get("data.forgotPassword") != true {
		t.Fatalf("forgotPassword: %s", r.Raw)
	}
	r = s.gql(`mutation($e: String!) { forgotPassword(email: $e) }`, map[string]any{"e": newEmail()})
	if r.Get("data.forgotPassword") != true {
		t.Fatalf("forgotPassword unknown: %s", r.Raw)
	}
	r = s.gql(`mutation { forgotPassword(email: "nope") }`, nil)
	if gqlCode(r) != "VALIDATION_ERROR" || r.Get("errors.0.extensions.fields.email") == nil {
		t.Fatalf("forgotPassword malformed: %s", r.Raw)
	}
	_, reset := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")
	const q = `mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, newPassword: $p}) }`
	r = s.gql(q, map[string]any{"t": reset, "p": "password"})
	if gqlCode(r) != "VALIDATION_ERROR" || r.Get("errors.0.extensions.fields.newPassword") == nil {
		t.Fatalf("resetPassword weak: %s", r.Raw)
	}
	r = s.gql(q, map[string]any{"t": reset, "p": "brandNewSecret42"})
	if r.Get("data.resetPassword") != true {
		t.Fatalf("resetPassword: %s", r.Raw)
	}
	r = s.gql(q, map[string]any{"t": reset, "p": "brandNewSecret43"})
	if gqlCode(r) != "BAD_REQUEST" {
		t.Fatalf("resetPassword reuse: %s", r.Raw)
	}
	if s.meStatus(a.Access) != http.StatusUnauthorized {
		t.Fatal("session survived the reset")
	}
}

func TestRequireEmailVerification(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, map[string]string{"REQUIRE_EMAIL_VERIFICATION": "true"}))
	a := s.register(t)
	_, old := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")
	auth := bearer(a.Access)

	notVerified := func(what string, r *response, graphql bool) {
		t.Helper()
		if graphql {
			if gqlCode(r) != "FORBIDDEN" || r.Str("errors.0.message") != "Email not verified" {
				t.Fatalf("%s: %s", what, r.Raw)
			}
			return
		}
		expect(t, r, http.StatusForbidden, "FORBIDDEN")
		if r.Str("error.message") != "Email not verified" {
			t.Fatalf("%s: message %q", what, r.Str("error.message"))
		}
	}
	// Allowed while unverified.
	expect(t, s.request(http.MethodGet, "/api/auth/me", nil, auth), http.StatusOK, "")
	if r := s.gql(`{ me { emailVerified } }`, nil, auth); r.Get("data.me.emailVerified") != false {
		t.Fatalf("me: %s", r.Raw)
	}
	if r := s.gql(`mutation { resendVerification }`, nil, auth); r.Get("data.resendVerification") != true {
		t.Fatalf("resendVerification: %s", r.Raw)
	}
	_, token := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")
	expect(t, s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": old}), http.StatusBadRequest, "BAD_REQUEST")
	// Refused while unverified.
	notVerified("sessions", s.gql(`{ sessions { id } }`, nil, auth), true)
	notVerified("changePassword", s.gql(`mutation { changePassword(input: {currentPassword: "securePassword123", newPassword: "brandNewSecret42"}) }`, nil, auth), true)
	notVerified("revokeSession", s.gql(`mutation { revokeSession(id: "x") }`, nil, auth), true)
	notVerified("change-password", s.request(http.MethodPost, "/api/auth/change-password",
		map[string]string{"current_password": a.Password, "new_password": "brandNewSecret42"}, auth), false)
	// Login still works.
	s.login(t, a)

	expect(t, s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token}), http.StatusOK, "")
	if r := s.gql(`{ sessions { id } }`, nil, auth); r.Get("errors") != nil {
		t.Fatalf("sessions after verification: %s", r.Raw)
	}
	expect(t, s.request(http.MethodPost, "/api/auth/change-password",
		map[string]string{"current_password": a.Password, "new_password": "brandNewSecret42"}, auth), http.StatusOK, "")

	// Logout is allowed unverified too.
	b := s.register(t)
	expect(t, s.request(http.MethodPost, "/api/auth/logout", nil, bearer(b.Access)), http.StatusOK, "")
}

func TestMailSurvivesSMTPOutage(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait)
	// Let the SMTP conversation end (250 to DATA, QUIT): a server that
	// vanishes before it confirms a message gets it again, as SMTP goes.
	time.Sleep(time.Second)

	smtp.Stop()
	start := time.Now()
	r := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email})
	expect(t, r, http.StatusOK, "")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("forgot-password waited %v for SMTP", d)
	}
	time.Sleep(2500 * time.Millisecond) // a few failed attempts
	smtp.Restart()
	m := smtp.WaitFor(t, a.Email, mailWait)
	_, token := linkOf(t, s, m, "/reset-password")
	expect(t, s.request(http.MethodPost, "/api/auth/reset-password",
		map[string]string{"token": token, "new_password": "brandNewSecret42"}), http.StatusOK, "")
	// Sent once.
	smtp.None(t, a.Email, 3*time.Second)
}

func TestForgotPasswordRateLimits(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, map[string]string{"MAIL_EMAIL_LIMIT": "3", "MAIL_IP_LIMIT": "8"}))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait)
	unknown := newEmail()
	for _, email := range []string{a.Email, unknown} {
		for i := 1; i <= 3; i++ {
			expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": email}), http.StatusOK, "")
		}
		r := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": email})
		expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
	}
	// Three messages of one kind did go out: a user may ask again at once.
	for i := 0; i < 3; i++ {
		smtp.WaitFor(t, a.Email, mailWait)
	}
	// The per-address limit (8) is now reached for any email.
	r := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": newEmail()})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
}

func TestResetPasswordRateLimitPerAddress(t *testing.T) {
	s := startServer(t, map[string]string{"EMAIL_TOKEN_IP_LIMIT": "5"})
	for i := 0; i < 5; i++ {
		r := s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": strings.Repeat("A", 43), "new_password": "brandNewSecret42"})
		expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	}
	r := s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": strings.Repeat("B", 43), "new_password": "brandNewSecret42"})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	r = s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": strings.Repeat("B", 43)})
	expect(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
}

func TestDevelopmentModeLogsMessages(t *testing.T) {
	s := startServer(t, map[string]string{"LOG_LEVEL": "info"})
	if !strings.Contains(s.stderr.String(), "SMTP_URL is not set") {
		t.Fatalf("no development-mode warning at start:\n%s", s.stderr.String())
	}
	a := s.register(t)
	deadline := time.Now().Add(mailWait)
	for {
		log := s.stderr.String()
		if i := strings.Index(log, "/verify-email?token="); i >= 0 && strings.Contains(log, a.Email) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the verification link was not logged:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := strings.Count(s.stderr.String(), "SMTP_URL is not set"); n != 1 {
		t.Fatalf("warning logged %d times", n)
	}
}

// TestForgotPasswordTiming: registered and unknown emails are answered in
// the same time (medians over interleaved requests).
func TestForgotPasswordTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, map[string]string{"MAIL_EMAIL_LIMIT": "0", "MAIL_IP_LIMIT": "0"}))
	a := s.register(t)
	const n = 60
	var known, unknown []time.Duration
	for i := 0; i < n; i++ {
		for _, email := range []string{a.Email, newEmail()} {
			start := time.Now()
			r := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": email})
			d := time.Since(start)
			expect(t, r, http.StatusOK, "")
			if email == a.Email {
				known = append(known, d)
			} else {
				unknown = append(unknown, d)
			}
		}
	}
	mk, mu := median(known), median(unknown)
	t.Logf("forgot-password median: registered %v, unknown %v (n=%d each)", mk, mu, n)
	diff := mk - mu
	if diff < 0 {
		diff = -diff
	}
	if diff > time.Millisecond && float64(diff) > 0.25*float64(min(mk, mu)) {
		t.Fatalf("medians differ: registered %v, unknown %v", mk, mu)
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestTwoInstancesSendEachMessageOnce: two servers on one database (one
// PostgreSQL schema under TEST_DATABASE_URL, else one SQLite file) and one
// SMTP server; every message goes out exactly once.
func TestTwoInstancesSendEachMessageOnce(t *testing.T) {
	smtp := mailtest.Start(t)
	a := startServer(t, mailEnv(smtp, nil))
	b := startServer(t, mailEnv(smtp, map[string]string{"DATABASE_URL": a.env["DATABASE_URL"]}))
	const n = 12
	want := map[string]int{}
	for i := 0; i < n; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		acc := s.register(t)
		want[acc.Email] += 1 // verification
		expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": acc.Email}), http.StatusOK, "")
		want[acc.Email] += 1 // reset
	}
	got := map[string]int{}
	for i := 0; i < 2*n; i++ {
		m, err := smtp.Next(mailWait)
		if err != nil {
			t.Fatalf("after %d messages: %v", i, err)
		}
		got[m.To[0]]++
	}
	if m, err := smtp.Next(3 * time.Second); err == nil {
		t.Fatalf("a message went out twice: to %v, %s", m.To, m.Subject)
	}
	for e, c := range want {
		if got[e] != c {
			t.Errorf("%s got %d messages, want %d", e, got[e], c)
		}
	}
}

// TestMailMetrics: the outbox figures are exported.
func TestMailMetrics(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, map[string]string{"METRICS_TOKEN": metricsToken}))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait)
	// The server has the message before the sender has the server's final
	// answer: stopping now could fail the send that delivered it.
	for deadline := time.Now().Add(mailWait); ; time.Sleep(50 * time.Millisecond) {
		body := string(s.request(http.MethodGet, "/metrics", nil, bearer(metricsToken)).Raw)
		if strings.Contains(body, `gqlauth_mail_sent_total{kind="verify"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the verification message was never counted as sent:\n%s", grepLines(body, "mail"))
		}
	}
	smtp.Stop()
	expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}), http.StatusOK, "")
	want := []string{
		`gqlauth_mail_sent_total{kind="verify"} 1`,
		`gqlauth_mail_failed_total{kind="reset"}`,
		`gqlauth_mail_queued 1`,
		`gqlauth_mail_oldest_unsent_age_seconds`,
	}
	deadline := time.Now().Add(mailWait)
	for {
		body := string(s.request(http.MethodGet, "/metrics", nil, bearer(metricsToken)).Raw)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q:\n%s", missing, grepLines(body, "mail"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
