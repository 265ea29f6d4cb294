package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/mail"
	"gqlauth/internal/mail/mailtest"
)

// nonLoopback returns an address of this machine that is not loopback, or
// skips.
func nonLoopback(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				return n.IP.String()
			}
		}
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}

// TestSMTPCredentialsOnlyOverTLS: to a remote server, user and password go
// over STARTTLS or smtps://, and never over a plain connection.
func TestSMTPCredentialsOnlyOverTLS(t *testing.T) {
	host := nonLoopback(t)
	tlsConf, roots := mailtest.SelfSigned(t, host)
	msg, _ := mail.Render("reset", "http://x.test", "jane@example.com", "", "tok", time.Minute)
	for _, tc := range []struct {
		name     string
		opts     mailtest.Options
		wantSent bool
	}{
		{"plain server refuses to carry credentials", mailtest.Options{Host: host}, false},
		{"starttls", mailtest.Options{Host: host, TLS: tlsConf}, true},
		{"smtps", mailtest.Options{Host: host, TLS: tlsConf, Implicit: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.StartWith(t, tc.opts)
			srv.RequireAuth("mailer", "secret")
			raw := strings.Replace(srv.URL(), "://", "://mailer:secret@", 1)
			u, err := parseSMTP(raw)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := mail.NewSMTPTransport(u, 5*time.Second, roots)
			if err != nil {
				t.Fatal(err)
			}
			err = tr.Send(context.Background(), "no-reply@example.com", msg)
			if tc.wantSent != (err == nil) {
				t.Fatalf("send: %v", err)
			}
			logins := srv.Logins()
			if tc.wantSent {
				if len(logins) != 1 || logins[0] != "mailer (TLS)" {
					t.Fatalf("logins %v, want one over TLS", logins)
				}
			} else if len(logins) != 0 {
				t.Fatalf("credentials sent without TLS: %v", logins)
			}
		})
	}
}
