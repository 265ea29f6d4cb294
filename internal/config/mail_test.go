package config_test

import (
	"strings"
	"testing"
	"time"

	"gqlauth/internal/config"
)

func TestMailSettings(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Mail
	if m.SMTPURL != "" || m.From != "gqlauth <no-reply@localhost>" || m.AppURL != "" || m.RequireVerified ||
		m.ResetTTL != 30*time.Minute || m.VerifyTTL != 24*time.Hour || m.EmailLimit < 3 {
		t.Fatalf("defaults: %+v", m)
	}
	c, err = config.Load(env(map[string]string{
		"SMTP_URL": "smtps://u%40x:p%3Aw@mail.example.com", "APP_URL": "https://app.example.com/",
		"REQUIRE_EMAIL_VERIFICATION": "true", "PASSWORD_RESET_EXPIRE_MINUTES": "10", "EMAIL_VERIFY_EXPIRE_HOURS": "2",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.AppURL != "https://app.example.com" || !c.Mail.RequireVerified || c.Mail.ResetTTL != 10*time.Minute || c.Mail.VerifyTTL != 2*time.Hour {
		t.Fatalf("set: %+v", c.Mail)
	}
	u, _ := config.ParseSMTPURL(c.Mail.SMTPURL)
	if u.Host != "mail.example.com" || u.Port != 465 || !u.Implicit || u.User != "u@x" || u.Password != "p:w" || u.Loopback() {
		t.Fatalf("smtps URL: %+v", u)
	}
	for raw, want := range map[string]config.SMTP{
		"smtp://127.0.0.1:2525": {Host: "127.0.0.1", Port: 2525},
		"smtp://localhost":      {Host: "localhost", Port: 587},
		"smtp://[::1]:25":       {Host: "::1", Port: 25},
	} {
		got, err := config.ParseSMTPURL(raw)
		if err != nil || got != want || !got.Loopback() {
			t.Errorf("%s: %+v %v", raw, got, err)
		}
	}
}

func TestInvalidMailSettingsNameTheVariable(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, c := range []struct{ name, value string }{
		{"SMTP_URL", "http://mail.example.com"},
		{"SMTP_URL", "smtp://"},
		{"SMTP_URL", "smtp://mail.example.com:99999"},
		{"SMTP_URL", "smtp://mail.example.com/path"},
		{"MAIL_FROM", "not an address"},
		{"APP_URL", "ftp://app.example.com"},
		{"APP_URL", "https://app.example.com/?x=1"},
		{"REQUIRE_EMAIL_VERIFICATION", "maybe"},
		{"PASSWORD_RESET_EXPIRE_MINUTES", "0"},
		{"EMAIL_VERIFY_EXPIRE_HOURS", "100000"},
		{"MAIL_EMAIL_LIMIT", "2"},
		{"MAIL_RETRY_BASE_SECONDS", "0"},
	} {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{c.name: c.value}))
			if err == nil || !strings.Contains(err.Error(), c.name) {
				t.Fatalf("error %v does not name %s", err, c.name)
			}
		})
	}
}
