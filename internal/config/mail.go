package config

import (
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMailFrom is the sender when MAIL_FROM is not set.
const DefaultMailFrom = "gqlauth <no-reply@localhost>"

// Mail is the email configuration (contract §9).
type Mail struct {
	// SMTPURL is SMTP_URL; empty means the development mode (messages are
	// written to the log).
	SMTPURL string
	From    string // MAIL_FROM
	// AppURL is APP_URL without a trailing slash; empty means the server's
	// own address, known once it listens.
	AppURL          string
	RequireVerified bool
	ResetTTL        time.Duration
	VerifyTTL       time.Duration

	EmailLimit      int // messages of one kind per email per EmailWindow
	EmailWindow     time.Duration
	IPLimit         int // forgot-password / resend requests per client address
	IPWindow        time.Duration
	TokenIPLimit    int // reset-password / verify-email attempts per client address
	TokenIPWindow   time.Duration
	ResetUserLimit  int // reset-password attempts per user
	ResetUserWindow time.Duration

	RetryBase   time.Duration // first retry delay; doubles up to RetryMax
	RetryMax    time.Duration
	Poll        time.Duration // how often the sender looks for due messages
	SendTimeout time.Duration
	Keep        time.Duration // how long sent messages stay in the outbox
}

func (r *reader) mail() Mail {
	m := Mail{
		SMTPURL:         r.str("SMTP_URL", ""),
		From:            r.str("MAIL_FROM", DefaultMailFrom),
		AppURL:          r.str("APP_URL", ""),
		RequireVerified: r.boolean("REQUIRE_EMAIL_VERIFICATION", false),
		ResetTTL:        r.bounded("PASSWORD_RESET_EXPIRE_MINUTES", 30, 1, 24*60, time.Minute),
		VerifyTTL:       r.bounded("EMAIL_VERIFY_EXPIRE_HOURS", 24, 1, 30*24, time.Hour),
		EmailLimit:      r.count("MAIL_EMAIL_LIMIT", 5),
		EmailWindow:     r.positive("MAIL_EMAIL_WINDOW_SECONDS", 900, time.Second),
		IPLimit:         r.count("MAIL_IP_LIMIT", 100),
		IPWindow:        r.positive("MAIL_IP_WINDOW_SECONDS", 900, time.Second),
		TokenIPLimit:    r.count("EMAIL_TOKEN_IP_LIMIT", 100),
		TokenIPWindow:   r.positive("EMAIL_TOKEN_IP_WINDOW_SECONDS", 900, time.Second),
		ResetUserLimit:  r.count("RESET_USER_LIMIT", 10),
		ResetUserWindow: r.positive("RESET_USER_WINDOW_SECONDS", 900, time.Second),
		RetryBase:       r.positive("MAIL_RETRY_BASE_SECONDS", 5, time.Second),
		RetryMax:        r.positive("MAIL_RETRY_MAX_SECONDS", 600, time.Second),
		Poll:            r.positive("MAIL_POLL_SECONDS", 5, time.Second),
		SendTimeout:     r.positive("MAIL_SEND_TIMEOUT_SECONDS", 30, time.Second),
		Keep:            r.positive("MAIL_KEEP_HOURS", 72, time.Hour),
	}
	if m.SMTPURL != "" {
		if _, err := ParseSMTPURL(m.SMTPURL); err != nil {
			r.fail("SMTP_URL", err.Error())
		}
	}
	if a, err := netmail.ParseAddress(m.From); err != nil || !strings.Contains(a.Address, "@") {
		r.fail("MAIL_FROM", fmt.Sprintf("%q is not an address such as \"Example <no-reply@example.com>\"", m.From))
	}
	if m.AppURL != "" {
		u, err := url.Parse(m.AppURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			r.fail("APP_URL", fmt.Sprintf("%q is not a URL such as https://app.example.com", m.AppURL))
		}
		m.AppURL = strings.TrimRight(m.AppURL, "/")
	}
	if m.EmailLimit > 0 && m.EmailLimit < 3 {
		r.fail("MAIL_EMAIL_LIMIT", "must be at least 3 (or 0 to switch the limit off)")
	}
	return m
}

// SMTP is a parsed SMTP_URL.
type SMTP struct {
	Host     string
	Port     int
	Implicit bool // smtps://: TLS from the first byte
	User     string
	Password string
	HasAuth  bool
}

// Loopback reports whether Host is a loopback address or localhost.
func (s SMTP) Loopback() bool {
	if strings.EqualFold(s.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}

// ParseSMTPURL parses smtp://[user:password@]host:port or smtps://…; user
// and password are URL-decoded. Without a port, smtp uses 587 and smtps 465.
func ParseSMTPURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, fmt.Errorf("not a URL such as smtp://user:password@host:587")
	}
	var s SMTP
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.Implicit = 465, true
	default:
		return SMTP{}, fmt.Errorf("scheme must be smtp:// or smtps://")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return SMTP{}, fmt.Errorf("has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, fmt.Errorf("port %q is not 1–65535", p)
		}
		s.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return SMTP{}, fmt.Errorf("must not have a path or query")
	}
	if u.User != nil {
		s.HasAuth = true
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}
