package ratelimit

import (
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gqlauth/internal/auth"
	"gqlauth/internal/testenv"
)

// redisURL is the Redis the tests may use (testenv.RedisURL).
func redisURL(t *testing.T) string { return testenv.RedisURL(t) }

func newTestRedis(t *testing.T, rawURL string, now func() time.Time) *Redis {
	t.Helper()
	r, err := NewRedis(t.Context(), rawURL, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRedisLimiter(t *testing.T) {
	u := redisURL(t)
	testLimiter(t, func(t *testing.T, now func() time.Time) auth.Limiter {
		return newTestRedis(t, u, now)
	})
}

// The fake clock moves windows, but Redis's own clock expires the keys:
// each counter must carry a TTL that ends (about) with its window.
func TestRedisCounterExpires(t *testing.T) {
	c := testenv.NewClock(windowStart.Add(5 * time.Second))
	r := newTestRedis(t, redisURL(t), c.Now)
	key := "test-" + rand.Text() + ":login-ip:192.0.2.1"
	hit(t, r, key, time.Minute)
	k, _ := windowKey(key, time.Minute, c.Now())
	ttl, err := r.client.PTTL(t.Context(), "gqlauth:rl:"+k).Result()
	if err != nil {
		t.Fatal(err)
	}
	// 55 s remain in the window, plus the grace second.
	if ttl <= 0 || ttl > 56*time.Second {
		t.Fatalf("PTTL = %v, want within (0, 56s]", ttl)
	}
	// Undo keeps the expiry, and never creates a key without one.
	hit(t, r, key, time.Minute)
	_, reset := hit(t, r, key, time.Minute)
	undo(t, r, key, time.Minute, reset)
	if ttl, err := r.client.PTTL(t.Context(), "gqlauth:rl:"+k).Result(); err != nil || ttl <= 0 || ttl > 56*time.Second {
		t.Fatalf("PTTL after undo = %v, %v; want within (0, 56s]", ttl, err)
	}
	other := "test-" + rand.Text() + ":never-hit"
	undo(t, r, other, time.Minute, reset)
	ko, _ := windowKey(other, time.Minute, c.Now())
	if n, err := r.client.Exists(t.Context(), "gqlauth:rl:"+ko).Result(); err != nil || n != 0 {
		t.Fatalf("undo of an unknown key created it (exists %d, %v)", n, err)
	}
}

func TestNewRedisFailsFast(t *testing.T) {
	start := time.Now()
	_, err := NewRedis(t.Context(), "redis://127.0.0.1:1/0", nil)
	if err == nil {
		t.Fatal("NewRedis on a closed port succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("NewRedis took %v to fail, want under 5s", elapsed)
	}
}

func TestNewRedisBadURL(t *testing.T) {
	for _, raw := range []string{"http://127.0.0.1:6379", "redis://user:s3cret@[::1", "redis://127.0.0.1:6379/x"} {
		_, err := NewRedis(t.Context(), raw, nil)
		if err == nil {
			t.Errorf("NewRedis(%q) succeeded", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("NewRedis(%q) error leaks the password: %v", raw, err)
		}
	}
}

// An outage after start-up must fail each call within a couple of seconds,
// as a 503 the client may retry, whether Redis stops answering or goes away.
func TestRedisOutageIsUnavailable(t *testing.T) {
	u := redisURL(t)
	for _, tc := range []struct {
		name string
		fail func(p *proxy)
	}{
		{"unresponsive", func(p *proxy) { p.silent.Store(true) }},
		{"down", func(p *proxy) { p.close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProxy(t, u)
			r := newTestRedis(t, p.url, nil)
			key := "test-" + rand.Text() + ":login-ip:192.0.2.1"
			hit(t, r, key, time.Minute)
			tc.fail(p)
			calls := map[string]func() error{
				"Hit":   func() error { _, _, err := r.Hit(t.Context(), key, time.Minute); return err },
				"Count": func() error { _, _, err := r.Count(t.Context(), key, time.Minute); return err },
				"Reset": func() error { return r.Reset(t.Context(), key, time.Minute) },
			}
			for name, call := range calls {
				start := time.Now()
				err := call()
				elapsed := time.Since(start)
				var e *auth.Error
				if !errors.As(err, &e) || e.Code != auth.CodeServiceUnavailable {
					t.Errorf("%s during an outage: %v, want a %s error", name, err, auth.CodeServiceUnavailable)
				}
				if elapsed > 5*time.Second {
					t.Errorf("%s took %v to fail, want under 5s", name, elapsed)
				}
			}
		})
	}
}

// proxy forwards TCP to the test Redis so a test can make it go silent
// (requests swallowed, connections kept open) or go away.
type proxy struct {
	url    string
	ln     net.Listener
	silent atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, rawURL string) *proxy {
	t.Helper()
	target, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	via := *target
	via.Host = ln.Addr().String()
	p := &proxy{url: via.String(), ln: ln}
	t.Cleanup(p.close)
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			upstream, err := net.Dial("tcp", target.Host)
			if err != nil {
				client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, client, upstream)
			p.mu.Unlock()
			go io.Copy(client, upstream)
			go p.forward(upstream, client)
		}
	}()
	return p
}

// forward copies src to dst until the proxy goes silent, then discards.
func (p *proxy) forward(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.silent.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
