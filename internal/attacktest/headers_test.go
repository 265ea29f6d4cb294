package attacktest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestHeadersAndTokens promises: security headers on every response,
// Cache-Control: no-store on token responses, CORS only for the allow-list
// and never `*`, and a pathological Authorization header (800 KB of dots, a
// 1 MB header) refused quickly without a memory spike.
func TestHeadersAndTokens(t *testing.T) {
	srv := startChild(t, map[string]string{"CORS_ORIGINS": "https://app.example"})
	a := srv.register(t)

	t.Run("nosniff on every response", func(t *testing.T) {
		cases := []struct {
			name         string
			method, path string
			body         any
			headers      []string
			status       int
		}{
			{"200", http.MethodGet, "/healthz", nil, nil, http.StatusOK},
			{"200 me", http.MethodGet, "/api/auth/me", nil, []string{bearer(a.Access)}, http.StatusOK},
			{"200 graphql", http.MethodPost, "/graphql", map[string]string{"query": "{ me { id } }"}, nil, http.StatusOK},
			{"401", http.MethodGet, "/api/auth/me", nil, nil, http.StatusUnauthorized},
			{"404", http.MethodGet, "/no/such/path", nil, nil, http.StatusNotFound},
			{"405", http.MethodGet, "/api/auth/register", nil, nil, http.StatusMethodNotAllowed},
			{"413", http.MethodPost, "/api/auth/register", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, nil, http.StatusRequestEntityTooLarge},
			{"413 graphql", http.MethodPost, "/graphql", `{"query":"` + strings.Repeat(" ", 70<<10) + `{ me { id } }"}`, nil, http.StatusRequestEntityTooLarge},
			{"415", http.MethodPost, "/api/auth/register", "name=x", []string{"Content-Type: text/plain"}, http.StatusUnsupportedMediaType},
			{"422", http.MethodPost, "/api/auth/register", `{}`, nil, http.StatusUnprocessableEntity},
		}
		for _, c := range cases {
			r := srv.must(t, c.method, c.path, c.body, c.headers...)
			if r.Status != c.status {
				t.Errorf("%s: %s %s got %d, want %d", c.name, c.method, c.path, r.Status, c.status)
				continue
			}
			if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.name, got)
			}
			if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "json") && !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
				t.Errorf("%s: JSON response with Content-Type %q, want charset=utf-8", c.name, ct)
			}
		}
	})

	t.Run("no-store on token responses", func(t *testing.T) {
		b := srv.register(t)
		form := "username=" + b.Email + "&password=" + b.Password
		responses := map[string]*reply{
			"register":   srv.must(t, http.MethodPost, "/api/auth/register", map[string]string{"name": "N", "email": newEmail(), "password": goodPassword}),
			"login/json": mustLogin(t, srv, b.Email, b.Password),
			"login form": srv.must(t, http.MethodPost, "/api/auth/login", form, "Content-Type: application/x-www-form-urlencoded"),
			"refresh":    srv.must(t, http.MethodPost, "/api/auth/refresh", map[string]string{"refresh_token": b.Refresh}),
			"graphql login": srv.gql(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken refreshToken } }`,
				map[string]any{"e": b.Email, "p": b.Password}),
		}
		for name, r := range responses {
			if r.Status/100 != 2 || (r.Str("access_token") == "" && r.Str("data.login.accessToken") == "") {
				t.Errorf("%s: status %d without tokens: %s", name, r.Status, clip(r.Raw))
				continue
			}
			if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s: Cache-Control %q, want no-store", name, cc)
			}
		}
	})

	t.Run("CORS allow-list", func(t *testing.T) {
		preflight := func(origin string) *reply {
			// Access-Control-Request-Headers as browsers send it: sorted, lower-case.
			return srv.must(t, http.MethodOptions, "/api/auth/login/json", nil,
				"Origin: "+origin, "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization,content-type")
		}
		good := preflight("https://app.example")
		if got := good.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
			t.Errorf("preflight from the allowed origin: Access-Control-Allow-Origin %q (status %d)", got, good.Status)
		}
		evil := preflight("https://evil.example")
		if got := evil.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight from https://evil.example: Access-Control-Allow-Origin %q, want none", got)
		}
		simple := srv.must(t, http.MethodGet, "/api/auth/me", nil, "Origin: https://evil.example", bearer(a.Access))
		if got := simple.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET from https://evil.example: Access-Control-Allow-Origin %q, want none", got)
		}
		for name, r := range map[string]*reply{"allowed preflight": good, "evil preflight": evil, "evil GET": simple,
			"allowed GET": srv.must(t, http.MethodGet, "/api/auth/me", nil, "Origin: https://app.example", bearer(a.Access))} {
			if r.Header.Get("Access-Control-Allow-Origin") == "*" {
				t.Errorf("%s: Access-Control-Allow-Origin is *", name)
			}
			if strings.EqualFold(r.Header.Get("Access-Control-Allow-Credentials"), "true") {
				t.Errorf("%s: Access-Control-Allow-Credentials: true (tokens travel in a header, not cookies)", name)
			}
		}
	})

	t.Run("pathological Authorization headers", func(t *testing.T) {
		before := srv.rssKB(t)
		attacks := []struct {
			name    string
			headers []string
		}{
			{"800 KB of dots", []string{"Authorization: Bearer " + strings.Repeat(".", 800<<10)}},
			{"1 MB header", []string{"X-Padding: " + strings.Repeat("a", 1<<20)}},
			{"60 KB of dots (under the header cap)", []string{"Authorization: Bearer " + strings.Repeat(".", 60<<10)}},
			{"60 KB token-shaped", []string{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9." + strings.Repeat("e30.", 15<<10) + "x"}},
		}
		for round := 0; round < 10; round++ {
			for _, at := range attacks {
				// Fresh connections: the server may close them after refusing.
				client := newClient(srv.URL, &http.Transport{DisableKeepAlives: true})
				start := time.Now()
				r, err := client.Send(http.MethodGet, "/api/auth/me", nil, at.headers...)
				took := time.Since(start)
				if took > 2*time.Second {
					t.Fatalf("%s: answered after %v, want < 2s", at.name, took)
				}
				if err == nil && (r.Status < 400 || r.Status >= 500) {
					t.Fatalf("%s: status %d, want a 4xx or a closed connection", at.name, r.Status)
				}
				if round == 0 {
					if err != nil {
						t.Logf("%s: connection closed (%v) in %v", at.name, err, took.Round(time.Millisecond))
					} else {
						t.Logf("%s: %d in %v", at.name, r.Status, took.Round(time.Millisecond))
					}
				}
			}
		}
		after := srv.rssKB(t)
		t.Logf("child RSS %d KB before, %d KB after", before, after)
		if grew := after - before; grew > 50<<10 {
			t.Fatalf("the child's RSS grew by %d KB under pathological headers, want < 50 MB", grew)
		}
		// Still serving.
		expect(t, srv.must(t, http.MethodGet, "/api/auth/me", nil, bearer(a.Access)), http.StatusOK, "")
	})
}

// TestJWTLibraryVersion promises: the binary links golang-jwt v5.2.2 or
// later (CVE-2025-30204: quadratic work on a header of many dots).
func TestJWTLibraryVersion(t *testing.T) {
	out, err := exec.Command("go", "version", "-m", binPath).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "dep" || f[1] != "github.com/golang-jwt/jwt/v5" {
			continue
		}
		var major, minor, patch int
		if _, err := fmt.Sscanf(f[2], "v%d.%d.%d", &major, &minor, &patch); err != nil {
			t.Fatalf("unreadable golang-jwt version %q", f[2])
		}
		if major != 5 || minor < 2 || minor == 2 && patch < 2 {
			t.Fatalf("golang-jwt %s, want v5.2.2 or later (CVE-2025-30204)", f[2])
		}
		t.Logf("golang-jwt %s", f[2])
		return
	}
	t.Fatalf("the binary does not link github.com/golang-jwt/jwt/v5:\n%s", out)
}

// TestSlowHeaders promises: server timeouts are set, so a client that
// trickles its headers (slowloris) is cut off after the read-header timeout
// (5 s) and cannot hold connections, while others are still served.
func TestSlowHeaders(t *testing.T) {
	srv := startChild(t, nil)
	const conns = 16
	const bound = 5*time.Second + 4*time.Second // ReadHeaderTimeout plus slack
	type outcome struct {
		took   time.Duration
		closed bool
	}
	results := make(chan outcome, conns)
	start := time.Now()
	for i := 0; i < conns; i++ {
		go func() {
			c, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
			if err != nil {
				results <- outcome{}
				return
			}
			defer c.Close()
			began := time.Now()
			if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")); err != nil {
				results <- outcome{time.Since(began), true}
				return
			}
			// One byte every 250 ms, never finishing the header, until the
			// server closes the connection or the bound passes.
			for time.Since(began) < bound+2*time.Second {
				time.Sleep(250 * time.Millisecond)
				if _, err := c.Write([]byte("a")); err != nil {
					break
				}
				_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
				var b [512]byte
				if _, err := c.Read(b[:]); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					break // closed (EOF or reset)
				} else if err == nil {
					break // the server answered (an error status) and will close
				}
			}
			results <- outcome{time.Since(began), time.Since(began) < bound+2*time.Second}
		}()
	}
	// Meanwhile, normal requests are served promptly.
	time.Sleep(time.Second)
	r := srv.must(t, http.MethodGet, "/healthz", nil)
	if r.Status != http.StatusOK || r.Took > 2*time.Second {
		t.Errorf("a normal request during the slow-header attack: %d in %v", r.Status, r.Took)
	}
	for i := 0; i < conns; i++ {
		o := <-results
		if !o.closed || o.took > bound {
			t.Fatalf("a slow-header connection was held %v (closed: %v), want it cut within %v", o.took.Round(time.Millisecond), o.closed, bound)
		}
	}
	t.Logf("%d slow-header connections cut within %v", conns, time.Since(start).Round(time.Millisecond))
}
