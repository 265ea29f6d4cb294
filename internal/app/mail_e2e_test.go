package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/mail/mailtest"
)

// mailEnv is the configuration of a server that sends through smtp.
func mailEnv(smtp *mailtest.Server, extra map[string]string) map[string]string {
	env := map[string]string{
		"SMTP_URL":                smtp.URL(),
		"MAIL_FROM":               "gqlauth tests <no-reply@example.com>",
		"MAIL_RETRY_BASE_SECONDS": "1",
		"MAIL_RETRY_MAX_SECONDS":  "1",
		"MAIL_POLL_SECONDS":       "1",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

const mailWait = 20 * time.Second

// linkOf returns the token link of m, failing unless it points at want
// (a page of the server, by default).
func linkOf(t *testing.T, s *server, m *mailtest.Message, page string) (link, token string) {
	t.Helper()
	link, path, token := m.Link()
	if token == "" {
		t.Fatalf("no token link on one line of the text part:\n%s", m.Text)
	}
	if path != page {
		t.Fatalf("link %s opens %s, want %s", link, path, page)
	}
	if !strings.HasPrefix(link, s.URL+page+"?token=") {
		t.Fatalf("link %s does not point at the server (%s) by default", link, s.URL)
	}
	if m.HTML == "" || !strings.Contains(m.HTML, token) {
		t.Fatalf("no HTML alternative with the link:\n%s", m.Raw)
	}
	return link, token
}

func TestRegisterSendsVerificationThatVerifies(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	me := s.request(http.MethodGet, "/api/auth/me", nil, bearer(a.Access))
	expect(t, me, http.StatusOK, "")
	if v, ok := me.Get("email_verified").(bool); !ok || v {
		t.Fatalf("email_verified after register = %v, want false: %s", me.Get("email_verified"), me.Raw)
	}
	m := smtp.WaitFor(t, a.Email, mailWait)
	if !strings.Contains(m.Subject, "Verify") {
		t.Errorf("subject %q", m.Subject)
	}
	link, token := linkOf(t, s, m, "/verify-email")

	// The link opens the server's own page.
	u, _ := url.Parse(link)
	page := s.request(http.MethodGet, u.RequestURI(), nil)
	if page.Status != http.StatusOK || !strings.Contains(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", u.RequestURI(), page.Status, page.Header.Get("Content-Type"))
	}

	r := s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token})
	expect(t, r, http.StatusOK, "")
	if r.Get("success") != true || r.Str("message") == "" {
		t.Fatalf("verify-email body %s", r.Raw)
	}
	me = s.request(http.MethodGet, "/api/auth/me", nil, bearer(a.Access))
	if me.Get("email_verified") != true {
		t.Fatalf("email_verified after verify = %v: %s", me.Get("email_verified"), me.Raw)
	}
	g := s.gql(`{ me { emailVerified } }`, nil, bearer(a.Access))
	if g.Get("data.me.emailVerified") != true {
		t.Fatalf("GraphQL emailVerified: %s", g.Raw)
	}
	// Single use.
	r = s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token})
	expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	if r.Str("error.message") != "Invalid or expired token" {
		t.Fatalf("message %q", r.Str("error.message"))
	}
	// Already verified: resend answers 200 and sends nothing.
	r = s.request(http.MethodPost, "/api/auth/resend-verification", nil, bearer(a.Access))
	expect(t, r, http.StatusOK, "")
	smtp.None(t, a.Email, 2*time.Second)
}

func TestPasswordResetEndToEnd(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait) // the verification message
	access2, refresh2 := s.login(t, a)

	r := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": strings.ToUpper(a.Email)})
	expect(t, r, http.StatusOK, "")
	if r.Get("success") != true {
		t.Fatalf("forgot-password body %s", r.Raw)
	}
	m := smtp.WaitFor(t, a.Email, mailWait)
	_, token := linkOf(t, s, m, "/reset-password")

	// The policy applies, under new_password, and the token survives it.
	for _, bad := range []string{"short", "password", a.Password, a.Email} {
		r = s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": bad})
		expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
		if r.Get("error.details.new_password") == nil {
			t.Fatalf("%q: no details.new_password: %s", bad, r.Raw)
		}
	}
	r = s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": "brandNewSecret42"})
	expect(t, r, http.StatusOK, "")

	// Old password refused, new one works.
	r = s.request(http.MethodPost, "/api/auth/login/json", map[string]string{"email": a.Email, "password": a.Password})
	expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
	a.Password = "brandNewSecret42"
	access3, _ := s.login(t, a)
	// Every old session is signed out.
	for i, tok := range []string{a.Access, access2} {
		if st := s.meStatus(tok); st != http.StatusUnauthorized {
			t.Errorf("old access token %d: /me %d, want 401", i, st)
		}
	}
	for i, rt := range []string{a.Refresh, refresh2} {
		r = s.request(http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": rt})
		expect(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
		_ = i
	}
	// The reset proved the mailbox.
	me := s.request(http.MethodGet, "/api/auth/me", nil, bearer(access3))
	if me.Get("email_verified") != true {
		t.Fatalf("email_verified after reset = %v", me.Get("email_verified"))
	}
	// Single use.
	r = s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": "anotherSecret99"})
	expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
	if r.Str("error.message") != "Invalid or expired token" {
		t.Fatalf("message %q", r.Str("error.message"))
	}
}

func TestForgotPasswordUnknownEmailSendsNothing(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait)
	known := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email})
	unknown := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": newEmail()})
	expect(t, known, http.StatusOK, "")
	expect(t, unknown, http.StatusOK, "")
	if string(known.Raw) != string(unknown.Raw) {
		t.Fatalf("bodies differ:\n%s\n%s", known.Raw, unknown.Raw)
	}
	smtp.WaitFor(t, a.Email, mailWait)
	if m, err := smtp.Next(2 * time.Second); err == nil {
		t.Fatalf("a message for an unknown email went out: to %v", m.To)
	}
	// Malformed emails are refused.
	for _, bad := range []string{"", "not-an-email", "John <john@example.com>"} {
		r := s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": bad})
		expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
		if r.Get("error.details.email") == nil {
			t.Fatalf("%q: no details.email: %s", bad, r.Raw)
		}
	}
}

// TestEmailTokenRules: guessed, older and outdated tokens are refused.
func TestEmailTokenRules(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	a := s.register(t)
	_, verify1 := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")

	bad := func(path string, body map[string]string) {
		t.Helper()
		r := s.request(http.MethodPost, path, body)
		expect(t, r, http.StatusBadRequest, "BAD_REQUEST")
		if r.Str("error.message") != "Invalid or expired token" {
			t.Fatalf("%s: message %q", path, r.Str("error.message"))
		}
	}
	// Guessing: made-up tokens of the right and the wrong shape.
	for _, guess := range []string{strings.Repeat("A", 43), "x", strings.Repeat("-", 43), "../../etc", verify1[:42]} {
		bad("/api/auth/verify-email", map[string]string{"token": guess})
		bad("/api/auth/reset-password", map[string]string{"token": guess, "new_password": "brandNewSecret42"})
	}
	// Input bad on its face is a 422 whatever the token.
	r := s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": strings.Repeat("A", 43), "new_password": "short"})
	expect(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if r.Get("error.details.new_password") == nil {
		t.Fatalf("no details.new_password: %s", r.Raw)
	}
	expect(t, s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"new_password": "brandNewSecret42"}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	expect(t, s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{}), http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	// A verification token is not a reset token, and the other way round.
	bad("/api/auth/reset-password", map[string]string{"token": verify1, "new_password": "brandNewSecret42"})

	// Resend: the older verification token stops working.
	r = s.request(http.MethodPost, "/api/auth/resend-verification", nil, bearer(a.Access))
	expect(t, r, http.StatusOK, "")
	_, verify2 := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/verify-email")
	bad("/api/auth/verify-email", map[string]string{"token": verify1})

	// Two reset requests: only the newer token works.
	for range 2 {
		expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}), http.StatusOK, "")
	}
	_, reset1 := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")
	_, reset2 := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")
	bad("/api/auth/reset-password", map[string]string{"token": reset1, "new_password": "brandNewSecret42"})
	bad("/api/auth/verify-email", map[string]string{"token": reset2})

	// A password change makes the outstanding reset token invalid.
	r = s.request(http.MethodPost, "/api/auth/change-password",
		map[string]string{"current_password": a.Password, "new_password": "changedSecret77"}, bearer(a.Access))
	expect(t, r, http.StatusOK, "")
	bad("/api/auth/reset-password", map[string]string{"token": reset2, "new_password": "brandNewSecret42"})

	// The newest verification token still works.
	expect(t, s.request(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": verify2}), http.StatusOK, "")
}

func TestResetTokenOfInactiveUserIsForbidden(t *testing.T) {
	smtp := mailtest.Start(t)
	s := startServer(t, mailEnv(smtp, nil))
	admin := s.admin(t)
	a := s.register(t)
	smtp.WaitFor(t, a.Email, mailWait)
	expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}), http.StatusOK, "")
	_, token := linkOf(t, s, smtp.WaitFor(t, a.Email, mailWait), "/reset-password")
	g := s.gql(`mutation($id: ID!) { setUserActive(id: $id, active: false) { id } }`,
		map[string]any{"id": jsonID(a.ID)}, bearer(admin.Access))
	if g.Get("errors") != nil {
		t.Fatalf("deactivate: %s", g.Raw)
	}
	r := s.request(http.MethodPost, "/api/auth/reset-password", map[string]string{"token": token, "new_password": "brandNewSecret42"})
	expect(t, r, http.StatusForbidden, "FORBIDDEN")
	if r.Str("error.message") != "Inactive user" {
		t.Fatalf("message %q", r.Str("error.message"))
	}
	// An inactive user is sent nothing, with the usual answer.
	expect(t, s.request(http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email}), http.StatusOK, "")
	smtp.None(t, a.Email, 2*time.Second)
}

// admin creates an ADMIN through the create-admin command and logs it in.
func (s *server) admin(t *testing.T) *account {
	t.Helper()
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	env["ADMIN_PASSWORD"] = "adminPassword123"
	a := &account{Email: newEmail(), Password: "adminPassword123"}
	if code, out, errOut := runCommand(env, "", "create-admin", "--email", a.Email, "--name", "Root"); code != 0 {
		t.Fatalf("create-admin: %d %s %s", code, out, errOut)
	}
	a.Access, a.Refresh = s.login(t, a)
	return a
}

func jsonID(id float64) string { return strconv.Itoa(int(id)) }
