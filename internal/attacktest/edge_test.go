package attacktest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawExchange writes raw bytes to srv on a fresh connection and reads one
// HTTP response. The write may be cut short when the server answers and
// closes first; the answer is what counts.
func rawExchange(t *testing.T, srv *child, request string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.WriteString(c, request) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer to %.60q…: %v", request, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// expectEnvelope fails unless the answer has status, the error envelope
// with code, JSON with charset=utf-8 and the security headers.
func expectEnvelope(t *testing.T, name string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d; body %.200s", name, resp.StatusCode, status, body)
		return
	}
	var env struct {
		Success *bool `json:"success"`
		Error   struct{ Message, Code string }
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Success == nil || *env.Success || env.Error.Code != code || env.Error.Message == "" {
		t.Errorf("%s: body %.200q, want the envelope with code %s", name, body, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("%s: no %s header", name, h)
		}
	}
}

// TestOversizedHeadersGetTheEnvelope promises: a request header block over
// 64 KiB is 431 HEADERS_TOO_LARGE with the envelope and the security
// headers, whatever its size, and the other errors net/http writes by
// itself (malformed requests, unknown transfer codings) carry the envelope
// too. A header block under the cap is served.
func TestOversizedHeadersGetTheEnvelope(t *testing.T) {
	srv := startChild(t, nil)
	get := func(path string, extra string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: " + srv.Addr + "\r\n" + extra + "Connection: close\r\n\r\n"
	}
	for _, c := range []struct {
		name   string
		req    string
		status int
		code   string
	}{
		{"70 KiB header", get("/api/auth/me", "X-Padding: "+strings.Repeat("a", 70<<10)+"\r\n"), 431, "HEADERS_TOO_LARGE"},
		{"70 KiB bearer token", get("/api/auth/me", "Authorization: Bearer "+strings.Repeat("a", 70<<10)+"\r\n"), 431, "HEADERS_TOO_LARGE"},
		{"70 KiB over many fields", get("/healthz", strings.Repeat("X-Many: "+strings.Repeat("b", 1000)+"\r\n", 70)), 431, "HEADERS_TOO_LARGE"},
		{"70 KiB on /graphql", get("/graphql?query=%7Bme%7Bid%7D%7D", "X-Padding: "+strings.Repeat("a", 70<<10)+"\r\n"), 431, "HEADERS_TOO_LARGE"},
		{"70 KiB query string", get("/healthz?"+strings.Repeat("q", 70<<10), ""), 431, "HEADERS_TOO_LARGE"},
		{"2 MiB header (past the library's own limit)", get("/healthz", "X-Padding: "+strings.Repeat("a", 2<<20)+"\r\n"), 431, "HEADERS_TOO_LARGE"},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"},
		{"malformed request line", "GARBAGE\r\n\r\n", 400, "BAD_REQUEST"},
		{"unknown transfer coding", "POST /api/auth/login/json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd-ish\r\n\r\n", 501, "NOT_IMPLEMENTED"},
	} {
		resp, body := rawExchange(t, srv, c.req)
		expectEnvelope(t, c.name, resp, body, c.status, c.code)
	}

	// Just under the cap: served as usual.
	resp, body := rawExchange(t, srv, get("/healthz", "X-Padding: "+strings.Repeat("a", 60<<10)+"\r\n"))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("60 KiB header: %d %s, want 200", resp.StatusCode, body)
	}
	// The net/http client sees the same.
	r, err := srv.send(http.MethodGet, "/api/auth/me", nil, "X-Padding: "+strings.Repeat("z", 70<<10))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r, http.StatusRequestHeaderFieldsTooLarge, "HEADERS_TOO_LARGE")
	// Still serving.
	expect(t, srv.must(t, http.MethodGet, "/healthz", nil), http.StatusOK, "")
}

// TestMetricsAreNotPublic promises: /metrics is not served on the public
// port without configuration; behind METRICS_TOKEN only the token opens it;
// and clients cannot mint label values with GraphQL operation names.
func TestMetricsAreNotPublic(t *testing.T) {
	plain := startChild(t, nil)
	for _, h := range [][]string{nil, {bearer(metricsToken)}} {
		expect(t, plain.must(t, http.MethodGet, "/metrics", nil, h...), http.StatusNotFound, "NOT_FOUND")
	}

	srv := startChild(t, map[string]string{"METRICS_TOKEN": metricsToken})
	for _, h := range [][]string{nil, {bearer("attacktest-metrics-token-012345678")}, {bearer("")}, {"Authorization: " + metricsToken}} {
		expect(t, srv.must(t, http.MethodGet, "/metrics", nil, h...), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	// A flood of client-chosen operation names.
	for i := range 300 {
		srv.gql(t, fmt.Sprintf("query Flood%d { __typename }", i), nil)
	}
	a := srv.register(t)
	srv.gql(t, "query MyOwnName { me { id } }", nil, bearer(a.Access))
	m := srv.must(t, http.MethodGet, "/metrics", nil, bearer(metricsToken))
	expect(t, m, http.StatusOK, "")
	series := 0
	for _, l := range strings.Split(string(m.Raw), "\n") {
		if strings.HasPrefix(l, "gqlauth_graphql_operations_total{") {
			series++
		}
	}
	if strings.Contains(string(m.Raw), "Flood") || strings.Contains(string(m.Raw), "MyOwnName") {
		t.Errorf("client-chosen operation names are label values")
	}
	if !strings.Contains(string(m.Raw), `gqlauth_graphql_operations_total{name="me",operation="query"} 1`) {
		t.Errorf("no series for the me field")
	}
	if series > 3 {
		t.Errorf("%d graphql_operations_total series after the flood, want at most 3", series)
	}
}
