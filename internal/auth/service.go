package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"

	"gqlauth/ent"
	"gqlauth/internal/password"
)

// Metrics receives the service's security-relevant counts. The zero Options
// uses a no-op implementation.
type Metrics interface {
	RateLimited(kind string)
	Login(outcome string)
	RefreshReuse()
}

type noMetrics struct{}

func (noMetrics) RateLimited(string) {}
func (noMetrics) Login(string)       {}
func (noMetrics) RefreshReuse()      {}

// Hasher hashes and verifies passwords: a *password.Hasher. Hash and
// Verify fail with an error wrapping password.ErrBusy when hashing capacity
// is exhausted.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	// Verify reports whether password matches encoded ("" stands for no
	// user and takes as long) and whether encoded should be rehashed.
	Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error)
	// Saturated reports whether a hash asked for now would be refused.
	Saturated() bool
}

// errHashBusy is the hasher's capacity refusal.
var errHashBusy = password.ErrBusy

// Options configure a Service. Client, Dialect, Tokens and Hasher are required.
type Options struct {
	Client        *ent.Client
	Dialect       string // Client's dialect: dialect.SQLite or dialect.Postgres
	Tokens        *Tokens
	Hasher        Hasher
	Limiter       Limiter // nil: no rate limits
	Limits        Limits
	AccessTTL     time.Duration
	RefreshTTL    time.Duration
	ReuseInterval time.Duration
	SessionMaxAge time.Duration
	// Unavailable reports whether a storage error means the database is
	// unreachable (503) rather than a bug (500).
	Unavailable func(error) bool
	Now         func() time.Time // default time.Now
	Rand        io.Reader        // default crypto/rand
	Logger      *slog.Logger
	Metrics     Metrics
	// Mail configures verification and password reset by email.
	Mail MailOptions
}

// Service implements every authentication operation. It is safe for
// concurrent use; all shared state lives in the database (or the limiter),
// so any number of instances can serve one database.
type Service struct {
	db            *ent.Client
	tokens        *Tokens
	hasher        Hasher
	limiter       Limiter
	limits        Limits
	accessTTL     time.Duration
	refreshTTL    time.Duration
	reuseInterval time.Duration
	sessionMaxAge time.Duration
	unavailable   func(error) bool
	clock         func() time.Time
	rand          io.Reader
	log           *slog.Logger
	metrics       Metrics
	tokenCheck    tokenCheck
	dialect       string
	rotate        rotateStmt   // the refresh's rotation statement
	commits       *groupCommit // SQLite: rotations in group commits
	mail          MailOptions
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{
		db: o.Client, tokens: o.Tokens, hasher: o.Hasher, limiter: o.Limiter, limits: o.Limits,
		accessTTL: o.AccessTTL, refreshTTL: o.RefreshTTL, reuseInterval: o.ReuseInterval,
		sessionMaxAge: o.SessionMaxAge, unavailable: o.Unavailable, clock: o.Now, rand: o.Rand,
		log: o.Logger, metrics: o.Metrics, tokenCheck: newTokenCheck(o.Dialect),
		dialect: o.Dialect,
		mail:    o.Mail,
	}
	if o.Dialect == dialect.Postgres || o.Dialect == dialect.SQLite {
		s.rotate = newRotateStmt(o.Dialect)
	}
	if o.Dialect == dialect.SQLite && o.Client != nil {
		s.commits = &groupCommit{db: o.Client, maxBatch: 64}
	}
	s.mail.defaults()
	if s.mail.Sealer == nil {
		// Tokens sealed under a random key cannot be sent after a restart;
		// internal/app always gives a box derived from the secret.
		box, err := NewTokenBox(nil)
		if err != nil {
			panic("auth: " + err.Error())
		}
		s.mail.Sealer = box
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if s.unavailable == nil {
		s.unavailable = func(error) bool { return false }
	}
	return s
}

// AccessTTL is the access-token lifetime.
func (s *Service) AccessTTL() time.Duration { return s.accessTTL }

// now is the injected clock, truncated to whole seconds: JWT times have
// second precision and the stored refresh-token times must reproduce them.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

// newID returns a random 128-bit identifier, URL-safe.
func (s *Service) newID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// storeErr classifies an unexpected storage error: the database being
// unreachable is a 503 the client may retry, anything else is a bug.
func (s *Service) storeErr(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if s.unavailable(err) || errors.Is(err, context.DeadlineExceeded) {
		return Unavailable(err)
	}
	return Internal(err)
}

// hashErr maps a hashing failure: no capacity (a full queue, a worker that
// died mid-hash) is a 503 with Retry-After.
func (s *Service) hashErr(err error) error {
	if errors.Is(err, errHashBusy) {
		return Unavailable(err)
	}
	return s.storeErr(err)
}

// event logs a security event.
func (s *Service) event(ctx context.Context, name string, attrs ...slog.Attr) {
	attrs = append([]slog.Attr{slog.String("event", name)}, attrs...)
	s.log.LogAttrs(ctx, slog.LevelInfo, "security event", attrs...)
}
