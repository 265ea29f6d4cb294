// Package mailtest is a real SMTP server for tests, built on
// github.com/emersion/go-smtp: it listens on a loopback port, keeps every
// message it receives, and can be stopped and started again on the same
// port to stage an outage. Only tests import it.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	From    string
	To      []string
	Raw     []byte
	Subject string
	Text    string // the text/plain part, decoded
	HTML    string // the text/html part, decoded ("" if none)
}

// tokenLink finds a link with a token on one line of the text part.
var tokenLink = regexp.MustCompile(`(https?://\S+/(reset-password|verify-email))\?token=([A-Za-z0-9_-]+)`)

// Link returns the first token link of the text part: the whole URL, the
// page path and the token.
func (m *Message) Link() (url, path, token string) {
	s := tokenLink.FindStringSubmatch(m.Text)
	if s == nil {
		return "", "", ""
	}
	return s[0], "/" + s[2], s[3]
}

// Server is a running SMTP server.
type Server struct {
	t    testing.TB
	Addr string // host:port
	opts Options

	mu  sync.Mutex
	srv *smtp.Server
	ln  net.Listener
	// Credentials, when set by RequireAuth, are demanded (AUTH PLAIN).
	user, pass string
	authed     []string
	msgs       chan *Message
	count      int
}

// Start runs a server on a free loopback port until the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// Options change how a server listens.
type Options struct {
	// Host to listen on (default 127.0.0.1).
	Host string
	// TLS, when set, is offered through STARTTLS, or, with Implicit, spoken
	// from the first byte (smtps).
	TLS      *tls.Config
	Implicit bool
}

// StartWith runs a server with o until the test ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	s := &Server{t: t, msgs: make(chan *Message, 1000), opts: o}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// RequireAuth makes the server offer AUTH PLAIN and refuse mail from a
// session that has not authenticated as user/pass.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// Logins lists the user names that authenticated, in order.
func (s *Server) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authed...)
}

// URL is the SMTP_URL of the server.
func (s *Server) URL() string {
	if s.opts.Implicit {
		return "smtps://" + s.Addr
	}
	return "smtp://" + s.Addr
}

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	if s.opts.TLS != nil {
		if s.opts.Implicit {
			ln = tls.NewListener(ln, s.opts.TLS)
		} else {
			srv.TLSConfig = s.opts.TLS
		}
	}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // ends with Close
}

// Stop closes the server (and its connections): an SMTP outage.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
		ln.Close() // in case Serve has not taken it yet
	}
}

// Restart serves again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("restarting SMTP on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// Count is how many messages arrived so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Next waits up to d for the next message.
func (s *Server) Next(d time.Duration) (*Message, error) {
	select {
	case m := <-s.msgs:
		return m, nil
	case <-time.After(d):
		return nil, errors.New("no email arrived within " + d.String())
	}
}

// WaitFor returns the next message to rcpt within d, skipping others.
func (s *Server) WaitFor(t testing.TB, rcpt string, d time.Duration) *Message {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m, err := s.Next(time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting for mail to %s: %v", rcpt, err)
		}
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				return m
			}
		}
	}
}

// None fails the test if a message to rcpt arrives within d.
func (s *Server) None(t testing.TB, rcpt string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := s.Next(time.Until(deadline))
		if err != nil {
			return
		}
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				t.Fatalf("unexpected mail to %s: %s", rcpt, m.Subject)
			}
		}
	}
}

type session struct {
	s      *Server
	from   string
	to     []string
	authed bool
	conn   *smtp.Conn
}

// AuthMechanisms implements smtp.AuthSession.
func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth implements smtp.AuthSession.
func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if user != x.s.user || pass != x.s.pass {
			return errors.New("invalid credentials")
		}
		x.authed = true
		_, secure := x.conn.TLSConnectionState()
		x.s.authed = append(x.s.authed, user+map[bool]string{true: " (TLS)", false: ""}[secure])
		return nil
	}), nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	need := x.s.user != ""
	x.s.mu.Unlock()
	if need && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := &Message{From: x.from, To: x.to, Raw: raw}
	if err := parse(m); err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparseable message: " + err.Error()}
	}
	x.s.mu.Lock()
	x.s.count++
	x.s.mu.Unlock()
	x.s.msgs <- m
	return nil
}

// parse fills Subject, Text and HTML from Raw.
func parse(m *Message) error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return err
	}
	dec := new(mime.WordDecoder)
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	return parsePart(m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func parsePart(m *Message, ctype, cte string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			// multipart.Reader decodes quoted-printable itself.
			if err := parsePart(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if strings.EqualFold(cte, "base64") {
		return errors.New("base64 body not expected")
	}
	switch mt {
	case "text/plain":
		m.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
