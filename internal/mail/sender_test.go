package mail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/database"
	"gqlauth/internal/mail"
	"gqlauth/internal/mail/mailtest"
	"gqlauth/internal/testenv"
)

// recorder is a Transport that counts deliveries per message id.
type recorder struct {
	mu    sync.Mutex
	sent  map[string]int
	links []string
	delay time.Duration
	fail  error
}

func (r *recorder) Send(ctx context.Context, from string, m *mail.Message) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	if r.sent == nil {
		r.sent = map[string]int{}
	}
	r.sent[m.ID]++
	r.links = append(r.links, m.Link)
	return nil
}

func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.sent {
		out[k] = v
	}
	return out
}

// enqueue stores n messages as the auth service would.
func enqueue(t *testing.T, db *database.DB, box *auth.TokenBox, n int) {
	t.Helper()
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		sealed, err := box.Seal([]byte(fmt.Sprintf("tok%040d", i)))
		if err != nil {
			t.Fatal(err)
		}
		err = db.Client.OutboxMessage.Create().
			SetKind("reset").SetToEmail(fmt.Sprintf("u%d@example.com", i)).SetToName("U").
			SetPayload(sealed).SetCreatedAt(now).SetExpiresAt(now.Add(30 * time.Minute)).
			SetNextAttemptAt(now).Exec(context.Background())
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newBox(t *testing.T) *auth.TokenBox {
	box, err := auth.NewTokenBox([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// postgres returns a fresh PostgreSQL database, or skips (fails under CI)
// when none is configured.
func postgres(t *testing.T) *database.DB {
	t.Helper()
	base := testenv.RequirePostgres(t)
	return testenv.Open(t, testenv.WithSearchPath(t, base, testenv.NewSchema(t, base)), database.Pool{MaxOpen: 8})
}

// TestSendersShareTheOutbox: several senders (instances) draining one
// database at once send every message exactly once.
func TestSendersShareTheOutbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *database.DB
	}{
		{"sqlite", func(t *testing.T) *database.DB { return testenv.Open(t, testenv.SQLiteURL(t), database.Pool{}) }},
		{"postgres", postgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box := newBox(t)
			const n = 40
			first := tc.open(t)
			enqueue(t, first, box, n)
			rec := &recorder{delay: 2 * time.Millisecond}
			var wg sync.WaitGroup
			for i := 0; i < 3; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := mail.NewSender(mail.Options{Client: first.Client, Dialect: first.Dialect, Transport: rec,
						Opener: box, From: "x@example.com", AppURL: "http://app.test", Batch: 4})
					if _, err := s.Drain(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			got := rec.counts()
			if len(got) != n {
				t.Fatalf("%d distinct messages sent, want %d", len(got), n)
			}
			for id, c := range got {
				if c != 1 {
					t.Errorf("message %s sent %d times", id, c)
				}
			}
			queued, _, err := mail.OutboxStats(context.Background(), first.Client, time.Now())
			if err != nil || queued != 0 {
				t.Fatalf("queued after drain = %d, %v", queued, err)
			}
			rows, _ := first.Client.OutboxMessage.Query().All(context.Background())
			for _, r := range rows {
				if r.Payload != nil && len(*r.Payload) > 0 {
					t.Fatalf("sent message %d still holds its sealed token", r.ID)
				}
			}
		})
	}
}

// TestSenderRetriesWithBackoff: a failed send is retried after the backoff,
// not before, and then sent once.
func TestSenderRetriesWithBackoff(t *testing.T) {
	db := testenv.Open(t, testenv.SQLiteURL(t), database.Pool{})
	box := newBox(t)
	enqueue(t, db, box, 1)
	clock := testenv.NewClock(time.Now())
	rec := &recorder{fail: errors.New("421 try later")}
	s := mail.NewSender(mail.Options{Client: db.Client, Dialect: db.Dialect, Transport: rec, Opener: box,
		From: "x@example.com", AppURL: "http://app.test", RetryBase: 10 * time.Second, Now: clock.Now})
	ctx := context.Background()
	if n, err := s.Drain(ctx); n != 0 || err != nil {
		t.Fatalf("drain while failing: %d %v", n, err)
	}
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	if n, _ := s.Drain(ctx); n != 0 {
		t.Fatal("retried before the backoff")
	}
	clock.Advance(11 * time.Second)
	if n, err := s.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("drain after the backoff: %d %v", n, err)
	}
	if n, _ := s.Drain(ctx); n != 0 {
		t.Fatal("sent twice")
	}
	if len(rec.links) != 1 || !strings.HasPrefix(rec.links[0], "http://app.test/reset-password?token=tok") {
		t.Fatalf("links %v", rec.links)
	}
}

// TestSenderDropsExpiredMessages: a message whose token expired is never
// sent, and the sweep removes it later.
func TestSenderDropsExpiredMessages(t *testing.T) {
	db := testenv.Open(t, testenv.SQLiteURL(t), database.Pool{})
	box := newBox(t)
	enqueue(t, db, box, 2)
	clock := testenv.NewClock(time.Now().Add(31 * time.Minute))
	rec := &recorder{}
	s := mail.NewSender(mail.Options{Client: db.Client, Dialect: db.Dialect, Transport: rec, Opener: box,
		From: "x@example.com", AppURL: "http://app.test", Now: clock.Now, Keep: time.Hour})
	if n, err := s.Drain(context.Background()); n != 0 || err != nil {
		t.Fatalf("drain: %d %v", n, err)
	}
	if len(rec.counts()) != 0 {
		t.Fatal("an expired message was sent")
	}
	clock.Advance(2 * time.Hour)
	if n, err := s.Sweep(context.Background()); n != 2 || err != nil {
		t.Fatalf("sweep: %d %v", n, err)
	}
}

// TestSMTPTransport sends through a real SMTP server: text with the link on
// one line, HTML alternative, From and To.
func TestSMTPTransport(t *testing.T) {
	srv := mailtest.Start(t)
	u, err := parseSMTP(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mail.NewSMTPTransport(u, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.Repeat("aB-_", 10) + "xyz"
	m, err := mail.Render("verify", "https://app.example.com/", "jane@example.com", "Jane Doe", token, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), "gqlauth <no-reply@example.com>", m); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Next(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	link, _, tok := got.Link()
	if link != "https://app.example.com/verify-email?token="+token || tok != token {
		t.Fatalf("link %q token %q\n%s", link, tok, got.Raw)
	}
	if !strings.Contains(string(got.Raw), "https://app.example.com/verify-email?token="+token+"\r\n") {
		t.Fatalf("the raw text part does not hold the link on one line:\n%s", got.Raw)
	}
	if !strings.Contains(got.HTML, `href="https://app.example.com/verify-email?token=`+token+`"`) {
		t.Fatalf("HTML: %s", got.HTML)
	}
	if got.From != "no-reply@example.com" || len(got.To) != 1 || got.To[0] != "jane@example.com" {
		t.Fatalf("from %q to %v", got.From, got.To)
	}
}

// TestSenderShutdownFinishesInFlightSend: cancelling Run during a send
// lets the send finish and records it.
func TestSenderShutdownFinishesInFlightSend(t *testing.T) {
	db := testenv.Open(t, testenv.SQLiteURL(t), database.Pool{})
	box := newBox(t)
	enqueue(t, db, box, 3)
	rec := &recorder{delay: 300 * time.Millisecond}
	s := mail.NewSender(mail.Options{Client: db.Client, Dialect: db.Dialect, Transport: rec, Opener: box,
		From: "x@example.com", AppURL: "http://app.test", Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	time.Sleep(100 * time.Millisecond) // the first send is in flight
	cancel()
	<-done
	if n := len(rec.counts()); n != 1 {
		t.Fatalf("%d messages sent during shutdown, want the one in flight", n)
	}
	queued, _, _ := mail.OutboxStats(context.Background(), db.Client, time.Now())
	if queued != 2 {
		t.Fatalf("queued %d, want 2", queued)
	}
	// The rest were released, not left leased: another sender takes them now.
	s2 := mail.NewSender(mail.Options{Client: db.Client, Dialect: db.Dialect, Transport: rec, Opener: box,
		From: "x@example.com", AppURL: "http://app.test"})
	if n, err := s2.Drain(context.Background()); n != 2 || err != nil {
		t.Fatalf("second sender: %d %v", n, err)
	}
}

// TestSMTPTransportAuthenticates: user and password come URL-decoded from
// SMTP_URL and are sent to a loopback server without TLS.
func TestSMTPTransportAuthenticates(t *testing.T) {
	srv := mailtest.Start(t)
	srv.RequireAuth("mailer@example.com", "p:ss w@rd")
	u, err := parseSMTP("smtp://mailer%40example.com:p%3Ass%20w%40rd@" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mail.NewSMTPTransport(u, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mail.Render("reset", "http://x.test", "jane@example.com", "", "tok", time.Minute)
	if err := tr.Send(context.Background(), "no-reply@example.com", m); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Next(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := srv.Logins(); len(got) != 1 || got[0] != "mailer@example.com" {
		t.Fatalf("logins %v", got)
	}
	// Wrong credentials: the send fails (and would be retried).
	bad, _ := parseSMTP("smtp://mailer%40example.com:nope@" + srv.Addr)
	tr, _ = mail.NewSMTPTransport(bad, 5*time.Second, nil)
	if err := tr.Send(context.Background(), "no-reply@example.com", m); err == nil {
		t.Fatal("sent with wrong credentials")
	}
}
