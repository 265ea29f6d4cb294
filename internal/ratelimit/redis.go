package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"gqlauth/internal/auth"
)

// keyPrefix namespaces the limiter's keys so that a Redis shared with other
// applications (or other gqlauth features) never sees a collision.
const keyPrefix = "gqlauth:rl:"

// Client timeouts. They are short because the limiter sits in front of every
// login, registration and refresh: when Redis is down the service must
// answer 503 within a second or two instead of holding requests for the
// go-redis defaults (5 s per dial, five dials, three retries).
const (
	dialTimeout = time.Second
	ioTimeout   = time.Second
	pingTimeout = 3 * time.Second
)

// expiryGrace keeps a counter alive a little past the end of its window, so
// that an instance whose clock runs slightly behind the one that set the TTL
// does not see its window's count vanish early. A key outliving its window
// is harmless: the next window uses a different key.
const expiryGrace = time.Second

// Redis keeps counters in Redis, one key per limiter key and window, each
// expiring when its window ends. It implements auth.Limiter and is safe for
// concurrent use.
type Redis struct {
	client *redis.Client
	now    func() time.Time
}

var _ auth.Limiter = (*Redis)(nil)

// NewRedis connects to the Redis at rawURL (redis:// or rediss://) and checks
// it answers within a few seconds; now is the clock (nil: time.Now). Timeouts
// given in the URL (dial_timeout, read_timeout, write_timeout, max_retries)
// take precedence over the short defaults.
func NewRedis(ctx context.Context, rawURL string, now func() time.Time) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// A *url.Error quotes the whole URL, password included.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid Redis URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = dialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = ioTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = ioTimeout
	}
	if opt.MaxRetries == 0 {
		// One retry covers a pooled connection that Redis closed while idle;
		// more would only stretch an outage.
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	// A request's own deadline then bounds its Redis calls too.
	opt.ContextTimeoutEnabled = true
	if now == nil {
		now = time.Now
	}
	r := &Redis{client: redis.NewClient(opt), now: now}
	if err := r.Ping(ctx); err != nil {
		r.client.Close()
		return nil, fmt.Errorf("connecting to Redis at %s: %w", opt.Addr, err)
	}
	return r, nil
}

// Ping checks that Redis answers, waiting at most a few seconds; it suits a
// readiness probe.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return r.client.Ping(ctx).Err()
}

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

// key is the Redis key of key's window containing now, and when that window
// ends.
func (r *Redis) key(key string, w time.Duration, now time.Time) (string, time.Time) {
	k, reset := windowKey(key, w, now)
	return keyPrefix + k, reset
}

// Hit implements auth.Limiter in one round trip: INCR and PEXPIRE in a
// MULTI/EXEC, so a counter never exists without its expiry. The TTL is
// relative, computed from this instance's clock like the window itself, so
// a skew between this clock and Redis's cannot expire a window early.
// Repeating PEXPIRE on every hit is idempotent: it always aims at the same
// window end.
func (r *Redis) Hit(ctx context.Context, key string, w time.Duration) (int, time.Time, error) {
	now := r.now()
	k, reset := r.key(key, w, now)
	var incr *redis.IntCmd
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		p.PExpire(ctx, k, reset.Sub(now)+expiryGrace)
		return nil
	})
	if err != nil {
		return 0, reset, unavailable(err)
	}
	return int(incr.Val()), reset, nil
}

// Count implements auth.Limiter; a missing key is a window with no events.
func (r *Redis) Count(ctx context.Context, key string, w time.Duration) (int, time.Time, error) {
	k, reset := r.key(key, w, r.now())
	n, err := r.client.Get(ctx, k).Int()
	if errors.Is(err, redis.Nil) {
		return 0, reset, nil
	}
	if err != nil {
		return 0, reset, unavailable(err)
	}
	return n, reset, nil
}

// Reset implements auth.Limiter.
func (r *Redis) Reset(ctx context.Context, key string, w time.Duration) error {
	k, _ := r.key(key, w, r.now())
	if err := r.client.Del(ctx, k).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// undoScript decrements a counter that exists and is above zero. DECR keeps
// the key's TTL; on a missing key it would create one without a TTL, hence
// the script rather than a bare DECR.
var undoScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]))
if n and n > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
`)

// Undo implements auth.Limiter in one round trip (EVALSHA, loading the
// script on first use).
func (r *Redis) Undo(ctx context.Context, key string, w time.Duration, resetAt time.Time) error {
	k, _ := r.key(key, w, resetAt.Add(-time.Nanosecond))
	if err := undoScript.Run(ctx, r.client, []string{k}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return unavailable(err)
	}
	return nil
}

// unavailable marks a Redis failure as a dependency outage (503 with
// Retry-After). The service's own classifier knows only database errors;
// the limiter sends nothing Redis could reject as a bug, so every failure
// here (refused or timed-out connection, LOADING, READONLY, pool timeout)
// means Redis is not serving.
func unavailable(err error) error {
	return auth.Unavailable(fmt.Errorf("redis: %w", err))
}
