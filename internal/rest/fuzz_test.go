package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"gqlauth/internal/auth"
)

// Fuzz targets for the REST decoders and the client-address logic. Seed
// corpora live in testdata/fuzz/<FuzzName>/; .ci/fuzz runs each briefly.

// FuzzDecodeObject: decodeObject and parseObject never panic, refuse with
// one of the transport's own errors, and accept only a JSON object (or an
// empty body, read as {}); the accepted object's fields read safely.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []struct{ body, ct string }{
		{`{"email":"a@b.co","password":"x"}`, "application/json"},
		{`{"a":1}`, "application/json; charset=utf-8"},
		{`{"a":1}`, "application/problem+json"},
		{``, ""},
		{`   `, "text/plain"},
		{`null`, "application/json"},
		{`[]`, "application/json"},
		{`"str"`, "application/json"},
		{`{} {}`, "application/json"},
		{`{"a":1}]`, "application/json"},
		{`{"a":`, "application/json"},
		{`{"a":"\ud800"}`, "application/json"},
		{`{"a":1}`, "text/plain"},
		{`{"a":1}`, "multipart/form-data; boundary=x"},
		{`{"a":1}`, "application/json; charset="},
		{strings.Repeat("[", 20000), "application/json"},
		{`{"email":null,"password":12,"name":{"x":[1,2]}}`, "application/json"},
	} {
		f.Add([]byte(s.body), s.ct)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/login/json", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 64<<10)
		obj, err := decodeObject(r)
		trimmed := bytes.TrimSpace(body)
		switch {
		case err != nil:
			checkTransportError(t, err)
		case obj == nil:
			t.Fatal("decodeObject returned neither an object nor an error")
		case len(trimmed) == 0:
			if len(obj) != 0 {
				t.Fatalf("an empty body decoded to %v", obj)
			}
		default:
			if len(body) > 64<<10 {
				t.Fatalf("accepted a %d-byte body over the cap", len(body))
			}
			if !isJSON(contentType) {
				t.Fatalf("accepted a body with Content-Type %q", contentType)
			}
			checkObject(t, body, obj)
		}

		obj, err = parseObject(body)
		if err != nil {
			checkTransportError(t, err)
			return
		}
		checkObject(t, body, obj)
	})
}

// checkObject fails unless body is one JSON object and obj its members.
func checkObject(t *testing.T, body []byte, obj object) {
	t.Helper()
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
		t.Fatalf("accepted %q, which is not one JSON object", body)
	}
	p := auth.Problems{}
	for name, raw := range obj {
		if !json.Valid(raw) {
			t.Fatalf("member %q holds invalid JSON %q", name, raw)
		}
		v, present := obj.optStr(p, name)
		if !present && string(raw) != "null" {
			t.Fatalf("member %q (%s) read as absent", name, raw)
		}
		if present && len(p[name]) == 0 {
			var want string
			if err := json.Unmarshal(raw, &want); err != nil || want != v {
				t.Fatalf("member %q (%s) read as %q", name, raw, v)
			}
		}
	}
}

// checkTransportError fails unless err is a client error the envelope maps.
func checkTransportError(t *testing.T, err error) {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *auth.Error", err)
	}
	status, ok := statusOf[e.Code]
	if !ok || status < 400 || status >= 500 {
		t.Fatalf("error code %s maps to status %d, want a 4xx", e.Code, status)
	}
	if e.Message == "" {
		t.Fatal("error without a message")
	}
}

// fuzzTrusted are the TRUSTED_PROXIES settings FuzzClientIP picks from.
var fuzzTrusted = [][]netip.Prefix{
	nil,
	{netip.MustParsePrefix("127.0.0.1/32")},
	{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fd00::/8")},
	{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")},
}

// FuzzClientIP: clientIP never panics and always returns a parseable
// address or the raw host; X-Forwarded-For counts only when the socket peer
// is a trusted proxy, and then only an address it names.
func FuzzClientIP(f *testing.F) {
	f.Add("127.0.0.1:5555", "", uint8(0))
	f.Add("127.0.0.1:5555", "203.0.113.9", uint8(0))
	f.Add("127.0.0.1:5555", "203.0.113.9", uint8(1))
	f.Add("127.0.0.1:5555", "198.51.100.1, 203.0.113.9", uint8(1))
	f.Add("127.0.0.1:5555", "198.51.100.1, 127.0.0.1", uint8(1))
	f.Add("10.1.2.3:1", "garbage, 203.0.113.9, 10.9.9.9", uint8(2))
	f.Add("[::1]:80", "2001:db8::1\n::ffff:203.0.113.5", uint8(2))
	f.Add("[::ffff:127.0.0.1]:80", "203.0.113.9", uint8(1))
	f.Add("[fe80::1%eth0]:80", "fe80::2%25lo", uint8(3))
	f.Add("1.2.3.4:80", "5.6.7.8, 9.9.9.9", uint8(3))
	f.Add("not an address", "203.0.113.9", uint8(3))
	f.Add("", "", uint8(0))
	f.Add("@:", ",,,", uint8(3))
	f.Fuzz(func(t *testing.T, remoteAddr, xff string, sel uint8) {
		trusted := fuzzTrusted[int(sel)%len(fuzzTrusted)]
		r := &http.Request{RemoteAddr: remoteAddr, Header: http.Header{}}
		var hops []string
		if xff != "" {
			// Several header lines, as a client or a chain of proxies may send.
			r.Header["X-Forwarded-For"] = strings.Split(xff, "\n")
			for _, line := range strings.Split(xff, "\n") {
				for _, h := range strings.Split(line, ",") {
					hops = append(hops, strings.TrimSpace(h))
				}
			}
		}
		got := clientIP(r, trusted)
		without := clientIP(&http.Request{RemoteAddr: remoteAddr, Header: http.Header{}}, trusted)

		host := remoteAddr
		if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
			host = h
		}
		peer, err := netip.ParseAddr(host)
		if err != nil {
			if got != host {
				t.Fatalf("unparseable peer %q: got %q, want the raw host %q", remoteAddr, got, host)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("clientIP = %q, not an address (peer %q, X-Forwarded-For %q)", got, remoteAddr, xff)
		}
		if !isTrusted(peer.Unmap(), trusted) {
			if got != without {
				t.Fatalf("untrusted peer %q: X-Forwarded-For %q changed the address to %q (without it: %q)", remoteAddr, xff, got, without)
			}
			return
		}
		if got == peer.Unmap().String() {
			return
		}
		for _, h := range hops {
			if b, err := netip.ParseAddr(h); err == nil && b.Unmap() == a {
				if isTrusted(a, trusted) {
					t.Fatalf("clientIP chose %q, a trusted proxy, from X-Forwarded-For %q", got, xff)
				}
				return
			}
		}
		t.Fatalf("clientIP = %q, neither the peer %q nor an address in X-Forwarded-For %q", got, remoteAddr, xff)
	})
}
