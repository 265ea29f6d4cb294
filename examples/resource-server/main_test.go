package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gqlauth/internal/app"
	"gqlauth/internal/keys"
	"gqlauth/internal/password"
)

const audience = "https://orders.example.com"

// start runs fn (gqlauth's app.Run or this service's run) until the test
// ends and returns the address its first stdout line announces.
func start(t *testing.T, prefix string, fn func(ctx context.Context, stdout, stderr io.Writer) int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &stderrWriter{b: &strings.Builder{}}
	done := make(chan int, 1)
	go func() { done <- fn(ctx, pw, stderr); pw.Close() }()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("did not stop")
		}
	})
	select {
	case line := <-lines:
		return strings.TrimPrefix(line, prefix)
	case code := <-done:
		t.Fatalf("exited %d before listening: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("did not start")
	}
	return ""
}

// stderrWriter collects output for failure messages.
type stderrWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *stderrWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *stderrWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestMain lets this test binary serve as gqlauth's hash workers: the
// server it runs in-process re-executes it as one.
func TestMain(m *testing.M) {
	password.RunWorkerIfRequested()
	os.Exit(m.Run())
}

func startGQLAuth(t *testing.T, dbPath, jwtKeys string) string {
	vars := map[string]string{
		"PORT": "0", "HOST": "127.0.0.1", "LOG_LEVEL": "error", "ALGORITHM": "EdDSA",
		"JWT_KEYS": jwtKeys, "JWT_AUDIENCE": audience, "DATABASE_URL": "sqlite://" + dbPath,
	}
	return "http://" + start(t, "gqlauth listening on http://", func(ctx context.Context, stdout, stderr io.Writer) int {
		return app.Run(ctx, []string{"serve"}, func(k string) string { return vars[k] }, strings.NewReader(""), stdout, stderr)
	})
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func genKey(t *testing.T) (set string, kid string, key any) {
	t.Helper()
	b, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := keys.ParseJSON(b, keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	kid, key = s.SigningKey()
	return string(b), kid, key
}

func joinSets(t *testing.T, sets ...string) string {
	var all []json.RawMessage
	for _, s := range sets {
		var v struct{ Keys []json.RawMessage }
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		all = append(all, v.Keys...)
	}
	b, _ := json.Marshal(map[string]any{"keys": all})
	return string(b)
}

// TestResourceServerVerifiesGQLAuthTokens starts gqlauth with EdDSA keys
// and this service (which holds no secret), shows a token working here,
// what it refuses, the logout trade-off, and a key rotation picked up by
// one bounded refetch.
func TestResourceServerVerifiesGQLAuthTokens(t *testing.T) {
	setA, kidA, keyA := genKey(t)
	setB, kidB, keyB := genKey(t)
	dbPath := filepath.Join(t.TempDir(), "auth.db")
	auth1 := startGQLAuth(t, dbPath, setA)

	// gqlauth's JWKS as the resource server reaches it, behind a switchable
	// front (a load balancer), counting fetches.
	var target atomic.Pointer[string]
	target.Store(&auth1)
	var fetches atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		resp, err := http.Get(*target.Load() + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(front.Close)

	rsVars := map[string]string{
		"JWKS_URL": front.URL + "/.well-known/jwks.json", "JWT_AUDIENCE": audience, "PORT": "0",
		"UNKNOWN_KID_REFETCH_SECONDS": "60",
	}
	rs := "http://" + start(t, "resource-server listening on http://", func(ctx context.Context, stdout, stderr io.Writer) int {
		return run(ctx, func(k string) string { return rsVars[k] }, stdout, stderr)
	})
	orders := rs + "/api/orders"

	st, reg := call(t, "POST", auth1+"/api/auth/register", "", map[string]string{"name": "Ann", "email": "ann@example.com", "password": "securePassword123"})
	if st != 201 {
		t.Fatalf("register: %d %v", st, reg)
	}
	access, refresh := reg["access_token"].(string), reg["refresh_token"].(string)
	uid := reg["user"].(map[string]any)["id"].(float64)

	st, body := call(t, "GET", orders, access, nil)
	if st != 200 || body["user_id"] != strconv.Itoa(int(uid)) {
		t.Fatalf("token refused by the resource server: %d %v", st, body)
	}

	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, claims); err != nil {
		t.Fatal(err)
	}
	sign := func(method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
		tk := jwt.NewWithClaims(method, c)
		tk.Header["kid"] = kid
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for n, val := range claims {
			c[n] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	_, _, keyC := genKey(t)
	for name, tok := range map[string]string{
		"no token":      "",
		"refresh token": refresh,
		"wrong key":     sign(jwt.SigningMethodEdDSA, keyC, kidA, claims),
		"wrong aud":     sign(jwt.SigningMethodEdDSA, keyA, kidA, with("aud", "https://other.example.com")),
		"no aud":        sign(jwt.SigningMethodEdDSA, keyA, kidA, with("aud", nil)),
		"wrong issuer":  sign(jwt.SigningMethodEdDSA, keyA, kidA, with("iss", "evil")),
		"expired":       sign(jwt.SigningMethodEdDSA, keyA, kidA, with("exp", time.Now().Add(-time.Hour).Unix())),
		"HS256":         sign(jwt.SigningMethodHS256, []byte("any-secret-at-all-0123456789abcdef"), kidA, claims),
	} {
		if st, _ := call(t, "GET", orders, tok, nil); st != 401 {
			t.Errorf("%s: status %d, want 401", name, st)
		}
	}

	// The trade-off: after logout gqlauth refuses the token at once, this
	// service only when it expires.
	_, second := call(t, "POST", auth1+"/api/auth/login/json", "", map[string]string{"email": "ann@example.com", "password": "securePassword123"})
	loggedOut := second["access_token"].(string)
	if st, _ := call(t, "POST", auth1+"/api/auth/logout", loggedOut, map[string]string{}); st != 200 {
		t.Fatalf("logout %d", st)
	}
	if st, _ := call(t, "GET", auth1+"/api/auth/me", loggedOut, nil); st != 401 {
		t.Fatalf("gqlauth accepts a logged-out token: %d", st)
	}
	if st, _ := call(t, "GET", orders, loggedOut, nil); st != 200 {
		t.Fatalf("the resource server refused a logged-out but unexpired token (%d): the README's trade-off changed", st)
	}

	// Rotation: a new gqlauth instance with [B, A] takes the traffic.
	auth2 := startGQLAuth(t, dbPath, joinSets(t, setB, setA))
	target.Store(&auth2)
	_, fresh := call(t, "POST", auth2+"/api/auth/login/json", "", map[string]string{"email": "ann@example.com", "password": "securePassword123"})
	byB := fresh["access_token"].(string)
	tok, _, _ := jwt.NewParser().ParseUnverified(byB, jwt.MapClaims{})
	if tok.Header["kid"] != kidB {
		t.Fatalf("instance two signs with %v, want B", tok.Header["kid"])
	}
	before := fetches.Load()
	if st, body := call(t, "GET", orders, byB, nil); st != 200 {
		t.Fatalf("the rotated key was not picked up: %d %v", st, body)
	}
	if got := fetches.Load() - before; got != 1 {
		t.Fatalf("picking up B took %d fetches, want 1", got)
	}
	// A's tokens still work; a burst of made-up kids does not refetch.
	if st, _ := call(t, "GET", orders, access, nil); st != 200 {
		t.Fatalf("A's token refused after the rotation: %d", st)
	}
	before = fetches.Load()
	for i := range 5 {
		if st, _ := call(t, "GET", orders, sign(jwt.SigningMethodEdDSA, keyB, "made-up-"+string(rune('a'+i)), claims), nil); st != 401 {
			t.Fatalf("made-up kid accepted: %d", st)
		}
	}
	if got := fetches.Load() - before; got != 0 {
		t.Fatalf("made-up kids caused %d refetches within UNKNOWN_KID_REFETCH_SECONDS", got)
	}
}
