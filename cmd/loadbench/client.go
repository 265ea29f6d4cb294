// The load generator side: seeded clients, their session chains, and one
// function per request kind, shared by product and floor.

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// chain is one session as a client holds it: the current access token and
// the refresh token it has not spent yet.
type chain struct {
	access, refresh string
}

// client is one seeded user with its own session chains, owned by one worker
// at a time, so each refresh token is spent exactly once.
type client struct {
	email, password string
	prod            chain // a session of the product
	floor           chain // another session, rotated only by the floor
}

// loader is the HTTP client side, shared by product and floor.
type loader struct {
	hc      *http.Client
	product string
	floor   string
	// metricsToken opens the product's /metrics (METRICS_TOKEN).
	metricsToken string
}

func newLoader() *loader {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &loader{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// httpError is a non-2xx answer.
type httpError struct {
	status     int
	body       string
	retryAfter time.Duration // the Retry-After header, in whole seconds
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// call sends one request and returns the body of a 2xx answer.
func (l *loader) call(method, url, token string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := l.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		he := &httpError{status: resp.StatusCode, body: msg}
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
			he.retryAfter = time.Duration(n) * time.Second
		}
		return nil, he
	}
	return b, nil
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func (l *loader) tokens(url string, body []byte) (chain, error) {
	b, err := l.call(http.MethodPost, url, "", body)
	if err != nil {
		return chain{}, err
	}
	var t tokens
	if err := json.Unmarshal(b, &t); err != nil {
		return chain{}, err
	}
	if t.AccessToken == "" || t.RefreshToken == "" {
		return chain{}, fmt.Errorf("no tokens in %.200s", b)
	}
	return chain{access: t.AccessToken, refresh: t.RefreshToken}, nil
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// The requests, one per case.

func (l *loader) me(base string, c *client) error {
	_, err := l.call(http.MethodGet, base+"/api/auth/me", c.prod.access, nil)
	return err
}

var gqlMe = []byte(`{"query":"{ me { id email } }"}`)

func (l *loader) graphqlMe(c *client) error {
	b, err := l.call(http.MethodPost, l.product+"/graphql", c.prod.access, gqlMe)
	if err != nil {
		return err
	}
	var out struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("graphql errors: %.200s", b)
	}
	return nil
}

// refresh spends ch's refresh token once and keeps the new pair.
func (l *loader) refresh(base string, ch *chain) error {
	next, err := l.tokens(base+"/api/auth/refresh", jsonBody(map[string]string{"refresh_token": ch.refresh}))
	if err != nil {
		return err
	}
	*ch = next
	return nil
}

func (l *loader) login(c *client) (chain, error) {
	return l.tokens(l.product+"/api/auth/login/json", jsonBody(map[string]string{"email": c.email, "password": c.password}))
}

// mixed is 80 % me, 15 % refresh, 5 % login (which starts a new chain).
func (l *loader) mixed(w *worker) error {
	switch p := w.rng.IntN(100); {
	case p < 80:
		return l.me(l.product, w.c)
	case p < 95:
		return l.refresh(l.product, &w.c.prod)
	default:
		ch, err := l.login(w.c)
		if err == nil {
			w.c.prod = ch
		}
		return err
	}
}

// seed registers n users (each registration opens the product session) and
// logs each in once more for the session the floor rotates.
func (l *loader) seed(n, parallel int) ([]*client, error) {
	clients := make([]*client, n)
	stamp := time.Now().UnixNano()
	for i := range clients {
		clients[i] = &client{
			email:    fmt.Sprintf("bench-%d-%d@example.com", stamp, i),
			password: fmt.Sprintf("loadbench-Pw-%d-%d", stamp, i),
		}
	}
	err := forEach(clients, parallel, func(i int, c *client) error {
		var err error
		register := jsonBody(map[string]string{"name": fmt.Sprintf("Bench User %d", i), "email": c.email, "password": c.password})
		if c.prod, err = retry(func() (chain, error) { return l.tokens(l.product+"/api/auth/register", register) }); err != nil {
			return fmt.Errorf("register: %w", err)
		}
		if c.floor, err = retry(func() (chain, error) { return l.login(c) }); err != nil {
			return fmt.Errorf("login: %w", err)
		}
		return nil
	})
	return clients, err
}

// retry repeats a seeding request the server shed with 503 (a busy shared
// machine can keep a hash waiting past HASH_QUEUE_WAIT); measured requests
// are never retried.
func retry(f func() (chain, error)) (chain, error) {
	for attempt := 1; ; attempt++ {
		ch, err := f()
		var he *httpError
		if err == nil || attempt == 5 || !errors.As(err, &he) || he.status != http.StatusServiceUnavailable {
			return ch, err
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
}

func forEach(cs []*client, parallel int, f func(int, *client) error) error {
	sem := make(chan struct{}, max(parallel, 1))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i, c := range cs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(i, c); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}
