package attacktest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/mail/mailtest"
)

// TestMailSurvivesKill9 promises: a message is stored before the answer,
// so kill -9 after the answer and before the send (SMTP is down) does not
// lose it: the restarted server sends it, and its link works.
func TestMailSurvivesKill9(t *testing.T) {
	smtp := mailtest.Start(t)
	smtp.Stop()
	db := newDB(t, false)
	env := map[string]string{
		"DATABASE_URL":              db.URL,
		"SMTP_URL":                  smtp.URL(),
		"MAIL_RETRY_BASE_SECONDS":   "1",
		"MAIL_RETRY_MAX_SECONDS":    "1",
		"MAIL_POLL_SECONDS":         "1",
		"MAIL_SEND_TIMEOUT_SECONDS": "2",
	}
	first := startChild(t, env)
	a := first.register(t)
	r := first.must(t, http.MethodPost, "/api/auth/forgot-password", map[string]string{"email": a.Email})
	expect(t, r, http.StatusOK, "")
	first.kill()

	smtp.Restart()
	second := startChild(t, env)
	var reset string
	for reset == "" {
		m, err := smtp.Next(45 * time.Second)
		if err != nil {
			t.Fatalf("the stored messages were not sent after the restart: %v\n%s", err, tail(second.logs(), 2000))
		}
		if _, path, tok := m.Link(); path == "/reset-password" {
			reset = tok
			if !strings.HasPrefix(m.To[0], a.Email) {
				t.Fatalf("reset mail to %v", m.To)
			}
		}
	}
	r = second.must(t, http.MethodPost, "/api/auth/reset-password", map[string]string{"token": reset, "new_password": "brandNewSecret42"})
	expect(t, r, http.StatusOK, "")
}
