package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gqlauth/ent/accounttoken"
	"gqlauth/ent/outboxmessage"
	"gqlauth/internal/auth"
	"gqlauth/internal/database"
	"gqlauth/internal/ratelimit"
	"gqlauth/internal/testenv"
)

// recoveryEnv is a service with a settable clock, a token box the test can
// open, and the database to read the outbox from.
type recoveryEnv struct {
	svc   *testenv.Service
	db    *database.DB
	box   *auth.TokenBox
	clock *testenv.Clock
}

func newRecoveryEnv(t *testing.T, adjust func(*auth.Options)) *recoveryEnv {
	t.Helper()
	db := testenv.NewDB(t)
	box, err := auth.NewTokenBox([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	clock := testenv.NewClock(time.Now())
	svc := testenv.NewService(t, db, func(o *auth.Options) {
		o.Now = clock.Now
		o.Mail.Sealer = box
		if adjust != nil {
			adjust(o)
		}
	})
	return &recoveryEnv{svc: svc, db: db, box: box, clock: clock}
}

// lastToken opens the token of the newest outbox message to email.
func (e *recoveryEnv) lastToken(t *testing.T, email, kind string) string {
	t.Helper()
	m, err := e.db.Client.OutboxMessage.Query().
		Where(outboxmessage.ToEmail(email), outboxmessage.Kind(kind)).
		Order(outboxmessage.ByID()).All(context.Background())
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s message to %s: %v", kind, email, err)
	}
	tok, err := e.box.Open(*m[len(m)-1].Payload)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func code(err error) auth.Code {
	var e *auth.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestEmailTokensExpire(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		use  func(e *recoveryEnv, token string) error
		kind string
	}{
		{"reset", auth.DefaultResetTTL, func(e *recoveryEnv, tok string) error {
			return e.svc.ResetPassword(ctx, tok, "brandNewSecret42")
		}, auth.MailReset},
		{"verify", auth.DefaultVerifyTTL, func(e *recoveryEnv, tok string) error {
			return e.svc.VerifyEmail(ctx, tok)
		}, auth.MailVerify},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRecoveryEnv(t, nil)
			if tc.kind == auth.MailReset {
				if err := e.svc.ForgotPassword(ctx, testenv.UserEmail); err != nil {
					t.Fatal(err)
				}
			}
			tok := e.lastToken(t, testenv.UserEmail, tc.kind)
			if len(tok) != 43 || strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("token %q is not 43 base64url characters", tok)
			}
			// Only the hash is stored.
			n, _ := e.db.Client.AccountToken.Query().Where(accounttoken.TokenHash(tok)).Count(ctx)
			m, _ := e.db.Client.AccountToken.Query().Where(accounttoken.TokenHash(auth.HashEmailToken(tok))).Count(ctx)
			if n != 0 || m != 1 {
				t.Fatalf("stored by value %d, by hash %d", n, m)
			}
			e.clock.Advance(tc.ttl + time.Second)
			if err := tc.use(e, tok); code(err) != auth.CodeBadRequest || err.(*auth.Error).Message != auth.MsgInvalidToken {
				t.Fatalf("expired token: %v", err)
			}
		})
	}
}

func TestResetPasswordEndsLockout(t *testing.T) {
	ctx := context.Background()
	e := newRecoveryEnv(t, func(o *auth.Options) {
		o.Limiter = ratelimit.NewStore(o.Client, nil)
		o.Limits.LoginFailures = auth.Rule{Limit: 3, Window: time.Hour}
	})
	for i := 0; i < 3; i++ {
		if _, err := e.svc.Login(ctx, testenv.UserEmail, "wrongPassword!"); code(err) != auth.CodeUnauthorized {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := e.svc.Login(ctx, testenv.UserEmail, testenv.UserPassword); code(err) != auth.CodeRateLimited {
		t.Fatalf("not locked: %v", err)
	}
	if err := e.svc.ForgotPassword(ctx, testenv.UserEmail); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResetPassword(ctx, e.lastToken(t, testenv.UserEmail, auth.MailReset), "brandNewSecret42"); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Login(ctx, testenv.UserEmail, "brandNewSecret42")
	if err != nil {
		t.Fatalf("login after reset: %v", err)
	}
	if !p.User.EmailVerified {
		t.Fatal("reset did not mark the email verified")
	}
}

func TestForgotPasswordWritesNoUsableRowsForUnknownEmails(t *testing.T) {
	ctx := context.Background()
	e := newRecoveryEnv(t, nil)
	before, _ := e.db.Client.OutboxMessage.Query().Where(outboxmessage.SentAtIsNil(), outboxmessage.FailedAtIsNil()).Count(ctx)
	if err := e.svc.ForgotPassword(ctx, "nobody@example.com"); err != nil {
		t.Fatal(err)
	}
	after, _ := e.db.Client.OutboxMessage.Query().Where(outboxmessage.SentAtIsNil(), outboxmessage.FailedAtIsNil()).Count(ctx)
	if after != before {
		t.Fatalf("an unknown email queued a message (%d → %d)", before, after)
	}
	if err := e.svc.ForgotPassword(ctx, "not an email"); code(err) != auth.CodeValidation {
		t.Fatalf("malformed: %v", err)
	}
}

// TestTokenBoxKeyring: the first key seals, every key opens; a box without
// the sealing key cannot open.
func TestTokenBoxKeyring(t *testing.T) {
	a, b, c := []byte(strings.Repeat("a", 32)), []byte(strings.Repeat("b", 32)), []byte(strings.Repeat("c", 32))
	sealer, err := auth.NewTokenBox(a, b)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal([]byte("token"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		keys  [][]byte
		opens bool
	}{
		{"same keys", [][]byte{a, b}, true},
		{"sealing key second", [][]byte{c, a}, true},
		{"only the other key", [][]byte{b}, false},
		{"random key", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box, err := auth.NewTokenBox(tc.keys...)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := box.Open(sealed)
			if tc.opens != (err == nil) {
				t.Fatalf("opened %q, err %v; want opens=%v", plain, err, tc.opens)
			}
			if tc.opens && string(plain) != "token" {
				t.Fatalf("opened %q", plain)
			}
		})
	}
}
