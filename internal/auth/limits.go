package auth

import (
	"context"
	"log/slog"
	"time"
)

// Limiter counts events per key in fixed time windows. Implementations keep
// the counters where every instance sees them (the database, or Redis).
type Limiter interface {
	// Hit adds one event to key's current window and returns the count so far
	// and when the window ends.
	Hit(ctx context.Context, key string, window time.Duration) (count int, resetAt time.Time, err error)
	// Count returns key's count in the current window without adding.
	Count(ctx context.Context, key string, window time.Duration) (count int, resetAt time.Time, err error)
	// Reset forgets key's current window.
	Reset(ctx context.Context, key string, window time.Duration) error
	// Undo takes back one event that Hit counted in the window ending at
	// resetAt (as Hit returned it). A count never goes below zero, and a
	// window that was reset or has ended is left alone.
	Undo(ctx context.Context, key string, window time.Duration, resetAt time.Time) error
}

// Rule allows Limit events per Window; a zero Limit switches the rule off.
type Rule struct {
	Limit  int
	Window time.Duration
}

// Limits are the rate limits the service enforces.
type Limits struct {
	LoginIP       Rule // every login attempt, per client address (a flood guard)
	LoginIPFails  Rule // failed logins per client address (password spraying)
	LoginFailures Rule // failed logins per email, short window
	Lockout       Rule // consecutive failed logins per email, long window (NIST: at most 100)
	RegisterIP    Rule // registrations per client address
	RefreshIP     Rule // refreshes per client address
	PasswordCheck Rule // wrong current passwords per user in change-password
}

// rateLimited logs and counts a refusal under key and returns the error,
// whose Retry-After is the time left in the window (at least a second).
// Logs name the limit's kind, never its subject (an email or an address).
func (s *Service) rateLimited(ctx context.Context, key string, reset time.Time) *Error {
	kind := keyKind(key)
	s.log.LogAttrs(ctx, slog.LevelWarn, "rate limit exceeded", slog.String("event", "rate_limited"), slog.String("key", kind))
	s.metrics.RateLimited(kind)
	wait := reset.Sub(s.now())
	if wait < time.Second {
		wait = time.Second
	}
	return &Error{Code: CodeRateLimited, Message: MsgRateLimited, RetryAfter: wait}
}

// hit counts one event under rule and refuses it once the rule is exceeded.
func (s *Service) hit(ctx context.Context, rule Rule, key string) error {
	if rule.Limit <= 0 || s.limiter == nil {
		return nil
	}
	n, reset, err := s.limiter.Hit(ctx, key, rule.Window)
	if err != nil {
		return s.storeErr(err)
	}
	if n > rule.Limit {
		return s.rateLimited(ctx, key, reset)
	}
	return nil
}

// check refuses once rule's count for key has reached its limit, without
// counting; record counts later. Unlike hit, concurrent callers may all pass
// a stale count, so it serves only where a small overshoot is harmless (the
// per-address failure count; each email's own count is exact).
func (s *Service) check(ctx context.Context, rule Rule, key string) error {
	if rule.Limit <= 0 || s.limiter == nil {
		return nil
	}
	n, reset, err := s.limiter.Count(ctx, key, rule.Window)
	if err != nil {
		return s.storeErr(err)
	}
	if n >= rule.Limit {
		return s.rateLimited(ctx, key, reset)
	}
	return nil
}

// record counts one event under rule, logging (not failing on) errors.
func (s *Service) record(ctx context.Context, rule Rule, key string) {
	if rule.Limit <= 0 || s.limiter == nil {
		return
	}
	if _, _, err := s.limiter.Hit(ctx, key, rule.Window); err != nil {
		s.log.ErrorContext(ctx, "rate limiter", slog.String("error", err.Error()))
	}
}

func (s *Service) reset(ctx context.Context, rule Rule, key string) {
	if rule.Limit <= 0 || s.limiter == nil {
		return
	}
	if err := s.limiter.Reset(ctx, key, rule.Window); err != nil {
		s.log.ErrorContext(ctx, "rate limiter", slog.String("error", err.Error()))
	}
}

// keyKind is the part of a limiter key before the subject, e.g. "login-ip".
func keyKind(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			return key[:i]
		}
	}
	return key
}
