package auth

import (
	"context"
	"log/slog"
	"net/netip"
	"strconv"
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

// Limits are the rate limits the service enforces. Client addresses are
// counted as clientAddr gives them (IPv6 by /64).
type Limits struct {
	LoginIP       Rule // every login attempt, per client address (a flood guard)
	LoginIPFails  Rule // failed logins per client address (password spraying)
	LoginFailures Rule // failed logins per email and client address, short window
	Lockout       Rule // consecutive failed logins per email from any address, long window (NIST: at most 100)
	RegisterIP    Rule // registrations per client address
	RefreshIP     Rule // refreshes per client address
	PasswordCheck Rule // wrong current passwords per user in change-password
	PasswordIP    Rule // change- and reset-password attempts per client address (each costs hashes)
	PasswordUser  Rule // change- and reset-password attempts per user
}

// clientAddr is the caller's address as the limits count it (addrKey).
func clientAddr(ctx context.Context) string { return addrKey(ClientFrom(ctx).IP) }

// addrKey is the part of a client address that limits count: an IPv4
// address whole, an IPv6 address by its /64 prefix (what one subscriber or
// host is usually given, so it cannot spread attempts over its own
// addresses). An IPv4 address mapped into IPv6 counts as the IPv4 address;
// anything that does not parse counts as itself.
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
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

// ticket is one event counted by take, to be given back (giveBack) when the
// attempt it counted does not go ahead.
type ticket struct {
	rule  Rule
	key   string
	reset time.Time
}

// take counts one event under rule, exactly (concurrent callers cannot all
// pass a stale count), and adds its ticket to t. Once the rule is exceeded
// it refuses, giving back every ticket in t: a refused attempt counts
// nowhere, so a refusal by one rule does not use up another's budget.
func (s *Service) take(ctx context.Context, t *[]ticket, rule Rule, key string) error {
	if rule.Limit <= 0 || s.limiter == nil {
		return nil
	}
	n, reset, err := s.limiter.Hit(ctx, key, rule.Window)
	if err != nil {
		s.giveBack(ctx, t)
		return s.storeErr(err)
	}
	*t = append(*t, ticket{rule: rule, key: key, reset: reset})
	if n > rule.Limit {
		s.giveBack(ctx, t)
		return s.rateLimited(ctx, key, reset)
	}
	return nil
}

// giveBack takes back the events of t (see take), logging (not failing on)
// errors; it runs even when the request has been cancelled.
func (s *Service) giveBack(ctx context.Context, t *[]ticket) {
	if len(*t) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	for _, k := range *t {
		if err := s.limiter.Undo(ctx, k.key, k.rule.Window, k.reset); err != nil {
			s.log.ErrorContext(ctx, "rate limiter", slog.String("error", err.Error()))
		}
	}
	*t = nil
}

func (s *Service) reset(ctx context.Context, rule Rule, key string) {
	if rule.Limit <= 0 || s.limiter == nil {
		return
	}
	if err := s.limiter.Reset(ctx, key, rule.Window); err != nil {
		s.log.ErrorContext(ctx, "rate limiter", slog.String("error", err.Error()))
	}
}

// failKey is the key of email's login failures from addr. It carries the
// email's lockout epoch, which endLockout advances, so that a password reset
// ends the lockout of every address without knowing them. The epoch counts
// in windows as long as the failures' own, so it starts over exactly when
// they do and an old key never comes back.
func (s *Service) failKey(ctx context.Context, email, addr string) (string, error) {
	rule := s.limits.LoginFailures
	if rule.Limit <= 0 || s.limiter == nil {
		return "", nil
	}
	n, _, err := s.limiter.Count(ctx, "login-epoch:"+email, rule.Window)
	if err != nil {
		return "", s.storeErr(err)
	}
	// An email may hold '|' but an address and a number cannot, so the key
	// reads back uniquely from the right.
	return "login-fail:" + email + "|" + addr + "|" + strconv.Itoa(n), nil
}

// endLockout ends every login lockout of email: the count across addresses,
// and the count of each address (by advancing the epoch in their keys).
func (s *Service) endLockout(ctx context.Context, email string) {
	if rule := s.limits.LoginFailures; rule.Limit > 0 && s.limiter != nil {
		s.record(ctx, rule, "login-epoch:"+email)
	}
	s.reset(ctx, s.limits.Lockout, "login-lock:"+email)
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
