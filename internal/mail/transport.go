package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	gomail "github.com/wneessen/go-mail"

	"gqlauth/internal/config"
)

// Transport delivers one rendered message.
type Transport interface {
	Send(ctx context.Context, from string, m *Message) error
}

// SMTPTransport sends through the server of an SMTP_URL with go-mail: a new
// connection per batch of work is cheap next to how rarely mail is sent.
type SMTPTransport struct {
	opts []gomail.Option
	host string
}

// NewSMTPTransport configures sending to u. smtps:// speaks TLS from the
// first byte; smtp:// upgrades with STARTTLS when the server offers it. A
// user and password are sent only over TLS, or to a loopback address: with
// credentials for a remote smtp:// server, STARTTLS is required.
// roots are the CAs trusted for the server's certificate (nil: the
// system's).
func NewSMTPTransport(u config.SMTP, timeout time.Duration, roots *x509.CertPool) (*SMTPTransport, error) {
	opts := []gomail.Option{
		gomail.WithPort(u.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: u.Host, MinVersion: tls.VersionTLS12, RootCAs: roots}),
	}
	switch {
	case u.Implicit:
		opts = append(opts, gomail.WithSSL())
	case u.HasAuth && !u.Loopback():
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if u.HasAuth {
		auth := gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover) // offers PLAIN/LOGIN only over TLS
		if u.Loopback() && !u.Implicit {
			// A relay on this machine may speak without TLS: the
			// credentials then never leave the host.
			auth = gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc)
		}
		opts = append(opts, auth, gomail.WithUsername(u.User), gomail.WithPassword(u.Password))
	}
	// Validate the options once, so a bad URL stops the start.
	if _, err := gomail.NewClient(u.Host, opts...); err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	return &SMTPTransport{opts: opts, host: u.Host}, nil
}

// Send implements Transport.
func (t *SMTPTransport) Send(ctx context.Context, from string, m *Message) error {
	c, err := gomail.NewClient(t.host, t.opts...)
	if err != nil {
		return err
	}
	msg, err := build(from, m)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// build makes the MIME message: plain text with an HTML alternative, both
// 8bit so that the link stays whole on one line of the raw text part.
func build(from string, m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithEncoding(gomail.NoEncoding), gomail.WithCharset(gomail.CharsetUTF8))
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, err
	}
	msg.Subject(m.Subject)
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID)
	} else {
		msg.SetMessageID()
	}
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// LogTransport is the development mode: without SMTP_URL each message,
// link included, is written to the log instead of being sent.
type LogTransport struct {
	Log *slog.Logger
}

// Send implements Transport.
func (t LogTransport) Send(ctx context.Context, from string, m *Message) error {
	t.Log.LogAttrs(ctx, slog.LevelInfo, "email (development mode, not sent)",
		slog.String("event", "mail_logged"),
		slog.String("to", m.To), slog.String("subject", m.Subject),
		slog.String("link", m.Link), slog.String("text", m.Text))
	return nil
}
