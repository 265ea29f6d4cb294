// Package testclient is the HTTP client the end-to-end, attack and handler
// tests share: one request helper (bodies as JSON, headers as "Name: value"
// strings), the decoded response, and the check of the error envelope. Only
// tests import it.
package testclient

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gqlauth/internal/testenv"
)

// Client sends requests to one server.
type Client struct {
	URL  string // base URL, http://host:port
	HTTP *http.Client
	// Check, when set, sees every exchange sent through Do (the OpenAPI
	// validator uses it).
	Check func(t testing.TB, req *http.Request, r *Response)
}

// New returns a client of base over tr (http.DefaultTransport when nil)
// that does not follow redirects and gives up after 30 seconds.
func New(base string, tr http.RoundTripper) *Client {
	return &Client{URL: base, HTTP: &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any // nil unless the body is a JSON object
	Took   time.Duration
}

// Get returns the value at a dotted path of the JSON body (testenv.Lookup).
func (r *Response) Get(path string) any { return testenv.Lookup(r.JSON, path) }

// Str returns the string at a dotted path of the JSON body ("" if none).
func (r *Response) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// GQLCodes lists extensions.code of every GraphQL error, in order.
func (r *Response) GQLCodes() []string {
	errs, _ := r.Get("errors").([]any)
	var out []string
	for i := range errs {
		out = append(out, r.Str("errors."+strconv.Itoa(i)+".extensions.code"))
	}
	return out
}

// HasData reports whether a GraphQL response carries any data.
func (r *Response) HasData() bool {
	d, ok := r.JSON["data"]
	if !ok || d == nil {
		return false
	}
	m, ok := d.(map[string]any)
	return !ok || len(m) > 0
}

// Send sends one request. body is nil, a string or []byte (sent as is) or
// any other value (sent as JSON); a body is labelled application/json unless
// a header says otherwise. Headers are "Name: value". Safe for concurrent
// use.
func (c *Client) Send(method, path string, body any, headers ...string) (*Response, error) {
	r, _, err := c.send(method, path, body, headers)
	return r, err
}

// Do is Send that fails the test on a transport error and runs Check. Only
// for the test's own goroutine.
func (c *Client) Do(t testing.TB, method, path string, body any, headers ...string) *Response {
	t.Helper()
	r, req, err := c.send(method, path, body, headers)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if c.Check != nil {
		c.Check(t, req, r)
	}
	return r
}

// GQL posts a GraphQL operation.
func (c *Client) GQL(t testing.TB, query string, vars map[string]any, headers ...string) *Response {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return c.Do(t, http.MethodPost, "/graphql", body, headers...)
}

func (c *Client) send(method, path string, body any, headers []string) (*Response, *http.Request, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, nil, err
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Took: time.Since(start)}
	_ = json.Unmarshal(raw, &r.JSON)
	return r, req, nil
}

// Bearer is the Authorization header for token.
func Bearer(token string) string { return "Authorization: Bearer " + token }

// Expect fails the test unless r has status and, when code is not "", the
// error envelope with that code.
func Expect(t testing.TB, r *Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, Clip(r.Raw))
	}
	if code != "" {
		if got := r.Str("error.code"); got != code {
			t.Fatalf("error.code %q, want %q; body %s", got, code, Clip(r.Raw))
		}
		if r.Get("success") != false || r.Str("error.message") == "" {
			t.Fatalf("not the error envelope: %s", Clip(r.Raw))
		}
	}
}

// Clip shortens a body for failure messages.
func Clip(b []byte) string {
	const max = 1000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
