package rest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRewriteLibraryError: net/http's own plain-text answers become the
// envelope; anything else, a handler's response above all, passes as is.
func TestRewriteLibraryError(t *testing.T) {
	const hdrs = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	for _, c := range []struct {
		in     string
		status int
		code   string
	}{
		{"HTTP/1.1 431 Request Header Fields Too Large" + hdrs + "431 Request Header Fields Too Large", 431, "HEADERS_TOO_LARGE"},
		{"HTTP/1.1 400 Bad Request" + hdrs + "400 Bad Request", 400, "BAD_REQUEST"},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + hdrs + "400 Bad Request: missing required Host header", 400, "BAD_REQUEST"},
		{"HTTP/1.1 501 Not Implemented" + hdrs + "Unsupported transfer encoding", 501, "NOT_IMPLEMENTED"},
		{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version" + hdrs + "505 …", 505, "HTTP_VERSION_NOT_SUPPORTED"},
	} {
		out := rewriteLibraryError([]byte(c.in))
		if out == nil {
			t.Errorf("%.40q: not rewritten", c.in)
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if err != nil {
			t.Fatalf("%.40q: %v\n%s", c.in, err, out)
		}
		var env envelope
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Error.Code != c.code || env.Error.Message == "" || env.Success {
			t.Errorf("%.40q: body %+v (%v), want code %s", c.in, env, err, c.code)
		}
		if resp.StatusCode != c.status || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || !resp.Close {
			t.Errorf("%.40q: status %d, header %v", c.in, resp.StatusCode, resp.Header)
		}
	}

	// A real response written through the edge, whole or in pieces, even a
	// plain-text error with Connection: close, is never taken for one.
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	for _, path := range []string{"/healthz", "/nope"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Close = true
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var wire bytes.Buffer
		_ = resp.Write(&wire)
		if rewriteLibraryError(wire.Bytes()) != nil {
			t.Errorf("%s: a handler's response would be rewritten:\n%s", path, wire.String())
		}
	}
	for _, in := range []string{
		"HTTP/1.1 200 OK" + hdrs + "fine",
		"HTTP/1.1 404 Not Found\r\nDate: x" + hdrs + "x",
		"partial body" + hdrs,
		"",
	} {
		if rewriteLibraryError([]byte(in)) != nil {
			t.Errorf("%.40q was rewritten", in)
		}
	}
}

func TestHeaderBytesCountsTheBlock(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/healthz?x=1", nil)
	r.Header.Set("X-Pad", strings.Repeat("a", 1000))
	n := headerBytes(r)
	// "GET /healthz?x=1 HTTP/1.1\r\n" + "Host: example.com\r\n" + "X-Pad: …\r\n" + "\r\n"
	want := 27 + 19 + 7 + 1000 + 2 + 2
	if n != want {
		t.Errorf("headerBytes = %d, want %d", n, want)
	}
}
